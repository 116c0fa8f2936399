"""The ``placements`` control action of simnet's Hyperliquid and Binance (a test device for tools/observer, not a
venue behaviour): every order of an account, whatever became of it, with the wall-clock second it was placed."""
from __future__ import annotations

import time

from hyperliquid.utils.types import Cloid

from tests.simnet.binance_helpers import client, sim  # noqa: F401
from tests.simnet.hyperliquid_helpers import ALO, IOC, hl  # noqa: F401

CLOID = "0x" + "cd" * 16


def test_hyperliquid_placements_list_every_order_of_the_user_with_its_placement_second(hl):  # noqa: F811
    before = time.time()
    mid = float(hl.info.all_mids()["AVAX"])
    rested = hl.exchange.order("AVAX", True, 1.0, round(mid * 0.98, 2), ALO, cloid=Cloid(CLOID))
    oid = rested["response"]["data"]["statuses"][0]["resting"]["oid"]
    hl.exchange.order("AVAX", True, 1.0, round(mid * 1.02, 2), IOC)                      # fills at once
    hl.exchange.cancel("AVAX", oid)
    after = time.time()

    rows = hl.control("placements", user=hl.address, coin="AVAX")["placements"]
    assert len(rows) == 2 and {r["tif"] for r in rows} == {"Alo", "Ioc"}
    alo = next(r for r in rows if r["oid"] == oid)
    assert alo["cloid"] == CLOID and alo["side"] == "B" and alo["sz"] == "1.0"
    assert all(before <= r["placed_at"] <= after for r in rows)
    assert hl.control("placements", user=hl.address, coin="ETH")["placements"] == []
    assert hl.control("placements", user="0x" + "99" * 20)["placements"] == []


async def test_binance_placements_list_every_futures_order_of_the_account(sim, client):  # noqa: F811
    before = time.time()
    book = await client.futures_orderbook_ticker(symbol="AVAXUSDT")
    bid = f"{float(book['bidPrice']) * 0.98:.3f}"
    gtx = await client.futures_create_order(symbol="AVAXUSDT", side="BUY", type="LIMIT", timeInForce="GTX",
                                            quantity="1", price=bid, newClientOrderId="quote-1")
    await client.futures_create_order(symbol="AVAXUSDT", side="SELL", type="MARKET", quantity="1")
    await client.futures_cancel_order(symbol="AVAXUSDT", orderId=gtx["orderId"])
    after = time.time()

    rows = sim.control("binance", "placements", symbol="AVAXUSDT")["placements"]       # the simulator's account
    assert [r["timeInForce"] for r in rows] == ["GTX", "GTC"]                              # the market order: GTC
    quote = next(r for r in rows if r["orderId"] == gtx["orderId"])
    assert quote["clientOrderId"] == "quote-1" and quote["side"] == "BUY" and quote["price"] == bid
    assert len(rows) == 2 and all(before <= r["placed_at"] <= after for r in rows)
    assert sim.control("binance", "placements", symbol="ETHUSDT")["placements"] == []
