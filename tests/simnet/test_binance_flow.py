"""Background taker flow on the simulated USDⓈ-M books (tools/simnet/binance/flow.py): resting GTX/GTC LIMIT
orders filled as maker by house takers, the users' resting orders in the book a client reads, post-only
refusals against them, and the countdown cancel. The path is stepped by hand; every wait is on an event or
a REST answer, with a timeout."""
from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, AsyncIterator

import pytest
import websockets
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import create_client, start_net
from tools.simnet.binance.specs import FUTURES

ETH = FUTURES["ETHUSDT"]
QTY = "0.050"                        # 150 USD at ~3000: above ETHUSDT's MIN_NOTIONAL of 20
WIDE = {"maker_spread_bps": 10.0, "trade_rate": 0.0}     # a less liquid book, no anonymous prints
USER_EVENTS = "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE"


@contextlib.asynccontextmanager
async def venue(seed: int = 7, **options: Any) -> AsyncIterator[tuple[Any, Any]]:
    net = await asyncio.to_thread(start_net, seed, **options)
    client = await create_client(net.ready)
    try:
        yield net, client
    finally:
        await client.close_connection()
        await asyncio.to_thread(net.stop)


async def step(net, count: int = 1) -> dict[str, float]:
    return (await asyncio.to_thread(net.control, "net", "step", count=count))["prices"]


async def mid(client) -> Decimal:
    top = await client.futures_orderbook_ticker(symbol="ETHUSDT")
    return (Decimal(top["bidPrice"]) + Decimal(top["askPrice"])) / 2


def off_mid(center: Decimal, bps: int) -> str:
    """A price `bps` from `center` on ETHUSDT's tick, rounded toward the center."""
    price = center * (1 + Decimal(bps) / 10_000)
    rounding = ROUND_FLOOR if bps > 0 else ROUND_CEILING
    return f"{(price / ETH.tick).to_integral_value(rounding) * ETH.tick:.2f}"


async def limit(client, side: str, price: str, tif: str = "GTX", qty: str = QTY) -> dict:
    return await client.futures_create_order(symbol="ETHUSDT", side=side, type="LIMIT", timeInForce=tif,
                                             price=price, quantity=qty)


async def user_ws(net, client, events: str = USER_EVENTS):
    key = await client.futures_stream_get_listen_key()
    return websockets.connect(net.ready["binance_futures_ws"] + f"private/ws?listenKey={key}&events={events}")


async def next_event(ws, want) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 3))
        if want(event):
            return event


async def fill_events(ws) -> tuple[dict, dict]:
    """The first fill's ACCOUNT_UPDATE and ORDER_TRADE_UPDATE x=TRADE (in either order)."""
    seen: dict[str, dict] = {}
    while len(seen) < 2:
        event = await next_event(ws, lambda e: e["e"] == "ACCOUNT_UPDATE" or e["o"]["x"] == "TRADE")
        seen.setdefault(event["e"], event)
    return seen["ACCOUNT_UPDATE"], seen["ORDER_TRADE_UPDATE"]


async def step_until_filled(net, client, order_id: int, steps: int) -> tuple[int, dict]:
    """Step one tick at a time until the order has executed something; (ticks stepped, the order)."""
    for n in range(1, steps + 1):
        await step(net)
        order = await client.futures_get_order(symbol="ETHUSDT", orderId=order_id)
        if Decimal(order["executedQty"]) > 0:
            return n, order
    return steps, order


async def position(client) -> Decimal:
    rows = await client.futures_position_information(symbol="ETHUSDT")
    return sum((Decimal(r["positionAmt"]) for r in rows), Decimal(0))


