"""One measured run of the bot: ``main.py MARKET --sim`` as its own process, sampled through /proc.

The run quotes on ``RunSpec.maker`` and hedges on ``RunSpec.hedge`` (``--set maker=... --set hedge=...``).

The bot's CPU time and peak RSS are read from /proc/<pid>/stat and status of
the bot's process only (the simulator is its child process, and a child's
time is not in its parent's utime/stime). The CPU window opens one second
after the bot logs "first quotes sent" and closes one second before its
``--duration`` ends, so start-up and shutdown are not counted as load.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")
FIRST_QUOTE_MARK = "first quotes sent"
SETTLE = 1.0          # seconds after the first quote before the CPU window opens


@dataclass
class RunSpec:
    """What to run: bot settings (--set) and simulator arguments (--sim-arg)."""
    name: str
    window: float                                  # seconds of steady state measured
    hedge: str = "hyperliquid"
    market: str = "AVAX"
    settings: list[str] = field(default_factory=list)
    sim_args: list[str] = field(default_factory=list)
    seed: int = 1
    maker: str = "hubble"                          # where the bot quotes


@dataclass
class RunResult:
    spec: RunSpec
    summary: dict
    cpu_percent: float | None      # of one core, over the window
    peak_rss_mb: float | None      # VmHWM at the end of the run
    window_seconds: float | None
    wall_seconds: float
    exit_status: int


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK      # utime + stime


def peak_rss_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


class _Watcher:
    """Reads the bot's log from its stdout and samples /proc while it runs."""

    def __init__(self, proc: subprocess.Popen, window: float, log_path: Path):
        self.proc = proc
        self.window = window
        self.log_path = log_path
        self.first_quote = threading.Event()
        self.cpu: tuple[float, float, float, float] | None = None     # (t0, cpu0, t1, cpu1)
        self.rss: float | None = None

    def read_log(self) -> None:
        with open(self.log_path, "w") as out:
            for line in self.proc.stdout:
                out.write(line)
                if FIRST_QUOTE_MARK in line:
                    self.first_quote.set()

    def sample(self, start_timeout: float) -> None:
        pid = self.proc.pid
        if not self.first_quote.wait(start_timeout) or self.proc.poll() is not None:
            return
        try:
            time.sleep(SETTLE)
            t0, c0 = time.monotonic(), cpu_seconds(pid)
            end = t0 + self.window
            while time.monotonic() < end and self.proc.poll() is None:
                self.rss = peak_rss_mb(pid)
                time.sleep(min(0.25, max(0.0, end - time.monotonic())))
            self.cpu = (t0, c0, time.monotonic(), cpu_seconds(pid))
            while self.proc.poll() is None:            # peak RSS up to the end (shutdown included)
                self.rss = peak_rss_mb(pid) or self.rss
                time.sleep(0.1)
        except (OSError, ValueError, IndexError):      # the process ended between two reads
            pass


def _wait_or_kill(proc: subprocess.Popen, timeout: float) -> int:
    """The bot's exit status; a bot still running after `timeout` is stopped (SIGTERM, then SIGKILL)
    so a hung run never outlives the benchmark (its simulator dies with it)."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return -1


def run_bot(spec: RunSpec, out_dir: Path, start_timeout: float = 60.0) -> RunResult:
    """Run the bot for its start-up, SETTLE, the window and one more second; return its figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary_path = out_dir / f"{spec.name}.summary.json"
    summary_path.unlink(missing_ok=True)
    duration = spec.window + SETTLE + 2.0       # --duration starts when start-up ends, just before the first quote
    cmd = [sys.executable, str(ROOT / "main.py"), spec.market, "--sim", "--sim-seed", str(spec.seed),
           "--duration", f"{duration:.1f}", "--summary-json", str(summary_path), "--log-level", "INFO",
           "--set", f"maker={spec.maker}", "--set", f"hedge={spec.hedge}"]
    for item in spec.settings:
        cmd += ["--set", item]
    for arg in spec.sim_args:
        cmd.append(f"--sim-arg={arg}")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    watcher = _Watcher(proc, spec.window, out_dir / f"{spec.name}.log")
    reader = threading.Thread(target=watcher.read_log, daemon=True)
    reader.start()
    watcher.sample(start_timeout)
    status = _wait_or_kill(proc, duration + start_timeout + 60)
    reader.join(5)
    wall = time.monotonic() - started
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    cpu = window = None
    if watcher.cpu:
        t0, c0, t1, c1 = watcher.cpu
        window = t1 - t0
        cpu = round(100.0 * (c1 - c0) / window, 2) if window > 0 else None
    return RunResult(spec, summary, cpu, round(watcher.rss, 1) if watcher.rss else None,
                     round(window, 2) if window else None, round(wall, 2), status)
