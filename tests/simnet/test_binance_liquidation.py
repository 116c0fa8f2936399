"""USDⓈ-M liquidation: maintenance margin from the leverage brackets, liquidationPrice in positionRisk, the
liquidation itself (forced order, user-data pushes, forceOrders, userTrades, the ``liquidations`` action),
MARGIN_CALL, and the settable inputs. Sources: tools/simnet/binance/liquidation.py, maintenance.py, brackets.py."""
import asyncio
import json
from decimal import Decimal
from typing import Any, Iterator

import pytest
import websockets
from binance.exceptions import BinanceAPIException

from tests.simnet.binance_helpers import client, create_client, sim  # noqa: F401
from tools.simnet.core import SimConfig, SimNet

TICK = {"ETHUSDT": Decimal("0.01"), "SOLUSDT": Decimal("0.01"), "AVAXUSDT": Decimal("0.001")}
FORCE_ORDER_KEYS = {"orderId", "symbol", "status", "clientOrderId", "price", "avgPrice", "origQty", "executedQty",
                    "cumQuote", "timeInForce", "type", "reduceOnly", "closePosition", "side", "positionSide",
                    "stopPrice", "workingType", "origType", "time", "updateTime"}     # the docs example's keys
EVENTS = "ORDER_TRADE_UPDATE/ACCOUNT_UPDATE/MARGIN_CALL"


def small_net(margin: float = 1000.0, **options: Any) -> SimNet:
    """A stepped simulator whose account starts with `margin` USDT, so a modest position can be liquidated."""
    config = SimConfig(seed=7, venues=("binance",), autotick=False, scenario="quiet", initial_margin=margin)
    config.options("binance").update(options)
    net = SimNet(config)
    net.start()
    return net


@pytest.fixture
def small() -> Iterator[SimNet]:
    net = small_net()
    yield net
    net.stop()


def private(net: SimNet, key: str) -> str:
    return net.ready["binance_futures_ws"] + f"private/ws?listenKey={key}&events={EVENTS}"


