"""Websocket /ws market streams and protocol: acknowledgements, snapshots, the push clocks, errors, idle
timeout. Raw frames (tests/simnet/hyperliquid_ws_helpers.py) plus one check through the SDK's manager."""
from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest
from hyperliquid.info import Info

from tests.simnet.hyperliquid_helpers import HL, hl, make_hl, start_net, wait_for  # noqa: F401
from tests.simnet.hyperliquid_ws_helpers import GREETING, RawWs

BOOK_ECHO = {"type": "l2Book", "coin": "ETH", "nSigFigs": None, "mantissa": None, "fast": False}


@pytest.fixture
def clocked() -> Iterator[HL]:
    """A venue whose push clocks run fast enough for a test."""
    net = start_net(l2book_interval_s=0.2, l2book_fast_interval_s=0.1, all_mids_interval_s=0.2,
                    account_push_interval_s=0)
    try:
        yield make_hl(net)
    finally:
        net.stop()


def test_greeting_ping_and_the_l2book_acknowledgement_with_defaults(hl: HL, raw: RawWs) -> None:
    assert raw.greeting == GREETING
    raw.barrier()
    assert raw.of("pong") == [{"channel": "pong"}]
    assert raw.subscribe({"type": "l2Book", "coin": "ETH"}) == {
        "channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": BOOK_ECHO}}
    (book,) = raw.wait_for("l2Book")
    assert set(book["data"]) == {"coin", "time", "levels"}
    assert book["data"]["levels"] == hl.info.l2_snapshot("ETH")["levels"]
    assert [len(side) for side in book["data"]["levels"]] == [20, 20]
    assert raw.messages.index(book) > raw.messages.index(raw.of("subscriptionResponse")[0])


def test_default_book_is_pushed_on_its_clock_not_on_ticks() -> None:
    net = start_net(l2book_interval_s=3600)
    ws = RawWs(make_hl(net).url)
    try:
        ws.subscribe({"type": "l2Book", "coin": "ETH"})
        ws.wait_for("l2Book")
        net.control("net", "step", count=3)
        ws.barrier()
        assert len(ws.of("l2Book")) == 1          # only the snapshot: prices moved, the clock did not tick
    finally:
        ws.close()
        net.stop()


def test_every_coin_shares_one_push_clock_and_unchanged_books_are_resent(clocked: HL) -> None:
    ws = RawWs(clocked.url)
    try:
        for coin in ("ETH", "SOL"):
            ws.subscribe({"type": "l2Book", "coin": coin})
        ws.wait(lambda: len(ws.of("l2Book")) >= 8, what="four pushes of two coins")
        pushes = ws.of("l2Book")[2:]                               # after the two snapshots
        times = sorted({m["data"]["time"] for m in pushes})
        by_time = {t: {m["data"]["coin"] for m in pushes if m["data"]["time"] == t} for t in times}
        assert all(coins == {"ETH", "SOL"} for coins in list(by_time.values())[:-1])
        assert all(b - a >= 195 for a, b in zip(times, times[1:]))   # at least the interval apart
        eth = [m["data"]["levels"] for m in pushes if m["data"]["coin"] == "ETH"]
        assert eth[0] == eth[1]                                   # no price step: the same book again
    finally:
        ws.close()


def test_fast_book_has_five_levels_and_says_so(clocked: HL) -> None:
    ws = RawWs(clocked.url)
    try:
        ack = ws.subscribe({"type": "l2Book", "coin": "SOL", "fast": True})
        assert ack["data"]["subscription"] == dict(BOOK_ECHO, coin="SOL", fast=True)
        books = ws.wait_for("l2Book", count=3)
        assert all(m["data"]["fast"] is True for m in books)
        assert all([len(side) for side in m["data"]["levels"]] == [5, 5] for m in books)
    finally:
        ws.close()


def test_bbo_is_sent_only_when_it_changes(hl: HL, raw: RawWs) -> None:
    raw.subscribe({"type": "bbo", "coin": "ETH"})
    (first,) = raw.wait_for("bbo")                              # simnet sends one on subscribe (unconfirmed)
    assert set(first["data"]) == {"coin", "time", "bbo"}
    hl.exchange.order("ETH", True, 0.01, 2000.0, {"limit": {"tif": "Gtc"}})   # far from the touch
    raw.barrier()
    assert len(raw.of("bbo")) == 1
    hl.net.control("net", "shock", symbol="ETH", relative=0.01)
    hl.step()
    second = raw.wait_for("bbo", count=2)[1]
    assert second["data"]["bbo"] != first["data"]["bbo"]


def test_all_mids_on_its_clock(clocked: HL) -> None:
    ws = RawWs(clocked.url)
    try:
        ws.subscribe({"type": "allMids"})
        mids = ws.wait_for("allMids", count=2)
        assert set(mids[1]["data"]) == {"mids"} and set(mids[1]["data"]["mids"]) == {"ETH", "SOL", "AVAX"}
    finally:
        ws.close()


