"""Simnet's websocket messages against recorded and documented real ones (data/ws_*.json, source in each).

Shapes, key sets and JSON kinds compare (hl_shapes.shape_diff); error texts compare exactly up to their
variable parts. Every tolerated difference is listed next to its comparison with the reason.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

import eth_account
import pytest
from hyperliquid.utils.types import Cloid

from hl_shapes import load, shape_diff
from tests.simnet.hyperliquid_helpers import GTC, HL, make_hl, only_status, start_net
from tests.simnet.hyperliquid_ws_helpers import RawWs, signed_order


@pytest.fixture(scope="module")
def venue() -> Iterator[HL]:
    net = start_net(seed=12, l2book_interval_s=0.2, l2book_fast_interval_s=0.1, account_push_interval_s=0)
    hl = make_hl(net)
    only_status(hl.exchange.market_open("SOL", True, 1))               # a trade for the trades snapshot
    try:
        yield hl
    finally:
        net.stop()


@pytest.fixture
def ws(venue: HL) -> Iterator[RawWs]:
    raw = RawWs(venue.url)
    try:
        yield raw
    finally:
        raw.close()


def check(expected: Any, actual: Any, **rules: Any) -> None:
    problems = shape_diff(expected, actual, **rules)
    assert not problems, "\n".join(problems)


def first(raw: RawWs, channel: str, count: int = 1) -> dict[str, Any]:
    return raw.wait_for(channel, count)[count - 1]


def test_book_acknowledgement_and_snapshots(ws: RawWs) -> None:
    check(load("ws_subscriptionResponse_l2Book.json")["message"], ws.subscribe({"type": "l2Book", "coin": "ETH"}))
    check(load("ws_l2Book.json")["message"], first(ws, "l2Book"))
    check(load("ws_l2Book.json")["message"], first(ws, "l2Book", 2))       # a clock push, same shape


def test_fast_book_adds_only_its_flag(ws: RawWs) -> None:
    ws.subscribe({"type": "l2Book", "coin": "ETH", "fast": True})
    # fast: present on fast books (nktkas L2BookEvent `fast?: true`, checked against live traffic)
    check(load("ws_l2Book.json")["message"], first(ws, "l2Book", 2), allow_extra=("$.data.fast",))


def test_bbo_trades_and_pong(venue: HL, ws: RawWs) -> None:
    ws.subscribe({"type": "bbo", "coin": "ETH"})
    check(load("ws_bbo.json")["message"], first(ws, "bbo"))
    ws.subscribe({"type": "trades", "coin": "SOL"})
    check(load("ws_trades.json")["message"], first(ws, "trades"))
    ws.barrier()
    check(load("ws_pong.json")["message"], ws.of("pong")[0])


def test_user_fills_snapshot_and_update(venue: HL, ws: RawWs) -> None:
    ws.subscribe({"type": "userFills", "user": venue.address})
    check(load("ws_userFills_snapshot.json")["message"], first(ws, "userFills"),
          allow_extra=("$.data.fills[*].cloid",))
    only_status(venue.exchange.order("ETH", True, 0.01, 3100.0, {"limit": {"tif": "Ioc"}}, cloid=Cloid.from_int(5)))
    check(load("ws_userFills_update.json")["message"], first(ws, "userFills", 2))


def test_order_updates(venue: HL, ws: RawWs) -> None:
    ws.subscribe({"type": "orderUpdates", "user": venue.address})
    only_status(venue.exchange.order("AVAX", True, 1, 30.0, GTC))
    check(load("ws_orderUpdates.json")["message"], first(ws, "orderUpdates"))
    only_status(venue.exchange.order("AVAX", True, 1, 30.0, GTC, cloid=Cloid.from_int(9)))
    # cloid: WsBasicOrder `cloid: string | undefined`, nktkas OpenOrder `cloid?`
    check(load("ws_orderUpdates.json")["message"], first(ws, "orderUpdates", 2), allow_extra=("$.data[*].order.cloid",))


def test_account_feeds(venue: HL, ws: RawWs) -> None:
    ws.subscribe({"type": "clearinghouseState", "user": venue.address})
    check(load("ws_clearinghouseState.json")["message"], first(ws, "clearinghouseState"),
          # the documented example holds no position; simnet's account does (shape as data/clearinghouseState_docs)
          ignore=("$.data.clearinghouseState.assetPositions",))
    only_status(venue.exchange.order("AVAX", True, 1, 30.0, GTC))
    ws.subscribe({"type": "openOrders", "user": venue.address})
    check(load("ws_openOrders.json")["message"], first(ws, "openOrders"),
          allow_extra=("$.data.orders[*].cloid",))       # as in the /info frontendOpenOrders comparison


def test_post_answers(venue: HL, ws: RawWs) -> None:
    ws.post(123, "info", {"type": "l2Book", "coin": "ETH"})
    ws.answer(123)
    check(load("ws_post_info_l2Book.json")["message"], ws.of("post")[0])
    ws.post(7, "info", {"type": "l2Book", "coin": "NOPE"})
    ws.answer(7)
    assert ws.of("post")[1] == load("ws_post_info_null.json")["message"]
    ws.post(256, "action", signed_order(venue.wallet, "AVAX", True, 1, 30.0, tif="Gtc"))
    ws.answer(256)
    check(load("ws_post_action.json")["message"], ws.of("post")[2])
    stranger = eth_account.Account.from_key("0x" + "44" * 32)
    ws.post(1740172698150, "action", signed_order(stranger, "AVAX", True, 1, 30.0, tif="Gtc"))
    ws.answer(1740172698150)
    recorded = load("ws_post_action_err.json")["message"]
    check(recorded, ws.of("post")[3])
    text = r"^L1 error: User or API Wallet 0x[0-9a-f]{40} does not exist\.$"
    assert re.match(text, recorded["data"]["response"]["payload"]["response"])
    assert re.match(text, ws.of("post")[3]["data"]["response"]["payload"]["response"])


def test_error_texts(ws: RawWs) -> None:
    errors = load("ws_errors.json")
    ws.subscribe({"type": "l2Book", "coin": "SOL"})
    assert ws.subscribe({"type": "l2Book", "coin": "SOL"}) == errors["already_subscribed"]
    frame = '{"method":"subscribe","subscription":{"type":"bbo","coin":["BTC","ETH"]}}'
    ws.send(frame)
    ws.wait(lambda: len(ws.of("error")) == 2)
    assert ws.of("error")[1] == errors["parse_error"]


def test_limit_error_texts() -> None:
    errors = load("ws_errors.json")
    net = start_net(ws_max_inflight_posts=1, ws_max_users=10)
    hl = make_hl(net)
    raw = RawWs(hl.url)
    try:
        hl.control("delay", seconds=0.3, count=1)
        raw.post(1, "info", {"type": "allMids"})
        raw.post(1234, "info", {"type": "allMids"})
        assert raw.wait_for("error")[0] == errors["too_many_posts"]
        for n in range(11):
            answer = raw.subscribe({"type": "orderUpdates", "user": "0x" + f"{n + 1:02x}" * 20})
        assert answer == errors["too_many_users"]
    finally:
        raw.close()
        net.stop()
