"""Contract tests: the real SDK ``Exchange`` against the simulated /exchange."""
from __future__ import annotations

from decimal import Decimal

from hyperliquid.utils.signing import get_timestamp_ms
from hyperliquid.utils.types import Cloid

from tests.simnet.hyperliquid_helpers import (  # noqa: F401
    ALO, BOB_KEY, GTC, HL, IOC, hl, make_hl, only_status, position, start_net, statuses,
)


def best(hl: HL, coin: str) -> tuple[Decimal, Decimal]:
    bids, asks = hl.info.l2_snapshot(coin)["levels"]
    return Decimal(bids[0]["px"]), Decimal(asks[0]["px"])


# ---- happy paths -------------------------------------------------------------------
def test_market_open_fills_at_the_ask_and_reports_a_taker_fill(hl: HL) -> None:
    _, ask = best(hl, "ETH")
    filled = only_status(hl.exchange.market_open("ETH", True, 0.5))["filled"]
    assert filled["totalSz"] == "0.5" and Decimal(filled["avgPx"]) == ask
    (fill,) = hl.info.user_fills(hl.address)
    assert fill["oid"] == filled["oid"] and fill["crossed"] is True
    assert fill["side"] == "B" and fill["dir"] == "Open Long" and fill["startPosition"] == "0.0"
    assert Decimal(fill["fee"]) == (ask * Decimal("0.5") * Decimal("0.00045")).quantize(Decimal("1e-6"))
    assert fill["feeToken"] == "USDC" and fill["closedPnl"] == "0.0"
    assert isinstance(fill["tid"], int) and fill["hash"].startswith("0x") and isinstance(fill["time"], int)
    pos = position(hl, "ETH")
    assert pos is not None and pos["szi"] == "0.5" and Decimal(pos["entryPx"]) == ask
    assert pos["leverage"] == {"type": "cross", "value": 20} and pos["maxLeverage"] == 25


def test_large_hedge_walks_the_book_and_pays_slippage(hl: HL) -> None:
    _, ask = best(hl, "ETH")
    filled = only_status(hl.exchange.market_open("ETH", True, 60))["filled"]
    assert filled["totalSz"] == "60.0"
    assert Decimal(filled["avgPx"]) > ask
    assert len(hl.info.user_fills(hl.address)) > 3
    # the liquidity taken stays taken until the next tick
    _, ask_after = best(hl, "ETH")
    assert ask_after > ask
    hl.step()
    _, ask_next = best(hl, "ETH")
    assert abs(ask_next - ask) < Decimal(5)


def test_market_close_flattens_and_books_closed_pnl(hl: HL) -> None:
    hl.exchange.market_open("SOL", False, 10)
    hl.step(3)
    closed = only_status(hl.exchange.market_close("SOL"))["filled"]
    assert closed["totalSz"] == "10.0"
    assert position(hl, "SOL") is None
    last = hl.info.user_fills(hl.address)[0]
    assert last["dir"] == "Close Short" and last["startPosition"] == "-10.0"
    assert last["closedPnl"] != ""


def test_gtc_rests_shows_in_open_orders_and_cancels(hl: HL) -> None:
    bid, _ = best(hl, "ETH")
    px = float(bid - 50)
    oid = only_status(hl.exchange.order("ETH", True, 0.01, px, GTC))["resting"]["oid"]
    (order,) = hl.info.open_orders(hl.address)
    assert order["oid"] == oid and order["side"] == "B" and order["sz"] == "0.01"
    (front,) = hl.info.frontend_open_orders(hl.address)
    assert front["tif"] == "Gtc" and front["orderType"] == "Limit" and front["reduceOnly"] is False
    status = hl.info.query_order_by_oid(hl.address, oid)
    assert status["status"] == "order" and status["order"]["status"] == "open"
    assert hl.exchange.cancel("ETH", oid)["response"]["data"]["statuses"] == ["success"]
    assert hl.info.open_orders(hl.address) == []
    assert hl.info.query_order_by_oid(hl.address, oid)["order"]["status"] == "canceled"
    again = hl.exchange.cancel("ETH", oid)["response"]["data"]["statuses"][0]
    assert again == {"error": "Order was never placed, already canceled, or filled. asset=0"}


