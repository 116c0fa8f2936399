"""Rate limits of the simulated Hyperliquid venue: IP weight, the per-address budget, websocket limits."""
from __future__ import annotations

import json

import pytest
import requests
import websocket
from hyperliquid.api import API
from hyperliquid.utils.error import ClientError

from tests.simnet.hyperliquid_helpers import HL, IOC, hl, make_hl, only_status, start_net, wait_for  # noqa: F401


def ip_used(hl: HL) -> int:
    return sum(hl.control("rate_limit_usage")["ip"].values())


def test_info_and_exchange_requests_weigh_as_documented(hl: HL) -> None:
    hl.control("reset_rate_limits")
    hl.info.l2_snapshot("ETH")                     # 2
    hl.info.user_state(hl.address)                 # 2
    assert ip_used(hl) == 4
    hl.info.meta()                                 # 20
    assert ip_used(hl) == 24
    hl.exchange.market_open("ETH", True, 0.01)     # 1 (the SDK's slippage price reads allMids first: +2)
    assert ip_used(hl) == 27
    usage = hl.control("rate_limit_usage")
    assert usage["ip_weight_limit"] == 1200 and usage["window_s"] == 60


def test_fills_add_weight_per_twenty_items(hl: HL) -> None:
    for _ in range(3):
        hl.exchange.bulk_orders([{"coin": "AVAX", "is_buy": True, "sz": 0.3, "limit_px": 40.0,
                                  "order_type": IOC, "reduce_only": False}] * 7)
    assert len(hl.info.user_fills(hl.address)) >= 20
    hl.control("reset_rate_limits")
    count = len(hl.info.user_fills(hl.address))
    assert ip_used(hl) == 20 + count // 20


def test_a_batch_weighs_one_plus_one_per_forty(hl: HL) -> None:
    order = {"coin": "AVAX", "is_buy": True, "sz": 0.3, "limit_px": 20.0, "order_type": IOC, "reduce_only": False}
    hl.control("reset_rate_limits")
    hl.exchange.bulk_orders([order] * 79)
    assert ip_used(hl) == 2


def test_over_the_weight_limit_answers_429_with_a_null_body() -> None:
    net = start_net(ip_weight_limit=30)
    try:
        url = net.ready["hyperliquid_url"]
        api = API(url)
        for _ in range(15):
            api.post("/info", {"type": "allMids"})  # 2 each: 30 in all
        with pytest.raises(ClientError) as caught:
            api.post("/info", {"type": "allMids"})
        assert caught.value.status_code == 429 and caught.value.error_message == "null"
        raw = requests.post(url + "/info", json={"type": "allMids"}, timeout=5)
        assert raw.status_code == 429 and raw.text == "null"
        assert net.control("hyperliquid", "rate_limit_usage")["ip"] == {"127.0.0.1": 30}   # refusals are free
    finally:
        net.stop()


def test_the_window_slides() -> None:
    net = start_net(ip_weight_limit=4, ip_weight_window_s=0.3)
    try:
        api = API(net.ready["hyperliquid_url"])
        api.post("/info", {"type": "allMids"})
        api.post("/info", {"type": "allMids"})
        with pytest.raises(ClientError):
            api.post("/info", {"type": "allMids"})
        usage = lambda: sum(net.control("hyperliquid", "rate_limit_usage")["ip"].values())   # noqa: E731
        wait_for(lambda: usage() == 0, what="the window to slide past the spent weight")
        assert "ETH" in api.post("/info", {"type": "allMids"})
    finally:
        net.stop()


def test_rate_limit_flag_still_forces_a_429(hl: HL) -> None:
    hl.control("set_flag", name="rate_limit", value=1)
    with pytest.raises(ClientError) as caught:
        hl.info.all_mids()
    assert caught.value.status_code == 429


# ---- per-address budget ------------------------------------------------------------------
def test_user_rate_limit_counts_actions_and_grows_with_volume(hl: HL) -> None:
    before = hl.info.user_rate_limit(hl.address)
    assert before == {"cumVlm": "0.0", "nRequestsUsed": 0, "nRequestsCap": 10000, "nRequestsSurplus": 0}
    hl.exchange.market_open("ETH", True, 0.5)       # ~$1500 traded
    after = hl.info.user_rate_limit(hl.address)
    assert after["nRequestsUsed"] == 1
    assert after["nRequestsCap"] == 10000 + int(float(after["cumVlm"]))


