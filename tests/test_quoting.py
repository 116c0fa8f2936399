"""Quote math: margin, budgets, skew, prices, sizes, rounding, hedgeability."""
from __future__ import annotations

from decimal import Decimal as D

from bot.maths.quoting import (ASK, BID, Account, Budget, Position, budgets, build_quotes, free_margin, level_price,
                     level_qty, round_to_tick)
from bot.settings import Level

TICK = D("0.001")


def account(size="0", notional="0", margin="1000", reserved="0", upnl="0", funding="0") -> Account:
    positions = (Position(1, D(size), D(notional), D(upnl), D(funding)),) if D(size) else ()
    return Account(D(margin), D(reserved), positions)


def test_free_margin_is_margin_minus_used_plus_upnl_minus_reserved_and_funding_is_not_taken_twice():
    acct = Account(D("1000"), D("50"), (Position(1, D("10"), D("350"), D("12"), D("2")),
                                         Position(0, D("-1"), D("3000"), D("-30"), D("0"))))
    # used = (350 + 3000) x 0.2 (the chain's minAllowableMargin) = 670; the node's margin already has the
    # pending funding (2) taken out, so it is not subtracted again
    assert free_margin(acct, D("0.2")) == D("1000") - D("670") + D("-18") - D("50")


def test_flat_position_splits_the_same_budget_to_both_sides_without_skew():
    b = budgets(account(), 1, D("0.2"), D("0.5"), D("1"))
    assert b == Budget(D("500"), D("500"), D(0), D(0))


def test_long_position_frees_the_ask_budget_and_skews_the_bid():
    # long 10 AVAX, notional 350 at a 0.2 margin requirement: position margin 70, free = 1000 - 70 = 930
    b = budgets(account(size="10", notional="350"), 1, D("0.2"), D("0.5"), D("0.1"))
    assert b.bid == D("465") and b.ask == D("500")
    assert b.skew_bid == D("70") / D("930") * 10 * D("0.1") / 100 and b.skew_ask == 0


def test_short_position_mirrors():
    b = budgets(account(size="-10", notional="350"), 1, D("0.2"), D("0.5"), D("0.1"))
    assert b.bid == D("500") and b.ask == D("465") and b.skew_ask > 0 and b.skew_bid == 0


def test_rounding_never_tightens_the_spread():
    assert round_to_tick(D("34.9876"), TICK, BID) == D("34.987")
    assert round_to_tick(D("34.9871"), TICK, ASK) == D("34.988")
    assert round_to_tick(D("35.000"), TICK, ASK) == D("35.000")


def test_level_prices_are_on_both_sides_of_mid():
    mid = D("35")
    bid = level_price(mid, D("0.1"), D(0), BID, TICK, None, None, True)
    ask = level_price(mid, D("0.1"), D(0), ASK, TICK, None, None, True)
    assert bid == D("34.965") and ask == D("35.035")


def test_skew_widens_only_its_side():
    plain = level_price(D("35"), D("0.1"), D(0), BID, TICK, None, None, False)
    skewed = level_price(D("35"), D("0.1"), D("0.001"), BID, TICK, None, None, False)
    assert skewed < plain


def test_avoid_crossing_keeps_bid_below_the_live_best_ask():
    # mid from Binance says 35 but Hubble's best ask is 34.9: a bid at 34.965 would cross
    bid = level_price(D("35"), D("0.1"), D(0), BID, TICK, D("34.8"), D("34.9"), True)
    assert bid < D("34.9") and bid == D("34.865")
    crossing = level_price(D("35"), D("0.1"), D(0), BID, TICK, D("34.8"), D("34.9"), False)
    assert crossing == D("34.965")
    ask = level_price(D("35"), D("0.1"), D(0), ASK, TICK, D("35.2"), D("35.3"), True)
    assert ask > D("35.2")


def test_avoid_crossing_with_tiny_spread_still_leaves_one_tick():
    bid = level_price(D("35"), D("0.0001"), D(0), BID, TICK, None, D("34.000"), True)
    assert bid == D("33.999")