def test_client_order_ids_round_trip_and_cancel_by_cloid(hl: HL) -> None:
    cloid = Cloid.from_int(42)
    bid, _ = best(hl, "AVAX")
    rest = only_status(hl.exchange.order("AVAX", True, 1, float(bid - 1), GTC, cloid=cloid))["resting"]
    assert rest["cloid"] == cloid.to_raw()
    by_cloid = hl.info.query_order_by_cloid(hl.address, cloid)
    assert by_cloid["order"]["order"]["oid"] == rest["oid"]
    assert statuses(hl.exchange.cancel_by_cloid("AVAX", cloid)) == ["success"]
    assert hl.info.open_orders(hl.address) == []


def test_bulk_orders_get_one_status_each(hl: HL) -> None:
    bid, ask = best(hl, "ETH")
    result = hl.exchange.bulk_orders([
        {"coin": "ETH", "is_buy": True, "sz": 0.01, "limit_px": float(bid - 20), "order_type": GTC,
         "reduce_only": False},
        {"coin": "ETH", "is_buy": False, "sz": 0.01, "limit_px": float(ask + 20), "order_type": ALO,
         "reduce_only": False},
        {"coin": "ETH", "is_buy": True, "sz": 0.001, "limit_px": float(bid - 20), "order_type": GTC,
         "reduce_only": False},
    ])
    first, second, third = statuses(result)
    assert "resting" in first and "resting" in second
    assert third == {"error": "Order must have minimum value of $10. asset=0"}
    assert len(hl.info.open_orders(hl.address)) == 2


def test_gtc_crossing_fills_then_rests_remainder(hl: HL) -> None:
    _, ask = best(hl, "AVAX")
    status = only_status(hl.exchange.order("AVAX", True, 1, float(ask), GTC))
    assert "filled" in status and status["filled"]["totalSz"] == "1.0"
    hl.exchange.order("AVAX", True, 800, float(ask), GTC)  # more than the best level holds
    (rest,) = hl.info.open_orders(hl.address)
    assert 0 < Decimal(rest["sz"]) < Decimal(rest["origSz"]) == Decimal(800)


def test_resting_order_fills_as_maker_when_the_market_moves_through_it() -> None:
    net = start_net(maker_fee_bps=-1)
    try:
        hl = make_hl(net)
        bid, _ = best(hl, "ETH")
        limit = bid - Decimal("0.3")
        oid = only_status(hl.exchange.order("ETH", True, 0.01, float(limit), GTC))["resting"]["oid"]
        hl.control("clear")
        hl.net.control("net", "shock", symbol="ETH", relative=-0.01)
        hl.step()
        (fill,) = hl.info.user_fills(hl.address)
        assert fill["oid"] == oid and fill["crossed"] is False and Decimal(fill["px"]) == limit
        assert Decimal(fill["fee"]) < 0  # rebate
        assert hl.info.query_order_by_oid(hl.address, oid)["order"]["status"] == "filled"
    finally:
        net.stop()


def test_update_leverage_changes_position_margin(hl: HL) -> None:
    assert hl.exchange.update_leverage(5, "ETH") == {"status": "ok", "response": {"type": "default"}}
    hl.exchange.market_open("ETH", True, 1)
    pos = position(hl, "ETH")
    assert pos["leverage"] == {"type": "cross", "value": 5}
    assert Decimal(pos["marginUsed"]) == Decimal(pos["positionValue"]) / 5
    hl.exchange.update_leverage(3, "SOL", is_cross=False)
    hl.exchange.market_open("SOL", True, 1)
    assert position(hl, "SOL")["leverage"]["type"] == "isolated"


def test_update_leverage_above_max_is_refused(hl: HL) -> None:
    assert hl.exchange.update_leverage(11, "AVAX") == {"status": "err", "response": "Invalid leverage value"}


def test_schedule_cancel_cancels_open_orders_when_due(hl: HL) -> None:
    bid, _ = best(hl, "ETH")
    hl.exchange.order("ETH", True, 0.01, float(bid - 30), GTC)
    too_soon = hl.exchange.schedule_cancel(get_timestamp_ms() + 1000)
    assert too_soon["status"] == "err"
    assert hl.exchange.schedule_cancel(get_timestamp_ms() + 5100)["status"] == "ok"
    venue = hl.net.venues["hyperliquid"]
    hl.net.call(_force_schedule_due, venue, hl.address.lower())
    hl.step()
    assert hl.info.open_orders(hl.address) == []


