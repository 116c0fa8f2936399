"""fstream connection rules: lifetime mark, server pings and the pong deadline, incoming message limit
(USDⓈ-M Websocket Market Streams page), each shortened by a knob."""
import asyncio
import json
import time

import aiohttp
import websockets

from tests.simnet.binance_helpers import start_net


async def closed_frame(ws: aiohttp.ClientWebSocketResponse, timeout: float) -> tuple[aiohttp.WSMsgType, float]:
    """Read until the server closes; (last message type, seconds waited). Pings are only counted."""
    started = time.monotonic()
    while True:
        msg = await asyncio.wait_for(ws.receive(), timeout)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return msg.type, time.monotonic() - started


async def test_connection_closed_at_its_lifetime_mark():
    net = start_net(ws_lifetime=0.6)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(net.ready["binance_futures_ws"] + "public/ws/ethusdt@bookTicker") as ws:
                _, waited = await closed_frame(ws, 5)
                assert ws.close_code == 1000 and waited >= 0.4
    finally:
        net.stop()


async def test_server_pings_and_drops_a_client_that_never_pongs():
    net = start_net(ws_ping_interval=0.2, ws_pong_timeout=0.7)
    try:
        async with aiohttp.ClientSession() as session:
            url = net.ready["binance_futures_ws"] + "public/ws/ethusdt@bookTicker"
            async with session.ws_connect(url, autoping=False) as silent:
                ping = await asyncio.wait_for(silent.receive(), 2)
                assert ping.type == aiohttp.WSMsgType.PING
                await closed_frame(silent, 5)
                assert silent.close_code == 1008
        async with websockets.connect(net.ready["binance_futures_ws"] + "public/ws/ethusdt@bookTicker") as polite:
            # the websockets client answers pings by itself: still open well past the pong deadline
            try:
                await asyncio.wait_for(polite.wait_closed(), 1.5)
            except asyncio.TimeoutError:
                pass
            assert polite.close_code is None
    finally:
        net.stop()


async def test_more_than_ten_messages_a_second_closes_the_connection():
    net = start_net()
    try:
        url = net.ready["binance_futures_ws"] + "public/ws"
        async with websockets.connect(url) as calm:
            for i in range(10):
                await calm.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
            assert [json.loads(await calm.recv())["id"] for _ in range(10)] == list(range(10))
        async with websockets.connect(url) as chatty:
            for i in range(11):
                await chatty.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
            await asyncio.wait_for(chatty.wait_closed(), 2)
            assert chatty.close_code == 1008
    finally:
        net.stop()
