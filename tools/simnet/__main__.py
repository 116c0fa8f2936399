"""``python3 -m tools.simnet``: start the simulated venues, print one JSON ready line.

The ready line is a contract: tools and ``main.py --sim`` read the first
stdout line as JSON. Everything else goes to stderr. SIGTERM or SIGINT stop
the venues cleanly (exit 0).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from tools.simnet.core import ALL_VENUES, SimConfig, SimNet, ready_line
from tools.simnet.pricepath import PathParams
from tools.simnet.scenarios import SCENARIOS

PORT_ROLES = ("hubble", "hyperliquid", "binance_futures", "binance_spot", "control")
HEAP_FREEZE_EVERY = 5.0     # seconds between moves of the surviving heap out of the collector's sight


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def build_parser() -> argparse.ArgumentParser:
    scenario_help = "; ".join(f"{k}: {v}" for k, v in SCENARIOS.items()).replace("%", "%%")
    p = argparse.ArgumentParser(
        prog="python3 -m tools.simnet",
        description="Local Hubble, Hyperliquid and Binance venues speaking the real wire protocols. "
                    "Prints one JSON line with every URL on stdout once ready; SIGTERM stops it.")
    p.add_argument("--seed", type=int, default=1, help="seed of the price path and taker flow (default 1)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    for role in PORT_ROLES:
        flag = "--" + role.replace("_", "-") + "-port"
        p.add_argument(flag, dest=f"port_{role}", type=int, default=0,
                       help=f"port of the {role.replace('_', ' ')} server (default: a free port)")
    p.add_argument("--scenario", default="default", choices=sorted(SCENARIOS), help=scenario_help)
    p.add_argument("--venues", default=",".join(ALL_VENUES),
                   help=f"comma-separated subset of {','.join(ALL_VENUES)} (default all)")
    p.add_argument("--tick-ms", type=float, default=100.0,
                   help="milliseconds of wall time (and of simulated time) per price step (default 100)")
    p.add_argument("--vol", type=float, default=None, help="annualised volatility of the price path (default 0.6)")
    p.add_argument("--jump-rate", type=float, default=None, help="expected price jumps per second (default 0)")
    p.add_argument("--jump-size", type=float, default=None, help="relative size of a jump (default 0.01)")
    p.add_argument("--replay", action="append", default=[], metavar="SYMBOL=CSV",
                   help="replay SYMBOL's reference price from a timestamp,price CSV (repeatable)")
    p.add_argument("--initial-margin", type=float, default=10_000.0,
                   help="USD credited to any account on first sight (default 10000)")
    p.add_argument("--set", action="append", default=[], metavar="VENUE.KEY=VALUE",
                   help="venue knob, e.g. hubble.maker_fee_bps=-1 or binance.latency_ms=5 (repeatable; "
                        "value parsed as JSON when it can be)")
    p.add_argument("--log-level", default="WARNING", help="log level on stderr (default WARNING)")
    return p


def config_from_args(args: argparse.Namespace) -> SimConfig:
    path = PathParams(dt=args.tick_ms / 1000.0)
    if args.vol is not None:
        path.annual_vol = args.vol
    if args.jump_rate is not None:
        path.jump_rate = args.jump_rate
    if args.jump_size is not None:
        path.jump_size = args.jump_size
    for item in args.replay:
        symbol, _, csv_path = item.partition("=")
        path.replay[symbol.upper()] = Path(csv_path)
    venues = tuple(v.strip() for v in args.venues.split(",") if v.strip())
    unknown = set(venues) - set(ALL_VENUES)
    if unknown:
        raise SystemExit(f"simnet: unknown venue(s) {sorted(unknown)}; choose from {list(ALL_VENUES)}")
    cfg = SimConfig(seed=args.seed, host=args.host, venues=venues, scenario=args.scenario,
                    path=path, initial_margin=args.initial_margin)
    cfg.ports = {role: getattr(args, f"port_{role}") for role in PORT_ROLES if getattr(args, f"port_{role}")}
    for item in args.set:
        key, sep, value = item.partition("=")
        venue, dot, knob = key.partition(".")
        if not sep or not dot:
            raise SystemExit(f"simnet: --set expects VENUE.KEY=VALUE, got {item!r}")
        cfg.options(venue)[knob] = _parse_value(value)
    return cfg


async def serve(cfg: SimConfig) -> None:
    net = SimNet(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready = await net.start_async()
    freezer = asyncio.create_task(_freeze_heap_forever())
    sys.stdout.write(ready_line(ready) + "\n")
    sys.stdout.flush()
    await stop.wait()
    freezer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await freezer
    await net.stop_async()


async def _freeze_heap_forever(every: float = HEAP_FREEZE_EVERY) -> None:
    """Keep the simulator's own pauses out of what the bot measures.

    simnet keeps every block, log and order it ever made, and a full (generation 2) garbage collection
    walks all of it with the event loop stopped: in the benchmark's load runs these pauses reached about
    100 ms, during which no venue pushed anything, and showed up as the bot's hedge book age (real venues
    run on other machines). ``gc.freeze`` moves what survived so far into a generation the collector
    skips, so each collection only walks what is new. The cost is that cyclic garbage already promoted
    when a freeze happens is never freed, a little memory per interval, acceptable for a simulator."""
    gc.freeze()
    while True:
        await asyncio.sleep(every)
        gc.freeze()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s simnet %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(config_from_args(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