async def _force_schedule_due(venue, address: str) -> None:
    venue.engine.accounts[address].schedule_cancel_at = 0


# ---- order validation ------------------------------------------------------------------
def test_below_minimum_value(hl: HL) -> None:
    bid, _ = best(hl, "SOL")
    status = only_status(hl.exchange.order("SOL", True, 0.05, float(bid - 1), GTC))
    assert status == {"error": "Order must have minimum value of $10. asset=1"}


def test_too_many_size_decimals(hl: HL) -> None:
    status = only_status(hl.exchange.order("SOL", True, 1.234, 140.0, GTC))
    assert status == {"error": "Order has invalid size. asset=1"}


def test_too_many_price_decimals(hl: HL) -> None:
    status = only_status(hl.exchange.order("ETH", True, 0.01, 2900.123, GTC))
    assert status == {"error": "Order has invalid price. asset=0"}


def test_too_many_significant_figures(hl: HL) -> None:
    status = only_status(hl.exchange.order("SOL", True, 1, 140.1234, GTC))
    assert status == {"error": "Price must be divisible by tick size. asset=1"}


def test_integer_price_is_always_allowed(hl: HL) -> None:
    status = only_status(hl.exchange.order("ETH", True, 0.01, 2901.0, GTC))
    assert "resting" in status


def test_insufficient_margin(hl: HL) -> None:
    bid, _ = best(hl, "ETH")
    status = only_status(hl.exchange.order("ETH", True, 100, float(bid - 10), GTC))
    assert status == {"error": "Insufficient margin to place order. asset=0"}
    assert hl.info.open_orders(hl.address) == []


def test_ioc_without_liquidity_at_the_limit(hl: HL) -> None:
    bid, _ = best(hl, "ETH")
    status = only_status(hl.exchange.order("ETH", True, 0.01, float(bid - 10), IOC))
    assert status == {"error": "Order could not immediately match against any resting orders. asset=0"}


def test_post_only_that_would_cross(hl: HL) -> None:
    bid, ask = best(hl, "ETH")
    status = only_status(hl.exchange.order("ETH", True, 0.01, float(ask), ALO))
    assert status == {"error": f"Post only order would have immediately matched, bbo was {bid}@{ask}. asset=0"}


def test_reduce_only_without_position(hl: HL) -> None:
    status = only_status(hl.exchange.order("ETH", False, 0.01, 2000.0, IOC, reduce_only=True))
    assert status == {"error": "Reduce only order would increase position. asset=0"}


def test_reduce_only_is_capped_at_the_position(hl: HL) -> None:
    hl.exchange.market_open("AVAX", True, 2)
    filled = only_status(hl.exchange.order("AVAX", False, 5, 30.0, IOC, reduce_only=True))["filled"]
    assert filled["totalSz"] == "2.0"
    assert position(hl, "AVAX") is None


# ---- signatures, agents, nonces ----------------------------------------------------------
def cancel_action() -> dict:
    return {"type": "cancel", "cancels": [{"a": 0, "o": 1}]}


def test_tampered_signature_is_an_unknown_wallet(hl: HL) -> None:
    nonce = get_timestamp_ms()
    from hyperliquid.api import API
    from hyperliquid.utils.signing import sign_l1_action
    signature = sign_l1_action(hl.wallet, cancel_action(), None, nonce, None, False)
    signature["s"] = hex(int(signature["s"], 16) ^ 0xFFFF)
    answer = API(hl.url).post("/exchange", {"action": cancel_action(), "nonce": nonce, "signature": signature,
                                            "vaultAddress": None, "expiresAfter": None})
    assert answer["status"] == "err"
    assert answer["response"].startswith("L1 error: User or API Wallet 0x")
    assert answer["response"].endswith(" does not exist.")


def test_signer_that_is_neither_the_account_nor_its_agent_is_refused(hl: HL) -> None:
    import eth_account
    stranger = eth_account.Account.from_key(BOB_KEY)
    answer = hl.post_signed(stranger, cancel_action(), vault=hl.address)
    text = f"L1 error: User or API Wallet {stranger.address.lower()} does not exist."
    assert answer == {"status": "err", "response": text}
    # an SDK Exchange that names the account but signs with an unapproved key
    rogue = hl.exchange_for(BOB_KEY, account_address=hl.address)
    answer = rogue.order("ETH", True, 0.01, 2900.0, GTC)
    assert answer["status"] == "err" and "does not exist" in answer["response"]


