"""The trend and crash scenarios: the path stepped by hand (seeded, no clock), the hedge venue's outage
windows seen through the real Hyperliquid SDK, Hubble's taker lean through its logs."""
from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.simnet.hubble_helpers import hubble_net
from tests.simnet.hyperliquid_helpers import make_hl, only_status, wait_for
from tools.simnet import scenarios
from tools.simnet.core import SimConfig, SimNet
from tools.simnet.hubble.abi import Contracts
from tools.simnet.hubble.constants import CLEARING_HOUSE


def stepped_path(scenario: str, seconds: float, seed: int = 4, **knobs: Any) -> tuple[dict, dict]:
    """(prices at the start, prices after ``seconds`` of path time) with the scenario applied."""
    net = SimNet(SimConfig(seed=seed, venues=(), autotick=False, scenario=scenario,
                           venue_options={"scenario": dict(knobs)}))
    scenarios.apply(scenario, net)
    start = net.path.prices()
    for _ in range(round(seconds / net.config.path.dt)):
        net.path.step()
    return start, net.path.prices()


def moves(scenario: str, seconds: float, **knobs: Any) -> dict[str, float]:
    start, end = stepped_path(scenario, seconds, **knobs)
    return {symbol: end[symbol] / start[symbol] - 1 for symbol in start}


def test_trend_moves_the_path_up_30_percent_per_120_seconds_exactly_on_top_of_the_seed_s_noise() -> None:
    trend, calm = stepped_path("trend", 120)[1], stepped_path("default", 120)[1]
    for symbol, price in trend.items():
        assert price / calm[symbol] == pytest.approx(1.30, rel=1e-9)     # the same draws, plus the drift
    assert all(0.29 < move < 0.31 for move in moves("trend", 120).values())   # 60 % vol is small over 120 s
    assert all(0.68 < move < 0.70 for move in moves("trend", 240).values())   # it compounds: 1.3 ** 2


def test_the_trend_is_a_knob() -> None:
    assert all(-0.11 < move < -0.09 for move in moves("trend", 60, trend_pct=-10, trend_seconds=60).values())


def test_crash_falls_25_percent_between_20_and_60_seconds_and_then_stops() -> None:
    before = moves("crash", 20)
    assert all(abs(move) < 0.01 for move in before.values())
    start, at_60 = stepped_path("crash", 60)
    calm_start, calm_60 = stepped_path("default", 60)
    for symbol in start:
        assert (at_60[symbol] / start[symbol]) / (calm_60[symbol] / calm_start[symbol]) == pytest.approx(0.75, rel=1e-9)
    assert all(-0.26 < move < -0.24 for move in moves("crash", 60).values())
    assert all(-0.26 < move < -0.24 for move in moves("crash", 90).values())   # nothing more after the window


def test_trend_takers_lean_to_buying() -> None:
    assert 0.64 < buy_share("trend") < 0.76
    assert 0.42 < buy_share("default") < 0.58


def buy_share(scenario: str) -> float:
    topic = "0x" + Contracts().event(CLEARING_HOUSE, "PositionModified").topic.hex()
    # about 20 takers a second in each of the 3 markets, all in one block: small enough for the makers' depth
    with hubble_net(seed=5, scenario=scenario, taker_rate=20.0, taker_size_usd=100.0, auto_mine=False) as (net, ready):
        net.control("net", "step", count=60)
        net.control("hubble", "mine")
        net.control("hubble", "accept")
        reply = requests.post(ready["hubble_rpc"], timeout=5, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
            "params": [{"fromBlock": "0x0", "toBlock": "latest", "address": CLEARING_HOUSE, "topics": [topic]}]})
    sizes = [int.from_bytes(bytes.fromhex(log["data"][2:66]), "big", signed=True)
             for log in reply.json()["result"] if log["topics"][1].endswith("0b0b")]   # the background taker
    assert len(sizes) > 200
    return sum(1 for s in sizes if s > 0) / len(sizes)


def test_crash_hedge_venue_lags_then_refuses_orders_in_its_windows() -> None:
    net = SimNet(SimConfig(seed=7, venues=("hyperliquid",), autotick=False, scenario="crash"))
    net.start()
    try:
        hl = make_hl(net)
        faults = net.venues["hyperliquid"].faults
        step_to = lambda seconds: net.control("net", "step", count=round(seconds / 0.1) - net.path.step_index)  # noqa: E731

        step_to(24)
        assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.01))
        assert answer_seconds(hl) < 0.5

        step_to(25)                                    # the lag window: every answer a second late
        wait_for(lambda: faults.delay_seconds > 0, what="the lag window")
        assert answer_seconds(hl) >= 1.0
        assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.01))

        step_to(35)                                    # lag over, every order refused
        wait_for(lambda: faults.reject_count > 0 and faults.delay_seconds == 0, what="the refusal window")
        assert answer_seconds(hl) < 0.5
        for _ in range(3):
            assert "error" in only_status(hl.exchange.market_open("ETH", False, 0.01))

        step_to(45)
        wait_for(lambda: faults.reject_count == 0, what="the end of the refusal window")
        assert "filled" in only_status(hl.exchange.market_open("ETH", False, 0.01))
    finally:
        net.stop()


def answer_seconds(hl) -> float:
    started = time.monotonic()
    hl.info.all_mids()
    return time.monotonic() - started


def test_every_scenario_has_a_one_line_description() -> None:
    assert {"trend", "crash"} <= set(scenarios.SCENARIOS)
    assert all("\n" not in text for text in scenarios.SCENARIOS.values())
