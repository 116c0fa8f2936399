"""Point python-binance's AsyncClient / BinanceSocketManager at the simulated Binance.

The product can do the same: after constructing the client (the constructor
makes no request), override
    client.API_URL     = ready["binance_spot_rest"] + "/api"
    client.FUTURES_URL = ready["binance_futures_rest"] + "/fapi"
and on the socket manager
    bsm.STREAM_URL  = ready["binance_spot_ws"]      # ends with "/"
    bsm.FSTREAM_URL = ready["binance_futures_ws"]   # ends with "/"
then do what ``AsyncClient.create`` does (ping, then server-time offset).
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from binance import AsyncClient, BinanceSocketManager


def point_client(client: AsyncClient, ready: dict[str, Any]) -> AsyncClient:
    client.API_URL = ready["binance_spot_rest"] + "/api"
    client.FUTURES_URL = ready["binance_futures_rest"] + "/fapi"
    return client


async def create_client(ready: dict[str, Any], api_key: str | None = None, api_secret: str | None = None,
                        **kwargs: Any) -> AsyncClient:
    """Like ``AsyncClient.create`` but against the simulator (default: its key pair)."""
    client = point_client(AsyncClient(api_key or ready["binance_api_key"],
                                      api_secret or ready["binance_api_secret"], **kwargs), ready)
    try:
        await client.ping()
        server = await client.get_server_time()
        client.timestamp_offset = server["serverTime"] - int(time.time() * 1000)
    except Exception:
        await client.close_connection()
        raise
    return client


def socket_manager(client: AsyncClient, ready: dict[str, Any], **kwargs: Any) -> BinanceSocketManager:
    bsm = BinanceSocketManager(client, **kwargs)
    bsm.STREAM_URL = ready["binance_spot_ws"]
    bsm.FSTREAM_URL = ready["binance_futures_ws"]
    return bsm


async def recv_stepping(net, socket, timeout: float = 5.0, want=lambda msg: True, step: bool = True) -> dict[str, Any]:
    """Advance the price path until `socket` yields a message accepted by `want`.

    Steps happen on the simnet thread, so this is a bounded wait loop, not a sleep.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if step:
            await asyncio.to_thread(net.control, "net", "step", count=1)
        try:
            msg = await asyncio.wait_for(socket.recv(), timeout=0.05)
        except asyncio.TimeoutError:
            continue
        if want(msg):
            return msg
    raise TimeoutError("no matching websocket message")


# ---- pytest fixtures (import them into a test module) -------------------------------
import pytest  # noqa: E402

from tools.simnet.core import SimConfig, SimNet  # noqa: E402


def start_net(seed: int = 7, **options: Any) -> SimNet:
    config = SimConfig(seed=seed, venues=("binance",), autotick=False, scenario="quiet")
    config.options("binance").update(options)
    net = SimNet(config)
    net.start()
    return net


@pytest.fixture
def sim():
    net = start_net()
    yield net
    net.stop()


@pytest.fixture
async def client(sim):
    c = await create_client(sim.ready)
    yield c
    await c.close_connection()


@pytest.fixture
def fast_ws(monkeypatch):
    """The SDK's read loop waits up to TIMEOUT (10 s) for a frame before it notices a close;
    with a stepped (not ticking) simulator that would make every socket exit take 10 s."""
    from binance.ws.reconnecting_websocket import ReconnectingWebsocket
    monkeypatch.setattr(ReconnectingWebsocket, "TIMEOUT", 0.2)
