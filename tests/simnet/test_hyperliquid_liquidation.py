"""Liquidations on the simulated Hyperliquid venue, through the real SDK, the websocket and the control API.

Every net here has a still price path (annual_vol 0, so the mark moves only by net shocks), funding off and
1000 USDC per account, so that positions at the asset's maximum leverage stay under the 100k partial threshold.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

import eth_account
import pytest
from hyperliquid.exchange import Exchange

from tests.simnet.hyperliquid_helpers import BOB_KEY, HL, make_hl, only_status, position
from tests.simnet.hyperliquid_ws_helpers import RawWs
from tools.simnet.core import SimConfig, SimNet
from tools.simnet.hyperliquid.assets import BY_COIN, round_price, tick_size
from tools.simnet.pricepath import PathParams

FUNDS = 1000.0


def liq_net(**options: Any) -> SimNet:
    cfg = SimConfig(seed=7, venues=("hyperliquid",), autotick=False, initial_margin=FUNDS,
                    path=PathParams(annual_vol=0.0))
    cfg.options("hyperliquid").update({"funding": False, **options})
    net = SimNet(cfg)
    net.start()
    return net


@pytest.fixture
def hl() -> Iterator[HL]:
    net = liq_net()
    try:
        yield make_hl(net)
    finally:
        net.stop()


def thin_hl(**options: Any) -> HL:
    """A venue whose synthetic book holds about 100 USD a side: a liquidation order cannot be taken whole."""
    return make_hl(liq_net(depth_levels=1, level_size_usd=100, **options))


def open_long_on_thin_book(hl: HL, coin: str, leverage: int, size: float) -> None:
    """A resting bid the market then moves through: it fills whole whatever the depth."""
    assert hl.exchange.update_leverage(leverage, coin)["status"] == "ok"
    asset = BY_COIN[coin]
    now = mark(hl, coin)
    limit = round_price(asset, now * Decimal("0.999"), up=False)
    assert "resting" in only_status(hl.exchange.order(coin, True, size, float(limit), {"limit": {"tif": "Gtc"}}))
    move_mark(hl, coin, limit * Decimal("0.999"))
    assert Decimal(position(hl, coin)["szi"]) == Decimal(str(size))


# ---- helpers ----------------------------------------------------------------------------------------
def mark(hl: HL, coin: str) -> Decimal:
    return Decimal(hl.info.all_mids()[coin])


def move_mark(hl: HL, coin: str, target: Decimal) -> Decimal:
    """Move the reference price to ``target`` in one step; returns the venue's new mark (the book mid)."""
    ref = Decimal(str(hl.net.control("net", "prices")["prices"][BY_COIN[coin].symbol]))
    hl.net.control("net", "shock", symbol=BY_COIN[coin].symbol, relative=float(target / ref - 1))
    hl.step()
    return mark(hl, coin)


def liquidation_px(hl: HL, coin: str, address: str | None = None) -> Decimal:
    pos = position(hl, coin, address)
    assert pos is not None and pos["liquidationPx"] is not None, pos
    return Decimal(pos["liquidationPx"])


def open_at(hl: HL, exchange: Exchange, coin: str, leverage: int, is_buy: bool, size: float,
            cross: bool = True) -> None:
    assert exchange.update_leverage(leverage, coin, is_cross=cross)["status"] == "ok"
    status = only_status(exchange.market_open(coin, is_buy, size))
    assert "filled" in status, status


def liquidations(hl: HL) -> list[dict[str, Any]]:
    return hl.control("liquidations")["liquidations"]


def bob(hl: HL) -> Exchange:
    wallet = eth_account.Account.from_key(BOB_KEY)
    hl.info.user_state(wallet.address)        # first sight funds the account
    return Exchange(wallet, hl.url)


# ---- the maintenance rule as clearinghouseState reports it ---------------------------------------------
def test_maintenance_is_half_the_initial_margin_at_max_leverage(hl: HL) -> None:
    open_at(hl, hl.exchange, "AVAX", 5, True, 50)        # max 10x: 5%
    open_at(hl, hl.exchange, "ETH", 10, False, 0.5)      # max 25x: 2%
    state = hl.info.user_state(hl.address)
    values = {p["position"]["coin"]: Decimal(p["position"]["positionValue"]) for p in state["assetPositions"]}
    expected = values["AVAX"] / 20 + values["ETH"] / 50
    assert Decimal(state["crossMaintenanceMarginUsed"]) == expected.quantize(Decimal("0.000001"))
    assert state["marginSummary"] == state["crossMarginSummary"]
    summary = state["marginSummary"]
    signed = values["AVAX"] - values["ETH"]
    assert Decimal(summary["totalRawUsd"]) == Decimal(summary["accountValue"]) - signed