def test_trades_subscription_starts_with_recent_trades(hl: HL) -> None:
    hl.exchange.market_open("SOL", True, 1)
    ws = RawWs(hl.url)
    try:
        ws.subscribe({"type": "trades", "coin": "SOL"})
        (trade,) = ws.wait_for("trades")[0]["data"]
        assert trade["coin"] == "SOL" and trade["sz"] == "1.0" and len(trade["users"]) == 2
    finally:
        ws.close()


@pytest.mark.parametrize("frame", [
    '{"method":"subscribe","subscription":{"type":"nope","coin":"ETH"}}',
    '{"method":"subscribe"}',
    '{"method":"subscribe","subscription":{"type":"bbo","coin":["ETH","SOL"]}}',
    '{"method":"shout"}',
    'not json',
])
def test_malformed_requests_answer_the_parse_error_and_keep_the_socket(raw: RawWs, frame: str) -> None:
    raw.send(frame)
    (error,) = raw.wait_for("error")
    assert error["data"] == "Error parsing JSON into valid websocket request: " + frame
    raw.barrier()
    assert not raw.ended


def test_already_subscribed_and_already_unsubscribed_echo_the_normalized_subscription(raw: RawWs) -> None:
    raw.subscribe({"type": "l2Book", "coin": "SOL"})
    again = raw.subscribe({"type": "l2Book", "coin": "SOL"})
    assert again == {"channel": "error", "data": 'Already subscribed: {"type":"l2Book","coin":"SOL",'
                                                  '"nSigFigs":null,"mantissa":null,"fast":false}'}
    raw.send({"method": "unsubscribe", "subscription": {"type": "l2Book", "coin": "SOL"}})
    raw.wait(lambda: [m for m in raw.of("subscriptionResponse") if m["data"]["method"] == "unsubscribe"])
    raw.send({"method": "unsubscribe", "subscription": {"type": "bbo", "coin": "SOL"}})
    raw.wait(lambda: len(raw.of("error")) == 2)
    assert raw.of("error")[1]["data"] == 'Already unsubscribed: {"type":"bbo","coin":"SOL"}'


@pytest.mark.parametrize("sub", [{"type": "l2Book", "coin": "DOGE"}, {"type": "bbo", "coin": "eth"},
                                 {"type": "l2Book", "coin": "ETH", "nSigFigs": 6},
                                 {"type": "l2Book", "coin": "ETH", "nSigFigs": 4, "mantissa": 2}])
def test_an_unknown_coin_or_bad_aggregation_drops_the_socket_without_a_word(raw: RawWs, sub: dict[str, Any]) -> None:
    raw.subscribe({"type": "trades", "coin": "ETH"})
    raw.send({"method": "subscribe", "subscription": sub})
    raw.wait_end()
    assert raw.dropped and raw.close_code is None
    assert raw.of("error") == []


def test_idle_socket_is_dropped_after_the_timeout_but_pongs_keep_it_open() -> None:
    net = start_net(ws_idle_timeout_s=0.6)
    url = make_hl(net).url
    started = time.monotonic()
    idle, pinging = RawWs(url), RawWs(url)
    try:
        for _ in range(6):                         # the client's silence is the stimulus under test
            pinging.barrier()
            time.sleep(0.2)
        idle.wait_end()
        assert idle.dropped and time.monotonic() - started >= 0.6
        assert not pinging.ended
    finally:
        idle.close()
        pinging.close()
        net.stop()


@pytest.mark.parametrize("rule, survives", [("server", True), ("client", False)])
def test_a_busy_subscription_keeps_a_silent_client_open_under_the_venue_rule(rule: str, survives: bool) -> None:
    net = start_net(ws_idle_timeout_s=0.5, ws_idle_rule=rule, l2book_fast_interval_s=0.1)
    ws = RawWs(make_hl(net).url)
    try:
        ws.subscribe({"type": "l2Book", "coin": "ETH", "fast": True})
        if survives:
            ws.wait_for("l2Book", count=12)           # > 1 s of pushes, no message from the client
            assert not ws.ended
        else:
            ws.wait_end()
            assert ws.dropped
    finally:
        ws.close()
        net.stop()


def test_the_sdk_manager_receives_books_and_fills(clocked: HL) -> None:
    info = Info(clocked.url, skip_ws=False)
    got: list[dict[str, Any]] = []
    lock = threading.Lock()

    def keep(msg: dict[str, Any]) -> None:
        with lock:
            got.append(msg)

    try:
        info.subscribe({"type": "l2Book", "coin": "ETH"}, keep)
        info.subscribe({"type": "userFills", "user": clocked.address}, keep)
        wait_for(lambda: len([m for m in got if m["channel"] == "l2Book"]) >= 2, what="books")
        clocked.exchange.market_open("ETH", True, 0.01)
        wait_for(lambda: [m for m in got if m["channel"] == "userFills" and not m["data"].get("isSnapshot")],
                 what="a streamed fill")
    finally:
        info.disconnect_websocket()
