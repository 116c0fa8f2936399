"""``python3 -m tools.report``: an offline HTML report over what the bot's runs left behind.

Reads performance/<market>-events.jsonl (and the performance CSV, the log and
any --summary-json files) and writes <out>/<market>.html with its PNGs beside
it. Exit status 0 when every page was written, 1 when a market had nothing to
report, 2 on a bad command line.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.report.build import build
from tools.report.figures import NothingToReport, Request
from tools.report.journal import markets_in


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m tools.report",
                                description="Offline HTML report (with PNG plots) over the bot's runs.")
    p.add_argument("--market", action="append", default=[], metavar="MARKET",
                   help="market to report (repeatable; default: every market with a journal in --dir)")
    p.add_argument("--dir", type=Path, default=Path("performance"), metavar="DIR",
                   help="where the runs wrote <market>-events.jsonl and <market>.csv (default: performance)")
    p.add_argument("--out", type=Path, default=Path("report"), metavar="DIR",
                   help="where to write <market>.html and its PNGs (default: report)")
    p.add_argument("--logs", type=Path, default=Path("logs"), metavar="DIR",
                   help="where the bot's <market>.log is (default: logs)")
    p.add_argument("--summary", action="append", type=Path, default=[], metavar="PATH",
                   help="a main.py --summary-json file to include (repeatable)")
    p.add_argument("--run", action="append", default=[], metavar="ID",
                   help="only this run (its id or a prefix of it, as in the journal; repeatable)")
    p.add_argument("--last", type=int, metavar="N", help="only the last N runs (after --run)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.last is not None and args.last < 1:
        parser().error("--last must be at least 1")
    markets = [m.upper() for m in args.market] or markets_in(args.dir)
    if not markets:
        print(f"report: no event journal (*-events.jsonl) in {args.dir}: run the bot first", file=sys.stderr)
        return 1
    status = 0
    for market in markets:
        request = Request(market, args.dir, args.out, args.logs, args.summary, args.run, args.last)
        try:
            print(build(request))
        except NothingToReport as exc:
            print(f"report: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
