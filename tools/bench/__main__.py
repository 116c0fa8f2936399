"""``python3 -m tools.bench [--quick | --smoke] [--out DIR]``: measure the real bot against tools/simnet.

Each bot run is ``main.py AVAX --sim`` in its own process (the simulator is
that process's child), measured through its ``--summary-json`` latencies and
/proc. The load runs measure every (maker, hedge) pair: Hubble quoting and
hedging on Hyperliquid or Binance at 20 fills/s, Hyperliquid or Binance quoting
(simnet's background takers on their 30 bps book) at 4 takers/s; --quick runs
one of the latter (hyperliquid->binance), --smoke the other. Writes
DIR/bench.json (every figure and the machine) and DIR/bench.png (the scaling
plot), and prints a table. Exit status 0 when every target is met, 3 when one
is missed, 1 on a failed run.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tools.bench import loopback, report, risk_check, signing
from tools.bench.botrun import ROOT, RunResult, run_bot
from tools.bench.plan import NETTING_WINDOWS, PLANS, Plan


def _run(spec, out: Path, runs: dict) -> dict:
    print(f"  run {spec.name} ({spec.window:g} s window) ...", file=sys.stderr, flush=True)
    result: RunResult = run_bot(spec, out)
    if result.exit_status != 0 or not result.summary:
        raise SystemExit(f"bench: run {spec.name} failed (exit {result.exit_status}); see {out / spec.name}.log")
    runs[spec.name] = report.run_figures(result)
    return runs[spec.name]


def measure(plan: Plan, out: Path) -> dict:
    started = time.monotonic()
    print("signing and loopback floor ...", file=sys.stderr, flush=True)
    signing_us = {"hubble": signing.hubble(plan.hubble_signs), "hyperliquid": signing.hyperliquid(plan.hyperliquid_signs)}
    floor = loopback.floor(plan.loopback_requests)
    pre_trade_us = risk_check.per_order_us()
    runs: dict[str, dict] = {}
    print("bot runs:", file=sys.stderr, flush=True)
    for hedge in ("hyperliquid", "binance"):
        _run(plan.idle(hedge), out, runs)
        _run(plan.load(hedge), out, runs)
        if plan.comparisons:
            _run(plan.load(hedge, streams=False), out, runs)
    for maker, hedge in plan.maker_pairs:
        _run(plan.pair_load(maker, hedge), out, runs)
    for window in NETTING_WINDOWS if plan.comparisons else ():
        _run(plan.load("hyperliquid", netting=window), out, runs)
    if plan.comparisons:
        _run(plan.load("hyperliquid", orders_on_socket=True), out, runs)
    fill_rows = [{"offered_fills_per_s": rate, **_run(spec, out, runs)}
                 for rate, spec in zip(plan.fill_rates, plan.fill_scaling())]
    level_rows = [{"levels": n, **_run(spec, out, runs)} for n, spec in zip(plan.level_counts, plan.level_scaling())]
    return {"mode": plan.mode, "machine": report.machine(),
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "headline": report.headline(runs, floor, signing_us, pre_trade_us), "budget": report.budget(runs),
            "pairs": report.pairs(runs, floor), "runs": runs,
            "scaling": {"fill_scaling": fill_rows, "level_scaling": level_rows},
            "bench_seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m tools.bench", description=__doc__.split("\n\n")[1])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick",
                      help="reduced set, short windows (under two minutes)")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke",
                      help="every field with tiny windows (for CI; figures not meaningful)")
    p.add_argument("--out", type=Path, default=ROOT / "bench_results", help="output directory (default bench_results/)")
    args = p.parse_args(argv)
    plan = PLANS[args.mode or "full"]
    result = measure(plan, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    report.plot(result, args.out / "bench.png")
    print(report.table(result))
    print(f"\nwritten: {args.out / 'bench.json'}, {args.out / 'bench.png'} ({result['bench_seconds']} s)")
    return 0 if result["headline"]["all_met"] else 3


if __name__ == "__main__":
    sys.exit(main())
