"""tools.observer with another maker venue: the real bot quotes on Hyperliquid and hedges on Binance (simnet's
quiet scenario, a 30 bps Hyperliquid book); the test makes two takes through the bot's quotes as a background
taker would, and every figure comes from Hyperliquid (quotes, fills, funding, placements) and Binance."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.helpers import wait_until
from tools.observer import report
from tools.observer.options import RunOptions
from tools.observer.run import observe
from tools.simnet.hyperliquid.flow import Taker

pytestmark = pytest.mark.slow           # started first by tests/conftest.py

FAST = ["orderFrequency=1", "orderExpiry=2", "orderFillCooldown=0"]
COIN = "AVAX"


def take(net, user: str, buy: bool, size: Decimal) -> bool:
    """A background taker of exactly ``size`` into the bot's quotes, if they hold that much ahead of the
    synthetic touch right now (checked and taken in one turn of simnet's loop); False if they do not."""
    async def go() -> bool:
        venue = net.venues["hyperliquid"]
        book, account = venue.engine.books[COIN], venue.engine.accounts[user.lower()]
        touch = book.best_ask() if buy else book.best_bid()
        ahead = sum((o.sz for o in account.orders.values() if o.asset.coin == COIN and o.is_buy != buy
                     and (o.limit_px < touch if buy else o.limit_px > touch)), Decimal(0))
        if ahead < size:
            return False
        usd = (size + Decimal("0.001")) * book.mid()                # the flow floors usd / mid to the size grid
        return venue.flow.execute(Taker(COIN, buy, usd, False)) == size
    return net.call(go)


def binance_position(net, accounts) -> Decimal:
    """The bot's AVAXUSDT position at Binance, read in simnet's loop."""
    async def read() -> Decimal:
        account = net.venues["binance"].accounts.get(accounts.binance_api_key)
        positions = account.positions.values() if account else ()
        return sum((p.amount for p in positions if p.symbol == "AVAXUSDT"), Decimal(0))
    return net.call(read)


def take_both_sides(net, accounts) -> None:
    """Sell 3 into the bot's bids, then, once Binance holds that fill's hedge, buy 5 from its asks (each against
    the bot's quotes alone; a second take before the first hedge would be netted with it)."""
    user = accounts.hyperliquid_user
    wait_until(lambda: take(net, user, False, Decimal(3)), 20, "3 AVAX of bids ahead of the touch, taken")
    wait_until(lambda: binance_position(net, accounts) == -3, 20, "the first fill hedged on Binance")
    wait_until(lambda: take(net, user, True, Decimal(5)), 20, "5 AVAX of asks ahead of the touch, taken")


def test_an_observed_run_quoting_on_hyperliquid_and_hedging_on_binance_is_judged_at_those_venues(tmp_path):
    options = RunOptions(scenario="quiet", seed=3, seconds=16, maker="hyperliquid", hedge="binance",
                         bot_settings=FAST,
                         sim_settings=["hyperliquid.spread_bps=30", "hyperliquid.funding_interval_s=4"],
                         bot_log=tmp_path / "quiet.bot.log")
    r = observe(options, during=take_both_sides)

    assert r["bot_exit_code"] == 0, r["bot_output_tail"]
    assert (r["pair"], r["maker"], r["hedge"]) == ("hyperliquid->binance", "hyperliquid", "binance")
    q = r["quotes"]
    assert q["samples"] > 5 and 0 < q["first_quote_after_s"] < 12 and q["two_sided_uptime"] > 0.5

    maker, hedge = r["fills"]["maker"], r["fills"]["hedge"]
    assert maker["count"] >= 2 and maker["base"] == 8 and 8 * 30 < maker["usd"] < 8 * 40
    assert hedge["base"] == 8 and r["hedge_coverage"] == r["hedge_volume_ratio"] == 1.0

    d = r["net_delta"]
    assert d["source"] == "fills" and d["seconds_at_least_a_lot"] < 1 and d["longest_at_least_a_lot_s"] < 0.5
    assert d["final_base"] == 0 and d["final_positions"] == {"maker": -2.0, "hedge": 2.0}
    assert d["hedge_lot"] == 1 and d["final_within_a_lot"] and d["samples_at_least_a_lot"] <= 1
    assert 0 <= d["time_weighted_abs_base"] <= d["max_abs_base"] <= 5

    p = r["pnl"]
    assert abs(p["spread_usd"] + p["hedge_slippage_usd"] + p["fees_usd"] + p["rest_usd"] - p["total_usd"]) < 1e-3
    assert p["spread_usd"] > 0 and p["fees_detail"]["maker_fee_rate"] == 0.00015      # simnet's 1.5 bps maker fee
    assert p["fees_detail"]["hedge_paid_usd"] > 0
    assert p["rest_detail"]["funding_maker_usd"] != 0                       # Hyperliquid's userFunding, every 4 s

    x = r["hedge_at_placement"]
    assert x["checked"] == maker["count"] and x["taker_fee_rate"] == 0.0005 and len(x["losing_fills"]) == x["losing"]
    assert r["liquidations"] == {"hyperliquid": {"count": 0, "list": []}, "binance": {"count": 0, "list": []}}
    assert 2 <= r["max_maker_position"] <= 5 and 2 <= r["max_hedge_position"] <= 5
    assert set(r["min_liquidation_distance_pct"]) >= {"hyperliquid", "binance"}

    table = report.write([r], tmp_path).read_text()
    assert table.splitlines()[2].startswith("| quiet | hyperliquid -> binance |")
    assert json.loads((tmp_path / "quiet.json").read_text())["fills"] == r["fills"]
    assert "first quotes sent" in (tmp_path / "quiet.bot.log").read_text()      # kept for reading, not judged
