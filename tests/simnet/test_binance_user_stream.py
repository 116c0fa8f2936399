"""USDⓈ-M user data stream: listenKey lifecycle, listenKeyExpired, the pushes of an order's life,
and the faults a bot healing by REST needs (lost pushes, late pushes)."""
import asyncio
import json
import time
from decimal import Decimal

import aiohttp
import pytest
import websockets
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, create_client, sim, start_net  # noqa: F401


def private(sim, key: str) -> str:
    return sim.ready["binance_futures_ws"] + f"private/ws?listenKey={key}"


async def recv(ws, timeout: float = 2.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def nothing_arrives(ws, seconds: float) -> bool:
    """True when no frame arrives for `seconds` (the connection stays open)."""
    try:
        await asyncio.wait_for(ws.recv(), seconds)
        return False
    except asyncio.TimeoutError:
        return True


async def raw(sim, method: str, **params) -> tuple[int, dict]:
    headers = {"X-MBX-APIKEY": sim.ready["binance_api_key"]}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, sim.ready["binance_futures_rest"] + "/fapi/v1/listenKey",
                                   params=params, headers=headers) as response:
            return response.status, await response.json()


async def test_put_and_delete_need_no_listen_key(sim, client):
    key = await client.futures_stream_get_listen_key()
    assert await raw(sim, "PUT") == (200, {"listenKey": key})
    assert await raw(sim, "PUT", listenKey="x" * 64) == (400, {
        "code": -1125, "msg": "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate "
                              "`listenKey`"})
    assert await raw(sim, "DELETE") == (200, {})
    status, body = await raw(sim, "PUT")
    assert (status, body["code"]) == (400, -1125)
    assert await client.futures_stream_get_listen_key() != key        # a closed key is not handed out again


async def test_order_life_pushes(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(private(sim, key)) as ws:
        await client.futures_create_order(symbol="SOLUSDT", side="SELL", type="LIMIT", timeInForce="GTC",
                                          price="200.00", quantity="2", newClientOrderId="rest-1")
        resting = await recv(ws)
        await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                          price="100.00", quantity="1", newClientOrderId="rest-2")
        second = await recv(ws)
        await client.futures_cancel_order(symbol="SOLUSDT", origClientOrderId="rest-1")
        cancelled = await recv(ws)
        assert await nothing_arrives(ws, 0.3)                     # no ACCOUNT_UPDATE for a cancel (docs)
    assert (resting["o"]["x"], resting["o"]["a"], resting["o"]["b"]) == ("NEW", "400", "0")
    assert (second["o"]["b"], second["o"]["a"]) == ("100", "400")
    assert (cancelled["o"]["x"], cancelled["o"]["X"]) == ("CANCELED", "CANCELED")
    assert (cancelled["o"]["b"], cancelled["o"]["a"]) == ("100", "0")


async def test_partial_market_fill_pushes(sim, client):
    sim.control("binance", "set_flag", name="partial_fill", value=1)
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(private(sim, key)) as ws:
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1",
                                          newClientOrderId="half")
        kinds = []
        while not kinds or kinds[-1] != ("ORDER_TRADE_UPDATE", "EXPIRED"):
            event = await recv(ws)
            kinds.append((event["e"], event["o"]["x"] if "o" in event else None))
            if event["e"] == "ORDER_TRADE_UPDATE" and event["o"]["x"] == "TRADE":
                trade = event["o"]
    assert kinds[0] == ("ORDER_TRADE_UPDATE", "NEW")
    assert ("TRADE_LITE", None) in kinds and ("ACCOUNT_UPDATE", None) in kinds
    assert (trade["X"], trade["z"], trade["N"]) == ("PARTIALLY_FILLED", "0.500", "USDT")
    assert Decimal(trade["n"]) > 0 and Decimal(trade["ap"]) > 0


