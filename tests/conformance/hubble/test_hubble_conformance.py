"""simnet's Hubble answers have the shapes of the node's Go types (tests/conformance/hubble/data)."""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Iterator

import pytest
import websockets
from eth_utils import keccak
from hubble_exchange import HubbleClient
from hubble_exchange.models import IOCOrder, LimitOrder

from tests.conformance.hubble.shapes import assert_conforms, load, mismatches
from tests.helpers import eventually
from tests.simnet.hubble_helpers import TraderFeed, hubble_net, point_sdk, returned, rpc
from tools.simnet.core import SimNet


async def _market_feed(url: str, market: int, into: list[dict[str, Any]]) -> None:
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trading_subscribe",
                                  "params": ["streamMarketTrades", market, "head"]}))
        async for raw in ws:
            message = json.loads(raw)
            if "params" in message:
                into.append(message["params"]["result"])


async def _first_depth_update(url: str, market: int) -> dict[str, Any]:
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trading_subscribe",
                                  "params": ["streamDepthUpdateForMarket", market]}))
        while True:
            message = json.loads(await ws.recv())
            if "params" in message:
                return message["params"]["result"]


async def _scenario(net: SimNet, ready: dict[str, Any]) -> dict[str, Any]:
    """Drive one of every answer and event; returns name -> what simnet sent."""
    url, ws = ready["hubble_rpc"], ready["hubble_ws"]
    maker = HubbleClient("0x" + keccak(b"conformance-maker").hex())
    trader = HubbleClient("0x" + keccak(b"conformance-trader").hex())
    out: dict[str, Any] = {}
    market_events: list[dict[str, Any]] = []
    market_task = asyncio.create_task(_market_feed(ws, 1, market_events))
    async with TraderFeed(ws, maker.trader_address) as maker_feed, TraderFeed(ws, trader.trader_address) as feed:
        ask, spare = maker.prepare_signed_order(1, -1, 35.02, False, 60), maker.prepare_signed_order(1, 1, 34.95, False, 60)
        crossing = maker.prepare_signed_order(1, 1, 35.5, False, 60)
        out["order_placeSignedOrders"] = rpc(url, "order_placeSignedOrders", json.dumps(
            ["0x" + bytes(o).hex() for o in _encoded(maker, [ask, crossing])]))["result"]
        await maker.place_signed_orders([spare], returned)
        limit = LimitOrder.new(1, -2, 35.6, False, True)
        await trader.place_limit_orders([limit], True, returned)
        await trader.place_ioc_orders([IOCOrder.new(1, 1, 34.0, False, 20)], True, returned)
        net.control("hubble", "take", market=1, side="buy", size=1, price=35.02, wait="accepted")
        await maker.cancel_signed_orders([spare], True, returned)
        expiring = maker.prepare_signed_order(1, 1, 34.9, False, 2)   # alive when placed, expired 2 s later
        await maker.place_signed_orders([expiring], returned)
        net.control("hubble", "funding", rate=0.0000125)
        net.control("hubble", "take", market=0, side="buy", size=0.01, wait="accepted")
        await eventually(lambda: time.time() >= expiring.expire_at, 5, "expiry")
        net.control("hubble", "sweep")
        await eventually(lambda: maker_feed.named("OrderExpired") and maker_feed.named("OrderCancelAccepted")
                         and maker_feed.named("OrderMatched") and len(feed.named("OrderAccepted")) >= 2, 5, "events")
        await eventually(lambda: market_events, 5, "a market trade")
    market_task.cancel()
    await asyncio.gather(market_task, return_exceptions=True)
    out["trader_feed_OrderMatched"] = maker_feed.named("OrderMatched")[0]
    out["trader_feed_OrderAccepted_signed"] = maker_feed.named("OrderAccepted")[0]
    out["trader_feed_OrderExpired"] = maker_feed.named("OrderExpired")[0]
    out["trader_feed_OrderCancelAccepted_signed"] = maker_feed.named("OrderCancelAccepted")[0]
    by_type = {e["OrderType"]: e for e in feed.named("OrderAccepted")}
    out["trader_feed_OrderAccepted_limit"], out["trader_feed_OrderAccepted_ioc"] = by_type["limit"], by_type["ioc"]
    out["market_feed_PositionModified"] = market_events[0]
    out["trading_getMarginAndPositions"] = rpc(url, "trading_getMarginAndPositions", maker.trader_address)["result"]
    out["testing_getClearingHouseVars"] = rpc(url, "testing_getClearingHouseVars", maker.trader_address)["result"]
    out["trading_getTradingOrderBookDepth"] = rpc(url, "trading_getTradingOrderBookDepth", 1)["result"]
    out["orderbook_getDepthForMarket"] = rpc(url, "orderbook_getDepthForMarket", 1)["result"]
    out["trading_streamDepthUpdateForMarket"] = await _first_depth_update(ws, 1)
    out["orderbook_getOpenOrders"] = rpc(url, "orderbook_getOpenOrders", trader.trader_address, "")["result"]
    out["trading_getOrderStatus"] = rpc(url, "trading_getOrderStatus", "0x" + bytes(limit.id).hex())["result"]
    tx = out["trader_feed_OrderMatched"]["TransactionHash"]
    out["eth_getTransactionStatus"] = rpc(url, "eth_getTransactionStatus", tx)["result"]
    await maker.close_websocket()
    await trader.close_websocket()
    return out


