"""Endpoints a general client expects (issue 17 item 13): simnet's answers against recorded and documented real
answers (tests/conformance/hyperliquid/data; each file names its source). Here: fundingHistory, spotMetaAndAssetCtxs."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from hyperliquid.api import API

from hl_shapes import load, shape_diff
from tests.simnet.hyperliquid_helpers import HL, make_hl, start_net


@pytest.fixture(scope="module")
def venue() -> Iterator[HL]:
    """A venue with a funding payment."""
    net = start_net(seed=13)
    hl = make_hl(net)
    hl.control("fund_now")
    try:
        yield hl
    finally:
        net.stop()


def post_info(hl: HL, body: dict[str, Any]) -> Any:
    return API(hl.url).post("/info", body)


def check(expected: Any, actual: Any, **rules: Any) -> None:
    problems = shape_diff(expected, actual, **rules)
    assert not problems, "\n".join(problems)


def test_spot_meta_and_asset_ctxs(venue: HL) -> None:
    recorded = load("spotMetaAndAssetCtxs.json")["response"]
    meta, ctxs = post_info(venue, {"type": "spotMetaAndAssetCtxs"})
    # evmContract: an object for tokens linked to the HyperEVM (PURR in the recording), null otherwise
    check(recorded[0], meta, nullable=("$.tokens[*].evmContract",))
    check(recorded[1], ctxs, nullable=("$[*].midPx",))
    # simnet's pair has no market: it answers exactly what the recording shows for such a pair (coin aside)
    inactive = {k: v for k, v in recorded[1][2].items() if k != "coin"}
    assert [{k: v for k, v in ctx.items() if k != "coin"} for ctx in ctxs] == [inactive]


def test_funding_history(venue: HL) -> None:
    actual = post_info(venue, {"type": "fundingHistory", "coin": "ETH", "startTime": 0})
    check(load("fundingHistory.json")["response"], actual)
