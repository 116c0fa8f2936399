"""Issue 17, item 13: the USDⓈ-M endpoints a market maker uses, as python-binance 1.0.37 calls them: amend,
batches, the countdown cancel, 24 h statistics and @ticker, funding history, margin type and symbolConfig."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
import websockets
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, recv_stepping, sim  # noqa: F401

REST = "BUY", "2900.00"            # a bid far enough under ETHUSDT's ~3000 book to rest


def used(client) -> int:
    return int(client.response.headers["X-MBX-USED-WEIGHT-1M"])


def order_counts(client) -> tuple[int, int]:
    h = client.response.headers
    return int(h["X-MBX-ORDER-COUNT-10S"]), int(h["X-MBX-ORDER-COUNT-1M"])


async def rest_bid(client, price: str = REST[1], qty: str = "0.1", **extra) -> dict:
    return await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                             price=price, quantity=qty, **extra)


async def api_error(coro) -> int:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value.code


async def user_url(sim, client) -> str:
    key = await client.futures_stream_get_listen_key()
    return sim.ready["binance_futures_ws"] + f"private/ws?listenKey={key}&events=ORDER_TRADE_UPDATE"


async def next_update(ws, execution: str) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 3))
        if event["o"]["x"] == execution:
            return event["o"]


# ---- PUT /fapi/v1/order --------------------------------------------------------------------------
async def test_modify_moves_a_resting_order_and_pushes_an_amendment(sim, client):
    order = await rest_bid(client)
    counts = order_counts(client)
    async with websockets.connect(await user_url(sim, client)) as ws:
        weight = used(client)
        moved = await client.futures_modify_order(symbol="ETHUSDT", orderId=order["orderId"], side="BUY",
                                                  quantity="0.2", price="2901.50")
        pushed = await next_update(ws, "AMENDMENT")
    assert (moved["price"], moved["origQty"], moved["status"], moved["pair"]) == ("2901.50", "0.200", "NEW", "ETHUSDT")
    assert "avgPrice" not in moved and (pushed["p"], pushed["q"], pushed["X"]) == ("2901.50", "0.200", "NEW")
    assert used(client) == weight and order_counts(client) == (counts[0] + 1, counts[1] + 1)   # 0 IP, 1 and 1
    assert await api_error(client.futures_modify_order(symbol="ETHUSDT", orderId=order["orderId"], side="BUY",
                                                       quantity="0.2", price="2901.50")) == -5027
    assert await api_error(client.futures_modify_order(symbol="ETHUSDT", orderId=order["orderId"], side="BUY",
                                                       quantity="0.2", price="2901.505")) == -1111
    assert (await client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"]))["price"] == "2901.50"


async def test_a_modified_price_through_the_book_trades_and_a_gtx_one_is_cancelled(sim, client):
    ask = Decimal((await client.futures_orderbook_ticker(symbol="ETHUSDT"))["askPrice"])
    gtc = await rest_bid(client)
    gtx = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTX",
                                            price="2900.00", quantity="0.1")
    through = f"{ask + 1:.2f}"
    traded = await client.futures_modify_order(symbol="ETHUSDT", orderId=gtc["orderId"], side="BUY",
                                               quantity="0.1", price=through)
    cancelled = await client.futures_modify_order(symbol="ETHUSDT", orderId=gtx["orderId"], side="BUY",
                                                  quantity="0.1", price=through)
    assert (traded["status"], traded["executedQty"]) == ("FILLED", "0.100")
    assert (cancelled["status"], cancelled["executedQty"]) == ("CANCELED", "0.000")   # "GTX ... executed immediately"
    market = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.1")
    assert await api_error(client.futures_modify_order(symbol="ETHUSDT", orderId=market["orderId"], side="BUY",
                                                       quantity="0.1", price="2900.00")) == -5025
    assert await api_error(client.futures_modify_order(symbol="ETHUSDT", orderId=gtc["orderId"], side="BUY",
                                                       quantity="0.1", price="2900.00")) == -2011


# ---- /fapi/v1/batchOrders -------------------------------------------------------------------------
async def test_batch_orders_place_modify_and_cancel_element_by_element(sim, client):
    await client.futures_time()
    weight = used(client)
    placed = await client.futures_place_batch_order(batchOrders=[
        {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "2900.00",
         "quantity": "0.1", "newClientOrderId": "b-1"},
        {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "2900.001",
         "quantity": "0.1", "newClientOrderId": "b-2"},
        {"symbol": "ETHUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTX", "price": "3100.00",
         "quantity": "0.1", "newClientOrderId": "b-3"}])
    assert used(client) - weight == 5 and order_counts(client) == (5, 1)        # 5 IP, 5 on 10 s, 1 on 1 min
    assert [row.get("clientOrderId", row.get("code")) for row in placed] == ["b-1", -1111, "b-3"]
    modified = await client.futures_v1_put_batch_orders(batchOrders=json.dumps([
        {"symbol": "ETHUSDT", "orderId": placed[0]["orderId"], "side": "BUY", "quantity": "0.1", "price": "2899.00"},
        {"symbol": "ETHUSDT", "origClientOrderId": "nope", "side": "BUY", "quantity": "0.1", "price": "2899.00"}]))
    assert modified[0]["price"] == "2899.00" and modified[1]["code"] == -2013
    cancelled = await client.futures_cancel_orders(symbol="ETHUSDT",
                                                   orderIdList=[placed[0]["orderId"], placed[2]["orderId"], 1])
    assert [row.get("status", row.get("code")) for row in cancelled] == ["CANCELED", "CANCELED", -2011]
    assert await client.futures_get_open_orders(symbol="ETHUSDT") == []
    too_many = [{"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "2900.00",
                 "quantity": "0.1"}] * 6
    assert await api_error(client.futures_place_batch_order(batchOrders=too_many)) == -4082


# ---- POST /fapi/v1/countdownCancelAll -------------------------------------------------------------
async def test_countdown_cancel_all_cancels_when_the_heartbeats_stop(sim, client):
    order = await rest_bid(client)
    assert await client.futures_countdown_cancel_all(symbol="ETHUSDT", countdownTime=60000) == {
        "symbol": "ETHUSDT", "countdownTime": "60000"}
    assert await client.futures_countdown_cancel_all(symbol="ETHUSDT", countdownTime=0) == {
        "symbol": "ETHUSDT", "countdownTime": "0"}                                  # 0 stops the countdown
    async with websockets.connect(await user_url(sim, client)) as ws:
        await client.futures_countdown_cancel_all(symbol="ETHUSDT", countdownTime=200)   # a short heartbeat
        cancelled = await next_update(ws, "CANCELED")
    assert cancelled["i"] == order["orderId"] and await client.futures_get_open_orders(symbol="ETHUSDT") == []


# ---- market data ------------------------------------------------------------------------------------
async def test_ticker_24hr_counts_the_trades_and_the_ticker_stream_pushes_them(sim, client):
    for _ in range(3):
        await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="2")
    weight = used(client)
    row = await client.futures_ticker(symbol="SOLUSDT")
    assert used(client) - weight == 1
    assert row["count"] >= 3 and Decimal(row["volume"]) >= 6 and row["closeTime"] - row["openTime"] == 86_400_000
    assert Decimal(row["lowPrice"]) <= Decimal(row["lastPrice"]) <= Decimal(row["highPrice"])
    every = await client.futures_ticker()
    assert used(client) - weight == 41 and {r["symbol"] for r in every} == {"ETHUSDT", "AVAXUSDT", "SOLUSDT"}
    async with websockets.connect(sim.ready["binance_futures_ws"] + "market/ws/solusdt@ticker") as ws:
        event = json.loads(await recv_stepping(sim, ws, timeout=20))
    assert (event["e"], event["s"]) == ("24hrTicker", "SOLUSDT") and event["n"] >= 3


async def test_funding_rate_history_lists_the_settlements(sim, client):
    sim.control("binance", "fund_now", symbol="ETHUSDT", rate=0.0003)
    sim.control("binance", "fund_now", symbol="ETHUSDT")
    rows = await client.futures_funding_rate(symbol="ETHUSDT")
    assert [r["fundingRate"] for r in rows] == ["0.00030000", "0.00010000"]
    assert rows[0]["fundingTime"] <= rows[1]["fundingTime"] and Decimal(rows[0]["markPrice"]) > 0
    assert await client.futures_funding_rate(symbol="SOLUSDT") == []


async def test_margin_type_and_symbol_config(sim, client):
    [config] = await client.futures_symbol_config(symbol="ETHUSDT")
    assert config["marginType"] == "CROSSED" and config["isAutoAddMargin"] is False and config["leverage"] > 0
    assert await api_error(client.futures_change_margin_type(symbol="ETHUSDT", marginType="CROSSED")) == -4046
    assert await client.futures_change_margin_type(symbol="ETHUSDT", marginType="ISOLATED") == {
        "code": 200, "msg": "success"}
    assert (await client.futures_symbol_config(symbol="ETHUSDT"))[0]["marginType"] == "ISOLATED"
    await rest_bid(client)
    assert await api_error(client.futures_change_margin_type(symbol="ETHUSDT", marginType="CROSSED")) == -4047
    await client.futures_cancel_all_open_orders(symbol="ETHUSDT")
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.1")
    assert await api_error(client.futures_change_margin_type(symbol="ETHUSDT", marginType="CROSSED")) == -4048
