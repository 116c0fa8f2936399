"""``post`` requests on ``/ws``: info requests and signed actions answered on channel ``post``.

Sources:

* docs/post (https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/post-requests):
  ``{"method":"post","id":n,"request":{"type":"info"|"action","payload":{...}}}``; ``method`` and ``id``
  mandatory; answered ``{"channel":"post","data":{"id":n,"response":{"type":"info"|"action"|"error",
  "payload":...}}}``; an info answer's payload is ``{"type":<info type>,"data":<the /info answer>}``, an
  action's is the /exchange answer; "For errors, a String is returned mirroring the HTTP status code and
  description that would have been returned if the request were sent through HTTP".
* probe (nemanull/arbitrage-observatory docs/profiles/hyperliquid/websocket.md): a post without ``id``
  answers the parse error on channel "error"; a post of l2Book on an unknown coin answers
  ``"payload":{"type":"l2Book","data":null}``.
* nktkas#78 (nktkas/hyperliquid issue 78): over the inflight limit the venue answers
  ``{"channel":"error","data":"too many pending post requests id=1234"}``.
* nktkas#12: a recorded action answer over ws, ``{"type":"action","payload":{"status":"err","response":
  "L1 error: User or API Wallet 0x... does not exist."}}`` (the same text as /exchange).

An action posted here runs exactly the /exchange path (ExchangeApi.answer: signature, nonce, address
budget, expiresAfter) and honours the same faults: ``late_execution`` (drop: the socket is dropped at once;
hang: no answer, the socket is dropped when the action runs), ``slow_ack``, ``error``, ``delay``,
``set_flag rate_limit``. Unconfirmed: the exact error string (simnet: "<status> <reason>[: <body>]"), and
whether posts spend the REST weight per IP (knob ``ws_post_ip_weight``, default off: the docs list posts
only under the websocket limits, 2000 messages per minute and 100 inflight).
"""
from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any, Protocol

from tools.simnet.faults import Faults
from tools.simnet.hyperliquid import delivery
from tools.simnet.hyperliquid.exchange import ORDER_ACTIONS, ExchangeApi
from tools.simnet.hyperliquid.gate import Failure, RequestGate
from tools.simnet.hyperliquid.info import InfoApi, InfoError
from tools.simnet.hyperliquid.limits import IpLimits, exchange_weight, info_base_weight, info_item_weight
from tools.simnet.hyperliquid.ws import Client, Hub
from tools.simnet.hyperliquid.ws_subs import PARSE_ERROR

BAD_BODY = "Failed to deserialize the JSON body into the target type"


def error(status: int, body: str | None = None) -> dict[str, Any]:
    text = f"{status} {HTTPStatus(status).phrase}"
    if body and body != "null":
        text += f": {body}"
    return {"type": "error", "payload": text}


class PostTarget(Protocol):
    """What a ws post reaches of the venue (venue.HyperliquidVenue is one): the gate, /info and /exchange, the
    faults, and the late_execution fault as armed now."""
    hub: Hub
    gate: RequestGate
    ip_limits: IpLimits
    info: InfoApi
    exchange: ExchangeApi
    faults: Faults
    late: delivery.LateExecution | None
    late_tasks: set[asyncio.Task]


class WsPosts:
    def __init__(self, venue: PostTarget, charge_ip_weight: bool = False):
        self.venue = venue
        self.charge_ip_weight = charge_ip_weight
        self.inflight: dict[str, int] = {}
        self.tasks: set[asyncio.Task] = set()

    def handle(self, client: Client, msg: dict[str, Any], frame: str) -> None:
        hub = self.venue.hub
        post_id, request = msg.get("id"), msg.get("request")
        if not _valid(post_id, request):
            hub.error(client, PARSE_ERROR + frame)
            return
        limit = hub.limits.inflight_posts
        if limit > 0 and self.inflight.get(client.ip, 0) >= limit:
            hub.error(client, f"too many pending post requests id={post_id}")
            return
        self.inflight[client.ip] = self.inflight.get(client.ip, 0) + 1
        task = asyncio.create_task(self._answer(client, post_id, request))
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, client.ip))

    def _done(self, task: asyncio.Task, ip: str) -> None:
        self.tasks.discard(task)
        self.inflight[ip] -= 1

    async def _answer(self, client: Client, post_id: int, request: dict[str, Any]) -> None:
        response = await self._response(client, request["type"], request["payload"])
        if response is not None:
            self.venue.hub.send(client, "post", {"id": post_id, "response": response})

    async def _response(self, client: Client, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        venue = self.venue
        action = payload.get("action") if kind == "action" else None
        weight = (exchange_weight(action) if kind == "action" else info_base_weight(payload.get("type")))
        failure = await venue.gate.admit(client.ip, weight if self.charge_ip_weight else 0)
        if failure is not None:
            return _failed(kind, failure)
        if kind == "info":
            return self._info(client, payload)
        action_type = action.get("type") if isinstance(action, dict) else None
        if venue.late is not None and venue.late.take(action_type):
            await delivery.run_late(venue.late, client.transport, lambda: venue.exchange.answer(payload),
                                    venue.late_tasks)
            return None
        try:
            result = venue.exchange.answer(payload)
        except ValueError:
            return error(422, BAD_BODY)
        slow = venue.faults.flags.get("slow_ack")
        if slow and action_type in ORDER_ACTIONS:
            await asyncio.sleep(float(slow))
        return {"type": "action", "payload": result}

    def _info(self, client: Client, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = self.venue.info.answer(payload)
        except InfoError as exc:
            return error(422, str(exc))
        if self.charge_ip_weight:
            self.venue.ip_limits.of(client.ip).charge(info_item_weight(payload.get("type"), answer))
        return {"type": "info", "payload": {"type": payload.get("type"), "data": answer}}

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _valid(post_id: Any, request: Any) -> bool:
    return (isinstance(post_id, int) and not isinstance(post_id, bool) and isinstance(request, dict)
            and request.get("type") in ("info", "action") and isinstance(request.get("payload"), dict))


def _failed(kind: str, failure: Failure) -> dict[str, Any]:
    """A request-level fault: the /exchange error body for an injected 200, else the HTTP status string."""
    if failure.status == 200 and kind == "action":
        return {"type": "action", "payload": {"status": "err", "response": failure.body}}
    return error(failure.status, failure.body)
