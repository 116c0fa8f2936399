"""Every fault knob of the Binance venue, observed through the real SDK."""
import asyncio
import time

import aiohttp
import pytest
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import (client, create_client, fast_ws, recv_stepping, sim,  # noqa: F401
                                          socket_manager)


async def api_error(coro) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value


async def test_delay(sim, client):
    sim.control("binance", "delay", seconds=0.3, count=1)
    started = time.monotonic()
    await client.futures_ping()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await client.futures_ping()
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize("code, status, binance_code", [
    (None, 503, -1001), (500, 500, -1000), (429, 429, -1003), (418, 418, -1003), (-1021, 400, -1021),
])
async def test_error_on_demand(sim, client, code, status, binance_code):
    sim.control("binance", "error", count=1, code=code)
    err = await api_error(client.futures_account())
    assert (err.status_code, err.code) == (status, binance_code)
    assert "assets" in await client.futures_account()


async def test_reject_orders(sim, client):
    sim.control("binance", "reject_orders", count=1, reason="-2019")
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01"))
    assert (err.code, err.message) == (-2019, "Margin is insufficient.")
    ok = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
    assert ok["orderId"]
    sim.control("binance", "reject_orders", count=1)
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01"))
    assert (err.status_code, err.code, err.message) == (400, -2010, "rejected by fault injection")


@pytest.mark.parametrize("code", [-1006, -1007])
async def test_execution_status_unknown_codes(sim, client, code):
    sim.control("binance", "error", count=1, code=code)
    err = await api_error(client.futures_ping())
    assert (err.status_code, err.code) == (503, code) and "execution status unknown" in err.message.lower()


async def test_refuse_connections(sim, client):
    sim.control("binance", "refuse", seconds=0.5)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.futures_ping()
    deadline = time.monotonic() + 5
    while True:
        try:
            assert await client.futures_ping() == {}
            break
        except aiohttp.ClientConnectionError:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)


async def test_partial_ioc_fill(sim, client):
    sim.control("binance", "set_flag", name="partial_fill", value=1)
    order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1",
                                              newOrderRespType="RESULT")
    assert (order["status"], order["executedQty"]) == ("EXPIRED", "0.500")
    order = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1",
                                              newOrderRespType="RESULT")
    assert (order["status"], order["executedQty"]) == ("FILLED", "1.000")


async def test_slow_ack_executes_before_answering(sim, client):
    sim.control("binance", "set_flag", name="slow_ack", value=1)
    sim.control("binance", "set_flag", name="slow_ack_seconds", value=1.0)
    other = await create_client(sim.ready)
    try:
        task = asyncio.create_task(client.futures_create_order(
            symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.02", newClientOrderId="slow-1"))
        deadline = time.monotonic() + 1.0
        seen = None
        while seen is None and time.monotonic() < deadline:
            try:
                seen = await other.futures_get_order(symbol="ETHUSDT", origClientOrderId="slow-1")
            except BinanceAPIException:
                await asyncio.sleep(0.02)
        assert seen is not None and seen["status"] == "FILLED" and not task.done()
        assert (await task)["clientOrderId"] == "slow-1"
    finally:
        await other.close_connection()


async def test_unknown_execution_status(sim, client):
    sim.control("binance", "set_flag", name="unknown_status", value=1)
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET",
                                                      quantity="0.02", newClientOrderId="lost-1"))
    assert err.status_code == 503
    order = await client.futures_get_order(symbol="ETHUSDT", origClientOrderId="lost-1")
    assert order["status"] == "FILLED"


async def test_min_notional_reject_and_raised_minimum(sim, client):
    err = await api_error(client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT",
                                                      timeInForce="GTC", price="4.00", quantity="1"))
    assert err.code == -4164
    sim.control("binance", "set_flag", name="min_notional", value=200)
    info = await client.futures_exchange_info()
    sol = next(s for s in info["symbols"] if s["symbol"] == "SOLUSDT")
    assert {f["filterType"]: f for f in sol["filters"]}["MIN_NOTIONAL"]["notional"] == "200"
    err = await api_error(client.futures_create_order(symbol="SOLUSDT", side="BUY", type="MARKET",
                                                      quantity="1"))
    assert (err.code, err.message) == (-4164, "Order's notional must be no smaller than 200 (unless you choose "
                                              "reduce only).")


