"""Fault knobs of the Hubble venue, seen through the real SDK."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator

import pytest
from eth_utils import keccak
from hubble_exchange import ConfirmationMode, HubbleClient

from tests.simnet.hubble_helpers import hubble_net, point_sdk, returned, wait_for
from tools.simnet.core import SimNet


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(seed=5) as running:
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> Iterator[SimNet]:
    point_sdk(sim[1])
    yield sim[0]
    sim[0].control("hubble", "clear")


@pytest.fixture
def client(net: SimNet, request: pytest.FixtureRequest) -> HubbleClient:
    return HubbleClient("0x" + keccak(f"{request.node.name}".encode()).hex())


async def test_error_knob_answers_json_rpc_errors(net: SimNet, client: HubbleClient) -> None:
    net.control("hubble", "error", count=1, code=-32005, message="request rate exceeded")
    with pytest.raises(ValueError) as info:
        await client.get_order_book(0, returned)
    assert info.value.args[0] == {"code": -32005, "message": "request rate exceeded"}
    assert (await client.get_order_book(0, returned)).bids


async def test_reject_orders_knob(net: SimNet, client: HubbleClient) -> None:
    net.control("hubble", "reject_orders", count=1, reason="insufficient margin")
    first = client.prepare_signed_order(0, 0.1, 2990.0, False, 60)
    second = client.prepare_signed_order(0, 0.1, 2989.0, False, 60)
    response = await client.place_signed_orders([first, second], returned)
    await client.close_websocket()
    assert [r["success"] for r in response] == [False, True]
    assert response[0]["error"] == "insufficient margin"


async def test_delay_knob(net: SimNet, client: HubbleClient) -> None:
    net.control("hubble", "delay", seconds=0.3, count=1)
    started = time.monotonic()
    await client.get_margin_and_positions(returned)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await client.get_margin_and_positions(returned)
    assert time.monotonic() - started < 0.3


async def test_drop_ws_ends_subscriptions(net: SimNet, client: HubbleClient) -> None:
    feed = asyncio.create_task(client.subscribe_to_trader_updates(ConfirmationMode.head, lambda ws, u: None))
    await wait_for(lambda: bool(net.venues["hubble"].feeds.trader.get(client.trader_address.lower())))
    assert (await asyncio.to_thread(net.control, "hubble", "drop_ws", stream="trader"))["dropped"] == 1
    with pytest.raises(Exception) as info:
        await asyncio.wait_for(feed, 5)
    assert "ConnectionClosed" in type(info.value).__name__


async def test_stall_holds_back_trader_events(net: SimNet, client: HubbleClient) -> None:
    events: list[Any] = []

    async def on_update(ws: Any, update: Any) -> None:
        events.append(update)

    feed = asyncio.create_task(client.subscribe_to_trader_updates(ConfirmationMode.accepted, on_update))
    await wait_for(lambda: bool(net.venues["hubble"].feeds.trader.get(client.trader_address.lower())))
    net.control("hubble", "stall", stream="trader")
    await client.place_signed_orders([client.prepare_signed_order(0, 0.1, 2990.0, False, 60)], returned)
    net.control("hubble", "unstall")
    await client.place_signed_orders([client.prepare_signed_order(0, 0.1, 2989.0, False, 60)], returned)
    await wait_for(lambda: len(events) >= 1)
    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    await client.close_websocket()
    assert [e.Args["order"]["price"] for e in events] == [2989.0]   # the stalled one never came


async def test_refuse_closes_the_port_for_a_while(net: SimNet, client: HubbleClient) -> None:
    net.control("hubble", "refuse", seconds=0.5)
    with pytest.raises(Exception):
        await client.get_margin_and_positions(returned)
    deadline = time.monotonic() + 5
    while True:
        try:
            await client.get_margin_and_positions(returned)
            break
        except Exception:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)


async def test_fill_while_cancel_in_flight(net: SimNet, client: HubbleClient) -> None:
    order = client.prepare_signed_order(0, 0.1, 2996.0, False, 60)
    await client.place_signed_orders([order], returned)
    net.control("hubble", "set_flag", name="fill_on_cancel", value=1)
    response = await client.cancel_signed_orders([order], True, returned)
    assert response == [{"order_id": order.id, "success": False, "error": "filled order"}]
    position = (await client.get_margin_and_positions(returned)).positions[0]
    assert position.size == "0.10000000"
    again = client.prepare_signed_order(0, 0.1, 2995.0, False, 60)
    await client.place_signed_orders([again], returned)
    await client.close_websocket()
    assert (await client.cancel_signed_orders([again], True, returned))[0]["success"] is True  # count used up


async def test_stalled_order_stream_never_answers(net: SimNet, client: HubbleClient) -> None:
    net.control("hubble", "stall", stream="orders")
    order = client.prepare_signed_order(0, 0.1, 2990.0, False, 60)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.place_signed_orders([order], returned), 0.3)
    net.control("hubble", "unstall")
    await client.close_websocket()
    retry = client.prepare_signed_order(0, 0.1, 2989.0, False, 60)
    assert (await client.place_signed_orders([retry], returned))[0]["success"] is True
    await client.close_websocket()


async def test_error_knob_on_the_order_websocket(net: SimNet, client: HubbleClient) -> None:
    net.control("hubble", "error", count=1)
    order = client.prepare_signed_order(0, 0.1, 2990.0, False, 60)
    assert await client.place_signed_orders([order], returned) == []   # the SDK finds no "result"
    assert (await client.place_signed_orders([order], returned))[0]["success"] is True
    await client.close_websocket()
