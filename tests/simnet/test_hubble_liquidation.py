"""Liquidations of the simulated Hubble node (docs/simnet/hubble.md "Liquidations").

The module's node runs the v2 testnet's margin figures (maintenance 0.1, min allowable 0.2,
penalty 0.05: hubble-protocol hubblenext-updates.js setParams), so that a liquidation can end
above maintenance as well as flat. Funding is off; prices move only by `net shock` + `net step`.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterator

import pytest
from eth_abi import decode
from eth_utils import keccak

from tests.simnet.hubble_helpers import TraderFeed, client_for, hubble_net, point_sdk, returned, rpc, wait_for
from tools.simnet.core import SimNet
from tools.simnet.hubble import constants as C

TESTNET = {"maintenance_margin": 0.1, "min_allowable_margin": 0.2, "funding_period_s": 0}
MM = 100_000
ORDER_MATCHED = "0x" + keccak(b"OrderMatched(address,bytes32,uint256,uint256,uint256,uint256,bool)").hex()
LIQUIDATED = "0x" + keccak(b"PositionLiquidated(address,uint256,int256,uint256,int256,int256,uint256,int256,"
                           b"uint256)").hex()
LIQUIDATION_ERROR = "0x" + keccak(b"LiquidationError(address,bytes32,string,uint256)").hex()
LIQUIDATION_FAILED = "0x" + keccak(b"LIQUIDATION_FAILED").hex()


@pytest.fixture(scope="module")
def net() -> Iterator[SimNet]:
    # matching_ticker_s 0: the pipeline runs after blocks and on "mine" only, so the test decides when
    with hubble_net(seed=61, matching_ticker_s=0, **TESTNET) as (running, ready):
        point_sdk(ready)
        yield running


def topic(address: str) -> str:
    return "0x" + address.lower()[2:].rjust(64, "0")


def logs(net: SimNet, event: str, address: str, trader: str | None = None) -> list[dict[str, Any]]:
    net.control("hubble", "accept")
    topics: list[Any] = [event] + ([topic(trader)] if trader else [])
    answer = rpc(net.ready["hubble_rpc"], "eth_getLogs",
                 {"fromBlock": "0x0", "toBlock": "latest", "address": address, "topics": topics})
    return answer["result"]


def oracle_mf(net: SimNet, trader: str) -> float:
    """The node's (accepted) margin fraction at oracle prices, from testing_getClearingHouseVars."""
    chv = rpc(net.ready["hubble_rpc"], "testing_getClearingHouseVars", trader)["result"]
    return math.inf if chv["notional_position"] == 0 else chv["margin"] * 10 ** 6 // chv["notional_position"]


def accepted_size(net: SimNet, trader: str, market: int) -> float:
    positions = net.control("hubble", "account", trader=trader)["positions"]
    return next((float(p["size"]) for p in positions if p["market"] == market), 0.0)


async def open_longs(net: SimNet, clients: list[Any], margins: list[float | None], sizes: list[float],
                     market: int, price: float) -> None:
    """Each client (re-funded to its margin when given) bids `size` at `price`; one take fills them all."""
    for client, margin, size in zip(clients, margins, sizes):
        if margin is not None:
            net.control("hubble", "unfund", trader=client.trader_address)
            net.control("hubble", "fund", trader=client.trader_address, amount=margin)
        bid = client.prepare_signed_order(market, size, price, False, 600)
        assert (await client.place_signed_orders([bid], returned))[0]["success"] is True
    net.control("hubble", "take", market=market, side="sell", size=sum(sizes), price=price, wait="accepted")
    for client, size in zip(clients, sizes):
        assert accepted_size(net, client.trader_address, market) == size


def drop(net: SimNet, symbol: str, relative: float, market: int) -> float:
    """Move the reference price (one path step); the makers re-quote around it. Returns the venue price."""
    net.control("net", "shock", symbol=symbol, relative=relative)
    net.control("net", "step")
    return net.control("hubble", "prices")["prices"][market]


