"""USDT-M websocket routes (/public, /market, /private) as Binance serves them since 2026-04-23."""
import asyncio
import json

import websockets

from tests.simnet.binance_helpers import client, fast_ws, recv_stepping, sim, socket_manager  # noqa: F401


async def frames(sim, ws, steps: int = 8) -> list[dict]:
    """Everything `ws` receives while the price path advances `steps` steps."""
    received = []
    for _ in range(steps):
        sim.control("net", "step")
        try:
            while True:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 0.05)))
        except asyncio.TimeoutError:
            continue
    return received


def url(sim, tail: str) -> str:
    return sim.ready["binance_futures_ws"] + tail


async def test_public_stream_asked_on_market_route_is_acknowledged_then_silent(sim):
    async with websockets.connect(url(sim, "market/ws")) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["ethusdt@bookTicker", "ethusdt@aggTrade"],
                                  "id": 1}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {"result": None, "id": 1}
        received = await frames(sim, ws)
    assert received and all(m["e"] == "aggTrade" for m in received)


async def test_python_binance_default_multiplex_category_misses_book_ticker(sim, client, fast_ws):
    """futures_multiplex_socket builds <FSTREAM>market/stream?streams=... unless category="public"."""
    bsm = socket_manager(client, sim.ready)
    socket = bsm.futures_multiplex_socket(["ethusdt@bookTicker"])
    assert socket._url + socket._prefix + socket._path == url(sim, "market/stream?streams=ethusdt@bookTicker")
    async with socket:
        for _ in range(8):
            sim.control("net", "step")
            try:
                await asyncio.wait_for(socket.recv(), 0.05)
                raise AssertionError("a bookTicker arrived on the /market route")
            except asyncio.TimeoutError:
                pass
    public = bsm.futures_multiplex_socket(["ethusdt@bookTicker"], category="public")
    async with public:
        msg = await recv_stepping(sim, public)
    assert msg["stream"] == "ethusdt@bookTicker"


async def test_ws_mode_path_with_several_streams(sim):
    async with websockets.connect(url(sim, "public/ws/ethusdt@bookTicker/solusdt@bookTicker")) as ws:
        received = await frames(sim, ws, steps=3)
    assert {m["s"] for m in received} == {"ETHUSDT", "SOLUSDT"} and "stream" not in received[0]


async def test_market_route_stream_mode_serves_mark_price(sim):
    async with websockets.connect(url(sim, "market/stream?streams=ethusdt@markPrice@1s/ethusdt@depth5")) as ws:
        received = await frames(sim, ws, steps=12)
    assert received and {m["stream"] for m in received} == {"ethusdt@markPrice@1s"}
    assert received[0]["data"]["e"] == "markPriceUpdate"


async def test_retired_paths_only_carry_public_data(sim, client):
    async with websockets.connect(url(sim, "ws/ethusdt@markPrice@1s")) as ws:
        assert await frames(sim, ws, steps=12) == []
    async with websockets.connect(url(sim, "stream?streams=ethusdt@bookTicker")) as ws:
        assert (await frames(sim, ws, steps=2))[0]["stream"] == "ethusdt@bookTicker"
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(url(sim, "ws/" + key)) as ws:
        await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                          price="100.00", quantity="1")
        assert await frames(sim, ws, steps=2) == []


async def test_private_events_filter_is_an_allow_list(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(url(sim, f"private/ws?listenKey={key}&events=ACCOUNT_UPDATE")) as filtered, \
            websockets.connect(url(sim, f"private/stream?listenKey={key}")) as combined:
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
        only = json.loads(await asyncio.wait_for(filtered.recv(), 2))
        everything = [json.loads(await asyncio.wait_for(combined.recv(), 2)) for _ in range(4)]
    assert only["e"] == "ACCOUNT_UPDATE"
    assert [m["data"]["e"] for m in everything] == ["ORDER_TRADE_UPDATE", "TRADE_LITE", "ACCOUNT_UPDATE",
                                                    "ORDER_TRADE_UPDATE"]
    assert {m["stream"] for m in everything} == {key}


async def test_market_data_asked_on_private_route_is_silent(sim):
    async with websockets.connect(url(sim, "private/ws")) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["ethusdt@bookTicker"], "id": 3}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 2)) == {"result": None, "id": 3}
        assert await frames(sim, ws, steps=3) == []
