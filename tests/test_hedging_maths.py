"""Unit tests of hedge_math: signs, units, rounding direction and exact carry."""
from decimal import Decimal as D

import pytest

from bot.maths import hedging as hm

BOOK = hm.Book(bids=((D("99"), D("1")), (D("98"), D("2")), (D("90"), D("100"))),
               asks=((D("101"), D("1")), (D("102"), D("2")), (D("110"), D("100"))))


def test_hubble_short_fill_is_hedged_with_a_buy_taking_asks():
    hubble_fill = D("-3")            # we sold 3 on Hubble (short)
    hedge = -hubble_fill             # so we buy 3 on the hedge venue
    assert hedge > 0
    assert BOOK.side_for(hedge) is BOOK.asks
    walk = hm.walk_book(BOOK.side_for(hedge), hedge)
    assert walk.filled == D("3")
    assert walk.notional == D("101") + D("204")
    assert walk.worst_price == D("102")
    assert walk.avg_price == D("305") / 3


def test_sell_takes_bids_and_stops_at_limit():
    walk = hm.walk_book(BOOK.bids, D("-10"), limit=D("97"), is_buy=False)
    assert walk.filled == D("3")          # the 90 level is below the limit
    assert walk.worst_price == D("98")


def test_slippage_limit_direction():
    assert hm.slippage_limit(D("100"), True, D("0.01")) == D("101.00")
    assert hm.slippage_limit(D("100"), False, D("0.01")) == D("99.00")


def test_can_absorb_walks_beyond_top_level_within_slippage():
    assert hm.can_absorb(BOOK, D("3"), D("0.01")) is not None       # 102 <= 101*1.01 = 102.01
    assert hm.can_absorb(BOOK, D("4"), D("0.01")) is None           # needs the 110 level
    # a sell's cap is 99 * 0.99 = 98.01: the 98 level is beyond it, so only 1 can fill
    assert hm.can_absorb(BOOK, D("-1"), D("0.01")) is not None
    assert hm.can_absorb(BOOK, D("-2"), D("0.01")) is None
    assert hm.can_absorb(BOOK, D("-3"), D("0.03")) is not None      # cap 96.03
    assert hm.can_absorb(hm.Book(), D("1"), D("0.01")) is None


def test_hyperliquid_price_rounds_toward_reference_and_obeys_rules():
    # 5 significant figures, <= 6 - szDecimals decimals; buy rounds down, sell up
    assert hm.hyperliquid_price(D("3030.1234"), 4, True) == D("3030.1")
    assert hm.hyperliquid_price(D("3030.1234"), 4, False) == D("3030.2")
    assert hm.hyperliquid_price(D("35.356789"), 2, True) == D("35.356")
    assert hm.hyperliquid_price(D("0.0123456789"), 2, True) == D("0.0123")   # 4 decimals max
    assert hm.hyperliquid_price(D("123456.7"), 5, True) == D("123456")       # integers always valid
    for px in (D("35.356789"), D("151.51515"), D("3333.33333")):
        for is_buy in (True, False):
            r = hm.hyperliquid_price(px, 2, is_buy)
            assert (r <= px) if is_buy else (r >= px)
            assert len(r.normalize().as_tuple().digits) <= 5 or r == r.to_integral_value()


def test_binance_price_on_tick():
    assert hm.binance_price(D("35.35678"), D("0.001"), True) == D("35.356")
    assert hm.binance_price(D("35.35678"), D("0.001"), False) == D("35.357")
    assert hm.binance_price(D("3030.005"), D("0.01"), True) == D("3030.00")


@pytest.mark.parametrize("total", [D("1.23456"), D("-1.23456"), D("0.99999"), D("-7.00001")])
def test_rounding_never_increases_size_and_splits_exactly(total):
    s = hm.split_order(total, D("0.01"), D("0.01"), D("10"), D("100"))
    assert abs(s.order) <= abs(total)
    assert s.order + s.carry == total
    assert s.order == 0 or hm.sign(s.order) == hm.sign(total)
    assert abs(s.carry) < D("0.01")