def test_an_isolated_position_stays_out_of_the_cross_figures(hl: HL) -> None:
    open_at(hl, hl.exchange, "ETH", 20, True, 0.5)
    open_at(hl, hl.exchange, "AVAX", 10, True, 50, cross=False)
    state = hl.info.user_state(hl.address)
    eth = position(hl, "ETH")
    avax = position(hl, "AVAX")
    assert Decimal(state["crossMaintenanceMarginUsed"]) == Decimal(eth["positionValue"]) / 50
    isolated = Decimal(avax["leverage"]["rawUsd"]) + Decimal(avax["positionValue"])   # its margin plus its PnL
    total, cross = state["marginSummary"], state["crossMarginSummary"]
    assert Decimal(cross["accountValue"]) == Decimal(total["accountValue"]) - isolated
    assert Decimal(cross["totalNtlPos"]) == Decimal(eth["positionValue"])
    assert Decimal(total["totalNtlPos"]) == Decimal(eth["positionValue"]) + Decimal(avax["positionValue"])


def test_the_maintenance_rate_is_a_venue_option() -> None:
    hl = make_hl(liq_net(maintenance_margin_rate={"AVAX": "0.1"}))
    try:
        open_at(hl, hl.exchange, "AVAX", 5, True, 100)
        pos = position(hl, "AVAX")
        assert Decimal(hl.info.user_state(hl.address)["crossMaintenanceMarginUsed"]) == \
            Decimal(pos["positionValue"]) / 10
    finally:
        hl.net.stop()


# ---- liquidation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("coin,leverage,is_buy,size", [("AVAX", 10, True, 250), ("ETH", 20, False, 6)])
def test_a_position_the_mark_moves_past_its_liquidation_px_is_liquidated(hl: HL, coin: str, leverage: int,
                                                                          is_buy: bool, size: float) -> None:
    open_at(hl, hl.exchange, coin, leverage, is_buy, size)
    liq = liquidation_px(hl, coin)
    ws = RawWs(hl.url)
    try:
        ws.subscribe({"type": "userFills", "user": hl.address})
        ws.wait_for("userFills")                                   # the snapshot
        beyond = liq * (Decimal("0.995") if is_buy else Decimal("1.005"))
        mark_now = move_mark(hl, coin, beyond)
        pushed = ws.wait(lambda: [f for m in ws.of("userFills") if not m["data"].get("isSnapshot")
                                  for f in m["data"]["fills"]], what="the liquidation fill")
    finally:
        ws.close()
    assert position(hl, coin) is None
    (fill,) = pushed
    assert fill["liquidation"] == {"liquidatedUser": hl.address.lower(), "markPx": str(mark_now), "method": "market"}
    assert fill["coin"] == coin and Decimal(fill["sz"]) == Decimal(str(size))
    assert fill["side"] == ("A" if is_buy else "B") and fill["dir"] == ("Close Long" if is_buy else "Close Short")
    assert fill["crossed"] is True and "cloid" not in fill and Decimal(fill["fee"]) > 0
    assert hl.info.user_fills(hl.address)[0] == fill
    assert hl.info.user_fills_by_time(hl.address, 0)[-1] == fill
    (record,) = liquidations(hl)
    assert record["account"] == hl.address.lower() and record["market"] == coin
    assert record["size"] == (-size if is_buy else size) and record["price"] == float(fill["px"])
    assert abs(record["time"] - fill["time"] / 1000) < 1
    # the market order leaves what collateral remains with the trader
    assert Decimal(hl.info.user_state(hl.address)["marginSummary"]["accountValue"]) > 0