async def recv(ws, timeout: float = 2.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def until(ws, want, timeout: float = 3.0) -> list[dict]:
    """Every push up to and including the first `want` accepts."""
    seen = []
    while not seen or not want(seen[-1]):
        seen.append(await recv(ws, timeout))
    return seen


async def position(c, symbol: str) -> dict:
    rows = await c.futures_position_information(symbol=symbol)
    return rows[0] if rows else {}


def liquidations(net: SimNet) -> list[dict]:
    return net.control("binance", "liquidations")["liquidations"]


async def open_position(net: SimNet, symbol: str, side: str, qty: str, leverage: int):
    c = await create_client(net.ready)
    await c.futures_change_leverage(symbol=symbol, leverage=leverage)
    await c.futures_create_order(symbol=symbol, side=side, type="MARKET", quantity=qty)
    return c


@pytest.mark.parametrize("symbol, side, qty, leverage", [("ETHUSDT", "BUY", "10", 50), ("SOLUSDT", "SELL", "150", 50),
                                                         ("AVAXUSDT", "BUY", "700", 40)])
async def test_liquidation_price_is_where_the_venue_liquidates(small, symbol, side, qty, leverage):
    c = await open_position(small, symbol, side, qty, leverage)
    try:
        row = await position(c, symbol)
        price = Decimal(row["liquidationPrice"])
        v2 = await c._request_futures_api("get", "positionRisk", True, version=2, data={"symbol": symbol})
        assert v2[0]["liquidationPrice"] == row["liquidationPrice"] and price > 0
        long = side == "BUY"
        safe, past = (price + TICK[symbol], price - TICK[symbol]) if long else (price - TICK[symbol],
                                                                                 price + TICK[symbol])
        small.control("binance", "set_mark", symbol=symbol, price=str(safe))
        small.control("net", "step", count=2)
        assert liquidations(small) == [] and (await position(c, symbol))["positionAmt"] == row["positionAmt"]
        small.control("binance", "set_mark", symbol=symbol, price=str(past))
        done = liquidations(small)
        assert [(d["market"], d["size"]) for d in done] == [(symbol, -float(qty) if long else float(qty))]
        assert await position(c, symbol) == {}                       # v3 lists only open positions
    finally:
        await c.close_connection()


async def test_maintenance_margin_follows_the_served_brackets(small):
    c = await open_position(small, "ETHUSDT", "BUY", "10", 50)
    try:
        small.control("binance", "set_mark", symbol="ETHUSDT", price="2990")
        row = await position(c, "ETHUSDT")
        ladder = (await c.futures_leverage_bracket(symbol="ETHUSDT"))["brackets"]
        notional = Decimal("29900")
        bracket = next(b for b in ladder if notional <= b["notionalCap"])
        expected = notional * Decimal(str(bracket["maintMarginRatio"])) - Decimal(str(bracket["cum"]))
        assert Decimal(row["maintMargin"]) == expected == Decimal("119.6")
        account = await c.futures_account()
        assert Decimal(account["totalMaintMargin"]) == expected
        # the documented formula (one position, one-way): (WB + cum - size x entry) / (size x MMR - size)
        wallet, entry = Decimal(account["totalWalletBalance"]), Decimal(row["entryPrice"])
        cum, rate = Decimal(str(bracket["cum"])), Decimal(str(bracket["maintMarginRatio"]))
        lp = (wallet + cum - 10 * entry) / (10 * rate - 10)
        assert abs(Decimal(row["liquidationPrice"]) - lp) < Decimal("1e-8")
    finally:
        await c.close_connection()


async def test_brackets_per_symbol_and_the_leverage_they_allow(client):
    everything = await client.futures_leverage_bracket()
    first = {row["symbol"]: row["brackets"][0]["initialLeverage"] for row in everything}
    assert first == {"ETHUSDT": 125, "SOLUSDT": 100, "AVAXUSDT": 75}
    for row in everything:                                       # cum by the FAQ's rule, floors chained
        ladder = row["brackets"]
        for previous, bracket in zip(ladder, ladder[1:]):
            assert bracket["notionalFloor"] == previous["notionalCap"]
            cum = Decimal(bracket["notionalFloor"]) * (Decimal(str(bracket["maintMarginRatio"]))
                                                       - Decimal(str(previous["maintMarginRatio"])))
            assert Decimal(str(bracket["cum"])) == cum + Decimal(str(previous["cum"]))
    with pytest.raises(BinanceAPIException) as err:
        await client.futures_change_leverage(symbol="AVAXUSDT", leverage=76)
    assert err.value.code == -4028
    assert (await client.futures_change_leverage(symbol="AVAXUSDT", leverage=75))["maxNotionalValue"] == "5000"


async def test_a_well_funded_account_is_far_from_liquidation(sim, client):
    await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    assert (await position(client, "ETHUSDT"))["liquidationPrice"] == "0"     # none above 0 at 10000 USDT
    sim.control("binance", "set_mark", symbol="ETHUSDT", price="1")
    sim.control("net", "step", count=3)
    assert liquidations(sim) == [] and (await position(client, "ETHUSDT"))["positionAmt"] == "1.000"


async def test_above_maintenance_no_liquidation_but_a_margin_call(small):
    c = await open_position(small, "ETHUSDT", "BUY", "10", 50)
    try:
        key = await c.futures_stream_get_listen_key()
        price = Decimal((await position(c, "ETHUSDT"))["liquidationPrice"])
        async with websockets.connect(private(small, key)) as ws:
            small.control("binance", "set_mark", symbol="ETHUSDT", price=str(price + 2))   # ratio ~0.9
            call = await recv(ws)
            small.control("net", "step", count=3)
            small.control("binance", "set_mark", symbol="ETHUSDT", price=str(price + 1))
            small.control("binance", "fund_now", symbol="ETHUSDT", rate=0.00001)
            assert (await recv(ws))["a"]["m"] == "FUNDING_FEE"               # no second MARGIN_CALL came first
        assert call["e"] == "MARGIN_CALL" and call["p"][0]["s"] == "ETHUSDT"
        assert (call["p"][0]["pa"], call["p"][0]["mt"], call["p"][0]["ps"]) == ("10.000", "CROSSED", "BOTH")
        assert Decimal(call["p"][0]["mm"]) > 0 and Decimal(call["cw"]) > 0
        assert liquidations(small) == []
    finally:
        await c.close_connection()


async def test_a_liquidation_as_the_account_sees_it(small):
    c = await open_position(small, "ETHUSDT", "BUY", "10", 50)
    try:
        await c.futures_create_order(symbol="ETHUSDT", side="SELL", type="LIMIT", timeInForce="GTC", price="3100",
                                     quantity="1", newClientOrderId="resting")
        key = await c.futures_stream_get_listen_key()
        price = Decimal((await position(c, "ETHUSDT"))["liquidationPrice"])
        async with websockets.connect(private(small, key)) as ws:
            small.control("binance", "set_mark", symbol="ETHUSDT", price=str(price - 5))
            pushes = await until(ws, lambda e: e["e"] == "ACCOUNT_UPDATE" and e["a"]["m"] == "INSURANCE_CLEAR")
        kinds = [(e["e"], e.get("o", {}).get("x") or e.get("a", {}).get("m")) for e in pushes]
        assert kinds == [("MARGIN_CALL", None), ("ORDER_TRADE_UPDATE", "EXPIRED"), ("ORDER_TRADE_UPDATE", "NEW"),
                         ("ACCOUNT_UPDATE", "ORDER"), ("ORDER_TRADE_UPDATE", "CALCULATED"),
                         ("ACCOUNT_UPDATE", "INSURANCE_CLEAR")]
        expired, new, update, fill, clear = (e.get("o", e.get("a")) for e in pushes[1:])
        assert (expired["c"], expired["X"], expired["er"]) == ("resting", "EXPIRED", "5")
        assert new["c"].startswith("autoclose-") and (new["o"], new["ot"], new["f"], new["X"]) == \
            ("LIQUIDATION", "LIQUIDATION", "IOC", "NEW")
        assert (fill["c"], fill["X"], fill["S"], fill["z"], fill["n"]) == (new["c"], "FILLED", "SELL", "10.000", "0")
        assert update["P"][0]["pa"] == "0.000" and Decimal(clear["B"][0]["bc"]) < 0

        forced = await c.futures_liquidation_orders(symbol="ETHUSDT")
        assert len(forced) == 1 and set(forced[0]) == FORCE_ORDER_KEYS
        row = forced[0]
        assert (row["clientOrderId"], row["status"], row["type"], row["origType"], row["timeInForce"]) == \
            (new["c"], "FILLED", "LIMIT", "LIMIT", "IOC")
        assert row["executedQty"] == "10.000" and Decimal(row["avgPrice"]) >= Decimal(row["price"])
        assert await c.futures_liquidation_orders(autoCloseType="ADL") == []
        trades = await c.futures_account_trades(symbol="ETHUSDT", orderId=row["orderId"])
        assert [(t["side"], t["qty"], t["price"]) for t in trades] == [("SELL", "10.000", fill["L"])]
        assert await position(c, "ETHUSDT") == {} and await c.futures_get_open_orders() == []
        account = await c.futures_account()
        assert Decimal(account["totalWalletBalance"]) >= 0 and Decimal(account["totalMaintMargin"]) == 0
        kinds = {r["incomeType"] for r in await c.futures_income_history(symbol="ETHUSDT")}
        assert {"REALIZED_PNL", "INSURANCE_CLEAR"} <= kinds
        [done] = liquidations(small)
        assert done["account"] == small.ready["binance_api_key"] and done["size"] == -10.0
        assert done["price"] == float(fill["L"]) and done["time"] == fill["T"] / 1000
    finally:
        await c.close_connection()


async def test_a_path_move_liquidates_on_the_next_step_and_prints_a_force_order(small):
    c = await open_position(small, "SOLUSDT", "SELL", "150", 50)
    try:
        url = small.ready["binance_futures_ws"] + "market/ws/solusdt@forceOrder"
        async with websockets.connect(url) as ws:
            small.control("net", "shock", symbol="SOL", relative=0.05)
            small.control("net", "step")
            event = await recv(ws)
        assert event["e"] == "forceOrder"
        forced = event["o"]
        assert (forced["s"], forced["S"], forced["X"], forced["z"]) == ("SOLUSDT", "BUY", "FILLED", "150")
        [done] = liquidations(small)
        assert done["size"] == 150.0 and await position(c, "SOLUSDT") == {}
    finally:
        await c.close_connection()


async def test_the_maintenance_inputs_are_options():
    net = small_net(leverage_brackets={"ETHUSDT": [[100_000, 20, "0.01"], [1_000_000, 10, "0.02"]]},
                    liquidation_fee=0.02)
    try:
        c = await open_position(net, "ETHUSDT", "BUY", "5", 20)
        try:
            ladder = (await c.futures_leverage_bracket(symbol="ETHUSDT"))["brackets"]
            assert [(b["maintMarginRatio"], b["cum"]) for b in ladder] == [(0.01, 0.0), (0.02, 1000.0)]
            net.control("binance", "set_mark", symbol="ETHUSDT", price="3000")
            assert Decimal((await position(c, "ETHUSDT"))["maintMargin"]) == Decimal("150")
            info = await c.futures_exchange_info()
            assert {s["liquidationFee"] for s in info["symbols"]} == {"0.020000"}
        finally:
            await c.close_connection()
    finally:
        net.stop()


async def test_hedge_mode_legs_share_the_liquidation_price_and_both_close():
    net = small_net(position_mode="hedge")
    try:
        c = await create_client(net.ready)
        try:
            await c.futures_change_leverage(symbol="ETHUSDT", leverage=50)
            await c.futures_create_order(symbol="ETHUSDT", side="BUY", positionSide="LONG", type="MARKET",
                                         quantity="10")
            await c.futures_create_order(symbol="ETHUSDT", side="SELL", positionSide="SHORT", type="MARKET",
                                         quantity="2")
            rows = await c.futures_position_information(symbol="ETHUSDT")
            assert {r["positionSide"] for r in rows} == {"LONG", "SHORT"}
            prices = {r["liquidationPrice"] for r in rows}           # "both long and short ... share" (FAQ)
            assert len(prices) == 1
            price = Decimal(prices.pop())
            net.control("binance", "set_mark", symbol="ETHUSDT", price=str(price + TICK["ETHUSDT"]))
            assert liquidations(net) == []
            net.control("binance", "set_mark", symbol="ETHUSDT", price=str(price - TICK["ETHUSDT"]))
            done = liquidations(net)
            assert sorted(d["size"] for d in done) == [-10.0, 2.0]
            assert all(d["price"] <= float(price) for d in done)    # both legs at the mark, not past it
            assert await c.futures_position_information(symbol="ETHUSDT") == []
            assert {o["positionSide"] for o in await c.futures_liquidation_orders()} == {"LONG", "SHORT"}
        finally:
            await c.close_connection()
    finally:
        net.stop()
