"""``post`` on /ws: info requests and signed actions, answered on channel "post" exactly as /info and
/exchange answer, with the same faults."""
from __future__ import annotations


import eth_account
import pytest
import requests

from tests.simnet.hyperliquid_helpers import HL, hl, make_hl, start_net, wait_for  # noqa: F401
from tests.simnet.hyperliquid_ws_helpers import RawWs, signed_order


def test_info_post_wraps_the_rest_answer_with_its_type(hl: HL, raw: RawWs) -> None:
    raw.post(1, "info", {"type": "l2Book", "coin": "ETH"})
    answer = raw.answer(1)
    assert answer["type"] == "info" and answer["payload"]["type"] == "l2Book"
    assert answer["payload"]["data"]["levels"] == hl.info.l2_snapshot("ETH")["levels"]
    raw.post(2, "info", {"type": "l2Book", "coin": "NOPE"})
    assert raw.answer(2) == {"type": "info", "payload": {"type": "l2Book", "data": None}}
    raw.post(3, "info", {"type": "clearinghouseState", "user": hl.address})
    assert raw.answer(3)["payload"]["data"]["withdrawable"] == hl.info.user_state(hl.address)["withdrawable"]


def test_an_unanswerable_info_post_answers_the_http_status_as_text(raw: RawWs) -> None:
    raw.post(4, "info", {"type": "noSuchThing"})
    assert raw.answer(4) == {"type": "error", "payload": "422 Unprocessable Entity: "
                                                         "Failed to deserialize the JSON body into the target type"}


@pytest.mark.parametrize("frame", ['{"method":"post","request":{"type":"info","payload":{"type":"allMids"}}}',
                                   '{"method":"post","id":5,"request":{"type":"explorer","payload":{}}}'])
def test_a_post_without_id_or_with_a_bad_type_is_a_parse_error(raw: RawWs, frame: str) -> None:
    raw.send(frame)
    (error,) = raw.wait_for("error")
    assert error["data"] == "Error parsing JSON into valid websocket request: " + frame


def test_an_order_posted_on_the_socket_answers_like_exchange_and_streams_its_fill(hl: HL, raw: RawWs) -> None:
    raw.subscribe({"type": "userFills", "user": hl.address})
    cloid = "0x" + "00" * 15 + "07"
    raw.post(7, "action", signed_order(hl.wallet, "ETH", True, 0.01, 3100.0, cloid=cloid))
    answer = raw.answer(7)
    assert answer["type"] == "action" and answer["payload"]["status"] == "ok"
    (status,) = answer["payload"]["response"]["data"]["statuses"]
    assert status["filled"]["totalSz"] == "0.01" and status["filled"]["cloid"] == cloid
    (fill,) = raw.wait_for("userFills", count=2)[1]["data"]["fills"]
    assert fill["oid"] == status["filled"]["oid"] and fill["cloid"] == cloid


def test_signature_and_nonce_rules_are_those_of_exchange(hl: HL, raw: RawWs) -> None:
    body = signed_order(hl.wallet, "ETH", True, 0.01, 3100.0)
    raw.post(8, "action", body)
    assert raw.answer(8)["payload"]["status"] == "ok"
    raw.post(9, "action", body)                                      # the same nonce again
    assert raw.answer(9)["payload"] == {"status": "err", "response": f"Invalid nonce: duplicate nonce {body['nonce']}"}
    stranger = eth_account.Account.from_key("0x" + "33" * 32)
    raw.post(10, "action", signed_order(stranger, "ETH", True, 0.01, 3100.0))
    assert raw.answer(10)["payload"] == {
        "status": "err", "response": f"L1 error: User or API Wallet {stranger.address.lower()} does not exist."}
    http = requests.post(hl.url + "/exchange", json=signed_order(stranger, "ETH", True, 0.01, 3100.0), timeout=5).json()
    assert http == raw.answer(10)["payload"]


