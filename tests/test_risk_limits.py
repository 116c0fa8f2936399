"""The risk engine's pure parts: the pre-trade check, the states' arithmetic, liquidation maths, the record."""
from __future__ import annotations

import json
from decimal import Decimal as D

from bot import settings
from bot.maths.quoting import ASK, BID, Quote
from bot.risk import limits as rl
from bot.risk.liquidation import distance_pct, hubble_liquidation_price
from bot.risk.record import RiskStore

LIMITS = settings.load("AVAX", ["maxPosition=10", "maxPositionUsd=1000000", "maxRestingPerSide=8",
                                "maxOrderSize=5", "maxOrderNotional=150", "inventoryTarget=4",
                                "positionSkew=0.02"]).risk


def exposure(position: str, bids: str = "0", asks: str = "0") -> rl.Exposure:
    return rl.Exposure(D(position), {BID: D(bids), ASK: D(asks)}, D("30"))


def test_the_position_bound_counts_every_resting_quote_of_the_side_as_filled():
    assert rl.check_quote(LIMITS, exposure("4", bids="3"), BID, D("3"), D("30")) is None        # 4 + 3 + 3 = 10
    assert "maxPosition" in rl.check_quote(LIMITS, exposure("5", bids="3"), BID, D("3"), D("30"))
    assert rl.check_quote(LIMITS, exposure("9", asks="3"), ASK, D("3"), D("30")) is None        # shrinks: allowed
    assert "maxPosition" in rl.check_quote(LIMITS, exposure("-8"), ASK, D("3"), D("30"))        # a short grows too


def test_order_size_notional_and_resting_limits():
    assert "maxOrderSize" in rl.check_quote(LIMITS, exposure("0"), BID, D("6"), D("20"))
    assert "maxOrderNotional" in rl.check_quote(LIMITS, exposure("0"), BID, D("5"), D("31"))
    assert "maxRestingPerSide" in rl.check_quote(LIMITS, exposure("0", asks="6"), ASK, D("3"), D("30"))


def test_check_quotes_counts_each_accepted_quote_for_the_next_and_keeps_to_the_sides_and_rate():
    quotes = [Quote(BID, 1, D("30"), D("3")), Quote(ASK, 1, D("30.1"), D("3")), Quote(BID, 2, D("29.9"), D("4")),
              Quote(ASK, 2, D("30.2"), D("4"))]
    accepted, reasons = rl.check_quotes(LIMITS, exposure("4"), quotes, room=10)
    assert [(q.side, q.level) for q in accepted] == [(BID, 1), (ASK, 1), (ASK, 2)]   # 4 + 3 + 4 > 10 for bid 2
    assert len(reasons) == 1 and "bid level 2" in reasons[0]
    accepted, reasons = rl.check_quotes(LIMITS, exposure("4"), quotes, room=10, sides=(ASK,))
    assert {q.side for q in accepted} == {ASK} and len(reasons) == 2
    accepted, _ = rl.check_quotes(LIMITS, exposure("0"), quotes, room=1)
    assert len(accepted) == 1


def test_with_a_grid_the_growing_side_is_cut_to_what_the_position_bound_leaves():
    grid = rl.QuoteGrid(step=D("0.01"), min_qty=D("0.5"))
    quotes = [Quote(BID, 1, D("30"), D("3")), Quote(BID, 2, D("29.9"), D("4")), Quote(ASK, 1, D("30.1"), D("3"))]
    accepted, reasons = rl.check_quotes(LIMITS, exposure("5.25", bids="1"), quotes, room=10, grid=grid)
    # 10 - 5.25 - 1 resting = 3.75: bid 1 fits whole (3), bid 2 is cut to the 0.75 left, the ask shrinks
    assert [(q.side, q.level, q.qty) for q in accepted] == [(BID, 1, D("3")), (BID, 2, D("0.75")), (ASK, 1, D("3"))]
    assert reasons == []
    accepted, reasons = rl.check_quotes(LIMITS, exposure("-8.6"), [Quote(ASK, 1, D("30"), D("3"))], room=10,
                                        grid=grid)                     # a short grows by selling: 1.4 left
    assert [q.qty for q in accepted] == [D("1.4")] and reasons == []


