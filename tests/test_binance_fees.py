"""Issue 17, item 10: with BNB fee deduction on, Binance charges commissions in BNB; the bot books them in USD.

The engine tests judge the bot's booked hedge fees against the venue's own account: the BNB the futures
wallet lost, at the BNBUSDT price simnet charged at. A commission booked in BNB as if it were USD is ~600x
too small; one booked at the full rate when BNB paid 90 % is 11 % too large.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request
from decimal import Decimal as D

import pytest

from bot.venues.binance.fees import FeeAssets
from tests.engine_harness import control, quoting, running_engine, start_net, venues_reach
from tests.helpers import eventually

BNB_PRICE = D("600")
RATE = D("0.0005")


def venue_bnb(ready: dict) -> D:
    """The futures wallet's BNB as the venue reports it (GET /fapi/v2/account, signed)."""
    query = urllib.parse.urlencode({"timestamp": int(time.time() * 1000)})
    signature = hmac.new(ready["binance_api_secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
    url = f"{ready['binance_futures_rest'].rstrip('/')}/fapi/v2/account?{query}&signature={signature}"
    request = urllib.request.Request(url, headers={"X-MBX-APIKEY": ready["binance_api_key"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        account = json.loads(response.read())
    return next(D(a["walletBalance"]) for a in account["assets"] if a["asset"] == "BNB")


@pytest.fixture
def burning():
    net, ready = start_net(binance={"fee_burn": True, "bnb_balance": 1, "bnb_price": float(BNB_PRICE)})
    try:
        yield net, ready
    finally:
        net.stop()


@pytest.mark.parametrize("path", ["stream", "rest"])
async def test_bnb_paid_hedge_fees_are_booked_in_usd_at_the_bnb_price(burning, path):
    net, ready = burning
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(client.position_stream_up.is_set, 10, "the user stream up")
        if path == "rest":          # no ORDER_TRADE_UPDATE: the fee comes from the rate
            await control(net, "binance", "lose_user_events", count=50, event="ORDER_TRADE_UPDATE")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        await eventually(run.hedged, 10, "the hedge booked")
        paid_usd = (1 - await asyncio.to_thread(venue_bnb, ready)) * BNB_PRICE
        booked = run.engine.ledger.hedge.fees
        assert paid_usd > 0
        if path == "stream":
            assert client.user_stream.order_events > 0
            assert booked == paid_usd                                   # n BNB x the BNBUSDT mark, exactly
        else:
            assert abs(booked - paid_usd) < D("0.00001")               # notional x rate x 0.9 (BNB rounding)


async def test_without_fee_burn_fees_stay_usdt_at_the_full_rate(sim):
    net, ready = sim
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        await eventually(run.hedged, 10, "the hedge booked")
        ledger = run.engine.ledger.hedge
        notional = abs(ledger.cash)
        assert ledger.fees == notional * RATE                           # the venue's taker rate, in USDT
        assert run.engine.hedge.fee_assets.fee_burn is False


def test_a_commission_in_an_asset_without_a_price_is_valued_at_the_rate_and_logged_once(caplog):
    fees = FeeAssets()
    caplog.set_level(logging.WARNING)
    assert fees.usd("USDT", D("0.05"), D("100"), RATE) == D("0.05")
    assert fees.usd("BNB", D("0.0001"), D("100"), RATE) == D("100") * RATE * D("0.9")     # price unknown
    assert fees.usd("BNB", D("0.0001"), D("100"), RATE) == D("100") * RATE * D("0.9")
    assert len([r for r in caplog.records if "price is unknown" in r.getMessage()]) == 1
    fees.set_price("BNB", D("612.5"))
    assert fees.usd("BNB", D("0.0001"), D("100"), RATE) == D("0.06125")


def test_the_rate_fee_has_the_bnb_discount_only_when_the_bnb_covers_it():
    fees = FeeAssets()
    assert fees.rate_fee(D("100"), RATE) == D("0.05")                  # fee burn unknown: full rate
    fees.fee_burn, fees.bnb_balance = True, D("1")
    assert fees.rate_fee(D("100"), RATE) == D("0.045")
    fees.set_price("BNB", D("600"))
    fees.bnb_balance = D("0.00005")                                     # 0.03 USD of BNB for a 0.045 fee
    assert fees.rate_fee(D("100"), RATE) == D("0.05")
    fees.fee_burn = False
    fees.bnb_balance = D("1")
    assert fees.rate_fee(D("100"), RATE) == D("0.05")
