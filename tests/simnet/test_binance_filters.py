"""PERCENT_PRICE around the mark price (per symbol) and MIN_NOTIONAL at the order's price."""
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, create_client, sim, start_net  # noqa: F401


async def api_error(coro) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value


def limit(symbol: str, side: str, price: str, qty: str, tif: str = "GTC") -> dict:
    return {"symbol": symbol, "side": side, "type": "LIMIT", "timeInForce": tif, "price": price, "quantity": qty}


async def test_band_is_around_the_mark_not_the_book(sim, client):
    sim.control("binance", "set_mark", symbol="ETHUSDT", price="2000")
    mark = await client.futures_mark_price(symbol="ETHUSDT")
    assert mark["markPrice"] == "2000.00000000"
    err = await api_error(client.futures_create_order(**limit("ETHUSDT", "BUY", "2100.01", "0.1")))
    assert (err.code, err.message) == (-4016, "Limit price can't be higher than 2100.00.")
    err = await api_error(client.futures_create_order(**limit("ETHUSDT", "SELL", "1899.99", "0.1")))
    assert (err.code, err.message) == (-4024, "Limit price can't be lower than 1900.00.")
    resting = await client.futures_create_order(**limit("ETHUSDT", "SELL", "9000.00", "0.1"))   # no ceiling
    assert resting["status"] == "NEW"
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.1"))
    assert (err.code, err.message) == (-4131, "The counterparty's best price does not meet the PERCENT_PRICE "
                                              "filter limit.")


async def test_per_symbol_multipliers_from_the_option():
    net = start_net(percent_price={"SOLUSDT": ["1.15", "0.85"]})
    try:
        c = await create_client(net.ready)
        try:
            info = await c.futures_exchange_info()
            bands = {s["symbol"]: next(f for f in s["filters"] if f["filterType"] == "PERCENT_PRICE")
                     for s in info["symbols"]}
            assert bands["SOLUSDT"] == {"filterType": "PERCENT_PRICE", "multiplierUp": "1.1500",
                                        "multiplierDown": "0.8500", "multiplierDecimal": "4"}
            assert bands["ETHUSDT"]["multiplierUp"] == "1.0500"
            net.control("binance", "set_mark", symbol="SOLUSDT", price="100")
            assert (await api_error(c.futures_create_order(**limit("SOLUSDT", "BUY", "115.01", "1")))).code == -4016
            assert (await c.futures_create_order(**limit("SOLUSDT", "BUY", "115.00", "1")))["status"] == "NEW"
        finally:
            await c.close_connection()
    finally:
        net.stop()


async def test_min_notional_is_checked_at_the_limit_price(sim, client):
    """0.007 ETH is 21 USDT at the mark but 19.95 at a 2850 limit: refused even though it would fill near 3000."""
    sim.control("binance", "set_mark", symbol="ETHUSDT", price="3000")
    err = await api_error(client.futures_create_order(**limit("ETHUSDT", "SELL", "2850.00", "0.007", "IOC")))
    assert (err.code, err.message) == (-4164, "Order's notional must be no smaller than 20 (unless you choose "
                                              "reduce only).")
    order = await client.futures_create_order(**limit("ETHUSDT", "SELL", "2860.00", "0.007", "IOC"),
                                              newOrderRespType="RESULT")
    assert order["status"] == "FILLED"
    filled = await client.futures_get_order(symbol="ETHUSDT", orderId=order["orderId"])
    assert Decimal(filled["avgPrice"]) > Decimal("2900")


async def test_market_min_notional_uses_the_mark(sim, client):
    sim.control("binance", "set_mark", symbol="ETHUSDT", offset_bps=-400)     # mark 4 % under the book
    mark = Decimal((await client.futures_mark_price(symbol="ETHUSDT"))["markPrice"])
    qty = (Decimal(20) / mark).quantize(Decimal("0.001"))                      # just under 20 at the mark
    while qty * mark >= 20:
        qty -= Decimal("0.001")
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET",
                                                      quantity=f"{qty:f}"))
    assert err.code == -4164