async def test_order_first_option():
    net = start_net(user_event_order="order_first")
    try:
        c = await create_client(net.ready)
        key = await c.futures_stream_get_listen_key()
        async with websockets.connect(private(net, key)) as ws:
            await c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
            kinds = [(await recv(ws))["e"] for _ in range(4)]
        await c.close_connection()
    finally:
        net.stop()
    assert kinds == ["ORDER_TRADE_UPDATE", "TRADE_LITE", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"]


async def test_listen_key_runs_out_event_then_silence():
    net = start_net(listen_key_ttl=1.0)
    try:
        c = await create_client(net.ready)
        key = await c.futures_stream_get_listen_key()
        async with websockets.connect(private(net, key)) as ws:
            expired = await recv(ws, 5)
            await c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
            assert await nothing_arrives(ws, 0.5)
            assert ws.close_code is None                            # not a disconnection (docs)
        new = await c.futures_stream_get_listen_key()
        with pytest.raises(BinanceAPIException) as err:
            await c.futures_stream_keepalive(key)
        await c.close_connection()
    finally:
        net.stop()
    assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key and isinstance(expired["E"], int)
    assert new != key and err.value.code == -1125


async def test_keepalive_extends():
    net = start_net(listen_key_ttl=1.5)
    try:
        c = await create_client(net.ready)
        key = await c.futures_stream_get_listen_key()
        created = time.monotonic()
        async with websockets.connect(private(net, key)) as ws:
            assert await nothing_arrives(ws, 0.5)                   # the behaviour under test is wall-clock time
            assert await c.futures_stream_keepalive(key) == {"listenKey": key}
            kept = time.monotonic()
            assert await nothing_arrives(ws, max(0.1, created + 1.7 - time.monotonic()))
            await c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
            assert (await recv(ws))["e"] == "ORDER_TRADE_UPDATE"
            while (await recv(ws, 5))["e"] != "listenKeyExpired":
                pass
            assert time.monotonic() >= kept + 1.5 - 0.2
        await c.close_connection()
    finally:
        net.stop()


async def test_expire_listen_keys_fault(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(private(sim, key)) as ws:
        assert sim.control("binance", "expire_listen_keys") == {"expired": [key]}
        assert (await recv(ws))["e"] == "listenKeyExpired"
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
        assert await nothing_arrives(ws, 0.3)
        fresh = await client.futures_stream_get_listen_key()
        async with websockets.connect(private(sim, fresh)) as again:
            await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
            assert (await recv(again))["e"] == "ORDER_TRADE_UPDATE"
        assert await nothing_arrives(ws, 0.1)


async def test_lose_user_events(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(private(sim, key)) as ws:
        assert sim.control("binance", "lose_user_events", count=1, event="ORDER_TRADE_UPDATE") == \
            {"lose": 1, "event": "ORDER_TRADE_UPDATE"}
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01",
                                          newClientOrderId="lost-new")
        kinds = [(e["e"], e.get("o", {}).get("x")) for e in [await recv(ws) for _ in range(3)]]
        assert kinds == [("TRADE_LITE", None), ("ACCOUNT_UPDATE", None), ("ORDER_TRADE_UPDATE", "TRADE")]
        sim.control("binance", "lose_user_events", count=2)
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
        kinds = [(await recv(ws))["e"] for _ in range(2)]
        assert kinds == ["ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE"]
    order = await client.futures_get_order(symbol="ETHUSDT", origClientOrderId="lost-new")
    assert order["status"] == "FILLED"                              # REST still tells the truth


async def test_user_stream_delay_lets_the_rest_answer_come_first(sim, client):
    sim.control("binance", "set_flag", name="user_stream_delay", value=0.4)
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(private(sim, key)) as ws:
        order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01",
                                                  newOrderRespType="RESULT")
        answered = time.monotonic()
        assert order["status"] == "FILLED"
        events = [await recv(ws) for _ in range(4)]
        assert time.monotonic() - answered > 0.2
    assert [e["e"] for e in events] == ["ORDER_TRADE_UPDATE", "TRADE_LITE", "ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE"]


async def test_private_ws_path_form_is_accepted_and_silent(sim, client):
    """wss://fstream.binance.com/private/ws/<listenKey> was decommissioned on mainnet (routes.py: UBWA PR #445,
    CHANGELOG 2.14.0; ccxt/go-binance#812): the handshake succeeds and nothing is pushed, not even the expiry."""
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(sim.ready["binance_futures_ws"] + f"private/ws/{key}") as path_form, \
            websockets.connect(private(sim, key)) as query_form:
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
        assert (await recv(query_form))["e"] == "ORDER_TRADE_UPDATE"
        sim.control("binance", "expire_listen_keys")
        assert await nothing_arrives(path_form, 0.3) and path_form.close_code is None


async def test_events_name_what_a_connection_gets_and_without_them_everything_comes():
    """maxt efa6a71 (2026-07-31, measured): no events -> listenKeyExpired arrives; events without it -> it does
    not; ``private_without_events="none"`` models the opposite claim (unicorn-binance-websocket-api)."""
    for option, silent_without in (("all", False), ("none", True)):
        net = start_net(private_without_events=option)
        try:
            c = await create_client(net.ready)
            key = await c.futures_stream_get_listen_key()
            named = "&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE"
            async with websockets.connect(private(net, key)) as bare, \
                    websockets.connect(private(net, key) + named) as without_expiry, \
                    websockets.connect(private(net, key) + named + "/listenKeyExpired") as everything:
                net.control("binance", "expire_listen_keys")
                assert (await recv(everything))["e"] == "listenKeyExpired"
                assert await nothing_arrives(without_expiry, 0.2)
                assert await nothing_arrives(bare, 0.2) is silent_without
            await c.close_connection()
        finally:
            net.stop()


async def test_mute_ws_silences_only_the_connections_open_now(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(private(sim, key)) as muted:
        assert sim.control("binance", "mute_ws", stream="futures_user") == {"muted": 1}
        async with websockets.connect(private(sim, key)) as fresh:
            await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
            assert (await recv(fresh))["e"] == "ORDER_TRADE_UPDATE"
            assert await nothing_arrives(muted, 0.2) and muted.close_code is None
            [old, new] = sorted(sim.control("binance", "ws_connections", stream="futures_user")["connections"],
                                key=lambda c: not c["muted"])
    assert (old["muted"], new["muted"], new["route"], new["events"]) == (True, False, "private", {key: None})