async def test_drop_ws_and_reconnect(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.futures_multiplex_socket(["ethusdt@bookTicker"], category="public") as socket:
        await recv_stepping(sim, socket)
        dropped = sim.control("binance", "drop_ws", stream="futures_market")
        assert dropped == {"dropped": 1}
        error = await recv_stepping(sim, socket, want=lambda m: m.get("e") == "error")
        assert error["type"] in ("ConnectionClosedError", "BinanceWebsocketClosed")
        again = await recv_stepping(sim, socket, timeout=8, want=lambda m: m.get("stream") == "ethusdt@bookTicker")
    assert again["data"]["s"] == "ETHUSDT"


async def stays_silent(sim, socket, steps: int = 5) -> bool:
    for _ in range(steps):
        sim.control("net", "step")
        try:
            await asyncio.wait_for(socket.recv(), 0.05)
            return False
        except asyncio.TimeoutError:
            continue
    return True


async def test_stall_keeps_socket_open(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.futures_multiplex_socket(["ethusdt@bookTicker", "solusdt@bookTicker"],
                                            category="public") as socket:
        await recv_stepping(sim, socket)
        sim.control("binance", "stall", stream="futures_market")
        while not socket._queue.empty():
            socket._queue.get_nowait()
        assert await stays_silent(sim, socket)
        assert len(sim.venues["binance"].faults.sockets) == 1          # still connected
        sim.control("binance", "unstall")
        assert (await recv_stepping(sim, socket))["data"]["e"] == "bookTicker"
        sim.control("binance", "stall", stream="ethusdt@bookTicker")   # one stream only
        msg = await recv_stepping(sim, socket)
        assert msg["stream"] == "solusdt@bookTicker"


async def test_listen_key_expiry_event(sim, client, fast_ws):
    bsm = socket_manager(client, sim.ready)
    async with bsm.futures_user_socket() as socket:
        sim.control("binance", "expire_listen_keys")
        event = await asyncio.wait_for(socket.recv(), 5)
    assert event["e"] == "listenKeyExpired"
    new_key = await client.futures_stream_get_listen_key()
    assert new_key != event["listenKey"]


async def test_latency_option():
    from tests.simnet.binance_helpers import start_net
    net = start_net(latency_ms=150)
    try:
        c = await create_client(net.ready)
        started = time.monotonic()
        await c.futures_ping()
        assert time.monotonic() - started >= 0.15
        await c.close_connection()
    finally:
        net.stop()


async def test_late_execution_no_answer_invisible_then_executed(sim, client):
    sim.control("binance", "set_flag", name="late_execution", value=1)
    sim.control("binance", "set_flag", name="late_execution_seconds", value=0.5)
    with pytest.raises(asyncio.TimeoutError):                       # the client's own timeout fires first
        await asyncio.wait_for(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                                           quantity="0.02", newClientOrderId="late-1"), 0.2)
    err = await api_error(client.futures_get_order(symbol="ETHUSDT", origClientOrderId="late-1"))
    assert (err.code, err.message) == (-2013, "Order does not exist.")
    deadline = time.monotonic() + 5
    while True:
        try:
            order = await client.futures_get_order(symbol="ETHUSDT", origClientOrderId="late-1")
            break
        except BinanceAPIException:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    assert order["status"] == "FILLED" and order["executedQty"] == "0.020"


async def test_late_execution_outside_recv_window_is_refused_by_the_engine(sim, client):
    sim.control("binance", "set_flag", name="late_execution", value=1)
    sim.control("binance", "set_flag", name="late_execution_seconds", value=0.4)
    sim.control("binance", "set_flag", name="late_execution_answer", value="reset")
    client.REQUEST_RECVWINDOW = 200           # python-binance 1.0.37 sends this on every signed request (10000)
    with pytest.raises(aiohttp.ClientError):                        # connection dropped, no answer
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.02",
                                          newClientOrderId="late-2")
    late = sim.venues["binance"].futures_api.late
    deadline = time.monotonic() + 5
    while not late.rejected:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert late.rejected[0]["newClientOrderId"] == "late-2"         # -5028 at the matching engine
    err = await api_error(client.futures_get_order(symbol="ETHUSDT", origClientOrderId="late-2"))
    assert err.code == -2013
