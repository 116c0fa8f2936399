"""Authentication, clock and request-weight behaviour as Binance's."""
import pytest
from binance import AsyncClient
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, create_client, point_client, sim  # noqa: F401


async def api_error(coro) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value


async def test_bad_secret_is_1022(sim):
    c = await create_client(sim.ready, api_secret="0" * 64)
    try:
        err = await api_error(c.futures_account())
        assert (err.status_code, err.code, err.message) == (400, -1022, "Signature for this request is not valid.")
    finally:
        await c.close_connection()


async def test_unknown_key_is_2015(sim):
    c = await create_client(sim.ready, api_key="A" * 64)
    try:
        err = await api_error(c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1"))
        assert (err.status_code, err.code) == (401, -2015)
        assert err.message == "Invalid API-key, IP, or permissions for action."
        assert (await api_error(c.futures_stream_get_listen_key())).code == -2015
    finally:
        await c.close_connection()


async def test_missing_key_is_2014(sim):
    c = point_client(AsyncClient(None, sim.ready["binance_api_secret"]), sim.ready)
    try:
        assert (await api_error(c.futures_position_information())).code == -2014
    finally:
        await c.close_connection()


@pytest.mark.parametrize("offset_ms", [-70_000, 5_000])
async def test_stale_or_future_timestamp_is_1021(client, offset_ms):
    client.timestamp_offset = offset_ms
    err = await api_error(client.futures_account())
    assert err.code == -1021


async def test_server_clock_skew(sim, client):
    sim.control("binance", "set_flag", name="clock_skew_ms", value=-30_000)
    assert (await api_error(client.futures_account())).code == -1021
    resynced = await create_client(sim.ready)                  # create() measures the offset again
    try:
        assert "assets" in await resynced.futures_account()
    finally:
        await resynced.close_connection()


async def test_timestamp_error_on_demand(sim, client):
    sim.control("binance", "set_flag", name="timestamp_error", value=1)
    err = await api_error(client.futures_account())
    assert (err.code, err.message) == (-1021, "Timestamp for this request is outside of the recvWindow.")
    assert "assets" in await client.futures_account()


async def test_weight_header_counts_requests(client):
    await client.futures_ping()
    first = int(client.response.headers["X-MBX-USED-WEIGHT-1M"])
    await client.futures_order_book(symbol="ETHUSDT", limit=1000)
    assert int(client.response.headers["X-MBX-USED-WEIGHT-1M"]) == first + 20


async def test_429_then_418_when_limits_are_ignored(sim, client):
    sim.control("binance", "set_flag", name="weight_limit", value=3)
    statuses = []
    for _ in range(8):
        try:
            await client.futures_ping()
            statuses.append(200)
        except BinanceAPIException as err:
            statuses.append(err.status_code)
            assert err.code == -1003
            assert "Retry-After" in client.response.headers
    # limit 3: three pass, then 429 (ban_after=3 more tolerated), then the 418 ban
    assert statuses == [200, 200, 200, 429, 429, 429, 429, 418]
    sim.control("binance", "clear")
    assert await client.futures_ping() == {}