def test_level_qty_caps_by_budget_and_rounds_down_to_min_size():
    assert level_qty(D("3"), D("100"), D("0.2"), D("35"), D("1")) == D("3")
    assert level_qty(D("30"), D("100"), D("0.2"), D("35"), D("1")) == D("14")      # 500/35 = 14.28
    assert level_qty(D("3"), D("5"), D("0.2"), D("35"), D("1")) == D("0")          # 25/35 < 1
    assert level_qty(D("3"), D("-5"), D("0.2"), D("35"), D("1")) == D("0")
    assert level_qty(D("0.5"), D("10"), D("0.2"), D("3000"), D("0.01")) == D("0.01")


def levels(*specs):
    return [Level(i + 1, D(s), D(q), D(0)) for i, (s, q) in enumerate(specs)]


def test_build_quotes_spends_the_budget_level_by_level():
    quotes = build_quotes(D("35"), levels(("0.1", "3"), ("0.2", "4"), ("0.3", "5")),
                          Budget(D("30"), D("1000"), D(0), D(0)), D("0.2"), TICK, D("1"), None, None, True, None)
    bids = [q for q in quotes if q.side == BID]
    asks = [q for q in quotes if q.side == ASK]
    assert [q.qty for q in asks] == [D("3"), D("4"), D("5")]
    # bid budget 30 USD / 0.2 = 150 USD: 3 @ 34.965 (~104.9) then 1 @ 34.930
    assert [(q.level, q.qty) for q in bids] == [(1, D("3")), (2, D("1"))]
    assert all(q.signed_size == -q.qty for q in asks)


def test_unhedgeable_levels_are_skipped_using_cumulative_opposite_size():
    asked = []

    def hedgeable(size):
        asked.append(size)
        return abs(size) <= 5

    quotes = build_quotes(D("35"), levels(("0.1", "3"), ("0.2", "4"), ("0.3", "2")),
                          Budget(D("1000"), D("1000"), D(0), D(0)), D("0.2"), TICK, D("1"), None, None, True, hedgeable)
    assert asked[:3] == [D("-3"), D("-7"), D("-5")]   # bids are hedged by sells
    assert [(q.side, q.level) for q in quotes] == [(BID, 1), (BID, 3), (ASK, 1), (ASK, 3)]


def test_hubble_sizes_follow_the_chains_margin_requirement_not_the_hedge_leverage():
    # the same 100 USD budget: a 0.1 requirement (10x on Hubble) affords twice the size of 0.2 (5x)
    assert level_qty(D("100"), D("100"), D("0.2"), D("35"), D("1")) == D("14")
    assert level_qty(D("100"), D("100"), D("0.1"), D("35"), D("1")) == D("28")
    acct = account(size="10", notional="350")
    assert free_margin(acct, D("0.1")) == D("1000") - D("35")


def test_margin_held_by_resting_quotes_leaves_the_budget():
    from bot.maths.quoting import less_committed

    b = less_committed(Budget(D("100"), D("100"), D(0), D(0)), {BID: D("30"), ASK: D(0)})
    assert b.bid == D("70") and b.ask == D("100")


def test_a_profitable_price_covers_both_fees_and_the_minimum_profit():
    from bot.maths.quoting import profitable_price

    bid = profitable_price(BID, D("35"), D("0.00045"), D("-0.0001"), D("0.0002"))
    assert bid * (1 + D("-0.0001") + D("0.0002")) == D("35") * (1 - D("0.00045"))
    ask = profitable_price(ASK, D("35.1"), D("0.00045"), D("0"), D("0"))
    assert ask * 1 == D("35.1") * D("1.00045") and ask > D("35.1")


def test_the_profit_bound_pushes_a_level_behind_the_hedge_book_and_skips_an_unhedgeable_one():
    bound = {(BID, D(0)): D("34.95"), (ASK, D(0)): D("35.05")}
    skipped: list[str] = []
    quotes = build_quotes(D("35"), levels(("0.01", "3"), ("0.02", "4")), Budget(D("1000"), D("1000"), D(0), D(0)),
                          D("0.2"), TICK, D("1"), None, None, True, None,
                          lambda side, before, qty: bound.get((side, before)), skipped)
    # level 1 by spread alone would be 34.996 / 35.004: the hedge book only makes 34.95 / 35.05 profitable
    assert [(q.side, q.level, q.price) for q in quotes] == [(BID, 1, D("34.95")), (ASK, 1, D("35.05"))]
    assert skipped == ["bid 2: no profitable price: the hedge book is too thin",
                       "ask 2: no profitable price: the hedge book is too thin"]
