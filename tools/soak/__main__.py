"""``python3 -m tools.soak MARKET``: a soak run of ``main.py MARKET --sim``, judged flat or not.

Runs the bot against the simulator at its default flow for --seconds (an hour by default) in a scratch
directory outside the repository, with logRotation small enough that the log and the event journal rotate
within the run, and samples the bot's resident memory and open file descriptors (and its simulator child's)
from /proc every --interval seconds. Writes OUT/soak.json (every sample, the figures at warm-up end and at the
end, slopes, rotations) and OUT/soak.png, and prints one line. Exit status 0 when memory and descriptors
stay within their bounds after warm-up and a file rotated, 3 when not, 1 when the bot failed or could not be
sampled.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from tools.soak.judge import Bounds, Judgement, judge, trend, verdict_line
from tools.soak.plot import plot
from tools.soak.run import Observed, SoakOptions, fresh_directory, inside, soak

WARMUP_MAX = 900.0      # seconds: the default warm-up is a quarter of the run, at most this (the order tracker
                        # keeps a quote 10 minutes past its expiry: memory fills that long by design)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m tools.soak", description=__doc__.split("\n\n")[1])
    p.add_argument("market", metavar="MARKET", type=str.upper, help="market, e.g. AVAX")
    p.add_argument("--seconds", type=float, default=3600.0, help="the bot's --duration (default 3600)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between samples (default 5)")
    p.add_argument("--warmup", type=float, default=None,
                   help=f"seconds from the bot's start left out of the judgement (default: a quarter of the run, "
                        f"at most {WARMUP_MAX:g})")
    p.add_argument("--rotation", default="1MB",
                   help='logRotation for the run (default 1MB, the smallest size the settings take)')
    p.add_argument("--max-rss-growth-mib", type=float, default=Bounds.rss_growth_mib,
                   help=f"RSS growth allowed after warm-up, MiB (default {Bounds.rss_growth_mib:g})")
    p.add_argument("--max-fd-growth", type=int, default=Bounds.fd_growth,
                   help=f"open-FD growth allowed after warm-up (default {Bounds.fd_growth})")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="another bot setting, passed to main.py --set (repeatable)")
    p.add_argument("--sim-arg", dest="sim_args", action="append", default=[], metavar="ARG",
                   help="passed to main.py --sim-arg (repeatable), e.g. --sim-arg=--scenario=volatile")
    p.add_argument("--dir", type=Path, default=None,
                   help="where the bot runs (its logs/, performance/, state/); outside the repository "
                        "(default: a new temporary directory)")
    p.add_argument("--out", type=Path, default=None, help="where soak.json and soak.png go (default: --dir)")
    return p


def report(options: SoakOptions, warmup: float, bounds: Bounds, observed: Observed, j: Judgement) -> dict:
    s = observed.bot_summary
    return {
        "command": ["python3", "main.py", *options.command()[2:]],
        "market": options.market, "seconds": options.seconds, "interval": options.interval, "warmup_s": warmup,
        "directory": str(options.directory), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_seconds": observed.wall_seconds, "bot_exit_code": observed.exit_code,
        "bounds": {"rss_growth_mib": bounds.rss_growth_mib, "fd_growth": bounds.fd_growth},
        "summary": {
            "rss_mib": j.rss_mib.figures(), "fds": j.fds.figures(),
            "simulator": _simulator(observed, warmup),
            "rotations_seen": {"log": j.log_rotations, "journal": j.journal_rotations},
            "rotated_files": observed.rotated_files, "most_rotated_or_deleted_files_held_open": j.held_rotated,
            "samples": len(observed.samples),
            "bot_run": {"fills": (s.get("fills") or {}).get("count"), "hedges": (s.get("hedges") or {}).get("count"),
                        "hedge_coverage": s.get("hedge_coverage")},
        },
        "verdict": {"flat": j.ok, "problems": j.problems, "line": verdict_line(j, bounds)},
        "samples": [sample.row() for sample in observed.samples],
    }


def _simulator(observed: Observed, warmup: float) -> dict:
    """The simulator child's figures, for reading only: its venues keep every block and fill by design."""
    samples = observed.samples
    rss = trend(((x.t, None if x.sim_rss_kb is None else x.sim_rss_kb / 1024) for x in samples), warmup)
    return {"rss_mib": rss.figures(), "fds": trend(((x.t, x.sim_fds) for x in samples), warmup).figures()}


def _stop_on_sigterm(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)       # unwinds the run: the bot gets its SIGTERM (its clean stop)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    directory = args.dir or fresh_directory(args.market)
    if inside(directory):
        raise SystemExit(f"soak: --dir {directory} is inside the repository: the bot's logs and journal would "
                         "land among its files; give a scratch directory outside it")
    options = SoakOptions(args.market, args.seconds, args.interval, args.rotation, directory, args.settings,
                          args.sim_args)
    warmup = args.warmup if args.warmup is not None else min(WARMUP_MAX, args.seconds / 4)
    bounds = Bounds(args.max_rss_growth_mib, args.max_fd_growth)
    print(f"soak: {args.market} --sim for {args.seconds:g} s in {directory}, a sample every {args.interval:g} s, "
          f"warm-up {warmup:g} s", file=sys.stderr, flush=True)
    observed = soak(options)
    j = judge(observed.samples, warmup, bounds, observed.exit_code)
    out = args.out or directory
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(json.dumps(report(options, warmup, bounds, observed, j), indent=1) + "\n")
    length = f"{args.seconds / 60:g} min" if args.seconds >= 120 else f"{args.seconds:g} s"
    plot(observed.samples, warmup, j, bounds, f"python3 main.py {args.market} --sim, {length}, logRotation="
                                              f"{args.rotation}", out / "soak.png")
    print(verdict_line(j, bounds))
    print(f"written: {out / 'soak.json'}, {out / 'soak.png'}", file=sys.stderr)
    if observed.exit_code != 0 or not observed.samples:
        return 1
    return 0 if j.ok else 3


if __name__ == "__main__":
    sys.exit(main())
