"""BNB fee deduction on USDⓈ-M futures (tools/simnet/binance/bnb.py): GET/POST /fapi/v1/feeBurn, commissions
charged in BNB at 90 % while the futures wallet's BNB covers them, the BNBUSDT price they are converted at."""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import websockets

from tests.simnet.binance_helpers import client, create_client, recv_stepping, sim, start_net  # noqa: F401

TAKER = Decimal("0.0005")          # simnet's default taker rate (taker_fee_bps 5)


async def recv(ws, timeout: float = 2.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def fill_events(net, c, **order) -> tuple[dict, dict]:
    """The TRADE ORDER_TRADE_UPDATE and the fill's ACCOUNT_UPDATE of one MARKET order."""
    key = await c.futures_stream_get_listen_key()
    url = net.ready["binance_futures_ws"] + f"private/ws?listenKey={key}&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE"
    async with websockets.connect(url) as ws:
        await c.futures_create_order(type="MARKET", **order)
        trade = update = None
        while trade is None or update is None:
            event = await recv(ws)
            if event["e"] == "ACCOUNT_UPDATE":
                update = event
            elif event["o"]["x"] == "TRADE":
                trade = event["o"]
    return trade, update


def bnb_balance(account: dict) -> Decimal:
    return next(Decimal(a["walletBalance"]) for a in account["assets"] if a["asset"] == "BNB")


async def test_fee_burn_can_be_read_and_toggled(sim, client):
    assert await client.futures_v1_get_fee_burn() == {"feeBurn": False}
    assert await client.futures_v1_post_fee_burn(feeBurn="true") == {"code": 200, "msg": "success"}
    assert await client.futures_v1_get_fee_burn() == {"feeBurn": True}
    assert (await client.futures_account())["feeBurn"] is True
    used = int(client.response.headers["X-MBX-USED-WEIGHT-1M"])
    await client.futures_v1_get_fee_burn()
    assert int(client.response.headers["X-MBX-USED-WEIGHT-1M"]) - used == 30       # the docs' weight


async def test_with_fee_burn_on_the_commission_is_bnb_at_ninety_percent():
    net = start_net(fee_burn=True, bnb_balance=1, bnb_price=500)
    try:
        c = await create_client(net.ready)
        trade, update = await fill_events(net, c, symbol="ETHUSDT", side="BUY", quantity="1",
                                           newClientOrderId="burn-1")
        notional = Decimal(trade["L"]) * Decimal(trade["l"])
        expected = (notional * TAKER * Decimal("0.9") / 500).quantize(Decimal("1e-8"))
        assert (trade["N"], Decimal(trade["n"])) == ("BNB", expected)
        balances = {b["a"]: b for b in update["a"]["B"]}
        assert Decimal(balances["BNB"]["wb"]) == 1 - expected
        account = await c.futures_account()
        assert bnb_balance(account) == 1 - expected
        assert Decimal(account["totalWalletBalance"]) == Decimal(net.config.initial_margin)   # no USDT commission
        [row] = await c.futures_account_trades(symbol="ETHUSDT")
        assert (row["commissionAsset"], Decimal(row["commission"])) == ("BNB", expected)
        [income] = await c.futures_income_history(incomeType="COMMISSION")
        assert (income["asset"], Decimal(income["income"])) == ("BNB", -expected)
        await c.close_connection()
    finally:
        net.stop()


async def test_without_enough_bnb_the_commission_is_usdt_at_the_full_rate():
    net = start_net(fee_burn=True, bnb_balance="0.00000001", bnb_price=500)
    try:
        c = await create_client(net.ready)
        trade, update = await fill_events(net, c, symbol="ETHUSDT", side="BUY", quantity="1")
        notional = Decimal(trade["L"]) * Decimal(trade["l"])
        assert (trade["N"], Decimal(trade["n"])) == ("USDT", notional * TAKER)
        assert [b["a"] for b in update["a"]["B"]] == ["USDT"]
        assert bnb_balance(await c.futures_account()) == Decimal("0.00000001")
        await c.close_connection()
    finally:
        net.stop()


async def test_bnbusdt_has_a_mark_price_on_rest_and_on_the_market_route(sim, client):
    assert (await client.futures_mark_price(symbol="BNBUSDT"))["markPrice"] == "600.00000000"
    assert sim.control("binance", "set_bnb_price", price=612.5) == {"BNBUSDT": "612.5"}
    assert (await client.futures_symbol_ticker(symbol="BNBUSDT"))["price"] == "612.50"
    assert "BNBUSDT" in {row["symbol"] for row in await client.futures_mark_price()}
    url = sim.ready["binance_futures_ws"] + "market/ws/bnbusdt@markPrice@1s"
    async with websockets.connect(url) as ws:
        event = json.loads(await recv_stepping(sim, ws, timeout=10))
    assert (event["e"], event["s"], event["p"]) == ("markPriceUpdate", "BNBUSDT", "612.50000000")