def test_inflight_posts_over_the_limit_are_refused_by_id() -> None:
    net = start_net(ws_max_inflight_posts=1)
    hl = make_hl(net)
    ws = RawWs(hl.url)
    try:
        hl.control("set_flag", name="slow_ack", value=0.5)
        ws.post(1, "action", signed_order(hl.wallet, "ETH", True, 0.01, 3100.0))
        ws.post(2, "info", {"type": "allMids"})
        (error,) = ws.wait_for("error")
        assert error["data"] == "too many pending post requests id=2"
        assert ws.answer(1)["payload"]["status"] == "ok"
        ws.post(3, "info", {"type": "allMids"})
        assert ws.answer(3)["type"] == "info"
    finally:
        ws.close()
        net.stop()


def test_late_execution_drop_ends_the_socket_and_the_order_runs_later(hl: HL, raw: RawWs) -> None:
    hl.control("late_execution", seconds=0.3)
    body = signed_order(hl.wallet, "ETH", True, 0.01, 3100.0)
    raw.post(11, "action", body)
    raw.wait_end()
    assert raw.dropped and raw.of("post") == []
    wait_for(lambda: hl.info.user_fills(hl.address), what="the late fill")


def test_late_execution_hang_answers_nothing_and_drops_when_the_action_runs(hl: HL, raw: RawWs) -> None:
    hl.control("late_execution", seconds=0.3, mode="hang")
    raw.post(12, "action", signed_order(hl.wallet, "ETH", True, 0.01, 3100.0))
    raw.barrier()                                   # the socket still answers pings while the order waits
    assert hl.info.user_fills(hl.address) == []
    raw.wait_end()
    assert raw.of("post") == [] and len(hl.info.user_fills(hl.address)) == 1


def test_request_faults_answer_as_http_would(hl: HL, raw: RawWs) -> None:
    hl.control("error", count=1, code=502, message="Bad Gateway")
    raw.post(13, "info", {"type": "allMids"})
    assert raw.answer(13) == {"type": "error", "payload": "502 Bad Gateway: Bad Gateway"}
    hl.control("error", count=1, code=200, message="Internal error processing order")
    raw.post(14, "action", signed_order(hl.wallet, "ETH", True, 0.01, 3100.0))
    assert raw.answer(14) == {"type": "action",
                              "payload": {"status": "err", "response": "Internal error processing order"}}
    hl.control("set_flag", name="rate_limit", value=1)
    raw.post(15, "info", {"type": "allMids"})
    assert raw.answer(15) == {"type": "error", "payload": "429 Too Many Requests"}
    assert hl.info.user_fills(hl.address) == []


def _spend_rest_weight(url: str) -> None:
    assert requests.post(url + "/info", json={"type": "allMids"}, timeout=5).status_code == 200       # weight 2
    assert requests.post(url + "/info", json={"type": "allMids"}, timeout=5).status_code == 429


def test_posts_count_as_messages_not_rest_weight_unless_asked() -> None:
    net = start_net(ip_weight_limit=2, ws_max_messages_per_minute=3)
    url = net.ready["hyperliquid_url"]
    ws = RawWs(url)
    try:
        _spend_rest_weight(url)
        for post_id in (1, 2, 3):
            ws.post(post_id, "info", {"type": "allMids"})
            assert ws.answer(post_id)["type"] == "info"     # no REST weight left, the post still answers
        ws.post(4, "info", {"type": "allMids"})
        (error,) = ws.wait_for("error")
        assert error["data"] == "Cannot send more than 3 messages per minute."
    finally:
        ws.close()
        net.stop()


def test_posts_can_be_made_to_spend_rest_weight() -> None:
    net = start_net(ip_weight_limit=2, ws_post_ip_weight=True)
    url = net.ready["hyperliquid_url"]
    ws = RawWs(url)
    try:
        _spend_rest_weight(url)
        ws.post(1, "info", {"type": "allMids"})
        assert ws.answer(1) == {"type": "error", "payload": "429 Too Many Requests"}
    finally:
        ws.close()
        net.stop()