def test_a_cut_below_the_grid_minimum_or_a_size_refusal_is_not_cut():
    grid = rl.QuoteGrid(step=D("0.01"), min_qty=D("0.5"))
    accepted, reasons = rl.check_quotes(LIMITS, exposure("9.6"), [Quote(BID, 1, D("30"), D("3"))], room=10,
                                        grid=grid)                     # 0.4 left < 0.5
    assert accepted == [] and "maxPosition" in reasons[0]
    accepted, reasons = rl.check_quotes(LIMITS, exposure("0"), [Quote(BID, 1, D("30"), D("6"))], room=10,
                                        grid=grid)                     # maxOrderSize: never cut, refused
    assert accepted == [] and "maxOrderSize" in reasons[0]
    assert rl.fitting_qty(LIMITS, exposure("2", bids="3"), BID, rl.QuoteGrid(D("1"), D("0.3"))) == D("5")


def test_past_the_inventory_target_the_growing_side_rests_at_most_its_share_of_the_room_left():
    grid = rl.QuoteGrid(step=D("0.01"), min_qty=D("0.5"), growing_share=D("0.5"))
    bid, ask = Quote(BID, 1, D("30"), D("3")), Quote(ASK, 1, D("30.1"), D("3"))
    accepted, reasons = rl.check_quotes(LIMITS, exposure("6"), [bid, ask], room=10, grid=grid)
    assert [(q.side, q.qty) for q in accepted] == [(BID, D("2")), (ASK, D("3"))]   # (10 - 6) / 2; the ask shrinks
    accepted, _ = rl.check_quotes(LIMITS, exposure("7", bids="1"), [bid], room=10, grid=grid)
    assert [q.qty for q in accepted] == [D("0.5")]                                    # (10 - 7) / 2 - 1 resting
    accepted, reasons = rl.check_quotes(LIMITS, exposure("9.2"), [bid], room=10, grid=grid)
    assert accepted == [] and "room" in reasons[0]                                    # 0.4 < 0.5
    accepted, _ = rl.check_quotes(LIMITS, exposure("3"), [bid], room=10, grid=grid)
    assert [q.qty for q in accepted] == [D("3")]                    # at or under inventoryTarget 4: whole
    accepted, _ = rl.check_quotes(LIMITS, exposure("-6"), [bid, ask], room=10, grid=grid)
    assert [(q.side, q.qty) for q in accepted] == [(BID, D("3")), (ASK, D("2"))]   # a short grows by selling


def test_quotes_this_tick_replaces_count_for_the_bound_but_not_for_the_share():
    grid = rl.QuoteGrid(step=D("0.01"), min_qty=D("0.5"), growing_share=D("0.5"))
    bid = Quote(BID, 1, D("30"), D("3"))
    replacing = rl.Exposure(D("6"), {BID: D("2"), ASK: D("0")}, D("30"), {BID: D("2")})
    accepted, _ = rl.check_quotes(LIMITS, replacing, [bid], room=10, grid=grid)
    assert [q.qty for q in accepted] == [D("2")]       # share (10 - 6) / 2 = 2 (the leaving 2 not held)
    staying = rl.Exposure(D("6"), {BID: D("2"), ASK: D("0")}, D("30"))
    accepted, reasons = rl.check_quotes(LIMITS, staying, [bid], room=10, grid=grid)
    assert accepted == [] and "room" in reasons[0]     # 2 - 2 held: nothing left in the share
    near = rl.Exposure(D("7"), {BID: D("2.5"), ASK: D("0")}, D("30"), {BID: D("2.5")})
    accepted, _ = rl.check_quotes(LIMITS, near, [bid], room=10, grid=grid)
    assert [q.qty for q in accepted] == [D("0.5")]     # the bound still counts the leaving 2.5: 10 - 7 - 2.5


def test_the_usd_bound_cuts_too():
    limits = settings.load("AVAX", ["maxPosition=100", "maxPositionUsd=300"]).risk       # 10 AVAX at 30
    grid = rl.QuoteGrid(step=D("0.1"), min_qty=D("0.1"))
    accepted, _ = rl.check_quotes(limits, exposure("8"), [Quote(BID, 1, D("30"), D("3"))], room=10, grid=grid)
    assert [q.qty for q in accepted] == [D("2.0")]


