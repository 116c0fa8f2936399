"""Funding: premiumIndex, markPrice stream, payments, income history and the user stream."""
import asyncio
import time
from decimal import Decimal

from tests.helpers import eventually
from tests.simnet.binance_helpers import client, create_client, fast_ws, sim, socket_manager, start_net  # noqa: F401

EIGHT_HOURS_MS = 8 * 3_600_000


async def test_premium_index_carries_rate_and_next_funding_time(sim, client):
    sim.control("binance", "set_mark", symbol="AVAXUSDT", price="35.5")
    row = await client.futures_mark_price(symbol="AVAXUSDT")
    assert (row["markPrice"], row["lastFundingRate"], row["interestRate"]) == ("35.50000000", "0.00010000",
                                                                               "0.00010000")
    assert row["nextFundingTime"] % EIGHT_HOURS_MS == 0 and 0 < row["nextFundingTime"] - row["time"] <= EIGHT_HOURS_MS
    everything = await client.futures_mark_price()
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "11"          # 1 with symbol, 10 without
    assert {r["symbol"] for r in everything} == {"ETHUSDT", "AVAXUSDT", "SOLUSDT", "BNBUSDT"}   # BNBUSDT: a price
    assert await client._request_futures_api("get", "fundingInfo") == []     # only adjusted symbols are listed


async def test_fund_now_pays_longs_to_shorts_and_records_income(sim, client, fast_ws):
    sim.control("binance", "set_mark", symbol="ETHUSDT", price="3000")
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    before = Decimal((await client.futures_account())["totalWalletBalance"])
    async with socket_manager(client, sim.ready).futures_user_socket() as socket:
        paid = sim.control("binance", "fund_now", symbol="ETHUSDT")
        assert paid == {"ETHUSDT": [sim.ready["binance_api_key"]]}
        event = await asyncio.wait_for(socket.recv(), 5)
    assert event["e"] == "ACCOUNT_UPDATE"
    assert (event["a"]["m"], event["a"]["S"], event["a"]["P"]) == ("FUNDING_FEE", "ETHUSDT", [])
    after = Decimal((await client.futures_account())["totalWalletBalance"])
    assert after == before - Decimal("0.3")                                   # 1 ETH x 3000 x 0.0001
    assert Decimal(event["a"]["B"][0]["wb"]) == after
    rows = await client.futures_income_history(symbol="ETHUSDT", incomeType="FUNDING_FEE")
    assert [(r["incomeType"], r["income"], r["asset"]) for r in rows] == [("FUNDING_FEE", "-0.30000000", "USDT")]
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"].isdigit()
    kinds = {r["incomeType"] for r in await client.futures_income_history()}
    assert kinds == {"FUNDING_FEE", "COMMISSION"}


async def test_funding_is_paid_when_a_funding_time_passes():
    net = start_net(funding_rate=-0.0005)
    try:
        c = await create_client(net.ready)
        try:
            await c.futures_create_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="10")
            now = int(time.time() * 1000)
            boundary = (now // EIGHT_HOURS_MS + 1) * EIGHT_HOURS_MS
            net.control("binance", "set_flag", name="clock_skew_ms", value=boundary - now - 300)

            def paid() -> bool:
                net.control("net", "step")
                venue = net.venues["binance"]
                return any(r["incomeType"] == "FUNDING_FEE" for a in venue.accounts.values() for r in a.income)

            await eventually(paid, 5, "a funding payment")
            net.control("binance", "set_flag", name="clock_skew_ms", value=0)
            c.timestamp_offset = 0
            rows = await c.futures_income_history(incomeType="FUNDING_FEE", startTime=0)
            assert len(rows) == 1 and Decimal(rows[0]["income"]) > 0       # negative rate: the long receives
        finally:
            await c.close_connection()
    finally:
        net.stop()


async def test_funding_interval_option_shows_in_funding_info():
    net = start_net(funding_interval_hours={"AVAXUSDT": 4})
    try:
        c = await create_client(net.ready)
        try:
            rows = await c._request_futures_api("get", "fundingInfo")
            assert [(r["symbol"], r["fundingIntervalHours"]) for r in rows] == [("AVAXUSDT", 4)]
            assert set(rows[0]) == {"symbol", "adjustedFundingRateCap", "adjustedFundingRateFloor",
                                    "fundingIntervalHours", "disclaimer"}
            row = await c.futures_mark_price(symbol="AVAXUSDT")
            assert row["nextFundingTime"] % (4 * 3_600_000) == 0
        finally:
            await c.close_connection()
    finally:
        net.stop()


async def test_funding_can_be_switched_off():
    net = start_net(funding=False)
    try:
        venue = net.venues["binance"]
        assert venue.funding.due(int(time.time() * 1000) + 10 * EIGHT_HOURS_MS) == []
    finally:
        net.stop()