def test_an_account_above_maintenance_is_not_liquidated(hl: HL) -> None:
    other = bob(hl)
    open_at(hl, hl.exchange, "AVAX", 10, True, 250)        # 10x
    open_at(hl, other, "AVAX", 2, True, 50)                # 2x, same direction
    bob_address = other.wallet.address
    halfway = (mark(hl, "AVAX") + liquidation_px(hl, "AVAX")) / 2
    move_mark(hl, "AVAX", halfway)
    hl.step(3)
    assert position(hl, "AVAX") is not None and liquidations(hl) == []
    move_mark(hl, "AVAX", liquidation_px(hl, "AVAX") * Decimal("0.99"))
    assert position(hl, "AVAX") is None
    state = hl.info.user_state(bob_address)
    assert Decimal(state["marginSummary"]["accountValue"]) > Decimal(state["crossMaintenanceMarginUsed"])
    assert position(hl, "AVAX", bob_address) is not None
    assert [r["account"] for r in liquidations(hl)] == [hl.address.lower()]
    assert not [f for f in hl.info.user_fills(bob_address) if "liquidation" in f]


@pytest.mark.parametrize("coin,is_buy,size,other", [("AVAX", True, 200, None), ("ETH", False, 5, None),
                                                     ("AVAX", True, 200, ("ETH", False, 0.5))])
def test_the_liquidation_px_is_where_liquidation_happens_within_one_tick(hl: HL, coin: str, is_buy: bool,
                                                                         size: float, other: Any) -> None:
    """Walk the mark towards the reported liquidationPx half a tick a step: the position lives on at the last
    mark at or beyond it and is liquidated at the first mark past it, at most one tick further. With a second
    cross position, whose maintenance margin the first one's liquidationPx must count."""
    open_at(hl, hl.exchange, coin, BY_COIN[coin].max_leverage, is_buy, size)
    if other:
        open_at(hl, hl.exchange, other[0], 10, other[1], other[2])
    liq = liquidation_px(hl, coin)
    tick = tick_size(BY_COIN[coin], liq)
    toward = -1 if is_buy else 1
    last_alive = move_mark(hl, coin, liq - toward * 4 * tick)
    assert position(hl, coin) is not None and liquidation_px(hl, coin) == liq
    reached = None
    for _ in range(40):
        now = move_mark(hl, coin, mark(hl, coin) + toward * tick / 2)
        if position(hl, coin) is None:
            reached = now
            break
        last_alive = now
    assert reached is not None, "never liquidated"
    unit = Decimal(1).scaleb(liq.adjusted() - 5)             # liquidationPx has 6 significant figures
    if is_buy:
        assert last_alive >= liq - unit and reached < liq + unit
    else:
        assert last_alive <= liq + unit and reached > liq - unit
    assert abs(last_alive - reached) <= tick
    (fill,) = [f for f in hl.info.user_fills(hl.address) if f["coin"] == coin and "liquidation" in f]
    assert Decimal(fill["liquidation"]["markPx"]) == reached
    if other:    # every cross position is sent to the book
        assert position(hl, other[0]) is None


def test_an_isolated_position_is_liquidated_on_its_own_margin(hl: HL) -> None:
    open_at(hl, hl.exchange, "ETH", 5, True, 0.5)
    open_at(hl, hl.exchange, "AVAX", 10, True, 100, cross=False)
    cross_before = Decimal(hl.info.user_state(hl.address)["crossMarginSummary"]["accountValue"])
    liq = liquidation_px(hl, "AVAX")
    entry = Decimal(position(hl, "AVAX")["entryPx"])
    # 10x isolated: the position's own 10% margin, 5% maintenance
    assert abs(liq - entry * Decimal("0.9") / Decimal("0.95")) < entry / 1000
    move_mark(hl, "AVAX", liq * Decimal("0.995"))
    assert position(hl, "AVAX") is None and position(hl, "ETH") is not None
    (fill,) = [f for f in hl.info.user_fills(hl.address) if "liquidation" in f]
    assert fill["coin"] == "AVAX" and fill["liquidation"]["method"] == "market"
    assert Decimal(hl.info.user_state(hl.address)["crossMarginSummary"]["accountValue"]) >= cross_before