# ---- fills by takers -------------------------------------------------------------------------------------
async def test_a_gtx_bid_at_the_top_is_filled_by_takers_as_maker():
    async with venue(taker_rate=20.0, taker_buy_share=0.0, **WIDE) as (net, client):
        price = off_mid(await mid(client), -1)                  # inside the 10 bps synthetic spread: top bid
        order = await limit(client, "BUY", price)
        assert (await client.futures_orderbook_ticker(symbol="ETHUSDT"))["bidPrice"] == price
        async with await user_ws(net, client) as ws, websockets.connect(
                net.ready["binance_futures_ws"] + "market/ws/ethusdt@aggTrade") as trades:
            ticks, state = await step_until_filled(net, client, order["orderId"], 20)
            account, update = await fill_events(ws)
            printed = await next_event(trades, lambda e: e["p"] == price)
        o = update["o"]
        filled, last = Decimal(o["z"]), Decimal(o["l"])
        assert ticks < 20 and o["i"] == order["orderId"] and o["m"] is True and o["f"] == "GTX"
        assert o["X"] == ("FILLED" if filled == Decimal(QTY) else "PARTIALLY_FILLED") and o["L"] == price
        assert Decimal(o["n"]) == Decimal(price) * last * Decimal("0.0002") and o["N"] == "USDT"   # maker fee
        assert Decimal(o["ap"]) == Decimal(price) and o["t"] > 0 and o["T"] > 0 and last > 0
        assert account["a"]["P"][0]["s"] == "ETHUSDT" and Decimal(account["a"]["P"][0]["pa"]) >= last
        assert printed["m"] is True                                # the buyer (the resting bid) was the maker
        assert Decimal(state["executedQty"]) > 0
        assert await position(client) == Decimal(
            (await client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"]))["executedQty"])
        [trade] = (await client.futures_account_trades(symbol="ETHUSDT"))[:1]
        assert trade["maker"] is True and trade["buyer"] is True


async def test_without_takers_the_same_bid_stays_resting():
    async with venue(taker_rate=0.0, taker_buy_share=0.0, **WIDE) as (net, client):
        order = await limit(client, "BUY", off_mid(await mid(client), -1))
        ticks, state = await step_until_filled(net, client, order["orderId"], 20)
        assert (state["status"], state["executedQty"]) == ("NEW", "0.000")
        assert await position(client) == 0 and net.venues["binance"].flow.count == 0


async def run_flow(seed: int) -> tuple[int, list[tuple]]:
    async with venue(seed, taker_rate=15.0, **WIDE) as (net, client):
        center = await mid(client)
        for bps in (-1, -3):
            await limit(client, "BUY", off_mid(center, bps))
        for bps in (1, 3):
            await limit(client, "SELL", off_mid(center, bps))
        await step(net, 30)
        fills = [(t["id"], t["side"], t["price"], t["qty"], t["maker"])
                 for t in await client.futures_account_trades(symbol="ETHUSDT")]
        return net.venues["binance"].flow.count, fills


async def test_the_flow_is_a_function_of_the_seed():
    first, again, other = await run_flow(11), await run_flow(11), await run_flow(12)
    assert first == again and first[0] > 0 and first[1]
    assert all(fill[4] is True for fill in first[1])                  # every fill of a resting order: maker
    assert other != first


async def test_informed_takers_hit_the_side_the_path_then_moves_through():
    async with venue(taker_rate=50.0, informed_takers=1.0, **WIDE) as (net, client):
        for _ in range(5):
            await client.futures_cancel_all_open_orders(symbol="ETHUSDT")
            center = await mid(client)
            bid = await limit(client, "BUY", off_mid(center, -1), qty="0.010")
            ask = await limit(client, "SELL", off_mid(center, 1), qty="0.010")
            before = (await step(net))["ETH"]
            hit = {side: Decimal((await client.futures_get_order(symbol="ETHUSDT", orderId=o["orderId"]))[
                "executedQty"]) > 0 for side, o in (("BUY", bid), ("SELL", ask))}
            after = (await step(net))["ETH"]                     # the move the takers of the tick before saw
            assert hit == {"BUY": after < before, "SELL": after > before}


# ---- the book a client reads, post-only ----------------------------------------------------------------------
async def test_resting_user_orders_are_in_the_depth_and_the_book_ticker():
    async with venue(**WIDE) as (net, client):
        async with websockets.connect(net.ready["binance_futures_ws"] + "public/ws/ethusdt@depth@100ms") as ws:
            await step(net)
            first = json.loads(await asyncio.wait_for(ws.recv(), 3))
            price = off_mid(await mid(client), 1)
            await limit(client, "SELL", price, tif="GTC")
            rest = await client.futures_order_book(symbol="ETHUSDT", limit=5)
            await step(net)
            event = json.loads(await asyncio.wait_for(ws.recv(), 3))
        assert rest["asks"][0] == [price, QTY]
        assert (await client.futures_orderbook_ticker(symbol="ETHUSDT"))["askPrice"] == price
        assert event["pu"] == first["u"] and event["U"] <= rest["lastUpdateId"] <= event["u"]
        assert [price, QTY] in event["a"]


async def test_a_gtx_crossing_a_resting_user_order_is_refused_with_5022():
    async with venue(**WIDE) as (net, client):
        center = await mid(client)
        ask = off_mid(center, 1)
        await limit(client, "SELL", ask, tif="GTC")                # rests inside the synthetic spread
        with pytest.raises(BinanceAPIException) as err:
            await limit(client, "BUY", ask)
        assert err.value.code == -5022
        rows = await client.futures_place_batch_order(batchOrders=[
            {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTX", "price": ask,
             "quantity": QTY},
            {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTX",
             "price": off_mid(center, -2), "quantity": QTY}])
        assert rows[0]["code"] == -5022 and "Post Only" in rows[0]["msg"] and rows[1]["status"] == "NEW"
        # PUT /fapi/v1/order: a GTX whose new price would trade is cancelled by the amendment (Modify Order docs)
        moved = await client.futures_modify_order(symbol="ETHUSDT", orderId=rows[1]["orderId"], side="BUY",
                                                  quantity=QTY, price=ask)
        assert moved["status"] == "CANCELED"
        assert [o["side"] for o in await client.futures_get_open_orders(symbol="ETHUSDT")] == ["SELL"]


# ---- countdownCancelAll ---------------------------------------------------------------------------------------
async def test_countdown_cancel_all_cancels_every_open_order_of_the_symbol():
    async with venue(**WIDE) as (net, client):
        center = await mid(client)
        orders = [await limit(client, "BUY", off_mid(center, -2)),
                  await limit(client, "SELL", off_mid(center, 2), tif="GTC")]
        await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                          price="100.00", quantity="1")               # another symbol: kept
        maker = net.venues["binance"].futures_api.maker
        await client.futures_countdown_cancel_all(symbol="ETHUSDT", countdownTime=60000)
        first = maker.countdowns[(net.ready["binance_api_key"], "ETHUSDT")]
        async with await user_ws(net, client, "ORDER_TRADE_UPDATE") as ws:
            await client.futures_countdown_cancel_all(symbol="ETHUSDT", countdownTime=300)   # a heartbeat
            assert first.cancelled()                                   # replaced, not added
            cancelled = [await next_event(ws, lambda e: e["o"]["x"] == "CANCELED") for _ in orders]
        assert sorted(e["o"]["i"] for e in cancelled) == sorted(o["orderId"] for o in orders)
        assert all(e["o"]["X"] == "CANCELED" for e in cancelled)
        assert await client.futures_get_open_orders(symbol="ETHUSDT") == []
        assert len(await client.futures_get_open_orders(symbol="SOLUSDT")) == 1
        top = await client.futures_orderbook_ticker(symbol="ETHUSDT")
        assert top["bidPrice"] != off_mid(center, -2) and top["askPrice"] != off_mid(center, 2)
