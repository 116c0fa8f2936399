"""``fundingHistory``: the rates simnet's hourly funding applied, per coin, read through the SDK's
``Info.funding_history``."""
from __future__ import annotations

import requests

from tests.simnet.hyperliquid_helpers import HL, hl, make_hl, start_net, wait_for  # noqa: F401


def test_each_payment_leaves_one_record_per_coin_oldest_first(hl: HL) -> None:
    hl.control("fund_now")
    hl.control("fund_now", rate=0.0001)
    eth = hl.info.funding_history("ETH", 0)
    assert [(r["coin"], r["fundingRate"], r["premium"]) for r in eth] == [
        ("ETH", "0.0000125", "0.0"), ("ETH", "0.0001", "0.0000875")]
    assert eth[0]["time"] <= eth[1]["time"] and set(eth[0]) == {"coin", "fundingRate", "premium", "time"}
    # a rate is a market's, whether or not anyone holds a position
    assert [r["fundingRate"] for r in hl.info.funding_history("AVAX", 0)] == ["0.0000125", "0.0001"]


def test_start_and_end_time_bound_the_records(hl: HL) -> None:
    hl.control("fund_now")
    (first,) = hl.info.funding_history("SOL", 0)
    assert hl.info.funding_history("SOL", first["time"] + 1) == []
    assert hl.info.funding_history("SOL", 0, first["time"]) == [first]
    assert hl.info.funding_history("SOL", 0, first["time"] - 1) == []


def test_a_one_coin_payment_and_per_coin_rates() -> None:
    net = start_net(funding_rate={"AVAX": "-0.0001"})
    try:
        hl = make_hl(net)
        hl.control("fund_now")
        hl.control("fund_now", coin="ETH", rate=0.0002)
        assert [r["fundingRate"] for r in hl.info.funding_history("AVAX", 0)] == ["-0.0001"]
        assert [r["fundingRate"] for r in hl.info.funding_history("ETH", 0)] == ["0.0000125", "0.0002"]
    finally:
        net.stop()


def test_the_automatic_hourly_payment_is_recorded() -> None:
    net = start_net(funding_interval_s=0.2)
    try:
        hl = make_hl(net)

        def recorded() -> list:
            net.control("net", "step")
            return hl.info.funding_history("ETH", 0)

        (record,) = wait_for(recorded, timeout=5, what="an automatic funding record")[:1]
        assert record["fundingRate"] == "0.0000125"
    finally:
        net.stop()


def test_coin_and_start_time_are_required(hl: HL) -> None:
    ok = requests.post(hl.url + "/info", json={"type": "fundingHistory", "coin": "ETH", "startTime": 0}, timeout=5)
    assert ok.status_code == 200 and ok.json() == []
    for body in ({"type": "fundingHistory", "coin": "ETH"}, {"type": "fundingHistory", "startTime": 0}):
        answer = requests.post(hl.url + "/info", json=body, timeout=5)
        assert answer.status_code == 422
        assert answer.text == "Failed to deserialize the JSON body into the target type"


def test_an_unknown_coin_has_no_records(hl: HL) -> None:
    hl.control("fund_now")
    answer = requests.post(hl.url + "/info", json={"type": "fundingHistory", "coin": "NOPE", "startTime": 0},
                           timeout=5)
    assert answer.status_code == 200 and answer.json() == []
