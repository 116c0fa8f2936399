"""Websocket user streams: userFills (snapshot then fills), orderUpdates (every status change),
clearinghouseState and openOrders (account pushed)."""
from __future__ import annotations

from decimal import Decimal

from hyperliquid.utils.types import Cloid

from tests.simnet.hyperliquid_helpers import ALO, GTC, HL, IOC, hl, make_hl, only_status, start_net  # noqa: F401
from tests.simnet.hyperliquid_ws_helpers import RawWs

FILL_KEYS = {"coin", "px", "sz", "side", "time", "startPosition", "dir", "closedPnl", "hash", "oid", "crossed",
             "fee", "tid", "feeToken", "twapId"}
ORDER_KEYS = {"coin", "side", "limitPx", "sz", "oid", "timestamp", "origSz"}


def statuses(ws: RawWs) -> list[tuple[int, str]]:
    return [(u["order"]["oid"], u["status"]) for m in ws.of("orderUpdates") for u in m["data"]]


def test_user_fills_snapshot_holds_history_newest_first_then_fills_stream(hl: HL) -> None:
    only_status(hl.exchange.market_open("ETH", True, 0.1))
    only_status(hl.exchange.market_open("SOL", True, 1))
    ws = RawWs(hl.url)
    try:
        ack = ws.subscribe({"type": "userFills", "user": hl.address})
        echo = {"type": "userFills", "user": hl.address.lower(), "aggregateByTime": False}
        assert ack["data"]["subscription"] == echo
        (snap,) = ws.wait_for("userFills")
        assert snap["data"]["isSnapshot"] is True and snap["data"]["user"] == hl.address.lower()
        assert snap["data"]["fills"] == hl.info.user_fills(hl.address)          # the REST order: newest first
        assert [f["coin"] for f in snap["data"]["fills"]] == ["SOL", "ETH"]
        cloid = Cloid.from_int(42)
        oid = only_status(hl.exchange.order("AVAX", True, 1, 40.0, IOC, cloid=cloid))["filled"]["oid"]
        update = ws.wait_for("userFills", count=2)[1]["data"]
        assert set(update) == {"user", "fills"}                                   # no isSnapshot key
        (fill,) = update["fills"]
        assert set(fill) == FILL_KEYS | {"cloid"} and fill["cloid"] == cloid.to_raw() and fill["oid"] == oid
        assert fill["twapId"] is None and fill["crossed"] is True
        assert fill == hl.info.user_fills(hl.address)[0]
    finally:
        ws.close()


def test_a_fill_without_cloid_has_no_cloid_key(hl: HL, user_ws: RawWs) -> None:
    hl.exchange.market_open("ETH", False, 0.05)
    (fill,) = user_ws.wait_for("userFills", count=2)[1]["data"]["fills"]
    assert set(fill) == FILL_KEYS


def test_order_updates_for_resting_canceled_filled_and_rejected_orders(hl: HL, user_ws: RawWs) -> None:
    rest = only_status(hl.exchange.order("ETH", True, 0.01, 2800.0, GTC))["resting"]["oid"]
    hl.exchange.cancel("ETH", rest)
    filled = only_status(hl.exchange.market_open("ETH", True, 0.01))["filled"]["oid"]
    bid = Decimal(hl.info.l2_snapshot("ETH")["levels"][0][0]["px"])
    assert "error" in only_status(hl.exchange.order("ETH", True, 0.01, float(bid - 10), IOC))
    assert "error" in only_status(hl.exchange.order("ETH", True, 0.01, float(bid + 100), ALO))
    user_ws.wait(lambda: len(statuses(user_ws)) == 5, what="five updates")
    got = statuses(user_ws)
    assert got[:3] == [(rest, "open"), (rest, "canceled"), (filled, "filled")]
    assert [s for _, s in got[3:]] == ["iocCancelRejected", "badAloPxRejected"]
    first = user_ws.of("orderUpdates")[0]["data"][0]
    assert set(first) == {"order", "status", "statusTimestamp"} and set(first["order"]) == ORDER_KEYS


def test_a_partial_ioc_ends_filled_with_what_was_left(hl: HL, user_ws: RawWs) -> None:
    hl.control("set_flag", name="partial_fill", value=0.5)
    only_status(hl.exchange.market_open("ETH", True, 0.2))
    (update,) = user_ws.wait_for("orderUpdates")[0]["data"]
    assert update["status"] == "filled" and update["order"]["origSz"] == "0.2" and update["order"]["sz"] == "0.1"


def test_a_resting_order_the_market_moves_through_fills_as_maker(hl: HL, user_ws: RawWs) -> None:
    ask = Decimal(hl.info.l2_snapshot("ETH")["levels"][1][0]["px"])
    oid = only_status(hl.exchange.order("ETH", False, 0.01, float(ask + 1), GTC))["resting"]["oid"]
    hl.net.control("net", "shock", symbol="ETH", relative=0.02)
    hl.step()
    (fill,) = user_ws.wait_for("userFills", count=2)[1]["data"]["fills"]
    assert fill["oid"] == oid and fill["crossed"] is False
    user_ws.wait(lambda: (oid, "filled") in statuses(user_ws), what="the filled update")


def test_clearinghouse_state_snapshot_then_pushed_after_a_fill(hl: HL) -> None:
    ws = RawWs(hl.url)
    try:
        ack = ws.subscribe({"type": "clearinghouseState", "user": hl.address})
        assert ack["data"]["subscription"] == {"type": "clearinghouseState", "user": hl.address.lower(), "dex": ""}
        (snap,) = ws.wait_for("clearinghouseState")
        assert set(snap["data"]) == {"dex", "user", "clearinghouseState"} and snap["data"]["dex"] == ""
        assert set(snap["data"]["clearinghouseState"]) == set(hl.info.user_state(hl.address))
        assert snap["data"]["clearinghouseState"]["assetPositions"] == []
        hl.exchange.market_open("SOL", False, 1)
        pushed = ws.wait_for("clearinghouseState", count=2)[1]["data"]["clearinghouseState"]
        assert pushed["assetPositions"][0]["position"]["szi"] == "-1.0"
    finally:
        ws.close()


def test_clearinghouse_state_is_also_pushed_on_its_clock() -> None:
    net = start_net(account_push_interval_s=0.1)
    hl = make_hl(net)
    ws = RawWs(hl.url)
    try:
        ws.subscribe({"type": "clearinghouseState", "user": hl.address})
        ws.wait_for("clearinghouseState", count=3)
    finally:
        ws.close()
        net.stop()


def test_open_orders_snapshot_and_push(hl: HL) -> None:
    ws = RawWs(hl.url)
    try:
        ws.subscribe({"type": "openOrders", "user": hl.address})
        (snap,) = ws.wait_for("openOrders")
        assert snap["data"] == {"dex": "", "user": hl.address.lower(), "orders": []}
        oid = only_status(hl.exchange.order("AVAX", True, 1, 30.0, GTC))["resting"]["oid"]
        orders = ws.wait_for("openOrders", count=2)[1]["data"]["orders"]
        assert [o["oid"] for o in orders] == [oid]
        assert orders == hl.info.frontend_open_orders(hl.address)
    finally:
        ws.close()


def test_order_updates_send_nothing_on_subscribe(hl: HL) -> None:
    only_status(hl.exchange.order("AVAX", True, 1, 30.0, GTC))
    ws = RawWs(hl.url)
    try:
        ws.subscribe({"type": "orderUpdates", "user": hl.address})
        ws.barrier()
        assert ws.of("orderUpdates") == []        # unconfirmed: no snapshot (the docs define none)
    finally:
        ws.close()
