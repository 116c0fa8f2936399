"""Public market data through the real AsyncClient: futures and spot."""
from decimal import Decimal

from tests.simnet.binance_helpers import client, create_client, fast_ws, sim, start_net  # noqa: F401


async def test_create_pings_spot_and_reads_time(sim):
    c = await create_client(sim.ready)
    try:
        assert await c.futures_ping() == {}
        server = await c.futures_time()
        assert abs(server["serverTime"] - (await c.get_server_time())["serverTime"]) < 2000
    finally:
        await c.close_connection()


async def test_futures_exchange_info_filters(client):
    info = await client.futures_exchange_info()
    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert set(symbols) == {"ETHUSDT", "AVAXUSDT", "SOLUSDT"}
    eth = symbols["ETHUSDT"]
    filters = {f["filterType"]: f for f in eth["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
    assert filters["LOT_SIZE"]["stepSize"] == "0.001" and filters["LOT_SIZE"]["minQty"] == "0.001"
    assert "MARKET_LOT_SIZE" in filters
    assert filters["MIN_NOTIONAL"]["notional"] == "20"
    assert (eth["pricePrecision"], eth["quantityPrecision"]) == (2, 3)
    avax = {f["filterType"]: f for f in symbols["AVAXUSDT"]["filters"]}
    assert avax["MIN_NOTIONAL"]["notional"] == "5"
    assert info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"


async def test_depth_and_book_ticker_agree(client):
    book = await client.futures_order_book(symbol="ETHUSDT", limit=10)
    ticker = await client.futures_orderbook_ticker(symbol="ETHUSDT")
    assert len(book["bids"]) == len(book["asks"]) == 10
    assert book["bids"][0] == [ticker["bidPrice"], ticker["bidQty"]]
    assert book["asks"][0] == [ticker["askPrice"], ticker["askQty"]]
    prices = [Decimal(p) for p, _ in book["bids"]]
    assert prices == sorted(prices, reverse=True)
    assert Decimal(ticker["askPrice"]) > Decimal(ticker["bidPrice"])
    all_tickers = await client.futures_orderbook_ticker()
    assert {t["symbol"] for t in all_tickers} == {"ETHUSDT", "AVAXUSDT", "SOLUSDT"}


async def test_book_follows_reference_path_with_basis():
    net = start_net(basis_bps=100.0, spread_bps=2.0)
    try:
        c = await create_client(net.ready)
        ticker = await c.futures_orderbook_ticker(symbol="SOLUSDT")
        ref = net.control("net", "prices")["prices"]["SOL"]
        mid = (Decimal(ticker["bidPrice"]) + Decimal(ticker["askPrice"])) / 2
        assert abs(float(mid) / (ref * 1.01) - 1) < 0.0003
        spot = await c.get_orderbook_ticker(symbol="SOLUSDT")
        spot_mid = (Decimal(spot["bidPrice"]) + Decimal(spot["askPrice"])) / 2
        assert abs(float(spot_mid) / ref - 1) < 0.0003
        await c.close_connection()
    finally:
        net.stop()


async def test_spot_exchange_info_and_depth(client):
    info = await client.get_exchange_info()
    assert {s["symbol"] for s in info["symbols"]} == {"ETHUSDT", "AVAXUSDT", "SOLUSDT"}
    depth = await client.get_order_book(symbol="AVAXUSDT", limit=5)
    assert len(depth["bids"]) == 5 and "lastUpdateId" in depth


async def test_same_seed_same_books():
    tops = []
    for _ in range(2):
        net = start_net(seed=11)
        try:
            net.control("net", "step", count=25)
            c = await create_client(net.ready)
            tops.append(await c.futures_order_book(symbol="ETHUSDT", limit=20))
            await c.close_connection()
        finally:
            net.stop()
    assert tops[0]["bids"] == tops[1]["bids"] and tops[0]["asks"] == tops[1]["asks"]


async def test_unknown_symbol_is_1121(client):
    import pytest
    from binance.exceptions import BinanceAPIException
    with pytest.raises(BinanceAPIException) as err:
        await client.futures_order_book(symbol="DOGEUSDT")
    assert err.value.code == -1121


async def test_lag_seconds_delays_what_the_venue_sees():
    net = start_net(lag_seconds=0.5)                 # 5 steps of 100 ms
    try:
        c = await create_client(net.ready)
        before = Decimal((await c.futures_orderbook_ticker(symbol="ETHUSDT"))["bidPrice"])
        net.control("net", "shock", symbol="ETH", relative=0.05)
        net.control("net", "step", count=5)
        still = Decimal((await c.futures_orderbook_ticker(symbol="ETHUSDT"))["bidPrice"])
        net.control("net", "step")
        after = Decimal((await c.futures_orderbook_ticker(symbol="ETHUSDT"))["bidPrice"])
        await c.close_connection()
    finally:
        net.stop()
    assert abs(still / before - 1) < Decimal("0.01") and after / before > Decimal("1.04")


async def test_autotick_streams_without_stepping(fast_ws):
    from tools.simnet.core import SimConfig, SimNet
    from tests.simnet.binance_helpers import socket_manager
    import asyncio
    net = SimNet(SimConfig(seed=5, venues=("binance",)))
    net.start()
    try:
        c = await create_client(net.ready)
        bsm = socket_manager(c, net.ready)
        async with bsm.futures_multiplex_socket(["ethusdt@bookTicker"], category="public") as socket:
            first = await asyncio.wait_for(socket.recv(), 5)
            second = await asyncio.wait_for(socket.recv(), 5)
        assert second["data"]["u"] > first["data"]["u"]
        await c.close_connection()
    finally:
        net.stop()
