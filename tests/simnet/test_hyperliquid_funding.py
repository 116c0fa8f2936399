"""Hourly funding on the simulated Hyperliquid venue, seen through the real SDK."""
from __future__ import annotations

from decimal import Decimal

from hyperliquid.info import Info

from tests.simnet.hyperliquid_helpers import HL, hl, make_hl, only_status, position, start_net, wait_for  # noqa: F401


def account_value(hl: HL, address: str | None = None) -> Decimal:
    return Decimal(hl.info.user_state(address or hl.address)["marginSummary"]["accountValue"])


def test_default_rate_is_the_documented_interest_component(hl: HL) -> None:
    meta, ctxs = hl.info.meta_and_asset_ctxs()
    assert [c["funding"] for c in ctxs] == ["0.0000125"] * 3


def test_a_long_pays_a_positive_rate_and_the_position_records_it(hl: HL) -> None:
    only_status(hl.exchange.market_open("ETH", True, 1))
    before = hl.info.user_state(hl.address)
    mid = Decimal(hl.info.all_mids()["ETH"])
    payments = hl.control("fund_now")["payments"]
    paid = (mid * Decimal("0.0000125")).quantize(Decimal("0.000001"))
    (delta,) = [p["delta"] for p in payments]
    assert Decimal(delta.pop("usdc")) == -paid
    assert delta == {"type": "funding", "coin": "ETH", "szi": "1.0", "fundingRate": "0.0000125", "nSamples": None}
    after = hl.info.user_state(hl.address)
    assert Decimal(after["marginSummary"]["accountValue"]) == Decimal(before["marginSummary"]["accountValue"]) - paid
    assert Decimal(after["withdrawable"]) == Decimal(before["withdrawable"]) - paid
    cum = position(hl, "ETH")["cumFunding"]
    assert {k: Decimal(v) for k, v in cum.items()} == {"allTime": paid, "sinceOpen": paid, "sinceChange": paid}


def test_a_short_receives_and_cum_funding_restarts_on_changes(hl: HL) -> None:
    only_status(hl.exchange.market_open("SOL", False, 2))
    hl.control("fund_now", rate=0.001)
    received = Decimal(hl.info.user_funding_history(hl.address, 0)[0]["delta"]["usdc"])
    assert received > 0
    cum = position(hl, "SOL")["cumFunding"]
    assert Decimal(cum["allTime"]) == -received
    only_status(hl.exchange.market_open("SOL", False, 1))          # size change: sinceChange restarts
    cum = position(hl, "SOL")["cumFunding"]
    assert cum["sinceChange"] == "0.0" and Decimal(cum["sinceOpen"]) == -received
    hl.exchange.market_close("SOL")
    only_status(hl.exchange.market_open("SOL", True, 1))           # a new position: sinceOpen restarts
    cum = position(hl, "SOL")["cumFunding"]
    assert cum["sinceOpen"] == "0.0" and Decimal(cum["allTime"]) == -received


def test_user_funding_filters_by_time_and_coin_rates_are_knobs() -> None:
    net = start_net(funding_rate={"AVAX": "-0.0001"})
    try:
        hl = make_hl(net)
        only_status(hl.exchange.market_open("AVAX", True, 3))
        only_status(hl.exchange.market_open("ETH", True, 0.01))
        payments = hl.control("fund_now")["payments"]
        rates = {p["delta"]["coin"]: p["delta"]["fundingRate"] for p in payments}
        assert rates == {"AVAX": "-0.0001", "ETH": "0.0000125"}
        history = hl.info.user_funding_history(hl.address, 0)
        assert {h["delta"]["coin"] for h in history} == {"AVAX", "ETH"}
        assert Decimal(next(h for h in history if h["delta"]["coin"] == "AVAX")["delta"]["usdc"]) > 0
        later = history[0]["time"] + 1
        assert hl.info.user_funding_history(hl.address, later) == []
        assert hl.info.user_funding_history(hl.address, 0, history[0]["time"]) == history
    finally:
        net.stop()


def test_funding_is_paid_automatically_each_interval() -> None:
    net = start_net(funding_interval_s=0.2)
    try:
        hl = make_hl(net)
        only_status(hl.exchange.market_open("ETH", True, 0.1))

        def paid() -> bool:
            net.control("net", "step")
            return bool(hl.info.user_funding_history(hl.address, 0))

        wait_for(paid, timeout=5, what="an automatic funding payment")
        assert position(hl, "ETH")["cumFunding"]["allTime"] != "0.0"
    finally:
        net.stop()


def test_funding_can_be_switched_off() -> None:
    net = start_net(funding=False, funding_interval_s=0.05)
    try:
        hl = make_hl(net)
        only_status(hl.exchange.market_open("ETH", True, 0.1))
        venue = net.venues["hyperliquid"]
        assert not venue.funding_schedule.due(10 ** 13)      # never due when off
        assert hl.info.user_funding_history(hl.address, 0) == []
        assert Info(hl.url, skip_ws=True).meta_and_asset_ctxs()[1][0]["funding"] == "0.0000125"
    finally:
        net.stop()
