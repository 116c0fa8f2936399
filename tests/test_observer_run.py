"""tools.observer end to end: the real bot in live mode against simnet's quiet scenario, two takes made by
the test, every figure of the report present and sane."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.helpers import wait_until
from tools.observer import report
from tools.observer.options import RunOptions
from tools.observer.run import observe

pytestmark = pytest.mark.slow           # started first by tests/conftest.py

FAST = ["orderFrequency=1", "orderExpiry=2", "orderFillCooldown=0", "hubblePositionPollInterval=0.5",
        "position_data_expiry=3", "hubble_orderbook_frequency=200ms"]


def take_both_sides(net, accounts) -> None:
    """Sell 3 into the bot's best bid, then buy 5 through its asks (level 1 whole, level 2 in part)."""
    def resting(side: str) -> bool:
        sizes = [Decimal(o["size"]) for o in net.control("hubble", "orders", trader=accounts.hubble_trader)["orders"]]
        return any(s > 0 for s in sizes) if side == "bid" else any(s < 0 for s in sizes)

    wait_until(lambda: resting("bid") and resting("ask"), 20, "quotes on both sides")
    net.control("hubble", "take", market=1, side="sell", size=3, wait="accepted")
    wait_until(lambda: resting("ask"), 20, "asks again")
    net.control("hubble", "take", market=1, side="buy", size=5, wait="accepted")


def test_a_short_observed_run_reports_every_figure_from_the_venues(tmp_path):
    options = RunOptions(scenario="quiet", seed=3, seconds=18, bot_settings=FAST,   # funding every 4 s on both
                         sim_settings=["hubble.funding_period_s=4", "hyperliquid.funding_interval_s=4"])
    r = observe(options, during=take_both_sides)

    assert r["bot_exit_code"] == 0, r["bot_output_tail"]
    q = r["quotes"]
    assert q["samples"] > 5 and 0 < q["first_quote_after_s"] < 15
    assert 0 <= q["two_sided_uptime"] <= q["any_side_uptime"] <= 1

    assert (r["pair"], r["maker"], r["hedge"]) == ("hubble->hyperliquid", "hubble", "hyperliquid")
    hubble, hedge = r["fills"]["maker"], r["fills"]["hedge"]
    assert hubble["count"] >= 3 and hubble["base"] == 8 and 8 * 30 < hubble["usd"] < 8 * 40
    assert hedge["base"] == 8 and r["hedge_coverage"] == r["hedge_volume_ratio"] == 1.0   # no overshoot

    d = r["net_delta"]
    assert d["final_base"] == 0 and d["final_positions"] == {"maker": -2.0, "hedge": 2.0} and d["final_within_a_lot"]
    assert 0 <= d["time_weighted_abs_base"] <= d["max_abs_base"] <= 5
    assert d["time_weighted_abs_usd"] >= 0 and d["final_abs_usd"] == 0

    p = r["pnl"]
    parts = p["spread_usd"] + p["hedge_slippage_usd"] + p["fees_usd"] + p["rest_usd"]
    assert abs(parts - p["total_usd"]) < 1e-3
    assert p["rest_usd"] == round(p["rest_detail"]["inventory_usd"] + p["rest_detail"]["funding_usd"], 4)
    assert p["spread_usd"] > 0 and p["hedge_slippage_usd"] <= 0                # quotes are away from the mid
    assert p["fees_usd"] == -round(p["fees_detail"]["maker_paid_usd"] + p["fees_detail"]["hedge_paid_usd"], 4)
    assert p["fees_detail"]["hedge_paid_usd"] > 0
    assert p["rest_detail"]["funding_maker_usd"] != 0 and p["rest_detail"]["funding_hedge_usd"] != 0
    assert abs(p["per_million_traded_usd"] - p["total_usd"] / hubble["usd"] * 1e6) < 1

    x = r["hedge_at_placement"]
    assert x["checked"] == hubble["count"] and 0 <= x["losing"] <= x["checked"] == len(r["detail"]["maker_fills"])
    assert x["taker_fee_rate"] > 0 and len(x["losing_fills"]) == x["losing"]

    assert r["max_drawdown_usd"] >= 0 and 2 <= r["max_maker_position"] <= 5 and 2 <= r["max_hedge_position"] <= 5
    assert all(v is None or v == {"count": 0, "list": []} for v in r["liquidations"].values())   # None: no action
    assert set(r["min_liquidation_distance_pct"]) >= {"hubble", "hyperliquid"}
    assert r["trading_state_seconds"] is None or set(r["trading_state_seconds"]) <= {"ACTIVE", "REDUCING", "HALTED"}
    assert r["bot_metrics_scrapes"]["answered"] > 5                 # the bot served its metrics on the given port

    table = report.write([r], tmp_path).read_text()
    assert table.splitlines()[2].startswith("| quiet | hubble -> hyperliquid |")
    assert json.loads((tmp_path / "quiet.json").read_text())["pnl"] == p
