"""tools.bench.requote runs and measures both ways of requoting on Hyperliquid (its figures are docs/maker-venues.md's)."""
from __future__ import annotations

from tools.bench.requote import measure


async def test_the_requote_bench_measures_modify_against_place_and_cancel():
    figures = await measure(rounds=3)
    assert figures["modify"]["actions_per_round"] == 1 and figures["place_cancel"]["actions_per_round"] == 2
    assert figures["modify"]["both_sets_resting_ms_median"] == 0
    assert figures["place_cancel"]["both_sets_resting_ms_median"] > 0
    assert figures["modify"]["median_ms"] > 0 and figures["place_cancel"]["median_ms"] > 0