def test_split_carries_everything_below_minimum_notional():
    s = hm.split_order(D("0.05"), D("0.01"), D("0.01"), D("10"), D("100"))   # $5 < $10
    assert s == hm.Split(D("0"), D("0.05"))
    s = hm.split_order(D("-0.1"), D("0.01"), D("0.01"), D("10"), D("100"))  # $10 ok
    assert s == hm.Split(D("-0.10"), D("0"))
    assert hm.split_order(D("3"), D("1"), D("1"), D("5"), None).order == 0   # no price: send nothing


def test_carry_netting_across_three_fills_sums_exactly():
    """Three small Hubble fills hedged on a venue with step 1: the carry nets to an exact order."""
    carry, sent = D("0"), D("0")
    hubble_fills = [D("0.4"), D("0.3"), D("0.4")]            # Hubble longs -> hedge sells
    for fill in hubble_fills:
        total = -fill + carry
        s = hm.split_order(total, D("1"), D("1"), D("5"), D("35"))
        sent += s.order
        carry = s.carry
    assert sent == D("-1")
    assert carry == D("-0.1")
    assert sent + carry == -sum(hubble_fills)


def test_opposite_fills_cancel_in_the_carry():
    s1 = hm.split_order(D("0.004"), D("0.01"), D("0.01"), D("10"), D("3000"))
    s2 = hm.split_order(s1.carry + D("-0.004"), D("0.01"), D("0.01"), D("10"), D("3000"))
    assert s1.order == s2.order == 0 and s2.carry == 0


def test_margin_only_charges_the_opening_part():
    # long 5, sell 8 at avg 100 (notional 800): 3 opens short -> 300 / 5x = 60
    assert hm.required_margin(D("5"), D("-8"), D("800"), 5) == D("60")
    assert hm.required_margin(D("5"), D("-5"), D("500"), 5) == 0          # pure reduce
    assert hm.required_margin(D("0"), D("2"), D("200"), 4) == D("50")
    assert hm.required_margin(D("-1"), D("-2"), D("200"), 2) == D("100")  # grows a short
    assert hm.margin_ok(D("0"), D("2"), D("200"), 4, D("50"))
    assert not hm.margin_ok(D("0"), D("2"), D("200"), 4, D("49.99"))


def test_vwap_and_decimals():
    assert hm.vwap([(D("100"), D("1")), (D("103"), D("-2"))]) == D("102")
    assert hm.vwap([]) is None
    assert hm.decimals_of(D("0.001")) == 3 and hm.decimals_of(D("1")) == 0


def test_minimum_round_trip_overshoots_so_that_both_orders_meet_the_minimum():
    # 3 AVAX (~$105) to buy, venue minimum raised to $200: buy 3 + k, then sell k, each >= $200
    order = hm.minimum_round_trip(D("3"), D("1"), D("1"), D("200"), D("35.35"), D("34.65"))
    k = order - 3
    assert order > 0 and k * D("34.65") >= 200 and (k - 1) * D("34.65") < 200
    assert order * D("35.35") >= 200
    sell = hm.minimum_round_trip(D("-3"), D("1"), D("1"), D("200"), D("34.65"), D("35.35"))
    assert sell < 0 and (-sell - 3) * D("35.35") >= 200


def test_minimum_round_trip_cannot_hedge_less_than_one_step():
    assert hm.minimum_round_trip(D("0.3"), D("1"), D("1"), D("5"), D("150"), D("149")) == 0


def test_slice_vwap_prices_the_part_of_the_book_a_level_takes():
    asks = ((D("35.0"), D("2")), (D("35.1"), D("3")), (D("35.3"), D("10")))
    assert hm.slice_vwap(asks, D("0"), D("2")) == D("35.0")
    assert hm.slice_vwap(asks, D("2"), D("4")) == (D("35.1") * 3 + D("35.3")) / 4
    assert hm.slice_vwap(asks, D("10"), D("10")) is None          # deeper than the book