async def test_a_trader_under_maintenance_is_liquidated_in_chunks(net: SimNet, request: pytest.FixtureRequest) -> None:
    a, d, c, b = (client_for(request, tag) for tag in ("a", "d", "c", "b"))
    await open_longs(net, [a, d, c], [2000, 800, None], [200, 100, 20], market=1, price=35.0)
    async with TraderFeed(net.ready["hubble_ws"], b.trader_address) as b_feed, \
            TraderFeed(net.ready["hubble_ws"], a.trader_address) as a_feed, \
            TraderFeed(net.ready["hubble_ws"], d.trader_address) as d_feed:
        price = drop(net, "AVAX", -0.224, market=1)
        # a: (2000 - 200 x 7.84) / (200 x 27.16) ~ 0.08; d: ~ 0.006; c: far above
        assert oracle_mf(net, a.trader_address) < MM and oracle_mf(net, d.trader_address) < MM
        assert oracle_mf(net, c.trader_address) > 10 * MM
        # b's bid is the best one, inside the 1 % liquidation bound: it takes the first liquidation
        bid = b.prepare_signed_order(1, 50, math.floor(price * 0.999 * 1000) / 1000, False, 600)
        assert (await b.place_signed_orders([bid], returned))[0]["success"] is True
        net.control("hubble", "mine")         # the pipeline finds them; later blocks run it again
        await wait_for(lambda: all(oracle_mf(net, t.trader_address) >= MM for t in (a, d)), timeout=10)
        await wait_for(lambda: any(e["Args"]["isLiquidation"] for e in b_feed.named("OrderMatched")))
        liquidated_events = list(a_feed.events) + list(d_feed.events)
    # the node pushes nothing to a liquidated trader's feed: only the absorbing order's OrderMatched
    assert liquidated_events == []
    matched = [e for e in b_feed.named("OrderMatched") if e["BlockStatus"] == "head"]
    assert matched and all(e["Args"]["isLiquidation"] is True and e["OrderType"] == "" for e in matched)
    assert {e["OrderId"] for e in matched} == {"0x" + bytes(bid.id).hex()}

    # d ran to flat, a stopped above maintenance; every run took at most its liquidationThreshold
    assert accepted_size(net, d.trader_address, 1) == 0
    left = accepted_size(net, a.trader_address, 1)
    assert 0 < left < 200 and oracle_mf(net, a.trader_address) >= MM
    for trader, size, threshold in ((a, 200, 50), (d, 100, 25)):
        rows = logs(net, LIQUIDATED, C.CLEARING_HOUSE, trader.trader_address)
        per_block: dict[int, int] = defaultdict(int)
        for row in rows:
            base, fill_price, _pnl, _size, _notional, fee, _ts = decode(
                ["int256", "uint256", "int256", "int256", "uint256", "int256", "uint256"],
                bytes.fromhex(row["data"][2:]))
            assert base > 0 and fee == base * fill_price // 10 ** 18 * 50_000 // 10 ** 6   # 5 % penalty
            assert price * 0.99 <= fill_price / 1e6 <= price * 1.01
            per_block[int(row["blockNumber"], 16)] += base
        assert max(per_block.values()) <= threshold * 10 ** 18
        assert sum(per_block.values()) == (size - accepted_size(net, trader.trader_address, 1)) * 10 ** 18
    assert accepted_size(net, c.trader_address, 1) == 20          # above maintenance: untouched

    # the matched logs of the absorbing orders say isLiquidation
    for row in logs(net, ORDER_MATCHED, C.ORDER_BOOK, b.trader_address):
        assert decode(["uint256", "uint256", "uint256", "uint256", "bool"], bytes.fromhex(row["data"][2:]))[4]
    rows = net.control("hubble", "liquidations")["liquidations"]
    assert {r["account"] for r in rows} == {a.trader_address, d.trader_address}
    assert {r["market"] for r in rows} == {"AVAX"} and all(r["size"] < 0 for r in rows)   # longs: sold
    assert sum(r["size"] for r in rows if r["account"] == d.trader_address) == -100
    assert sum(r["size"] for r in rows if r["account"] == a.trader_address) == left - 200
    for client in (a, b, c, d):
        await client.close_websocket()


async def test_a_stale_liquidation_is_refused_on_chain(request: pytest.FixtureRequest) -> None:
    """The node decides on accepted state, the contract on the head: with acceptance held, the pipeline keeps
    sending liquidations the contract refuses once the head is above maintenance (LiquidationError)."""
    with hubble_net(seed=62, matching_ticker_s=0.1, max_processing=6, **TESTNET) as (net, ready):
        point_sdk(ready)
        e = client_for(request, "e")
        await open_longs(net, [e], [2000], [40], market=2, price=150.0)
        net.control("hubble", "hold_accept", hold=True)
        drop(net, "SOL", -0.275, market=2)           # mf ~ 0.08: two chunks of 10 bring it above 0.1
        await wait_for(lambda: len(net.control("hubble", "liquidations")["liquidations"]) >= 2)
        # the builder stops once max_processing blocks await acceptance (hold_accept answers head and accepted)
        await wait_for(lambda: (lambda s: s["head"] - s["accepted"])(net.control("hubble", "hold_accept")) >= 6)
        net.control("hubble", "hold_accept", hold=False)
        assert accepted_size(net, e.trader_address, 2) == pytest.approx(20)
        assert oracle_mf(net, e.trader_address) >= MM
        errors = logs(net, LIQUIDATION_ERROR, C.ORDER_BOOK, e.trader_address)
        assert errors and all(row["topics"][2] == LIQUIDATION_FAILED for row in errors)
        err, amount = decode(["string", "uint256"], bytes.fromhex(errors[0]["data"][2:]))
        assert (err, amount) == ("CH: Above Maintenance Margin", 10 * 10 ** 18)
        await e.close_websocket()


async def test_default_funding_stays_far_from_liquidation(request: pytest.FixtureRequest) -> None:
    """At the simnet defaults (maintenance 0.05, min allowable 0.1) a position opened on the default margin at
    about half the allowed leverage stays above maintenance through a 5 % adverse move: nothing is liquidated."""
    with hubble_net(seed=63, matching_ticker_s=0.1, funding_period_s=0) as (net, ready):
        point_sdk(ready)
        f = client_for(request, "f")
        await open_longs(net, [f], [None], [1400], market=1, price=35.0)    # 49,000 notional on 10,000
        drop(net, "AVAX", -0.05, market=1)
        net.control("hubble", "mine")
        assert oracle_mf(net, f.trader_address) > 50_000
        assert net.control("hubble", "liquidations") == {"liquidations": []}
        assert accepted_size(net, f.trader_address, 1) == 1400
        await f.close_websocket()
