"""Contract tests: the real HubbleClient against the simulated node (the bot's paths)."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator

import pytest
from eth_utils import keccak
from hubble_exchange import ConfirmationMode, HubbleClient
from hubble_exchange.models import IOCOrder, LimitOrder

from tests.simnet.hubble_helpers import collect, hubble_net, point_sdk, returned, wait_for
from tools.simnet.core import SimNet


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(maker_fee_bps=-1, taker_fee_bps=5) as running:
        yield running


def _key(request: pytest.FixtureRequest, tag: str) -> str:
    return "0x" + keccak(f"{request.node.name}:{tag}".encode()).hex()


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> SimNet:
    point_sdk(sim[1])
    return sim[0]


@pytest.fixture
def client(net: SimNet, request: pytest.FixtureRequest) -> HubbleClient:
    return HubbleClient(_key(request, "a"))


@pytest.fixture
def other(net: SimNet, request: pytest.FixtureRequest) -> HubbleClient:
    return HubbleClient(_key(request, "b"))


async def test_markets_nonce_and_funded_account(client: HubbleClient) -> None:
    assert await client.get_markets() == {0: "ETH-Perp", 1: "AVAX-Perp", 2: "SOL-Perp", 3: "MKT3-Perp"}
    assert await client.get_nonce() == 0
    margin = await client.get_margin_and_positions(returned)
    assert (margin.margin, margin.reservedMargin, margin.positions) == ("10000.00000000", "0.00000000", [])


async def test_book_depth_has_background_makers_wider_than_bot_quotes(client: HubbleClient) -> None:
    depth = await client.get_order_book(0, returned)
    best_bid, best_ask = max(float(p) for p, _ in depth.bids), min(float(p) for p, _ in depth.asks)
    assert best_bid < best_ask
    assert (best_ask - best_bid) / ((best_ask + best_bid) / 2) > 0.004   # wider than a 0.2% bot quote
    # ask sizes are negative: the node sums signed unfilled sizes (service.go aggregateOrdersByPrice)
    assert all(float(q) > 0 for _, q in depth.bids) and all(float(q) < 0 for _, q in depth.asks)


async def test_signed_order_rests_reserves_margin_and_shows_everywhere(client: HubbleClient) -> None:
    order = client.prepare_signed_order(0, 0.1, 2997.0, False, 60)
    assert await client.place_signed_orders([order], returned) == [
        {"success": True, "order_id": "0x" + bytes(order.id).hex()}]
    assert await client.get_open_orders(0, returned) == []          # getOpenOrders lists limit orders only
    margin = await client.get_margin_and_positions(returned)
    assert margin.reservedMargin == "0.00000000"    # a signed order's reserve is virtual: never reported
    assert await client.get_signed_order_status(order.id, returned) == "Placed"
    depth = await client.get_order_book(0, returned)
    assert ["2997.00000000", "0.10000000"] in depth.bids
    await client.close_websocket()


async def test_fill_by_simulated_taker_reaches_trader_feed_and_position(net: SimNet, client: HubbleClient) -> None:
    order = client.prepare_signed_order(1, -2, 35.05, False, 60)
    events: list[Any] = []

    async def on_update(ws: Any, update: Any) -> None:
        events.append(update)

    feed = asyncio.create_task(client.subscribe_to_trader_updates(ConfirmationMode.head, on_update))
    await asyncio.sleep(0)  # let the subscription be sent first
    await wait_for(lambda: net.venues["hubble"].feeds.trader.get(client.trader_address.lower()) is not None)
    await client.place_signed_orders([order], returned)
    result = net.control("hubble", "take", market=1, side="buy", size=1, wait="accepted")
    assert result["filled"] == 10 ** 18
    await wait_for(lambda: any(e.EventName == "OrderMatched" for e in events))
    feed.cancel()
    await asyncio.gather(feed, return_exceptions=True)
    accepted = [e for e in events if e.EventName == "OrderAccepted"][0]
    matched = [e for e in events if e.EventName == "OrderMatched"][0]
    assert accepted.OrderType == "signed" and accepted.OrderId == "0x" + bytes(order.id).hex()
    assert matched.Args["fillAmount"] == 1.0 and matched.Args["price"] == 35.05
    assert matched.BlockStatus == "head" and matched.TransactionHash == result["tx"]
    margin = await client.get_margin_and_positions(returned)
    pos = margin.positions[0]
    assert (pos.market, pos.size, pos.openNotional) == (1, "-1.00000000", "35.05000000")
    assert margin.margin == "10000.00350500"   # maker rebate of 1 bps on 35.05
    assert await client.get_signed_order_status(order.id, returned) == "Placed"   # partially filled on-chain
    assert (await client.get_order_fills("0x" + bytes(order.id).hex()))[0]["fill_amount"] == 1.0
    await client.close_websocket()


async def test_two_sdk_traders_cross_with_ioc_and_get_receipts(client: HubbleClient, other: HubbleClient) -> None:
    maker = client.prepare_signed_order(2, 0.5, 149.7, False, 60)
    await client.place_signed_orders([maker], returned)
    taker = IOCOrder.new(2, -0.5, 149.7, False, 30)
    response = await other.place_ioc_orders([taker], True, returned)
    assert response == [{"order_id": taker.id, "success": True}]
    mine = (await client.get_margin_and_positions(returned)).positions[0]
    theirs = (await other.get_margin_and_positions(returned)).positions[0]
    assert (mine.size, theirs.size) == ("0.50000000", "-0.50000000")
    assert (await other.get_margin_and_positions(returned)).margin == "9999.96257500"   # 5 bps taker fee on 74.85
    assert await client.get_signed_order_status(maker.id, returned) == "Filled"
    trades = await other.get_trades(2, 0, int(time.time()) + 10, returned)
    assert [(t.Market, t.TradedAmount, t.Price, t.ExecutionMode) for t in trades] == [(2, -0.5, 149.7, "Taker")]
    await client.close_websocket()


async def test_cancel_signed_orders_releases_margin(client: HubbleClient) -> None:
    order = client.prepare_signed_order(0, -0.2, 3003.0, False, 60)
    await client.place_signed_orders([order], returned)
    response = await client.cancel_signed_orders([order], True, returned)
    assert response == [{"order_id": order.id, "success": True}]
    assert await client.get_open_orders(None, returned) == []
    assert (await client.get_margin_and_positions(returned)).reservedMargin == "0.00000000"
    assert await client.get_signed_order_status(order.id, returned) == "Cancelled"
    again = await client.cancel_signed_orders([order], True, returned)
    assert again == [{"order_id": order.id, "success": False, "error": "cancelled order"}]
    await client.close_websocket()


async def test_limit_order_transactions_and_status(client: HubbleClient) -> None:
    order = LimitOrder.new(1, 3, 34.5, False, True)
    assert await client.place_limit_orders([order], True, returned) == [{"order_id": order.id, "success": True}]
    assert await client.get_limit_order_status(order.id, returned) == "Placed"
    details = await client.get_limit_order_details(order.id, returned)
    assert (details.status, details.origQty, details.price, details.positionSide) == (
        "NEW", "3.00000000", "34.50000000", "LONG")
    assert await client.cancel_order_by_id(order.id, True, returned) == [{"order_id": order.id, "success": True}]
    assert await client.get_limit_order_status(order.id, returned) == "Cancelled"
    resting = LimitOrder.new(1, -2, 35.5, False, True)
    assert await client.place_limit_orders([resting], True, returned) == [{"order_id": resting.id, "success": True}]
    crossing = LimitOrder.new(1, 1, 36.0, False, True)   # post-only checks meet on-chain (limit) orders only
    assert await client.place_limit_orders([crossing], True, returned) == [
        {"order_id": crossing.id, "success": False, "error": "crossing market"}]
    assert await client.get_nonce() == 4


async def test_depth_streams(net: SimNet, client: HubbleClient) -> None:
    first = await collect(lambda cb: client.subscribe_to_order_book_depth(0, cb), lambda m: len(m) >= 1)
    assert first[0].symbol == 0 and first[0].bids and first[0].asks
    updates = await collect(lambda cb: client.subscribe_to_order_book_depth_with_freq(2, cb, "100ms"),
                            lambda m: len(m) >= 2)
    assert updates[0].symbol == 2 and updates[0].bids and updates[0].asks
    assert updates[1].bids == [] and updates[1].asks == []    # nothing changed: empty diff


async def test_market_trades_stream(net: SimNet, client: HubbleClient) -> None:
    async def trade_soon() -> None:
        await wait_for(lambda: bool(net.venues["hubble"].feeds.market.get(3)))
        await asyncio.to_thread(net.control, "hubble", "take", market=3, side="sell", size=2000)

    trader = asyncio.create_task(trade_soon())
    trades = await collect(lambda cb: client.subscribe_to_market_updates(3, ConfirmationMode.accepted, cb),
                           lambda m: len(m) >= 2)
    await trader
    assert {t.EventName for t in trades} == {"PositionModified"}
    assert sorted(t.Size for t in trades[:2]) == [-2000.0, 2000.0] and trades[0].BlockStatus == "accepted"


async def test_indexer_candles_and_open_interest(net: SimNet, client: HubbleClient) -> None:
    now = int(time.time())
    await asyncio.to_thread(net.control, "hubble", "take", market=0, side="buy", size_usd=3000, wait="accepted")
    candles = await asyncio.to_thread(client.indexer_client.get_candles, "ETH-Perp", "1m", now - 60, now + 60)
    assert candles["data"] and candles["data"][-1]["volume"] > 0
    oi = await asyncio.to_thread(client.indexer_client.get_historical_open_interest, "ETH-Perp", now)
    assert oi["data"]["openInterest"] > 0
