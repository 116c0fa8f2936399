"""Stream faults a bot must survive: sockets dropped (all, or those carrying one subscription type), a
stalled channel, held or late pushes, lost pushes it must heal from by REST."""
from __future__ import annotations



from tests.simnet.hyperliquid_helpers import HL, hl, only_status  # noqa: F401
from tests.simnet.hyperliquid_ws_helpers import RawWs


def streamed_oids(ws: RawWs) -> list[int]:
    return [f["oid"] for m in ws.of("userFills") if not m["data"].get("isSnapshot") for f in m["data"]["fills"]]


def buy(hl: HL) -> int:
    return only_status(hl.exchange.market_open("ETH", True, 0.01))["filled"]["oid"]


def test_drop_ws_closes_every_socket(hl: HL) -> None:
    ws = RawWs(hl.url)
    try:
        assert hl.control("drop_ws") == {"dropped": 1}
        ws.wait_end()
        assert ws.close_code == 1011
    finally:
        ws.close()


def test_drop_only_the_sockets_carrying_a_subscription_type(hl: HL, user_ws: RawWs) -> None:
    book = RawWs(hl.url)
    try:
        book.subscribe({"type": "l2Book", "coin": "ETH"})
        assert hl.control("drop_ws", subscription="userFills", abrupt=True) == {"dropped": 1}
        user_ws.wait_end()
        assert user_ws.dropped and user_ws.close_code is None          # no close frame: code 1006 at the client
        book.barrier()
        assert not book.ended
    finally:
        book.close()


def test_a_stalled_channel_loses_its_messages_and_keeps_the_socket(hl: HL, user_ws: RawWs) -> None:
    hl.control("stall", stream="userFills")
    lost = buy(hl)
    user_ws.wait(lambda: len(user_ws.of("orderUpdates")) == 1, what="orderUpdates still flowing")
    hl.control("unstall")
    kept = buy(hl)
    user_ws.wait(lambda: streamed_oids(user_ws) == [kept], what="the fill after unstall")
    assert {f["oid"] for f in hl.info.user_fills(hl.address)} == {lost, kept}   # REST heals the gap


def test_lose_the_next_push_of_a_channel(hl: HL, user_ws: RawWs) -> None:
    assert hl.control("lose_pushes", channel="userFills", count=1) == {"channel": "userFills", "to_lose": 1}
    lost = buy(hl)
    kept = buy(hl)
    user_ws.wait(lambda: streamed_oids(user_ws) == [kept], what="the second fill")
    assert [u["order"]["oid"] for m in user_ws.of("orderUpdates") for u in m["data"]] == [lost, kept]
    assert hl.control("stream_faults")["lost"] == {"userFills": 1}


def test_held_pushes_arrive_in_order_when_released(hl: HL, user_ws: RawWs) -> None:
    hl.control("hold_pushes", channel="userFills")
    first, second = buy(hl), buy(hl)
    user_ws.wait(lambda: len(user_ws.of("orderUpdates")) == 2, what="order updates")
    assert streamed_oids(user_ws) == []
    assert hl.control("release_pushes", channel="userFills") == {"released": 2}
    user_ws.wait(lambda: streamed_oids(user_ws) == [first, second], what="the held fills")


def test_held_pushes_release_themselves_after_seconds(hl: HL, user_ws: RawWs) -> None:
    hl.control("hold_pushes", channel="orderUpdates", seconds=0.3)
    oid = buy(hl)
    user_ws.wait(lambda: streamed_oids(user_ws) == [oid], what="the fill")
    assert user_ws.of("orderUpdates") == []
    user_ws.wait_for("orderUpdates")


def test_delayed_pushes_let_fills_overtake_order_updates(hl: HL, user_ws: RawWs) -> None:
    hl.control("delay_pushes", channel="orderUpdates", seconds=0.3)
    oid = buy(hl)
    user_ws.wait_for("orderUpdates")
    fill_at = next(i for i, m in enumerate(user_ws.messages) if m.get("channel") == "userFills"
                   and not m["data"].get("isSnapshot"))
    update_at = next(i for i, m in enumerate(user_ws.messages) if m.get("channel") == "orderUpdates")
    assert fill_at < update_at and streamed_oids(user_ws) == [oid]
    hl.control("delay_pushes", channel="orderUpdates", seconds=0)


def test_clear_delivers_what_is_held_and_ends_the_faults(hl: HL, user_ws: RawWs) -> None:
    hl.control("hold_pushes", channel="userFills")
    hl.control("lose_pushes", channel="orderUpdates", count=5)
    oid = buy(hl)
    hl.control("clear")
    user_ws.wait(lambda: streamed_oids(user_ws) == [oid], what="the held fill")
    second = buy(hl)
    user_ws.wait(lambda: [u["order"]["oid"] for m in user_ws.of("orderUpdates") for u in m["data"]] == [second],
                 what="order updates again")
