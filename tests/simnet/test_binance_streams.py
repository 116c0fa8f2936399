"""Market and user-data websocket streams through the real BinanceSocketManager."""
import asyncio
import json
from decimal import Decimal

import websockets

from tests.simnet.binance_helpers import client, fast_ws, recv_stepping, sim, socket_manager  # noqa: F401

BOOK_TICKER_KEYS = {"e", "u", "s", "ps", "b", "B", "a", "A", "T", "E", "st"}


async def test_futures_multiplex_book_ticker_and_depth(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.futures_multiplex_socket(["ethusdt@bookTicker", "ethusdt@depth5@100ms"],
                                            category="public") as socket:
        ticker = await recv_stepping(sim, socket, want=lambda m: m.get("stream") == "ethusdt@bookTicker")
        depth = await recv_stepping(sim, socket, want=lambda m: m.get("stream") == "ethusdt@depth5@100ms")
    assert set(ticker["data"]) == BOOK_TICKER_KEYS and ticker["data"]["e"] == "bookTicker"
    assert ticker["data"]["s"] == "ETHUSDT" and Decimal(ticker["data"]["a"]) > Decimal(ticker["data"]["b"])
    data = depth["data"]
    assert data["e"] == "depthUpdate" and len(data["b"]) == len(data["a"]) == 5
    assert {"E", "T", "s", "U", "u", "pu"} <= set(data)


async def test_futures_depth_socket_default_speed(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.futures_depth_socket("SOLUSDT", depth="10") as socket:
        first = await recv_stepping(sim, socket)
        second = await recv_stepping(sim, socket)
    assert first["stream"] == "solusdt@depth10" and len(first["data"]["b"]) == 10
    assert second["data"]["pu"] == first["data"]["u"]


async def test_diff_depth_stream_chains_update_ids(sim):
    url = sim.ready["binance_futures_ws"] + "ws/ethusdt@depth@100ms"
    async with websockets.connect(url) as ws:
        messages = []
        while len(messages) < 2:
            sim.control("net", "step")
            try:
                messages.append(json.loads(await asyncio.wait_for(ws.recv(), 0.1)))
            except asyncio.TimeoutError:
                continue
    first, second = messages
    assert first["e"] == "depthUpdate" and second["pu"] == first["u"]
    assert any(q == "0.000" for _, q in second["b"] + second["a"])         # levels that went away


async def test_raw_stream_and_live_subscribe(sim):
    url = sim.ready["binance_futures_ws"] + "ws/ethusdt@bookTicker"
    async with websockets.connect(url) as ws:
        sim.control("net", "step")
        raw = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert set(raw) == BOOK_TICKER_KEYS                                 # not wrapped
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["avaxusdt@bookTicker"], "id": 7}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {"result": None, "id": 7}
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 8}))
        listed = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert listed == {"result": ["avaxusdt@bookTicker", "ethusdt@bookTicker"], "id": 8}
        sim.control("net", "step")
        symbols = {json.loads(await asyncio.wait_for(ws.recv(), 2))["s"] for _ in range(2)}
    assert symbols == {"ETHUSDT", "AVAXUSDT"}


async def test_agg_trade_stream_sees_our_fill(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.aggtrade_futures_socket("ETHUSDT") as socket:
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.123")
        msg = await recv_stepping(sim, socket, step=False, want=lambda m: m["data"]["q"] == "0.123")
    data = msg["data"]
    assert data["e"] == "aggTrade" and data["m"] is False and {"a", "p", "f", "l", "T", "E"} <= set(data)


async def test_spot_trade_and_book_ticker(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.trade_socket("ETHUSDT") as socket:
        trade = await recv_stepping(sim, socket)
    assert trade["e"] == "trade" and trade["s"] == "ETHUSDT"
    assert {"E", "t", "p", "q", "T", "m", "M"} <= set(trade)
    async with bsm.symbol_book_ticker_socket("AVAXUSDT") as socket:
        ticker = await recv_stepping(sim, socket)
    assert set(ticker) == {"u", "s", "b", "B", "a", "A"}


async def test_user_data_stream_order_and_account_updates(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.futures_user_socket() as socket:
        await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.01",
                                          newClientOrderId="u-1")
        events = [await asyncio.wait_for(socket.recv(), 5) for _ in range(4)]
    new, lite, account, trade = events
    assert new["e"] == "ORDER_TRADE_UPDATE" and new["o"]["x"] == "NEW" and new["o"]["c"] == "u-1"
    assert lite["e"] == "TRADE_LITE" and (lite["c"], lite["l"], lite["p"]) == ("u-1", "0.010", "0")
    o = trade["o"]
    assert (o["x"], o["X"], o["S"], o["o"], o["z"]) == ("TRADE", "FILLED", "SELL", "MARKET", "0.010")
    assert {"s", "c", "q", "p", "ap", "l", "L", "N", "n", "T", "t", "m", "R", "ps", "rp"} <= set(o)
    assert (lite["t"], lite["i"], lite["L"]) == (o["t"], o["i"], o["L"])
    assert account["e"] == "ACCOUNT_UPDATE" and account["a"]["m"] == "ORDER"
    assert account["a"]["P"][0]["pa"] == "-0.010" and account["a"]["B"][0]["a"] == "USDT"


async def test_user_stream_on_the_private_route(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(sim.ready["binance_futures_ws"] + "private/ws?listenKey=" + key) as ws:
        await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                          price="100.00", quantity="1")
        event = json.loads(await asyncio.wait_for(ws.recv(), 2))
    assert event["e"] == "ORDER_TRADE_UPDATE" and event["o"]["X"] == "NEW"