def test_order_rate_is_a_one_minute_window():
    rate = rl.OrderRate(5)
    rate.placed(4, 100.0)
    assert rate.room(100.5) == 1 and rate.room(160.1) == 5


def test_the_shrinking_side_and_the_inventory_shift_have_the_right_signs():
    assert rl.shrinking_side(D("3"), D("-3")) == ASK and rl.shrinking_side(D("-3"), D("3")) == BID
    assert rl.shrinking_side(D("0"), D("2")) == BID          # a long hedge shrinks when Hubble buys
    assert rl.inventory_shift(LIMITS, D("7"), D("3")) == D("-0.0002")   # long 3 above target: both sides lower
    assert rl.inventory_shift(LIMITS, D("-7"), D("3")) == D("0.0002")
    assert rl.inventory_shift(LIMITS, D("4"), D("3")) == 0


def test_position_state_reduces_when_no_growing_quote_fits_or_the_hedge_is_past_its_limit():
    assert rl.position_state(LIMITS, D("8"), D("-8"), D("30"), D("3")) is not None     # 8 + 3 > 10
    assert rl.position_state(LIMITS, D("7"), D("-7"), D("30"), D("3")) is None
    limits = settings.load("AVAX", ["maxHedgePosition=5"]).risk
    assert "maxHedgePosition" in rl.position_state(limits, D("0"), D("-6"), D("30"), D("3"))


def test_hubble_liquidation_price_puts_the_margin_fraction_at_the_maintenance_margin():
    size, mark, equity, mm = D("3"), D("35"), D("60"), D("0.05")
    long_liq = hubble_liquidation_price(size, mark, equity, mm)
    assert abs((equity + size * (long_liq - mark)) / (size * long_liq) - mm) < D("1e-20")
    short_liq = hubble_liquidation_price(-size, mark, equity, mm)
    assert short_liq > mark and abs((equity - size * (short_liq - mark)) / (size * short_liq) - mm) < D("1e-20")
    assert hubble_liquidation_price(size, mark, D("200"), mm) is None                 # fully covered long
    assert hubble_liquidation_price(D("0"), mark, equity, mm) is None


def test_distance_is_the_adverse_move_in_percent_of_the_mark():
    assert distance_pct(D("2"), D("100"), D("80")) == D("20")     # a long falls to its liquidation
    assert distance_pct(D("-2"), D("100"), D("125")) == D("25")   # a short rises to it
    assert distance_pct(D("-2"), D("100"), D("90")) == 0          # past it
    assert distance_pct(D("0"), D("100"), D("80")) is None and distance_pct(D("1"), D("100"), None) is None


def test_the_record_keeps_a_trip_per_trader_and_an_unreadable_file_counts_as_tripped(tmp_path):
    path = tmp_path / "avax-risk.json"
    store = RiskStore(path, "0xABC")
    assert store.baselines(D("1000"), "2026-12-01") == (D("1000"), D("1000"))
    assert store.baselines(D("990"), "2026-12-01") == (D("1000"), D("1000"))
    assert store.baselines(D("980"), "2026-12-02") == (D("980"), D("1000"))   # a new UTC day
    store.trip("maxDailyLoss")
    assert RiskStore(path, "0xabc").record.halted and not RiskStore(path, "0xdef").record.halted
    RiskStore(path, "0xabc").clear()
    assert not RiskStore(path, "0xABC").record.halted and "0xabc" in json.loads(path.read_text())
    path.write_text("{not json")
    assert RiskStore(path, "0xabc").record.halted


def test_a_venues_equity_is_moved_to_the_live_mark_between_reads():
    """Two venues read 30 s apart in a crash must be compared at one price: a short read at 30 is worth
    30 USD more at 27."""
    from bot.risk.risk_engine import VenueRisk

    v = VenueRisk(position=D("-10"), mark=D("27"), equity=D("1000"), equity_mark=D("30"), equity_position=D("-10"))
    assert v.equity_now() == D("1030")
    assert VenueRisk(equity=D("5")).equity_now() == D("5")