def test_exhausted_budget_refuses_actions_with_the_venue_text() -> None:
    net = start_net(address_initial_requests=2, address_throttle_s=3600)
    try:
        hl = make_hl(net)
        bulk = [{"coin": "AVAX", "is_buy": False, "sz": 1, "limit_px": 60.0, "order_type": {"limit": {"tif": "Gtc"}},
                 "reduce_only": False}] * 2
        assert hl.exchange.bulk_orders(bulk)["status"] == "ok"        # a batch of 2 uses 2 requests
        assert hl.exchange.update_leverage(5, "ETH")["status"] == "ok"   # 3rd: over, but one passes per window
        answer = hl.exchange.update_leverage(5, "ETH")
        assert answer == {"status": "err", "response": "Too many cumulative requests sent (4 > 1) for cumulative "
                          "volume traded $0. Place taker orders to free up 1 request per USDC traded."}
        limits = hl.info.user_rate_limit(hl.address)
        assert (limits["nRequestsUsed"], limits["nRequestsCap"]) == (3, 2)   # the refusal did not count
        # cancels have min(cap + 100000, 2 * cap) = 4 here: one open order can still be cancelled
        oid = hl.info.open_orders(hl.address)[0]["oid"]
        assert only_status(hl.exchange.cancel("AVAX", oid)) == "success"
        assert hl.exchange.cancel("AVAX", hl.info.open_orders(hl.address)[0]["oid"])["status"] == "err"
    finally:
        net.stop()


def test_over_the_budget_one_request_per_throttle_window_goes_through() -> None:
    net = start_net(address_initial_requests=0, address_throttle_s=0.3)
    try:
        hl = make_hl(net)
        assert hl.exchange.update_leverage(5, "ETH")["status"] == "ok"      # first pass
        assert hl.exchange.update_leverage(5, "ETH")["status"] == "err"     # inside the window
        wait_for(lambda: hl.exchange.update_leverage(5, "ETH")["status"] == "ok", timeout=5,
                 what="the next throttled pass")
    finally:
        net.stop()


# ---- websocket limits ------------------------------------------------------------------------
def _ws(url: str) -> websocket.WebSocket:
    conn = websocket.create_connection("ws" + url[4:] + "/ws", timeout=5)
    assert conn.recv() == "Websocket connection established."
    return conn


def _subscribe(conn: websocket.WebSocket, sub: dict) -> dict:
    conn.send(json.dumps({"method": "subscribe", "subscription": sub}))
    return json.loads(conn.recv())


def test_websocket_subscription_and_user_limits() -> None:
    net = start_net(ws_max_subscriptions=3, ws_max_users=1)
    try:
        url = net.ready["hyperliquid_url"]
        conn = _ws(url)
        try:
            assert _subscribe(conn, {"type": "userFills", "user": "0x" + "01" * 20})["channel"] == "subscriptionResponse"
            conn.recv()                                                     # the userFills snapshot
            refused = _subscribe(conn, {"type": "orderUpdates", "user": "0x" + "02" * 20})
            assert refused == {"channel": "error", "data": "Cannot track more than 1 total users."}
            assert _subscribe(conn, {"type": "trades", "coin": "ETH"})["channel"] == "subscriptionResponse"
            assert _subscribe(conn, {"type": "trades", "coin": "SOL"})["channel"] == "subscriptionResponse"
            refused = _subscribe(conn, {"type": "trades", "coin": "AVAX"})
            assert refused == {"channel": "error", "data": "Cannot subscribe to more than 3 channels."}
        finally:
            conn.close()
    finally:
        net.stop()


def test_websocket_message_and_connection_limits() -> None:
    net = start_net(ws_max_messages_per_minute=2, ws_max_connections=1)
    try:
        url = net.ready["hyperliquid_url"]
        conn = _ws(url)
        try:
            with pytest.raises(websocket.WebSocketBadStatusException) as caught:
                _ws(url)
            assert caught.value.status_code == 429
            for _ in range(2):
                conn.send(json.dumps({"method": "ping"}))
                assert json.loads(conn.recv()) == {"channel": "pong"}
            conn.send(json.dumps({"method": "ping"}))
            assert json.loads(conn.recv()) == {"channel": "error", "data": "Cannot send more than 2 messages per minute."}
        finally:
            conn.close()
    finally:
        net.stop()
