"""Expiry: an order stops matching once expireAt <= now; the 1 s sweep deletes it and sends OrderExpired (#189)."""
from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
from hubble_exchange.models import IOCOrder

from tests.helpers import eventually
from tests.simnet.hubble_helpers import TraderFeed, client_for, hubble_net, point_sdk, returned, rpc
from tools.simnet.core import SimNet
from tools.simnet.hubble.chain import ZERO_HASH


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(seed=41, sanitary_interval_s=3600) as running:   # the sweep runs only when asked to
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> SimNet:
    point_sdk(sim[1])
    return sim[0]


async def test_expired_order_stops_matching_before_the_sweep_then_expires_on_the_feed(
        net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "maker")
    order = client.prepare_signed_order(1, -1, 35.02, False, 2)   # expireAt = int(now) + 2: alive when placed
    assert (await client.place_signed_orders([order], returned))[0]["success"] is True
    order_id = "0x" + bytes(order.id).hex()
    async with TraderFeed(net.ready["hubble_ws"], client.trader_address, "head") as head, \
            TraderFeed(net.ready["hubble_ws"], client.trader_address, "accepted") as accepted:
        await eventually(lambda: time.time() >= order.expire_at, 5, "the expiry time")
        depth = rpc(net.ready["hubble_rpc"], "orderbook_getDepthForMarket", 1)["result"]
        assert "35020000" not in depth["shorts"]                       # expired: out of the depth at once
        result = net.control("hubble", "take", market=1, side="buy", size=1, price=35.02)
        assert result["filled"] == 0                                   # ... and out of matching
        assert head.named("OrderExpired") == []                        # not swept yet
        assert net.control("hubble", "sweep")["expired"] >= 1
        await eventually(lambda: head.named("OrderExpired") and accepted.named("OrderExpired"), 5, "OrderExpired")
    event = head.named("OrderExpired")[0]
    assert event == {"Trader": client.trader_address.lower(), "OrderId": order_id, "OrderType": "signed",
                     "Removed": False, "EventName": "OrderExpired", "Args": None, "BlockNumber": None,
                     "BlockStatus": "head", "Timestamp": event["Timestamp"], "TransactionHash": ZERO_HASH}
    assert isinstance(event["Timestamp"], int) and event["Timestamp"] >= order.expire_at
    assert accepted.named("OrderExpired")[0]["BlockStatus"] == "accepted"
    assert rpc(net.ready["hubble_rpc"], "trading_getOrderStatus", order_id)["error"]["message"] == "order not found"


async def test_placement_refuses_an_order_already_expired(net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "a")
    order = client.prepare_signed_order(1, 1, 34.0, False, -1)
    assert (await client.place_signed_orders([order], returned))[0]["error"] == "order expired"
    await client.close_websocket()


async def test_ioc_remainder_waits_for_a_later_signed_maker_until_its_expiry(
        net: SimNet, request: pytest.FixtureRequest) -> None:
    taker, maker = client_for(request, "taker"), client_for(request, "maker")
    ioc = IOCOrder.new(1, 1, 35.01, False, 30)             # nothing to buy at 35.01: the IOC waits in the book
    assert (await taker.place_ioc_orders([ioc], True, returned))[0]["success"] is True
    depth = rpc(net.ready["hubble_rpc"], "orderbook_getDepthForMarket", 1)["result"]
    assert depth["longs"]["35010000"] == "1000000000000000000"
    ask = maker.prepare_signed_order(1, -1, 35.01, False, 60)   # post-only check skips IOC heads: accepted
    assert (await maker.place_signed_orders([ask], returned))[0]["success"] is True
    ioc_id = "0x" + bytes(ioc.id).hex()
    await eventually(lambda: net.venues["hubble"].engine.orders[ioc_id].filled, 5, "the matching pipeline fills the IOC")
    net.control("hubble", "accept")
    position = (await taker.get_margin_and_positions(returned)).positions[0]
    assert position.size == "1.00000000"
    await maker.close_websocket()
