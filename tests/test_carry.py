"""Issue 17 item 5: a carried hedge residual that grows to one lot is hedged at once, not left naked until a fill.

Binance checks MIN_NOTIONAL at the order's limit price (docs, MIN_NOTIONAL filter), and a sell's IOC limit
is below the touch, so what a partial fill leaves can be one lot at the touch yet too small at the limit.
Judged by the venues' positions.
"""
from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from decimal import Decimal as D

from tests.engine_harness import control, quoting, running_engine, venues_reach
from tests.helpers import eventually


async def best_bid(ready: dict) -> D:
    url = f"{ready['binance_futures_rest']}/fapi/v1/ticker/bookTicker?symbol=AVAXUSDT"
    ticker = await asyncio.to_thread(lambda: json.loads(urllib.request.urlopen(url, timeout=5).read()))
    return D(ticker["bidPrice"])


async def test_a_carry_of_one_lot_is_sent_and_quoting_resumes(sim, caplog):
    net, ready = sim
    caplog.set_level(logging.INFO)
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        # 2 AVAX meet the minimum at the bid, not at the sell's IOC limit (bid x 0.99)
        minimum = (2 * await best_bid(ready) * D("0.995")).quantize(D("0.01"))
        await control(net, "binance", "set_flag", name="min_notional", value=float(minimum))
        await control(net, "binance", "set_flag", name="partial_fill", value=1)     # the first hedge fills half
        await control(net, "hubble", "take", market=1, side="sell", size=4)   # we buy 4: the hedge sells 4
        hubble, hedge = await venues_reach(net, ready, run, (4, -4), timeout=30)
        assert hubble + hedge == 0, (hubble, hedge)                           # the 2 carried went out
        await eventually(lambda: run.orders.pause_reason is None, 20, "quoting again")
        assert run.engine.hedge.carried == 0 and not run.engine.failures
        assert any("sending the carried residual of -2" in r.getMessage() for r in caplog.records)
        said = [r for r in caplog.records if "carried unhedged" in r.getMessage()]
        assert len(said) <= 1, [r.getMessage() for r in said]                 # never repeated at every poll