def test_approved_agent_trades_for_its_master(hl: HL) -> None:
    result, agent_key = hl.exchange.approve_agent("bot")
    assert result == {"status": "ok", "response": {"type": "default"}}
    agent = hl.exchange_for(agent_key, account_address=hl.address)
    filled = only_status(agent.market_open("ETH", True, 0.01))["filled"]
    assert filled["totalSz"] == "0.01"
    assert position(hl, "ETH")["szi"] == "0.01"
    assert hl.info.extra_agents(hl.address)[0]["name"] == "bot"


def test_duplicate_nonce_is_refused(hl: HL) -> None:
    nonce = get_timestamp_ms()
    first = hl.post_signed(hl.wallet, cancel_action(), nonce=nonce)
    assert first["status"] == "ok"
    second = hl.post_signed(hl.wallet, cancel_action(), nonce=nonce)
    assert second == {"status": "err", "response": f"Invalid nonce: duplicate nonce {nonce}"}


def test_stale_and_future_nonces_are_refused(hl: HL) -> None:
    now = get_timestamp_ms()
    stale = hl.post_signed(hl.wallet, cancel_action(), nonce=now - 3 * 24 * 3600 * 1000)
    assert stale["status"] == "err" and stale["response"].startswith("Invalid nonce: nonce too low")
    future = hl.post_signed(hl.wallet, cancel_action(), nonce=now + 2 * 24 * 3600 * 1000)
    assert future["status"] == "err" and future["response"].startswith("Invalid nonce: nonce too high")


def test_fills_are_deterministic_per_seed() -> None:
    def run() -> list:
        net = start_net(seed=11)
        try:
            hl = make_hl(net)
            hl.step(10)
            hl.exchange.market_open("ETH", True, 30)
            hl.step(5)
            hl.exchange.market_close("ETH")
            return [(f["px"], f["sz"], f["fee"], f["closedPnl"], f["dir"]) for f in hl.info.user_fills(hl.address)]
        finally:
            net.stop()

    assert run() == run()


def test_modify_replaces_an_open_order(hl: HL) -> None:
    bid, _ = best(hl, "ETH")
    cloid = Cloid.from_int(7)
    oid = only_status(hl.exchange.order("ETH", True, 0.01, float(bid - 20), GTC, cloid=cloid))["resting"]["oid"]
    new = only_status(hl.exchange.modify_order(oid, "ETH", True, 0.02, float(bid - 10), GTC, cloid=cloid))
    (order,) = hl.info.open_orders(hl.address)
    assert order["oid"] == new["resting"]["oid"] != oid and order["sz"] == "0.02"
    refused = only_status(hl.exchange.modify_order(cloid, "ETH", True, 0.0001, float(bid - 10), GTC))
    assert refused == {"error": "Order must have minimum value of $10. asset=0"}
    assert hl.info.open_orders(hl.address) == [order]



def test_taker_matches_another_users_resting_order_first(hl: HL) -> None:
    bob = hl.exchange_for(BOB_KEY)
    hl.info.user_state(bob.wallet.address)
    bid, ask = best(hl, "ETH")
    inside = (bid + ask) / 2
    bob_oid = only_status(bob.order("ETH", False, 0.05, float(inside), ALO))["resting"]["oid"]
    assert best(hl, "ETH") == (bid, inside)          # the book shows Bob's order
    blocked = only_status(hl.exchange.order("ETH", True, 0.01, float(inside), ALO))
    assert blocked["error"].startswith(f"Post only order would have immediately matched, bbo was {bid}@{inside}")
    filled = only_status(hl.exchange.order("ETH", True, 0.1, float(ask), IOC))["filled"]
    assert filled["totalSz"] == "0.1"
    assert Decimal(filled["avgPx"]) == (inside * Decimal("0.05") + ask * Decimal("0.05")) / Decimal("0.1")
    (bob_fill,) = hl.info.user_fills(bob.wallet.address)
    assert bob_fill["oid"] == bob_oid and bob_fill["crossed"] is False and Decimal(bob_fill["px"]) == inside
    assert bob_fill["side"] == "A" and bob_fill["dir"] == "Open Short"
    assert hl.info.query_order_by_oid(bob.wallet.address, bob_oid)["order"]["status"] == "filled"
    assert position(hl, "ETH", bob.wallet.address)["szi"] == "-0.05"


