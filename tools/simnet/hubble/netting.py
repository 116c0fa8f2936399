"""What hedge netting is worth under each Hubble block pacing: the benchmark's load run, per setting.

    python3 -m tools.simnet.hubble.netting [--window 40] [--out bench_results/netting] [--only NAME ...] [--rescan]

Each run is tools/bench's load run (``main.py AVAX --sim``, 20 fills/s offered, 20 ms ticks, the bot's
own process; tools/bench/plan.py) with the Hubble block knobs of its row added as simulator
arguments. The runs go one after the other. Prints a table and writes OUT/netting.json with every
run's figures; each run's bot log and summary stay in OUT. The table in docs/simnet/hubble.md
("What netting is worth") comes from this command.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tools.bench.botrun import ROOT, RunResult, run_bot
from tools.bench.plan import PLANS, PROCESSES
from tools.bench.report import run_figures

# name -> (hedge venue, hedgeNettingWindow, Hubble knobs)
NODE: dict[str, str] = {}                                  # the simulator's defaults: the node's pacing
NO_GOSSIP = {"tx_gossip_s": "0"}                           # takers straight to the builder (a bound)
FORMER = {"block_time_s": "1.5", "tx_gossip_s": "0", "max_processing": "0"}   # the former default, exactly
RUNS: dict[str, tuple[str, float, dict[str, str]]] = {
    "node_hyperliquid": ("hyperliquid", 0.0, NODE),
    "node_binance": ("binance", 0.0, NODE),
    "former_1.5s_hyperliquid": ("hyperliquid", 0.0, FORMER),
    "former_1.5s_binance": ("binance", 0.0, FORMER),
    "node_hyperliquid_netting_5ms": ("hyperliquid", 0.005, NODE),
    "node_binance_netting_5ms": ("binance", 0.005, NODE),
    "node_hyperliquid_netting_20ms": ("hyperliquid", 0.02, NODE),
    "node_hyperliquid_netting_100ms": ("hyperliquid", 0.1, NODE),
    "no_gossip_hyperliquid": ("hyperliquid", 0.0, NO_GOSSIP),
}


def spec_for(name: str, window: float):
    hedge, netting, knobs = RUNS[name]
    plan = PLANS["full"]
    spec = plan.load(hedge, netting=netting)
    spec.name = name
    spec.window = window
    spec.sim_args += [f"--set=hubble.{k}={v}" for k, v in knobs.items()]
    return spec


def figures(run: dict) -> dict:
    lat = run["latency"]
    fills, hedges = run.get("fills") or 0, run.get("hedges") or 0

    def pick(name: str) -> dict:
        s = lat.get(name) or {}
        return {k: s.get(k) for k in ("count", "p50_ms", "p99_ms", "max_ms")}
    return {"fills": fills, "hedges": hedges, "fills_per_s": run.get("fills_per_s"),
            "orders_per_fill": round(hedges / fills, 3) if fills else None,
            "fill_to_hedge_sent": pick("fill_to_hedge_sent"),
            "fill_to_hedge_confirmed": pick("fill_to_hedge_confirmed"),
            "order_limit_use": order_limit_use(run.get("request_budget") or {}),
            "final_net_delta": run.get("final_net_delta"), "sim_args": run["sim_args"], "settings": run["settings"]}


def order_limit_use(limits: dict) -> dict:
    """Per minute, this process's use of the venue limit its hedge orders count against (Hyperliquid: the IP's
    weight, an order weighing 1; Binance: the account's orders), and the share PROCESSES such processes use."""
    name = "orders per account per minute" if "orders per account per minute" in limits else "request weight per IP"
    entry = limits.get(name) or {}
    used = entry.get("per_window_since_quoting")
    if used is None:
        return {}
    return {"limit": name, "per_minute": used, "venue_limit": entry["venue_limit"],
            f"share_{PROCESSES}_processes": round(used * PROCESSES / entry["venue_limit"], 3)}


def table(rows: dict[str, dict]) -> str:
    head = ("run", "fills/s", "orders/fill", "sent p50/p99 ms", "confirmed p50/p99 ms",
            f"order limit, {PROCESSES} processes")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for name, f in rows.items():
        s, c = f["fill_to_hedge_sent"], f["fill_to_hedge_confirmed"]
        share = (f.get("order_limit_use") or {}).get(f"share_{PROCESSES}_processes")
        lines.append(f"{name} | {f['fills_per_s']} | {f['orders_per_fill']} | {s['p50_ms']} / {s['p99_ms']} | "
                     f"{c['p50_ms']} / {c['p99_ms']} | {'' if share is None else f'{share:.0%}'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m tools.simnet.hubble.netting", description=__doc__.split("\n\n")[0])
    p.add_argument("--window", type=float, default=PLANS["full"].load_window, help="seconds measured per run")
    p.add_argument("--out", type=Path, default=ROOT / "bench_results" / "netting")
    p.add_argument("--only", nargs="*", choices=sorted(RUNS), help="these runs only (default: all, in order)")
    p.add_argument("--rescan", action="store_true", help="run nothing: the figures of the summaries kept in OUT")
    args = p.parse_args(argv)
    rows: dict[str, dict] = {}
    for name in args.only or RUNS:
        if args.rescan:
            path = args.out / f"{name}.summary.json"
            if path.exists():
                spec = spec_for(name, args.window)
                rows[name] = figures(run_figures(RunResult(spec, json.loads(path.read_text()), None, None, None, 0, 0)))
            continue
        print(f"  run {name} ({args.window:g} s window) ...", file=sys.stderr, flush=True)
        result = run_bot(spec_for(name, args.window), args.out)
        if result.exit_status != 0 or not result.summary:
            print(f"netting: run {name} failed (exit {result.exit_status}); see {args.out / name}.log", file=sys.stderr)
            return 1
        rows[name] = figures(run_figures(result))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "netting.json"
    kept = json.loads(path.read_text())["runs"] if (args.only or args.rescan) and path.exists() else {}
    kept.update({name: {**row, "window_s": args.window,
                        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                 for name, row in rows.items()})
    path.write_text(json.dumps({"runs": kept}, indent=2) + "\n")
    print(table(kept))
    return 0


if __name__ == "__main__":
    sys.exit(main())
