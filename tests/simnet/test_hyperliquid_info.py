"""Contract tests: the real SDK ``Info`` against the simulated Hyperliquid /info."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hyperliquid.api import API
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError

from tests.simnet.hyperliquid_helpers import HL, hl, make_hl, start_net  # noqa: F401


def test_sdk_start_up_maps_three_perps_with_real_sz_decimals(hl: HL) -> None:
    assert [hl.info.name_to_asset(c) for c in ("ETH", "SOL", "AVAX")] == [0, 1, 2]
    assert [hl.info.asset_to_sz_decimals[a] for a in (0, 1, 2)] == [4, 2, 2]
    universe = hl.info.meta()["universe"]
    assert [(u["name"], u["maxLeverage"]) for u in universe] == [("ETH", 25), ("SOL", 20), ("AVAX", 10)]
    spot = hl.info.spot_meta()
    assert spot["tokens"][0]["name"] == "USDC"
    assert hl.info.perp_dexs() == [None]


def test_l2_book_is_sorted_valid_and_around_the_reference(hl: HL) -> None:
    book = hl.info.l2_snapshot("ETH")
    bids, asks = book["levels"]
    assert book["coin"] == "ETH" and isinstance(book["time"], int)
    assert len(bids) == len(asks) == 20
    bid_px = [Decimal(b["px"]) for b in bids]
    ask_px = [Decimal(a["px"]) for a in asks]
    assert bid_px == sorted(bid_px, reverse=True) and ask_px == sorted(ask_px)
    assert bid_px[0] < ask_px[0]
    mid = (bid_px[0] + ask_px[0]) / 2
    assert abs(mid - 3000) < Decimal("0.5")
    for level in bids + asks:
        assert set(level) == {"px", "sz", "n"}
        assert len(Decimal(level["sz"]).normalize().as_tuple().digits) > 0
        assert -Decimal(level["sz"]).normalize().as_tuple().exponent <= 4
    assert Decimal(asks[-1]["sz"]) > Decimal(asks[0]["sz"])  # deeper levels hold more


def test_all_mids_match_books(hl: HL) -> None:
    mids = hl.info.all_mids()
    assert set(mids) == {"ETH", "SOL", "AVAX"}
    for coin, mid in mids.items():
        bids, asks = hl.info.l2_snapshot(coin)["levels"]
        assert Decimal(mid) == (Decimal(bids[0]["px"]) + Decimal(asks[0]["px"])) / 2


def test_new_account_is_funded_with_initial_margin(hl: HL) -> None:
    state = hl.info.user_state("0x" + "ab" * 20)
    assert state["marginSummary"]["accountValue"] == "10000.0"
    assert state["crossMarginSummary"]["accountValue"] == "10000.0"
    assert state["withdrawable"] == "10000.0"
    assert state["assetPositions"] == []


def test_empty_user_queries(hl: HL) -> None:
    assert hl.info.open_orders(hl.address) == []
    assert hl.info.frontend_open_orders(hl.address) == []
    assert hl.info.user_fills(hl.address) == []
    assert hl.info.user_fills_by_time(hl.address, 0) == []
    assert hl.info.query_order_by_oid(hl.address, 123) == {"status": "unknownOid"}


def test_user_fees_reflect_options() -> None:
    net = start_net(maker_fee_bps=-0.2, taker_fee_bps=3)
    try:
        fees = make_hl(net).info.user_fees("0x" + "cd" * 20)
        assert fees["userAddRate"] == "-0.00002"
        assert fees["userCrossRate"] == "0.0003"
        assert fees["feeSchedule"]["add"] == "-0.00002"
    finally:
        net.stop()


def test_user_rate_limit_counts_actions(hl: HL) -> None:
    before = hl.info.user_rate_limit(hl.address)
    assert before["nRequestsUsed"] == 0 and before["nRequestsCap"] == 10000
    hl.exchange.update_leverage(5, "ETH")
    assert hl.info.user_rate_limit(hl.address)["nRequestsUsed"] == 1


def test_unknown_info_type_is_422(hl: HL) -> None:
    with pytest.raises(ClientError) as caught:
        API(hl.url).post("/info", {"type": "noSuchThing"})
    assert caught.value.status_code == 422


def test_same_seed_gives_same_books_and_prices() -> None:
    def books_after(seed: int) -> list:
        net = start_net(seed=seed)
        try:
            info = Info(net.ready["hyperliquid_url"], skip_ws=True)
            net.control("net", "step", count=25)
            return [info.l2_snapshot(c)["levels"] for c in ("ETH", "SOL", "AVAX")] + [info.all_mids()]
        finally:
            net.stop()

    assert books_after(3) == books_after(3)
    assert books_after(3) != books_after(4)


def test_basis_and_spread_options_shape_the_book() -> None:
    net = start_net(basis_bps=100, spread_bps=10)
    try:
        info = Info(net.ready["hyperliquid_url"], skip_ws=True)
        bids, asks = info.l2_snapshot("SOL")["levels"]
        bid, ask = Decimal(bids[0]["px"]), Decimal(asks[0]["px"])
        assert (bid + ask) / 2 == pytest.approx(Decimal("151.5"), abs=Decimal("0.01"))
        assert (ask - bid) / bid * 10000 == pytest.approx(10, abs=1)
    finally:
        net.stop()


def test_lag_seconds_delays_the_venue_price() -> None:
    lagged = start_net(lag_seconds=0.5)
    try:
        info = Info(lagged.ready["hyperliquid_url"], skip_ws=True)
        lagged.control("net", "shock", symbol="ETH", relative=0.05)
        lagged.control("net", "step", count=1)
        assert Decimal(info.all_mids()["ETH"]) < 3100   # shock not seen yet
        lagged.control("net", "step", count=5)
        assert Decimal(info.all_mids()["ETH"]) > 3100
    finally:
        lagged.stop()