def test_expired_action_is_refused(hl: HL) -> None:
    hl.exchange.set_expires_after(get_timestamp_ms() - 1000)
    answer = hl.exchange.update_leverage(5, "ETH")
    assert answer["status"] == "err" and "expired" in answer["response"]
    hl.exchange.set_expires_after(get_timestamp_ms() + 60_000)
    assert hl.exchange.update_leverage(5, "ETH")["status"] == "ok"


# ---- the $10 minimum and the records refused orders leave --------------------------------------
def test_minimum_value_is_priced_at_the_first_crossing_price_not_the_limit(hl: HL) -> None:
    bid, _ = best(hl, "AVAX")
    size = (Decimal(10) / bid).quantize(Decimal("0.01")) + Decimal("0.01")      # just above $10 at the touch
    limit = (bid * Decimal("0.95")).quantize(Decimal("0.01"))                    # below $10 at the limit
    assert size * bid >= 10 > size * limit
    filled = only_status(hl.exchange.order("AVAX", False, float(size), float(limit), IOC))["filled"]
    assert Decimal(filled["totalSz"]) == size
    small = size - Decimal("0.02")                                               # below $10 at the touch
    cloid = Cloid.from_int(0x5A11)
    status = only_status(hl.exchange.order("AVAX", False, float(small), float(limit), IOC, cloid=cloid))
    assert status == {"error": "Order must have minimum value of $10. asset=2"}
    assert hl.info.query_order_by_cloid(hl.address, cloid)["order"]["status"] == "minTradeNtlRejected"


def test_an_ioc_without_liquidity_is_reported_before_the_minimum(hl: HL) -> None:
    bid, _ = best(hl, "AVAX")
    status = only_status(hl.exchange.order("AVAX", True, 0.01, float((bid * Decimal("0.9")).quantize(Decimal("0.01"))),
                                           IOC))
    assert status == {"error": "Order could not immediately match against any resting orders. asset=2"}


def test_refused_orders_keep_a_terminal_status_static_ones_do_not(hl: HL) -> None:
    bid, ask = best(hl, "ETH")
    cases = [(Cloid.from_int(1), ("ETH", 0.01, float(bid - 10), IOC), "iocCancelRejected"),
             (Cloid.from_int(2), ("ETH", 0.01, float(ask), ALO), "badAloPxRejected"),
             (Cloid.from_int(3), ("ETH", 100, float(bid - 10), GTC), "perpMarginRejected"),
             (Cloid.from_int(4), ("SOL", 1, 140.1234, GTC), "tickRejected")]
    for cloid, (coin, sz, px, tif), expected in cases:
        assert "error" in only_status(hl.exchange.order(coin, True, sz, px, tif, cloid=cloid))
        record = hl.info.query_order_by_cloid(hl.address, cloid)["order"]
        assert record["status"] == expected and record["order"]["sz"] == record["order"]["origSz"]
    reduce_cloid = Cloid.from_int(5)
    hl.exchange.order("ETH", False, 0.01, 2000.0, IOC, reduce_only=True, cloid=reduce_cloid)
    assert hl.info.query_order_by_cloid(hl.address, reduce_cloid)["order"]["status"] == "reduceOnlyRejected"
    static = Cloid.from_int(6)
    assert only_status(hl.exchange.order("ETH", True, 0.00001, 3000.0, GTC, cloid=static))["error"].startswith(
        "Order has invalid size.")
    assert hl.info.query_order_by_cloid(hl.address, static) == {"status": "unknownOid"}
    statuses_seen = {o["status"] for o in hl.info.historical_orders(hl.address)}
    assert {"iocCancelRejected", "badAloPxRejected", "perpMarginRejected", "reduceOnlyRejected"} <= statuses_seen


def test_a_partly_filled_ioc_ends_filled(hl: HL) -> None:
    hl.control("set_flag", name="partial_fill", value=0.5)
    cloid = Cloid.from_int(0x9)
    filled = only_status(hl.exchange.order("ETH", True, 0.2, 3100.0, IOC, cloid=cloid))["filled"]
    assert filled["totalSz"] == "0.1"
    assert hl.info.query_order_by_cloid(hl.address, cloid)["order"]["status"] == "filled"
