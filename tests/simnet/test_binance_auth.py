"""Authentication, clock and request-weight behaviour as Binance's."""
import time

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


def start_of_a_minute(net, second: float = 1.0) -> None:
    """Skew the venue clock to `second` s past a minute: weight counts per minute of the server clock."""
    now = int(time.time() * 1000)
    target = (now // 60_000 + 2) * 60_000 + int(second * 1000)
    net.control("binance", "set_flag", name="clock_skew_ms", value=target - now)


async def pings(client, count: int) -> list[tuple[int, str | None]]:
    out = []
    for _ in range(count):
        try:
            await client.futures_ping()
            out.append((200, None))
        except BinanceAPIException as err:
            assert err.code == -1003
            out.append((err.status_code, client.response.headers.get("Retry-After")))
    return out


async def test_429_then_418_when_limits_are_ignored(sim, client):
    start_of_a_minute(sim)
    sim.control("binance", "set_flag", name="weight_limit", value=3)
    answers = await pings(client, 8)
    # limit 3: three pass, then 429 (ban_after=3 more tolerated), then the 418 ban
    assert [status for status, _ in answers] == [200, 200, 200, 429, 429, 429, 429, 418]
    assert {after for status, after in answers if status == 429} == {"59"}      # until the next minute
    assert answers[-1][1] == "120"                                              # until the ban ends
    assert "banned until" in (await api_error(client.futures_ping())).message
    sim.control("binance", "clear")
    assert await client.futures_ping() == {}


async def test_repeat_offenders_are_banned_longer():
    from tests.simnet.binance_helpers import start_net
    net = start_net(weight_limit_1m=2, ban_after=0, ban_seconds=1)
    try:
        c = await create_client(net.ready)
        try:
            start_of_a_minute(net)
            assert await pings(c, 4) == [(200, None), (200, None), (429, "59"), (418, "1")]
            net.control("binance", "set_flag", name="clock_skew_ms",
                        value=net.venues["binance"].faults.flags["clock_skew_ms"] + 1100)  # the ban is over
            (status, _), ban = await pings(c, 2)
            assert (status, ban) == (429, (418, "2"))                                  # twice as long
        finally:
            await c.close_connection()
    finally:
        net.stop()
