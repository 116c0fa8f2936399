"""The long-horizon runs, on purpose only: ``python3 -m pytest -m longrun`` (pytest.ini leaves them out).

Each is the observer's full run of one pair and scenario (120 s, seed 1, default settings), judged at the
venues against issue 19's bar: two-sided uptime at least 90 %, every fill hedged or netted (what is left is
under one hedge lot), and no fill losing at its placement book. They take about 2.5 minutes each, which is
why the default run uses the observer's short runs instead (tests/test_observer_*.py).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = [pytest.mark.longrun, pytest.mark.timeout(400)]

PAIRS = [("hubble", "hyperliquid", "AVAX"), ("hyperliquid", "binance", "AVAX"), ("binance", "hyperliquid", "ETH")]
SCENARIOS = ["default", "informed", "jump"]


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("maker,hedge,market", PAIRS)
def test_an_observed_pair_run_meets_the_bar_at_the_venues(tmp_path, maker, hedge, market, scenario):
    argv = [sys.executable, "-m", "tools.observer", "--maker", maker, "--hedge", hedge, "--market", market,
            "--scenario", scenario, "--seconds", "120", "--seed", "1", "--out", str(tmp_path)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=380)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / f"{scenario}.json").read_text())
    assert report["bot_exit_code"] == 0
    assert report["net_delta"]["final_within_a_lot"], report["net_delta"]
    assert report["hedge_at_placement"]["losing"] == 0, report["hedge_at_placement"]["losing_fills"][:5]
    assert report["quotes"]["two_sided_uptime"] >= 0.90, report["quotes"]
