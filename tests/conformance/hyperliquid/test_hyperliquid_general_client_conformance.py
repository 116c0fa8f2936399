"""Endpoints a general client expects (issue 17 item 13): simnet's answers against recorded and documented real
answers (tests/conformance/hyperliquid/data; each file names its source). Here: fundingHistory, spotMetaAndAssetCtxs and builder codes."""
from __future__ import annotations

from typing import Iterator

import pytest

from hl_shapes import check, kind, load, post_info
from tests.simnet.hyperliquid_helpers import HL, make_hl, only_status, start_net

BUILDER = "0x" + "c3" * 20


@pytest.fixture(scope="module")
def venue() -> Iterator[HL]:
    """A venue with a funding payment, a funded builder approved at 0.01% and a fill that paid it."""
    net = start_net(seed=13)
    hl = make_hl(net)
    hl.control("fund_now")
    hl.info.user_state(BUILDER)                   # simnet funds an address on first sight
    hl.exchange.approve_builder_fee(BUILDER, "0.01%")
    only_status(hl.exchange.market_open("ETH", True, 0.2, builder={"b": BUILDER, "f": 10}))
    try:
        yield hl
    finally:
        net.stop()


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


def test_max_builder_fee_is_a_bare_integer(venue: HL) -> None:
    documented = load("maxBuilderFee.json")["response"]
    actual = post_info(venue, {"type": "maxBuilderFee", "user": venue.address, "builder": BUILDER})
    assert kind(actual) == kind(documented) == "int" and actual == 10


def test_approve_builder_fee_answers(venue: HL) -> None:
    check(load("exchange_default.json")["response"], venue.exchange.approve_builder_fee(BUILDER, "0.02%"))
    unfunded = "0x" + "c4" * 20
    recorded = load("exchange_builder_insufficient.json")["response"]
    assert venue.exchange.approve_builder_fee(unfunded, "0.01%") == recorded


def test_a_fill_that_paid_a_builder(venue: HL) -> None:
    (fill,) = post_info(venue, {"type": "userFills", "user": venue.address})
    # twapId: on every recorded fill since (data/userFills_recent.json), not in the docs example
    check(load("userFills_docs_builder.json")["response"], [fill], allow_extra=("$[*].twapId",))
