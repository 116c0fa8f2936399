"""``python3 -m tools.observer``: judge the bot from the venues' side against simnet, one run per scenario."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from tools.observer.report import table, write
from tools.observer.options import HEDGES, MAKERS, RunOptions, check_pair
from tools.observer.run import observe
from tools.simnet.markets import MARKETS
from tools.simnet.scenarios import SCENARIOS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m tools.observer",
        description="Run the real bot (main.py, live mode) against an in-process simnet and measure it from the "
                    "venues' side: quote uptime, fills, hedge coverage, net delta, PnL and its parts, drawdown, "
                    "positions and liquidations (and the bot's own liquidation distance and risk states), each from "
                    "the maker venue (--maker) and the hedge venue (--hedge). A maker venue other than Hubble gets "
                    "the background takers and 30 bps book main.py --sim gives it (not under quiet; --sim-set "
                    "overrides). Writes DIR/<scenario>.json and DIR/table.md, and keeps the bot's own output as "
                    "DIR/<scenario>.bot.log (for reading, never for a figure).")
    p.add_argument("--scenario", default=None, choices=sorted(SCENARIOS), help="one simnet scenario (default: default)")
    p.add_argument("--scenarios", default=None, metavar="A,B,...",
                   help="several scenarios, run one after another (e.g. default,informed,jump)")
    p.add_argument("--seed", type=int, default=1, help="simnet seed (default 1)")
    p.add_argument("--seconds", type=float, default=300.0, help="seconds the bot runs, from its start (default 300)")
    p.add_argument("--maker", default="hubble", choices=MAKERS,
                   help="maker venue, where the bot quotes (default hubble); not the hedge venue")
    p.add_argument("--hedge", default="hyperliquid", choices=HEDGES, help="hedge venue (default hyperliquid)")
    p.add_argument("--market", default="AVAX", choices=sorted(MARKETS), help="market (default AVAX)")
    p.add_argument("--set", dest="bot_settings", action="append", default=[], metavar="KEY=VALUE",
                   help="a bot setting for the run, passed to main.py --set (repeatable)")
    p.add_argument("--sim-set", dest="sim_settings", action="append", default=[], metavar="VENUE.KEY=VALUE",
                   help="a simnet knob, e.g. hubble.taker_rate=1 (repeatable)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between samples (default 1)")
    p.add_argument("--out", type=Path, default=Path("observer_results"), help="output folder (default observer_results)")
    return p


def scenarios_of(args: argparse.Namespace) -> list[str]:
    if args.scenarios:
        names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            raise SystemExit(f"observer: unknown scenario(s) {unknown}; choose from {sorted(SCENARIOS)}")
        return names
    return [args.scenario or "default"]


def _stop_on_sigterm(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)       # unwinds the run: the bot gets its SIGTERM, simnet stops


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_pair(args.maker, args.hedge)
    except ValueError as exc:
        raise SystemExit(f"observer: {exc}") from None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    reports = []
    for name in scenarios_of(args):
        options = RunOptions(name, args.seed, args.seconds, args.hedge, args.market.upper(), args.bot_settings,
                             args.sim_settings, args.interval, args.maker, args.out / f"{name}.bot.log")
        print(f"observer: {name}, seed {args.seed}, {args.seconds:g} s, {args.market.upper()}, quoting on "
              f"{args.maker}, hedging on {args.hedge}", file=sys.stderr)
        reports.append(observe(options))
        write(reports, args.out)          # after each run, so a long sequence keeps what it measured
    sys.stdout.write(table(reports))
    return 0 if all(r["bot_exit_code"] == 0 for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
