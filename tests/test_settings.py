"""config.py validation: every rule, overrides, and the shipped defaults."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

import config
from bot import settings
from bot.settings import ConfigError


def market_dict(market: str = "AVAX") -> dict:
    return copy.deepcopy(config.MARKETS[market])


def error_for(market: str, raw: dict) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings.validate(market, raw)
    return info.value


@pytest.mark.parametrize("market", sorted(config.MARKETS))
def test_shipped_defaults_are_valid(market):
    s = settings.load(market)
    assert s.market == market
    assert s.levels and all(level.qty % s.spec.min_size == 0 for level in s.levels)


def test_values_become_exact_decimals():
    s = settings.load("ETH")
    assert s.levels[0].spread_pct == Decimal("0.08")
    assert s.levels[0].qty == Decimal("0.08")
    assert s.slippage == Decimal("0.01")


@pytest.mark.parametrize("key, value, rule", [
    ("marginShare", 0, "(0, 1]"),
    ("marginShare", 1.5, "(0, 1]"),
    ("marginShare", "half", "must be a number"),
    ("leverage", 2.5, "whole number"),
    ("leverage", 0, "must be 1..10 on hyperliquid"),
    ("leverage", 11, "must be 1..10 on hyperliquid"),
    ("orderFrequency", 0, "(0, 86400] seconds"),
    ("orderFrequency", -1, "(0, 86400] seconds"),
    ("orderExpiry", True, "must be a number"),
    ("defensiveSkew", -0.1, "[0, 10] %"),
    ("priceFeed", "kraken", "binance-futures, binance-spot"),
    ("avoidCrossing", "yes", "True or False"),
    ("hedge", "bybit", "hyperliquid, binance"),
    ("hedgeMode", 1, "True or False"),
    ("slippage", 0, "(0, 0.1]"),
    ("slippage", 0.5, "(0, 0.1]"),
    ("orderFillCooldown", -1, "[0, 86400] seconds"),
    ("hubble_orderbook_frequency", "fast", "duration"),
    ("hubble_orderbook_frequency", "10ms", "between 20ms and 60s"),
    ("performance_tracking_interval", 0, "(0, 86400] seconds"),
    ("alertPauseAfter", -1, "[0, 86400] seconds"),
    ("alertPauseAfter", "5m", "must be a number"),
    ("metricsPort", 80, "0 (off) or a port in [1024, 65535]"),
    ("metricsPort", 70000, "0 (off) or a port in [1024, 65535]"),
    ("metricsPort", 9100.5, "whole number"),
    ("name", "ETH-Perp", "must be 'AVAX-Perp' for market AVAX"),
    ("name", 5, "must be text"),
])
def test_each_value_rule_names_market_key_value_and_rule(key, value, rule):
    raw = market_dict()
    raw[key] = value
    err = error_for("AVAX", raw)
    assert (err.market, err.key) == ("AVAX", key)
    text = str(err)
    assert text.startswith(f"config error: AVAX.{key} = {value!r}: ")
    assert rule in text
    assert "\n" not in text


def test_alerts_and_metrics_settings_accept_zero_as_off_and_a_port():
    raw = market_dict()
    raw.update(alertPauseAfter=0, metricsPort=0)
    s = settings.validate("AVAX", raw)
    assert (s.alert_pause_after, s.metrics_port) == (0, 0)
    raw.update(alertPauseAfter=90, metricsPort=9101)
    s = settings.validate("AVAX", raw)
    assert (s.alert_pause_after, s.metrics_port) == (90, 9101)


def test_zero_cooldown_is_allowed():
    raw = market_dict()
    raw["orderFillCooldown"] = 0
    assert settings.validate("AVAX", raw).order_fill_cooldown == 0


@pytest.mark.parametrize("key, value, other", [
    ("mid_price_expiry", 1, "futures_feed_frequency"),
    ("position_data_expiry", 5, "hubblePositionPollInterval"),
    ("orderExpiry", 1, "orderFrequency"),
])
def test_cross_field_rules(key, value, other):
    raw = market_dict()
    raw[key] = value
    err = error_for("AVAX", raw)
    assert err.key == key and other in str(err)


def test_leverage_ceiling_depends_on_hedge_venue():
    raw = market_dict("ETH")
    raw["leverage"] = 50
    assert "1..25 on hyperliquid" in str(error_for("ETH", raw))
    raw["hedge"] = "binance"
    assert settings.validate("ETH", raw).leverage == 50


def test_unknown_key_is_an_error_not_ignored():
    raw = market_dict()
    raw["orderFrequncy"] = 3
    err = error_for("AVAX", raw)
    assert err.key == "orderFrequncy" and "unknown setting" in str(err)


def test_missing_key_is_an_error():
    raw = market_dict()
    del raw["slippage"]
    assert error_for("AVAX", raw).key == "slippage"


@pytest.mark.parametrize("levels, key, rule", [
    ({}, "orderLevels", "non-empty"),
    ({"1": {"spread": 0.1, "qty": 1, "refreshTolerance": 0}, "3": {"spread": 0.2, "qty": 1, "refreshTolerance": 0}},
     "orderLevels", "no gaps"),
    ({"1": {"spread": -0.1, "qty": 1, "refreshTolerance": 0}}, "orderLevels.1.spread", "(0, 10] %"),
    ({"1": {"spread": 0, "qty": 1, "refreshTolerance": 0}}, "orderLevels.1.spread", "(0, 10] %"),
    ({"1": {"spread": 0.1, "qty": 2.5, "refreshTolerance": 0}}, "orderLevels.1.qty", "multiple of AVAX-Perp's minimum size 1"),
    ({"1": {"spread": 0.1, "qty": 0, "refreshTolerance": 0}}, "orderLevels.1.qty", "(0, None]"),
    ({"1": {"spread": 0.1, "qty": 1, "refreshTolerance": -1}}, "orderLevels.1.refreshTolerance", "[0, 10] %"),
    ({"1": {"spread": 0.1, "qty": 1}}, "orderLevels.1.refreshTolerance", "missing"),
    ({"1": {"spread": 0.1, "qty": 1, "refreshTolerance": 0, "sise": 2}}, "orderLevels.1.sise", "unknown key"),
    ({"1": {"spread": 0.3, "qty": 1, "refreshTolerance": 0}, "2": {"spread": 0.2, "qty": 1, "refreshTolerance": 0}},
     "orderLevels.2.spread", "non-decreasing"),
    ({"1": [0.1, 1]}, "orderLevels.1", "must be a table"),
])
def test_level_rules(levels, key, rule):
    raw = market_dict()
    raw["orderLevels"] = levels
    err = error_for("AVAX", raw)
    assert err.key == key and rule in str(err)


def test_qty_multiple_uses_exact_arithmetic():
    raw = market_dict("ETH")
    raw["orderLevels"] = {"1": {"spread": 0.1, "qty": 0.07, "refreshTolerance": 0}}  # 0.07 % 0.01 != 0 in binary floats
    assert settings.validate("ETH", raw).levels[0].qty == Decimal("0.07")
    raw["orderLevels"]["1"]["qty"] = 0.075
    assert "minimum size 0.01" in str(error_for("ETH", raw))


def test_overrides_apply_and_are_validated():
    s = settings.load("AVAX", ["orderFrequency=3", "orderExpiry=4", "orderLevels.1.spread=0.09", "avoidCrossing=false"])
    assert (s.order_frequency, s.order_expiry, s.levels[0].spread_pct, s.avoid_crossing) == (3.0, 4.0, Decimal("0.09"), False)
    with pytest.raises(ConfigError, match=r"AVAX.orderFrequency = 5.0: .*|AVAX.orderExpiry"):
        settings.load("AVAX", ["orderFrequency=5"])  # orderExpiry 2 < 5
    with pytest.raises(ConfigError, match="unknown setting"):
        settings.load("AVAX", ["ordrFrequency=5"])
    with pytest.raises(ConfigError, match="key=value"):
        settings.load("AVAX", ["orderFrequency"])
    with pytest.raises(ConfigError, match="orderLevels.1.qty"):
        settings.load("AVAX", ["orderLevels.1.qty=1.5"])


def test_overrides_do_not_touch_config_module():
    before = copy.deepcopy(config.AVAX)
    settings.load("AVAX", ["orderLevels.1.spread=0.5", "orderLevels.2.spread=0.6", "orderLevels.3.spread=0.7"])
    assert config.AVAX == before


def test_a_fractional_quote_period_without_a_second_of_expiry_to_spare_is_warned():
    assert not settings.gap_warnings(settings.load("AVAX"))                          # 2 s and 2 s: sets overlap
    assert not settings.gap_warnings(settings.load("AVAX", ["orderFrequency=1.5", "orderExpiry=2.5"]))
    warning = settings.gap_warnings(settings.load("AVAX", ["orderFrequency=1.3", "orderExpiry=1.5"]))
    assert len(warning) == 1 and "orderFrequency 1.3 s" in warning[0] and "orderExpiry >= orderFrequency + 1" in warning[0]


def test_fee_warnings_flag_levels_that_lose_money():
    s = settings.load("AVAX", ["orderLevels.1.spread=0.01"])
    warnings = settings.fee_warnings(s)
    assert any("orderLevels.1.spread" in w and "loses money" in w for w in warnings)
    assert not settings.fee_warnings(settings.load("AVAX"))
    assert "NOT hedged" in settings.fee_warnings(settings.load("AVAX", ["hedgeMode=false"]))[0]


def test_market_specs_match_the_hubble_sdk_mainnet_config():
    from hubble_exchange.config import mainnet

    from bot.market_specs import SPECS
    for spec in SPECS.values():
        assert spec.min_size == Decimal(str(mainnet.min_quantity[spec.hubble_id]))
        assert spec.price_decimals == mainnet.price_precision[spec.hubble_id]
