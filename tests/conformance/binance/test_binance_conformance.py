"""simnet's Binance USDT-M answers against documented and recorded real ones (tests/conformance/binance/data).

Each data file names its source; tolerated differences are declared in the file with their reason.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
import websockets
from binance.exceptions import BinanceAPIException

from binance_shapes import load, shape_problems
from tests.simnet.binance_helpers import client, create_client, sim, start_net  # noqa: F401


def agrees(name: str, actual: Any) -> None:
    problems = shape_problems(name, actual)
    assert not problems, f"{name}: " + "; ".join(problems)


async def api_error(coro) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as err:
        await coro
    return err.value


# ---- market data -----------------------------------------------------------------------
async def test_market_data_answers(sim, client):
    agrees("time", await client.futures_time())
    agrees("depth", await client.futures_order_book(symbol="ETHUSDT", limit=5))
    agrees("book_ticker_rest", await client.futures_orderbook_ticker(symbol="ETHUSDT"))
    agrees("premium_index", await client.futures_mark_price(symbol="ETHUSDT"))
    info = await client.futures_exchange_info()
    info["symbols"] = [s for s in info["symbols"] if s["symbol"] == "ETHUSDT"]
    agrees("exchange_info_ethusdt", info)


async def test_funding_info_answer():
    net = start_net(funding_interval_hours={"ETHUSDT": 4, "AVAXUSDT": 8, "SOLUSDT": 8})
    try:
        c = await create_client(net.ready)
        try:
            agrees("funding_info", await c._request_futures_api("get", "fundingInfo"))
        finally:
            await c.close_connection()
    finally:
        net.stop()


# ---- orders ----------------------------------------------------------------------------
async def test_order_answers(sim, client):
    ack = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.02")
    result = await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="IOC",
                                               price="3100", quantity="0.02", newOrderRespType="RESULT")
    agrees("new_order", ack)
    agrees("new_order", result)
    agrees("query_order", await client.futures_get_order(symbol="ETHUSDT", orderId=result["orderId"]))
    agrees("user_trades", await client.futures_account_trades(symbol="ETHUSDT"))
    resting = await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                                price="145.00", quantity="1")
    agrees("open_orders", await client.futures_get_open_orders(symbol="SOLUSDT"))
    agrees("cancel_order", await client.futures_cancel_order(symbol="SOLUSDT", orderId=resting["orderId"]))
    agrees("cancel_all", await client.futures_cancel_all_open_orders(symbol="SOLUSDT"))


# ---- account ---------------------------------------------------------------------------
async def test_account_answers(sim, client):
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.05")
    sim.control("binance", "fund_now", symbol="ETHUSDT")
    agrees("account_v2", await client.futures_account())
    agrees("account_v3", await client._request_futures_api("get", "account", True, version=3, data={}))
    agrees("balance_v3", await client.futures_account_balance())
    agrees("position_risk_v2", await client._request_futures_api("get", "positionRisk", True, version=2, data={}))
    agrees("position_risk_v3", await client.futures_position_information())
    agrees("commission_rate", await client.futures_commission_rate(symbol="ETHUSDT"))
    agrees("leverage", await client.futures_change_leverage(symbol="ETHUSDT", leverage=10))
    agrees("income", await client.futures_income_history(incomeType="FUNDING_FEE"))
    agrees("position_mode", await client.futures_get_position_mode())
    agrees("multi_assets", await client.futures_get_multi_assets_mode())
    agrees("change_multi_assets", await client.futures_change_multi_assets_mode(multiAssetsMargin=True))
    await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.05",
                                      reduceOnly="true")
    agrees("change_position_mode", await client.futures_change_position_mode(dualSidePosition="true"))
    agrees("listen_key", {"listenKey": await client.futures_stream_get_listen_key()})


# ---- errors and limits -------------------------------------------------------------------
def error_agrees(name: str, err: BinanceAPIException) -> None:
    spec = load(name)
    body = {"code": err.code, "msg": err.message}
    agrees(name, body)
    if "status" in spec:
        assert err.status_code == spec["status"]
    if name != "error_body":
        assert body == spec["sample"]


async def test_error_answers(sim, client):
    error_agrees("error_body", await api_error(client.futures_order_book(symbol="NOPEUSDT")))
    stranger = await create_client(sim.ready, api_key="A" * 64)
    wrong_secret = await create_client(sim.ready, api_secret="0" * 64)
    try:
        error_agrees("error_unknown_key", await api_error(stranger.futures_account()))
        error_agrees("error_bad_signature", await api_error(wrong_secret.futures_account()))
    finally:
        await stranger.close_connection()
        await wrong_secret.close_connection()
    sim.control("binance", "set_position_mode", mode="hedge")
    error_agrees("error_position_side", await api_error(client.futures_create_order(
        symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.01")))


async def test_rate_limit_answers(sim):
    now = int(time.time() * 1000)
    sim.control("binance", "set_flag", name="clock_skew_ms", value=(now // 60_000 + 2) * 60_000 + 1000 - now)
    sim.control("binance", "set_flag", name="weight_limit", value=1)
    answers = []
    async with aiohttp.ClientSession() as session:
        for _ in range(6):
            async with session.get(sim.ready["binance_futures_rest"] + "/fapi/v1/ping") as response:
                answers.append((response.status, dict(response.headers), await response.json()))
    limited = next(a for a in answers if a[0] == 429)
    banned = next(a for a in answers if a[0] == 418)
    for name, (status, headers, body) in (("rate_limit_429", limited), ("ban_418", banned)):
        spec = load(name)
        agrees(name, body)
        assert status == spec["status"] and set(spec["headers"]) <= set(headers)
    assert limited[2]["msg"] == ("Too many requests; current limit is 1 requests per minute. Please use the "
                                 "websocket for live updates to avoid polling the API.")
    assert banned[2]["msg"].startswith("Way too many requests; IP banned until ")


# ---- streams -----------------------------------------------------------------------------
async def first_frames(sim, url: str, want: set[str], key: str = "e", steps: int = 40) -> dict[str, dict]:
    """The first frame of each wanted kind (by `key`), stepping the price path."""
    found: dict[str, dict] = {}
    async with websockets.connect(url) as ws:
        for _ in range(steps):
            sim.control("net", "step")
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 0.05))
                    name = frame["data"][key] if "data" in frame else frame[key]
                    found.setdefault(name if "data" not in frame else frame["stream"], frame)
            except asyncio.TimeoutError:
                pass
            if want <= set(found):
                return found
    raise AssertionError(f"missing frames: {want - set(found)}")


async def test_market_stream_payloads(sim, client):
    base = sim.ready["binance_futures_ws"]
    public = await first_frames(sim, base + "public/stream?streams=ethusdt@bookTicker/ethusdt@depth5/ethusdt@depth",
                                {"ethusdt@bookTicker", "ethusdt@depth5", "ethusdt@depth"})
    agrees("stream_combined", public["ethusdt@bookTicker"])
    agrees("stream_book_ticker", public["ethusdt@bookTicker"]["data"])
    agrees("stream_partial_depth", public["ethusdt@depth5"]["data"])
    agrees("stream_diff_depth", public["ethusdt@depth"]["data"])
    market = await first_frames(sim, base + "market/ws/ethusdt@markPrice@1s/ethusdt@aggTrade",
                                {"markPriceUpdate", "aggTrade"})
    agrees("stream_mark_price", market["markPriceUpdate"])
    agrees("stream_agg_trade", market["aggTrade"])


USER_EVENT_FILES = {"ORDER_TRADE_UPDATE": ("user_order_trade_update", "user_order_trade_update_live"),
                    "ACCOUNT_UPDATE": ("user_account_update",),
                    "TRADE_LITE": ("user_trade_lite", "user_trade_lite_live"),
                    "listenKeyExpired": ("user_listen_key_expired",)}


async def test_user_stream_payloads(sim, client):
    key = await client.futures_stream_get_listen_key()
    async with websockets.connect(sim.ready["binance_futures_ws"] + f"private/ws?listenKey={key}") as ws:
        await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.02")
        events = [json.loads(await asyncio.wait_for(ws.recv(), 2)) for _ in range(4)]
        sim.control("binance", "fund_now", symbol="ETHUSDT")
        funding = json.loads(await asyncio.wait_for(ws.recv(), 2))
        sim.control("binance", "expire_listen_keys")
        expired = json.loads(await asyncio.wait_for(ws.recv(), 2))
    assert [e["e"] for e in events] == ["ORDER_TRADE_UPDATE", "TRADE_LITE", "ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE"]
    for event in events + [expired]:
        for name in USER_EVENT_FILES[event["e"]]:
            agrees(name, event)
    agrees("user_account_update_funding", funding)


async def test_listen_key_answers(sim, client):
    """PUT and DELETE /fapi/v1/listenKey take no parameter (the official SDK sends none)."""
    key = await client.futures_stream_get_listen_key()
    headers = {"X-MBX-APIKEY": sim.ready["binance_api_key"]}
    async with aiohttp.ClientSession() as session:
        url = sim.ready["binance_futures_rest"] + "/fapi/v1/listenKey"
        async with session.put(url, headers=headers) as response:
            kept = await response.json()
        async with session.delete(url, headers=headers) as response:
            closed = await response.json()
    agrees("listen_key_keepalive", kept)
    agrees("listen_key_close", closed)
    assert kept == {"listenKey": key}


def test_every_data_file_names_its_source():
    from binance_shapes import DATA
    for path in DATA.glob("*.json"):
        assert load(path.stem)["_source"]


def test_the_comparison_catches_differences():
    from binance_shapes import Shapes
    documented = {"a": "1.5", "b": 2, "c": [{"x": True}], "d": "NEW"}
    assert Shapes({}).compare(documented, {"a": "1.5", "b": 2, "c": [{"x": False}], "d": "FILLED"}) == []
    problems = Shapes({}).compare(documented, {"a": 1.5, "b": "2", "c": [{"x": True, "y": 1}], "e": "NEW"})
    assert sorted(problems) == sorted([
        "$.a: documented number-string, simnet float (1.5)", "$.b: documented int, simnet number-string ('2')",
        "$.c[*].y: sent by simnet, not documented", "$.d: documented, missing from simnet",
        "$.e: sent by simnet, not documented"])
    assert shape_problems("new_order", {**load("query_order")["sample"]})   # a GET answer is no placement answer


# ---- issue 17: fee burn and the market maker's endpoints -----------------------------------
async def test_maker_endpoint_answers(sim, client):
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.02")
    agrees("ticker_24hr", await client.futures_ticker(symbol="ETHUSDT"))
    sim.control("binance", "fund_now", symbol="ETHUSDT")
    agrees("funding_rate", await client.futures_funding_rate(symbol="ETHUSDT"))
    resting = await client.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                                price="145.00", quantity="1")
    agrees("modify_order", await client.futures_modify_order(symbol="SOLUSDT", orderId=resting["orderId"],
                                                             side="BUY", quantity="2", price="144.00", modifyId=1))
    agrees("countdown_cancel_all", await client.futures_countdown_cancel_all(symbol="SOLUSDT", countdownTime=60000))
    await client.futures_countdown_cancel_all(symbol="SOLUSDT", countdownTime=0)
    agrees("change_margin_type", await client.futures_change_margin_type(symbol="AVAXUSDT", marginType="ISOLATED"))
    agrees("symbol_config", await client.futures_symbol_config(symbol="AVAXUSDT"))
    agrees("fee_burn", await client.futures_v1_get_fee_burn())
