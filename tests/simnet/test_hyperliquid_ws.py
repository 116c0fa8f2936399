"""Contract tests: websocket /ws through the SDK's thread-based WebsocketManager."""
from __future__ import annotations

import json
import threading
from typing import Any, Iterator

import pytest
import websocket
from hyperliquid.info import Info

from tests.simnet.hyperliquid_helpers import GTC, HL, hl, wait_for  # noqa: F401


class Recorder:
    """Thread-safe sink for SDK websocket callbacks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []

    def __call__(self, msg: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append(msg)

    def of(self, channel: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["channel"] == channel]


@pytest.fixture
def ws_info(hl: HL) -> Iterator[Info]:
    info = Info(hl.url, skip_ws=False)
    try:
        yield info
    finally:
        info.disconnect_websocket()


def ws_url(hl: HL) -> str:
    return "ws" + hl.url[len("http"):] + "/ws"


def subscribe_all(info: Info, user: str, rec: Recorder) -> None:
    for sub in ({"type": "l2Book", "coin": "ETH"}, {"type": "bbo", "coin": "ETH"}, {"type": "trades", "coin": "ETH"},
                {"type": "allMids"}, {"type": "userFills", "user": user}, {"type": "orderUpdates", "user": user}):
        info.subscribe(sub, rec)


def test_market_streams_send_a_snapshot_then_one_update_per_tick(hl: HL, ws_info: Info) -> None:
    rec = Recorder()
    subscribe_all(ws_info, hl.address, rec)
    wait_for(lambda: rec.of("l2Book") and rec.of("bbo") and rec.of("allMids") and rec.of("userFills"),
             what="snapshots")
    snap = rec.of("userFills")[0]["data"]
    assert snap == {"isSnapshot": True, "user": hl.address.lower(), "fills": []}
    book = rec.of("l2Book")[0]["data"]
    assert book["coin"] == "ETH" and len(book["levels"]) == 2 and book["levels"] == hl.info.l2_snapshot("ETH")["levels"]
    assert rec.of("bbo")[0]["data"]["bbo"][0] == book["levels"][0][0]
    assert set(rec.of("allMids")[0]["data"]["mids"]) == {"ETH", "SOL", "AVAX"}
    hl.step()
    wait_for(lambda: len(rec.of("l2Book")) == 2 and len(rec.of("bbo")) == 2 and len(rec.of("allMids")) == 2,
             what="tick updates")
    assert rec.of("allMids")[1]["data"]["mids"] == hl.info.all_mids()


def test_user_streams_report_fills_order_updates_and_trades(hl: HL, ws_info: Info) -> None:
    rec = Recorder()
    subscribe_all(ws_info, hl.address, rec)
    wait_for(lambda: rec.of("userFills"), what="userFills snapshot")
    oid = hl.exchange.market_open("ETH", True, 0.2)["response"]["data"]["statuses"][0]["filled"]["oid"]
    wait_for(lambda: len(rec.of("userFills")) == 2 and rec.of("trades") and rec.of("orderUpdates"), what="events")
    fills = rec.of("userFills")[1]["data"]
    assert "isSnapshot" not in fills and fills["fills"][0]["oid"] == oid
    assert fills["fills"] == hl.info.user_fills(hl.address)
    (trade,) = rec.of("trades")[0]["data"]
    assert trade["coin"] == "ETH" and trade["side"] == "B" and trade["sz"] == "0.2"
    assert trade["users"][0] == hl.address.lower()
    (update,) = rec.of("orderUpdates")[0]["data"]
    assert update["status"] == "filled" and update["order"]["oid"] == oid
    rest = hl.exchange.order("ETH", True, 0.01, 2800.0, GTC)["response"]["data"]["statuses"][0]["resting"]["oid"]
    hl.exchange.cancel("ETH", rest)
    wait_for(lambda: len(rec.of("orderUpdates")) == 3, what="open and canceled updates")
    assert [u["data"][0]["status"] for u in rec.of("orderUpdates")[1:]] == ["open", "canceled"]


def test_raw_protocol_ping_subscription_response_and_errors(hl: HL) -> None:
    conn = websocket.create_connection(ws_url(hl), timeout=5)
    try:
        assert conn.recv() == "Websocket connection established."
        conn.send(json.dumps({"method": "ping"}))
        assert json.loads(conn.recv()) == {"channel": "pong"}
        sub = {"type": "bbo", "coin": "SOL"}
        conn.send(json.dumps({"method": "subscribe", "subscription": sub}))
        assert json.loads(conn.recv()) == {"channel": "subscriptionResponse",
                                           "data": {"method": "subscribe", "subscription": sub}}
        assert json.loads(conn.recv())["channel"] == "bbo"
        conn.send(json.dumps({"method": "subscribe", "subscription": {"type": "l2Book", "coin": "DOGE"}}))
        assert json.loads(conn.recv())["channel"] == "error"
        conn.send(json.dumps({"method": "unsubscribe", "subscription": sub}))
        assert json.loads(conn.recv())["data"]["method"] == "unsubscribe"
    finally:
        conn.close()


def test_stalled_stream_keeps_the_socket_open_but_sends_nothing(hl: HL, ws_info: Info) -> None:
    rec = Recorder()
    ws_info.subscribe({"type": "l2Book", "coin": "ETH"}, rec)
    ws_info.subscribe({"type": "bbo", "coin": "ETH"}, rec)
    wait_for(lambda: rec.of("l2Book") and rec.of("bbo"), what="snapshots")
    hl.control("stall", stream="l2Book")
    hl.step(3)
    wait_for(lambda: len(rec.of("bbo")) == 4, what="bbo keeps flowing")
    assert len(rec.of("l2Book")) == 1
    hl.control("unstall")
    hl.step()
    wait_for(lambda: len(rec.of("l2Book")) == 2, what="l2Book resumes")


def test_stall_everything_silences_pong_too(hl: HL) -> None:
    conn = websocket.create_connection(ws_url(hl), timeout=5)
    try:
        conn.recv()
        hl.control("stall", seconds=30)
        conn.send(json.dumps({"method": "ping"}))
        conn.settimeout(0.3)
        with pytest.raises(websocket.WebSocketTimeoutException):
            conn.recv()
        assert conn.connected
        hl.control("unstall")
        conn.settimeout(5)
        conn.send(json.dumps({"method": "ping"}))
        assert json.loads(conn.recv()) == {"channel": "pong"}
    finally:
        conn.close()


def test_drop_ws_closes_every_socket(hl: HL) -> None:
    conn = websocket.create_connection(ws_url(hl), timeout=5)
    conn.recv()
    assert hl.control("drop_ws") == {"dropped": 1}
    conn.settimeout(5)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:
            frame = conn.recv()
            if frame == "":
                raise websocket.WebSocketConnectionClosedException("closed")


def test_trades_subscription_starts_with_recent_trades(hl: HL) -> None:
    hl.exchange.market_open("SOL", True, 1)
    conn = websocket.create_connection(ws_url(hl), timeout=5)
    try:
        conn.recv()
        conn.send(json.dumps({"method": "subscribe", "subscription": {"type": "trades", "coin": "SOL"}}))
        assert json.loads(conn.recv())["channel"] == "subscriptionResponse"
        (trade,) = json.loads(conn.recv())["data"]
        assert trade["coin"] == "SOL" and trade["sz"] == "1.0"
    finally:
        conn.close()
