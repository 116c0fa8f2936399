"""Negative cases: the node rejects what the real node rejects, with its error texts."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator

import pytest
from hubble_exchange import HubbleClient
from hubble_exchange.models import LimitOrder, SignedOrder

from tests.simnet.hubble_helpers import client_for, hubble_net, point_sdk, returned, wait_for
from tools.simnet.core import SimNet


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(seed=11) as running:
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> SimNet:
    point_sdk(sim[1])
    return sim[0]


@pytest.fixture
def client(net: SimNet, request: pytest.FixtureRequest) -> HubbleClient:
    return client_for(request, "a")


async def _place(client: HubbleClient, order: SignedOrder) -> dict[str, Any]:
    try:
        return (await client.place_signed_orders([order], returned))[0]
    finally:
        await client.close_websocket()


async def test_signature_of_another_key_has_no_trading_authority(
        client: HubbleClient, request: pytest.FixtureRequest) -> None:
    intruder = client_for(request, "intruder")
    order = client.prepare_signed_order(0, 0.1, 2990.0, False, 60)   # trader = client, signed by intruder
    assert (await _place(intruder, order))["error"] == "no trading authority"


async def test_crossing_post_only_is_rejected(client: HubbleClient) -> None:
    depth = await client.get_order_book(1, returned)
    order = client.prepare_signed_order(1, 1, float(depth.asks[0][0]), False, 60)
    assert (await _place(client, order))["error"] == "crossing market"


async def test_insufficient_margin(client: HubbleClient) -> None:
    order = client.prepare_signed_order(0, 40, 2990.0, False, 60)   # 119,600 notional * 0.1 > 10,000
    result = await _place(client, order)
    assert (result["success"], result["error"]) == (False, "insufficient margin")


async def test_expired_order_is_rejected(client: HubbleClient) -> None:
    order = client.prepare_signed_order(0, 0.1, 2990.0, False, -5)
    assert (await _place(client, order))["error"] == "order expired"


async def test_duplicate_and_reduce_only_are_rejected(client: HubbleClient) -> None:
    order = client.prepare_signed_order(0, 0.1, 2990.0, False, 60)
    assert (await _place(client, order))["success"] is True
    assert (await _place(client, order))["error"] == "order already exists"
    reduce = client.prepare_signed_order(0, -0.1, 3010.0, True, 60)
    assert (await _place(client, reduce))["error"] == "reduce only orders via makerbook are not supported yet"


async def test_expired_order_leaves_the_book(net: SimNet, client: HubbleClient) -> None:
    # 3 s: the SDK sets expireAt = int(now) + 3, so the order lives at least 2 s (enough to see it on a busy machine)
    order = client.prepare_signed_order(2, 0.1, 149.0, False, 3)
    assert (await _place(client, order))["success"] is True
    assert ["149.00000000", "0.10000000"] in (await client.get_order_book(2, returned)).bids

    async def gone() -> bool:
        return ["149.00000000", "0.10000000"] not in ((await client.get_order_book(2, returned)).bids or [])

    deadline = time.monotonic() + 8
    while not await gone():
        assert time.monotonic() < deadline, "expired order still on the book"
        await asyncio.sleep(0.05)
    await wait_for(lambda: client.trader_address not in net.venues["hubble"].index.virtual
                   or net.venues["hubble"].index.virtual[client.trader_address] == 0)
    assert await client.get_signed_order_status(order.id, returned) == "Invalid"


async def test_wrong_nonce_is_refused(client: HubbleClient) -> None:
    order = LimitOrder.new(1, 1, 30.0, False, True)
    await client.place_limit_orders([order], True, returned)
    client.order_book_client.nonce = 0   # replay nonce 0
    with pytest.raises(ValueError, match="nonce too low"):
        await client.place_limit_orders([LimitOrder.new(1, 1, 30.1, False, True)], True, returned)


async def test_limit_order_rejections_come_back_in_the_receipt(client: HubbleClient) -> None:
    poor = LimitOrder.new(0, 50, 2900.0, False, True)
    reduce = LimitOrder.new(0, 0.1, 2900.0, True, True)
    response = await client.place_limit_orders([poor, reduce], True, returned)
    assert sorted(r["error"] for r in response) == ["insufficient margin", "reduce only order must reduce position"]
    unknown = LimitOrder.new(0, 0.1, 2901.0, False, True)
    unknown.trader = client.trader_address
    # juror ValidateCancelLimitOrder names the contract status
    assert (await client.cancel_limit_orders([unknown], True, returned))[0]["error"] == "Invalid"
