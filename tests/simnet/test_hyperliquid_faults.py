"""Fault injection on the simulated Hyperliquid venue, seen through the real SDK."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests
from hyperliquid.api import API
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError, ServerError
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action
from hyperliquid.utils.types import Cloid

from tests.simnet.hyperliquid_helpers import (  # noqa: F401
    HL, IOC, hl, make_hl, only_status, position, start_net, wait_for,
)


def test_error_fault_answers_http_500_then_recovers(hl: HL) -> None:
    hl.control("error", count=2)
    for _ in range(2):
        with pytest.raises(ServerError) as caught:
            hl.info.all_mids()
        assert caught.value.status_code == 500
    assert "ETH" in hl.info.all_mids()


def test_error_fault_with_a_5xx_code(hl: HL) -> None:
    hl.control("error", count=1, code=502, message="Bad Gateway")
    with pytest.raises(ServerError) as caught:
        hl.exchange.order("ETH", True, 0.01, 3100.0, IOC)
    assert caught.value.status_code == 502
    assert hl.info.user_fills(hl.address) == []   # nothing executed


def test_error_fault_in_the_api_error_shape(hl: HL) -> None:
    hl.control("error", count=1, code=200, message="Internal error processing order")
    answer = hl.exchange.order("ETH", True, 0.01, 3100.0, IOC)
    assert answer == {"status": "err", "response": "Internal error processing order"}
    assert hl.info.user_fills(hl.address) == []


def test_rate_limit_flag_gives_http_429(hl: HL) -> None:
    hl.control("set_flag", name="rate_limit", value=1)
    with pytest.raises(ClientError) as caught:
        hl.info.user_state(hl.address)
    assert caught.value.status_code == 429
    assert hl.info.user_state(hl.address)["withdrawable"] == "10000.0"


def test_reject_orders_uses_order_status_errors(hl: HL) -> None:
    hl.control("reject_orders", count=1)
    status = only_status(hl.exchange.market_open("ETH", True, 0.01))
    assert status == {"error": "Insufficient margin to place order. asset=0"}
    hl.control("reject_orders", count=1, reason="Order price cannot be more than 80% away from the reference price")
    status = only_status(hl.exchange.market_open("ETH", True, 0.01))
    assert status["error"].startswith("Order price cannot be more than 80% away")
    assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.01))


def test_min_notional_flag_rejects_the_next_orders(hl: HL) -> None:
    hl.control("set_flag", name="min_notional", value=2)
    for _ in range(2):
        status = only_status(hl.exchange.market_open("SOL", True, 1))
        assert status == {"error": "Order must have minimum value of $10. asset=1"}
    assert "filled" in only_status(hl.exchange.market_open("SOL", True, 1))


def test_partial_fill_flag_fills_part_of_an_ioc(hl: HL) -> None:
    hl.control("set_flag", name="partial_fill", value=0.4)
    filled = only_status(hl.exchange.market_open("ETH", True, 1))["filled"]
    assert filled["totalSz"] == "0.4"
    assert position(hl, "ETH")["szi"] == "0.4"
    hl.control("clear")
    assert only_status(hl.exchange.market_open("ETH", True, 1))["filled"]["totalSz"] == "1.0"


def test_slow_ack_executes_at_once_but_answers_late(hl: HL) -> None:
    hl.control("set_flag", name="slow_ack", value=0.8)
    slow = Exchange(hl.wallet, hl.url, timeout=0.3)
    with pytest.raises(requests.exceptions.Timeout):
        slow.market_open("ETH", True, 0.1)
    assert position(hl, "ETH")["szi"] == "0.1"     # the order executed anyway
    hl.control("clear")


def test_delay_fault_slows_the_next_responses(hl: HL) -> None:
    hl.control("delay", seconds=0.3, count=1)
    started = time.monotonic()
    hl.info.all_mids()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    hl.info.all_mids()
    assert time.monotonic() - started < 0.3


def test_latency_option_is_added_to_every_response() -> None:
    net = start_net(latency_ms=150)
    try:
        info = Info(net.ready["hyperliquid_url"], skip_ws=True)
        started = time.monotonic()
        info.all_mids()
        assert time.monotonic() - started >= 0.15
    finally:
        net.stop()


def test_refuse_closes_the_port_then_reopens(hl: HL) -> None:
    hl.info.all_mids()                     # a kept-alive connection exists
    hl.control("refuse", seconds=0.5)
    with pytest.raises(requests.exceptions.ConnectionError):
        Info(hl.url, skip_ws=True, timeout=1).all_mids()
    with pytest.raises(requests.exceptions.ConnectionError):
        hl.info.all_mids()                 # the kept-alive one is reset too
    deadline = time.monotonic() + 5
    while True:
        try:
            assert "ETH" in hl.info.all_mids()
            break
        except requests.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_fund_signers_option_funds_an_unseen_signer() -> None:
    net = start_net(fund_signers=True)
    try:
        hl = make_hl(net)
        stranger = hl.exchange_for("0x" + "33" * 32)
        assert "filled" in only_status(stranger.market_open("AVAX", True, 1))
        state = hl.info.user_state(stranger.wallet.address)
        assert Decimal(state["marginSummary"]["accountValue"]) < 10000
    finally:
        net.stop()


# ---- late execution (issue 10: an order whose outcome is unknown) --------------------------------
def _usage(hl: HL) -> dict:
    return hl.control("rate_limit_usage")["addresses"][hl.address.lower()]


def test_late_execution_drops_the_answer_then_executes_after_the_delay(hl: HL) -> None:
    cloid = Cloid.from_int(0xABC)
    hl.control("late_execution", seconds=0.5)
    with pytest.raises(requests.exceptions.ConnectionError):
        hl.exchange.order("ETH", True, 0.1, 3100.0, IOC, cloid=cloid)
    assert hl.info.query_order_by_cloid(hl.address, cloid) == {"status": "unknownOid"}   # not yet known
    assert position(hl, "ETH") is None
    found = wait_for(lambda: hl.info.query_order_by_cloid(hl.address, cloid)["status"] == "order", timeout=5,
                     what="the late order to execute")
    assert found
    assert hl.info.query_order_by_cloid(hl.address, cloid)["order"]["status"] == "filled"
    assert position(hl, "ETH")["szi"] == "0.1"
    assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.1))   # the fault was used up


def test_late_execution_after_expires_after_is_refused_and_leaves_nothing(hl: HL) -> None:
    cloid = Cloid.from_int(0xDEF)
    hl.control("late_execution", seconds=0.4)
    hl.exchange.set_expires_after(get_timestamp_ms() + 100)
    with pytest.raises(requests.exceptions.ConnectionError):
        hl.exchange.order("ETH", True, 0.1, 3100.0, IOC, cloid=cloid)
    hl.exchange.set_expires_after(None)
    # the refused action still used 5x its address budget: that is how the test sees it ran
    wait_for(lambda: _usage(hl)["nRequestsUsed"] == 5, timeout=5, what="the late action to be refused")
    assert hl.info.query_order_by_cloid(hl.address, cloid) == {"status": "unknownOid"}
    assert position(hl, "ETH") is None


def test_late_execution_hang_mode_times_the_client_out(hl: HL) -> None:
    cloid = Cloid.from_int(0x123)
    hl.control("late_execution", seconds=0.6, mode="hang")
    slow = Exchange(hl.wallet, hl.url, timeout=0.2)
    with pytest.raises(requests.exceptions.Timeout):
        slow.order("SOL", False, 1, 100.0, IOC, cloid=cloid)
    wait_for(lambda: hl.info.query_order_by_cloid(hl.address, cloid)["status"] == "order", timeout=5,
             what="the held order to execute")
    assert position(hl, "SOL")["szi"] == "-1.0"


def test_expired_action_consumes_its_nonce(hl: HL) -> None:
    nonce = get_timestamp_ms()
    action = {"type": "noop"}
    sig = sign_l1_action(hl.wallet, action, None, nonce, nonce - 1000, False)
    answer = API(hl.url).post("/exchange", {"action": action, "nonce": nonce, "signature": sig, "vaultAddress": None,
                                            "expiresAfter": nonce - 1000})
    assert answer == {"status": "err", "response": "Action already expired"}
    assert "duplicate nonce" in hl.post_signed(hl.wallet, action, nonce=nonce)["response"]


def test_cloid_visibility_delay_hides_fresh_orders_from_cloid_lookups() -> None:
    net = start_net(cloid_visibility_delay_ms=300)
    try:
        hl = make_hl(net)
        cloid = Cloid.from_int(0x77)
        oid = only_status(hl.exchange.order("ETH", True, 0.1, 3100.0, IOC, cloid=cloid))["filled"]["oid"]
        assert hl.info.query_order_by_cloid(hl.address, cloid) == {"status": "unknownOid"}
        assert hl.info.query_order_by_oid(hl.address, oid)["status"] == "order"        # by oid: at once
        wait_for(lambda: hl.info.query_order_by_cloid(hl.address, cloid)["status"] == "order", timeout=5,
                 what="the cloid to become visible")
    finally:
        net.stop()
