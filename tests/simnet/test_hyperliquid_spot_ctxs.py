"""``spotMetaAndAssetCtxs`` through the SDK's ``Info.spot_meta_and_asset_ctxs``: simnet's spot universe (one
PURR/USDC pair, no spot trading) with the contexts the venue records for a pair without a market."""
from __future__ import annotations

from tests.simnet.hyperliquid_helpers import HL, hl  # noqa: F401


def test_the_meta_half_is_spot_meta(hl: HL) -> None:
    meta, _ctxs = hl.info.spot_meta_and_asset_ctxs()
    assert meta == hl.info.spot_meta()


def test_one_context_per_pair_named_and_ordered_like_the_universe(hl: HL) -> None:
    meta, ctxs = hl.info.spot_meta_and_asset_ctxs()
    assert [c["coin"] for c in ctxs] == [p["name"] for p in sorted(meta["universe"], key=lambda p: p["index"])]
    for ctx in ctxs:
        assert set(ctx) == {"prevDayPx", "dayNtlVlm", "markPx", "midPx", "circulatingSupply", "coin",
                            "totalSupply", "dayBaseVlm"}


def test_a_pair_without_a_market_has_no_mid(hl: HL) -> None:
    (ctx,) = hl.info.spot_meta_and_asset_ctxs()[1]
    assert ctx["midPx"] is None and ctx["dayNtlVlm"] == "0.0" and ctx["dayBaseVlm"] == "0.0"
    # simnet has no spot book: its l2Book of the pair answers null (a real PURR/USDC has a book)
    assert hl.info.post("/info", {"type": "l2Book", "coin": ctx["coin"]}) is None
