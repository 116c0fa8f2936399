"""Position mode (One-way / Hedge) and Multi-Assets mode, through the real AsyncClient."""
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, create_client, sim, start_net  # noqa: F401


async def api_error(coro) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value


async def test_one_way_by_default_and_mode_changes(client):
    assert await client.futures_get_position_mode() == {"dualSidePosition": False}
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "30"          # weight 30 (docs)
    err = await api_error(client.futures_change_position_mode(dualSidePosition="false"))
    assert (err.code, err.message) == (-4059, "No need to change position side.")
    assert await client.futures_change_position_mode(dualSidePosition="true") == {"code": 200, "msg": "success"}
    assert await client.futures_get_position_mode() == {"dualSidePosition": True}


async def test_mode_change_refused_with_position_or_open_orders(client):
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")
    err = await api_error(client.futures_change_position_mode(dualSidePosition="true"))
    assert (err.code, err.message) == (-4068, "Position side cannot be changed if there exists position.")
    await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.01",
                                      reduceOnly="true")
    await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                      price="145.00", quantity="1")
    err = await api_error(client.futures_change_position_mode(dualSidePosition="true"))
    assert (err.code, err.message) == (-4067, "Position side cannot be changed if there exists open orders.")


async def test_hedge_mode_needs_a_position_side():
    net = start_net(position_mode="hedge")
    try:
        c = await create_client(net.ready)
        try:
            assert await c.futures_get_position_mode() == {"dualSidePosition": True}
            for extra in ({}, {"positionSide": "BOTH"}):
                err = await api_error(c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                                             quantity="0.01", **extra))
                assert (err.status_code, err.code, err.message) == (
                    400, -4061, "Order's position side does not match user's setting.")
            await c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.02",
                                         positionSide="LONG")
            await c.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.03",
                                         positionSide="SHORT")
            rows = {p["positionSide"]: p for p in await c.futures_position_information(symbol="ETHUSDT")}
            assert (rows["LONG"]["positionAmt"], rows["SHORT"]["positionAmt"]) == ("0.020", "-0.030")
            account = await c.futures_account()
            assert {p["positionSide"] for p in account["positions"]} == {"LONG", "SHORT"}
            await c.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.02",
                                         positionSide="LONG")                   # closes the long
            rows = {p["positionSide"]: p for p in await c.futures_position_information(symbol="ETHUSDT")}
            assert set(rows) == {"SHORT"}
        finally:
            await c.close_connection()
    finally:
        net.stop()


async def test_one_way_refuses_long_or_short(client):
    err = await api_error(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                                      quantity="0.01", positionSide="LONG"))
    assert err.code == -4061


async def test_control_switches_the_mode_like_the_web_ui(sim, client):
    sim.control("binance", "set_position_mode", mode="hedge")
    assert (await client.futures_get_position_mode())["dualSidePosition"] is True
    order = await client.futures_create_order(symbol="AVAXUSDT", side="SELL", type="MARKET", quantity="2",
                                              positionSide="SHORT", newOrderRespType="RESULT")
    assert order["positionSide"] == "SHORT" and Decimal(order["executedQty"]) == 2


async def test_multi_assets_mode(client):
    assert await client.futures_get_multi_assets_mode() == {"multiAssetsMargin": False}
    err = await api_error(client.futures_change_multi_assets_mode(multiAssetsMargin=False))
    assert err.code == -4171
    assert await client.futures_change_multi_assets_mode(multiAssetsMargin=True) == {"code": 200,
                                                                                       "msg": "success"}
    assert (await client.futures_account())["multiAssetsMargin"] is True