def _encoded(client: HubbleClient, orders: list) -> list[bytes]:
    from hubble_exchange.eip712 import encode_signed_order, get_signed_order_hash

    encoded = []
    for order in orders:
        order.trader = client.trader_address
        order.id = get_signed_order_hash(order)
        encoded.append(bytes(encode_signed_order(order, client._private_key)))
    return encoded


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, Any]]:
    with hubble_net(seed=71, sanitary_interval_s=3600) as (net, ready):
        point_sdk(ready)
        yield asyncio.run(_scenario(net, ready))


NAMES = ["trading_getMarginAndPositions", "trading_getTradingOrderBookDepth", "trading_streamDepthUpdateForMarket",
         "orderbook_getDepthForMarket", "orderbook_getOpenOrders", "trading_getOrderStatus",
         "testing_getClearingHouseVars", "order_placeSignedOrders", "trader_feed_OrderMatched",
         "trader_feed_OrderAccepted_signed", "trader_feed_OrderExpired", "trader_feed_OrderCancelAccepted_signed",
         "trader_feed_OrderAccepted_limit", "trader_feed_OrderAccepted_ioc", "market_feed_PositionModified",
         "eth_getTransactionStatus"]


@pytest.mark.parametrize("name", NAMES)
def test_answer_has_the_node_shape(answers: dict[str, Any], name: str) -> None:
    assert_conforms(name, answers[name])


def test_values_the_shapes_do_not_pin(answers: dict[str, Any]) -> None:
    depth = answers["trading_getTradingOrderBookDepth"]
    assert all(size.startswith("-") for _, size in depth["asks"])
    assert all(int(size) < 0 for size in answers["orderbook_getDepthForMarket"]["shorts"].values())
    position = answers["trading_getMarginAndPositions"]["positions"][0]
    assert position["liquidationPrice"] == "0" and position["unrealisedFunding"] != "0.00000000"
    assert answers["order_placeSignedOrders"]["orders"][1]["error"] == "crossing market"


async def test_errors_have_the_node_codes_and_texts() -> None:
    expected = load("errors")
    dead = "0x000000000000000000000000000000000000dead"
    with hubble_net(seed=72, unfunded_traders=[dead]) as (net, ready):
        url = ready["hubble_rpc"]
        got = {"trader_not_found": rpc(url, "trading_getMarginAndPositions", dead)["error"],
               "order_not_found": rpc(url, "trading_getOrderStatus", "0x" + "11" * 32)["error"]}
        net.control("hubble", "hold_accept")
        point_sdk(ready)
        client = HubbleClient("0x" + keccak(b"conformance-errors").hex())
        await client.place_limit_orders([LimitOrder.new(1, 1, 30.0, False, True)], False, returned)
        chain = net.venues["hubble"].chain
        await eventually(lambda: chain.next_nonce(client.trader_address) == 1, 5, "the first tx at head")
        head = hex(chain.head.number)
        got["unfinalized"] = rpc(url, "eth_getBlockByNumber", head, False)["error"]
        client.order_book_client.nonce = 0
        got["nonce_too_low"] = await _send_error(client)
        net.control("hubble", "set_gas_balance", trader=client.trader_address, amount=0)
        got["insufficient_funds"] = await _send_error(client)
        net.control("hubble", "settle")
        order = client.prepare_signed_order(1, 1, 34.0, False, 60)
        got["settled"] = rpc(url, "order_placeSignedOrders",
                             json.dumps(["0x" + bytes(_encoded(client, [order])[0]).hex()]))["result"]["orders"][0]
        net.control("hubble", "hold_accept", hold=False)
    for name, answer in got.items():
        assert not mismatches(expected[name], answer, name), (name, answer)
        if not name.startswith(("nonce", "insufficient")):
            assert answer == expected[name], (name, answer)


async def _send_error(client: HubbleClient) -> dict[str, Any]:
    """The JSON-RPC error eth_sendRawTransaction answers for the client's next limit order."""
    try:
        await client.place_limit_orders([LimitOrder.new(1, 1, 30.1, False, True)], False, returned)
    except ValueError as exc:
        return exc.args[0]
    raise AssertionError("the transaction was not refused")
