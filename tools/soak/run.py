"""One soak run: ``main.py MARKET --sim --duration N`` in its own process and directory, sampled every few seconds."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.soak.judge import Sample
from tools.soak.probe import Probe

ROOT = Path(__file__).resolve().parents[2]
STOP_GRACE = 60.0          # seconds past the run's length (its start-up and clean stop) before the bot is stopped


@dataclass
class SoakOptions:
    market: str = "AVAX"
    seconds: float = 3600.0            # the bot's --duration
    interval: float = 5.0              # seconds between samples
    rotation: str = "1MB"              # --set logRotation=...: small, so the files rotate within the run
    directory: Path = Path(".")        # where the bot runs: its logs/, performance/ and state/
    settings: list[str] = field(default_factory=list)     # more main.py --set KEY=VALUE
    sim_args: list[str] = field(default_factory=list)     # main.py --sim-arg ARG

    def command(self) -> list[str]:
        cmd = [sys.executable, str(ROOT / "main.py"), self.market, "--sim", "--duration", f"{self.seconds:g}",
               "--summary-json", "soak-summary.json", "--set", f"logRotation={self.rotation}"]
        for item in self.settings:
            cmd += ["--set", item]
        return cmd + [f"--sim-arg={arg}" for arg in self.sim_args]


@dataclass
class Observed:
    samples: list[Sample]
    exit_code: int | None
    wall_seconds: float
    rotated_files: dict[str, list[str]]
    bot_summary: dict


def soak(options: SoakOptions) -> Observed:
    """Run the bot for ``options.seconds``, sampling it from its start to the end of that span (its start-up
    included: the warm-up is the judge's to leave out), then wait for its clean stop."""
    directory = options.directory
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "soak-summary.json").unlink(missing_ok=True)
    with open(directory / "soak-bot.out", "ab") as out:
        started = time.monotonic()
        proc = subprocess.Popen(options.command(), cwd=directory, stdout=out, stderr=subprocess.STDOUT)
        probe = Probe(proc.pid, directory, options.market)
        try:
            samples = _sample(proc, probe, options, started)
            exit_code = _wait_or_stop(proc, options.seconds + STOP_GRACE - (time.monotonic() - started))
        finally:
            if proc.poll() is None:          # the soak itself was interrupted: the bot gets its clean stop
                _wait_or_stop(proc, 0)
    summary_path = directory / "soak-summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return Observed(samples, exit_code, round(time.monotonic() - started, 1), probe.rotated_files(), summary)


def _sample(proc: subprocess.Popen, probe: Probe, options: SoakOptions, started: float) -> list[Sample]:
    samples: list[Sample] = []
    next_at = started
    while proc.poll() is None:
        t = time.monotonic() - started
        if t > options.seconds:
            break
        sample = probe.sample(t)
        if proc.poll() is not None:          # gone during the reads: the sample may be half empty
            break
        samples.append(sample)
        next_at += options.interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    return samples


def _wait_or_stop(proc: subprocess.Popen, timeout: float) -> int:
    """The bot's exit status; past ``timeout`` it gets SIGTERM (its clean stop), then SIGKILL."""
    try:
        return proc.wait(timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


def inside(path: Path, root: Path = ROOT) -> bool:
    """Is ``path`` in the repository (where the bot's logs would land among its files)?"""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def fresh_directory(market: str) -> Path:
    """A new scratch directory in the system's temporary one (never the repository)."""
    return Path(tempfile.mkdtemp(prefix=f"soak-{market.lower()}-"))