def test_what_the_book_cannot_take_goes_to_the_backstop_below_two_thirds_of_maintenance() -> None:
    hl = thin_hl()
    try:
        open_long_on_thin_book(hl, "AVAX", 10, 250)
        state = hl.info.user_state(hl.address)
        value = Decimal(state["marginSummary"]["accountValue"])
        pos = position(hl, "AVAX")
        cash = value - Decimal(pos["unrealizedPnl"])
        entry = Decimal(pos["entryPx"])
        # where the equity cash + 250 (p - entry) meets 2/3 of the maintenance 5% x 250 p; then 1% under it
        two_thirds = (250 * entry - cash) / (250 - Decimal(250) / 20 * 2 / 3)
        move_mark(hl, "AVAX", two_thirds * Decimal("0.99"))
        assert position(hl, "AVAX") is None
        fills = [f for f in hl.info.user_fills(hl.address) if "liquidation" in f]
        methods = [f["liquidation"]["method"] for f in reversed(fills)]
        assert methods == ["market", "backstop"]
        backstop = fills[0]
        assert backstop["dir"] == "Liquidated Cross Long" and backstop["fee"] == "0.0"
        state = hl.info.user_state(hl.address)
        assert state["marginSummary"]["accountValue"] == "0.0" and state["assetPositions"] == []
        records = liquidations(hl)
        assert [r["market"] for r in records] == ["AVAX", "AVAX"]
        assert sum(r["size"] for r in records) == -250
        assert records[1]["price"] == float(backstop["px"])
    finally:
        hl.net.stop()


def test_a_short_book_above_two_thirds_of_maintenance_is_retried_every_tick() -> None:
    hl = thin_hl()
    try:
        open_long_on_thin_book(hl, "AVAX", 10, 250)
        move_mark(hl, "AVAX", liquidation_px(hl, "AVAX") * Decimal("0.998"))
        first = Decimal(position(hl, "AVAX")["szi"])
        assert 0 < first < 250
        assert all(f["liquidation"]["method"] == "market" for f in hl.info.user_fills(hl.address) if "liquidation" in f)
        hl.step()
        assert Decimal(position(hl, "AVAX")["szi"]) < first
    finally:
        hl.net.stop()


def test_a_resting_counterparty_fill_carries_the_liquidation_too() -> None:
    hl = thin_hl()
    try:
        other = bob(hl)
        open_long_on_thin_book(hl, "AVAX", 10, 250)
        liq = liquidation_px(hl, "AVAX")
        bid = (liq * Decimal("0.99")).quantize(Decimal("0.01"))
        only_status(other.order("AVAX", True, 300, float(bid), {"limit": {"tif": "Gtc"}}))
        move_mark(hl, "AVAX", liq * Decimal("0.995"))
        assert position(hl, "AVAX") is None
        (maker,) = [f for f in hl.info.user_fills(other.wallet.address) if "liquidation" in f]
        assert maker["crossed"] is False and maker["side"] == "B" and Decimal(maker["px"]) == bid
        assert maker["liquidation"]["liquidatedUser"] == hl.address.lower()
        assert maker["liquidation"]["method"] == "market"
    finally:
        hl.net.stop()


def test_a_large_position_is_liquidated_a_fifth_first_then_whole_in_the_cooldown() -> None:
    hl = make_hl(liq_net(partial_liquidation_usd=5000))
    try:
        open_at(hl, hl.exchange, "AVAX", 10, True, 250)             # 8750 USD, over the lowered threshold
        move_mark(hl, "AVAX", liquidation_px(hl, "AVAX") * Decimal("0.999"))
        (first,) = liquidations(hl)
        assert first["size"] == -50                                  # 20%, and maintenance is met again
        assert Decimal(position(hl, "AVAX")["szi"]) == 200
        move_mark(hl, "AVAX", liquidation_px(hl, "AVAX") * Decimal("0.999"))
        assert [r["size"] for r in liquidations(hl)] == [-50, -200]  # inside 30 s: the entire position
        assert position(hl, "AVAX") is None
    finally:
        hl.net.stop()


def test_liquidation_can_be_switched_off() -> None:
    hl = make_hl(liq_net(liquidation=False))
    try:
        open_at(hl, hl.exchange, "AVAX", 10, True, 250)
        move_mark(hl, "AVAX", liquidation_px(hl, "AVAX") * Decimal("0.95"))
        assert position(hl, "AVAX") is not None and liquidations(hl) == []
    finally:
        hl.net.stop()


def test_the_clearinghouse_state_push_follows_the_liquidation(hl: HL) -> None:
    open_at(hl, hl.exchange, "AVAX", 10, True, 250)
    ws = RawWs(hl.url)
    try:
        ws.subscribe({"type": "clearinghouseState", "user": hl.address})
        ws.wait_for("clearinghouseState")
        move_mark(hl, "AVAX", liquidation_px(hl, "AVAX") * Decimal("0.995"))
        ws.wait(lambda: any(m["data"]["clearinghouseState"]["assetPositions"] == []
                            for m in ws.of("clearinghouseState")), what="a push without the position")
    finally:
        ws.close()
    assert [r["market"] for r in liquidations(hl)] == ["AVAX"]
