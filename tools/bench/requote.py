"""Requoting on Hyperliquid as the maker venue: one batchModify against an order action plus a cancel.

``python3 -m tools.bench.requote [--rounds N]``: the real HyperliquidMaker against an in-process simnet
(quiet, no takers), three levels a side. Each round moves every quote one tick and requotes it both ways:

* modify: one ``batchModify`` action (the old quotes become the new ones);
* place + cancel: one ``order`` action for the new quotes, then one ``cancelByCloid`` for the old (what the
  quoter does without requoteByModify: the cancel goes out from its background canceller).

It reports the milliseconds until the venue has answered everything, the actions (each is one request
against Hyperliquid's per-address budget and 1 + n/40 weight of the IP's 1,200 a minute) and the time both
sets rested at once (place + cancel: from the order's answer to the cancel's; modify: none). simnet answers
in a fraction of a millisecond, so the latencies say what the bot's own path costs, not the network's round
trips: on a live venue place + cancel adds one round trip before the old quotes are gone.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from decimal import Decimal


async def _maker():
    from bot import settings
    from bot.sim_launcher import endpoints_from_ready, throwaway_credentials
    from bot.venues.hyperliquid.maker import HyperliquidMaker
    from tools.simnet.core import SimConfig, SimNet

    net = SimNet(SimConfig(seed=3, scenario="quiet"))
    ready = await net.start_async()
    s = settings.load("AVAX", ["maker=hyperliquid", "hedge=binance"])
    maker = HyperliquidMaker(s, throwaway_credentials("AVAX", ready), endpoints_from_ready(ready),
                             lambda message, status=1: None)
    await maker.start()
    return net, maker


def _quotes(maker, mid: Decimal, shift: int) -> list:
    tick = maker.quote_rules().price_tick
    return [maker.sign(0, side * Decimal(1), mid * (1 - side * Decimal("0.002") * level) + shift * tick, 0)
            for side in (1, -1) for level in (1, 2, 3)]


async def _round_modify(maker, old: list, new: list) -> dict:
    started = time.perf_counter()
    results = await maker.replace(list(zip(old, new)))
    assert all(r["success"] for r in results), results
    return {"ms": (time.perf_counter() - started) * 1000, "actions": 1, "overlap_ms": 0.0}


async def _round_place_cancel(maker, old: list, new: list) -> dict:
    started = time.perf_counter()
    results = await maker.place(new)
    placed = time.perf_counter()
    assert all(r["success"] for r in results), results
    cancels = await maker.cancel(old)
    assert all(r["success"] for r in cancels), cancels
    done = time.perf_counter()
    return {"ms": (done - started) * 1000, "actions": 2, "overlap_ms": (done - placed) * 1000}


async def measure(rounds: int = 50) -> dict:
    net, maker = await _maker()
    try:
        mid = Decimal(str(maker.client.book.best_bid() + maker.client.book.best_ask())) / 2
        figures = {}
        for name, step in (("modify", _round_modify), ("place_cancel", _round_place_cancel)):
            resting = _quotes(maker, mid, 0)
            assert all(r["success"] for r in await maker.place(resting))
            rows = []
            for k in range(1, rounds + 1):
                moved = _quotes(maker, mid, k % 2)
                rows.append(await step(maker, resting, moved))
                resting = moved
            await maker.cancel(resting)
            figures[name] = _summary(rows)
        return {"rounds": rounds, "quotes_per_round": 6, **figures}
    finally:
        await maker.close()
        await net.stop_async()


def _summary(rows: list[dict]) -> dict:
    ms = sorted(r["ms"] for r in rows)
    return {"median_ms": round(statistics.median(ms), 3), "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 3),
            "actions_per_round": rows[0]["actions"],
            "both_sets_resting_ms_median": round(statistics.median(r["overlap_ms"] for r in rows), 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m tools.bench.requote", description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=50)
    args = p.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.rounds)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
