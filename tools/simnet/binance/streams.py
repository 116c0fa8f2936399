"""Websocket fan-out: raw (/ws/<stream>) and combined (/stream?streams=a/b)
connections, live SUBSCRIBE / UNSUBSCRIBE, and the user data stream keyed by
listenKey.

Each connection belongs to a route (``routes.py``): a stream of another route
is accepted and acknowledged but never delivered, as Binance's split
fstream routes do; a private connection may filter user events by type.

Publishing is synchronous (called from price ticks and order handlers); each
connection has a queue drained by its own writer task, so a slow client never
blocks the simulator loop. Stalls are checked per message against the
connection's label ("futures_market", "futures_user", "spot_market") and the
stream name, so ``stall stream=ethusdt@bookTicker`` silences one stream.

A hub given ``WsLimits`` (the futures hub) pings, drops connections that stop
answering or send too much, and closes each at its lifetime mark (ws_limits.py);
it answers the client's pings itself. ``on_first(stream)`` is told when a stream
gains its first deliverable subscriber (depth streams start their chain there).

``mute`` (the ``mute_ws`` fault) silences the connections open now and leaves later ones alone: a
connection the venue stops pushing on while it stays open, which only a new connection heals. Users
report exactly this of Binance's private streams (JKorf/Binance.Net#283, 2020: "at some random time
interval (>45 minutes) Binance stops sending data to private streams ... I need to reconnect private
streams"; ccxt/binance-api-node#595, 2022: updates "in the beginning for 10-20 minutes, after that not
receiving updates anymore"). unconfirmed: how often, and whether Binance's side ever recovers by itself
(simnet: never, until the client reconnects).
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tools.simnet.binance.routes import LEGACY, delivers
from tools.simnet.binance.ws_limits import POLICY_CLOSE, Liveness, WsLimits, keep
from tools.simnet.faults import Faults

log = logging.getLogger("simnet.binance.streams")
MAX_QUEUE = 5000


def normalize(stream: str) -> str:
    """Binance lowercases the symbol part of a stream name; the rest keeps its case."""
    head, sep, tail = stream.partition("@")
    return head.lower() + sep + tail if sep else stream


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    combined: bool
    label: str
    route: str = LEGACY
    streams: set[str] = field(default_factory=set)
    events: dict[str, set[str] | None] = field(default_factory=dict)   # listenKey -> allowed "e" (None: all)
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    muted: bool = False                                               # the mute_ws fault: open, never pushed to

    def wants(self, stream: str, payload: dict[str, Any]) -> bool:
        allowed = self.events.get(stream)
        return allowed is None or payload.get("e") in allowed

    def matches(self, selector: str) -> bool:
        """A label ("futures_user"), a stream name or a listenKey this connection receives."""
        return selector in (self.label, "*") or normalize(selector) in self.streams

    def describe(self) -> dict[str, Any]:
        """What the connection asked for (the ``ws_connections`` inspection action)."""
        return {"route": self.route, "label": self.label, "streams": sorted(self.streams), "muted": self.muted,
                "events": {k: (sorted(v) if v is not None else None) for k, v in sorted(self.events.items())}}


class StreamHub:
    def __init__(self, faults: Faults, limits: WsLimits | None = None,
                 on_first: Callable[[str], None] | None = None):
        self.faults = faults
        self.limits = limits
        self.on_first = on_first
        self.subs: dict[str, set[Connection]] = {}
        self.connections: set[Connection] = set()

    def active(self) -> list[str]:
        return [name for name, conns in self.subs.items() if conns]

    def has(self, stream: str) -> bool:
        return bool(self.subs.get(stream))

    async def drop_stream(self, stream: str) -> int:
        """Close every connection that receives `stream` (a stream name or a listenKey); how many."""
        victims = list(self.subs.get(normalize(stream), ()))
        for conn in victims:
            self._forget(conn)
            self.faults.untrack(conn.ws)
            await conn.ws.close(code=1011, message=b"dropped by fault injection")
        return len(victims)

    def mute(self, selector: str) -> int:
        """The ``mute_ws`` fault: the matching connections open now stay open and get nothing more."""
        victims = [conn for conn in self.connections if conn.matches(selector)]
        for conn in victims:
            conn.muted = True
        return len(victims)

    def describe(self, selector: str | None = None) -> list[dict[str, Any]]:
        return [conn.describe() for conn in self.connections if selector is None or conn.matches(selector)]

    # ---- publishing ---------------------------------------------------------
    def publish(self, stream: str, payload: dict[str, Any]) -> None:
        conns = self.subs.get(stream)
        if not conns:
            return
        raw = None
        wrapped = None
        for conn in list(conns):
            if conn.muted or self.faults.is_stalled(conn.label) or self.faults.is_stalled(stream):
                continue
            if not conn.wants(stream, payload):
                continue
            if conn.combined:
                wrapped = wrapped or json.dumps({"stream": stream, "data": payload}, separators=(",", ":"))
                text = wrapped
            else:
                raw = raw or json.dumps(payload, separators=(",", ":"))
                text = raw
            if conn.queue.qsize() >= MAX_QUEUE:
                log.warning("dropping slow websocket client on %s", stream)
                asyncio.ensure_future(conn.ws.close(code=1008, message=b"slow consumer"))
                self._forget(conn)
                continue
            conn.queue.put_nowait(text)

    # ---- connections --------------------------------------------------------
    async def serve(self, request: web.Request, streams: list[str], combined: bool, label: str,
                    route: str = LEGACY, events: dict[str, set[str] | None] | None = None) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=self.limits is None)
        await ws.prepare(request)
        conn = Connection(ws, combined, label, route, events=dict(events or {}))
        self.connections.add(conn)
        for stream in streams:
            self._subscribe(conn, stream)
        self.faults.track(ws, label)
        tasks = [asyncio.create_task(self._writer(conn))]
        live = Liveness(self.limits) if self.limits is not None else None
        if live is not None:
            tasks.append(asyncio.create_task(keep(ws, live)))
        try:
            async for msg in ws:
                if live is not None and msg.type in (WSMsgType.TEXT, WSMsgType.PING, WSMsgType.PONG) \
                        and live.over_rate():
                    await ws.close(code=POLICY_CLOSE, message=b"too many messages")
                    break
                if msg.type == WSMsgType.TEXT:
                    reply = self._on_text(conn, msg.data)
                    if reply is not None:
                        conn.queue.put_nowait(json.dumps(reply))
                elif msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG and live is not None:
                    live.pong()
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            for task in tasks:
                task.cancel()
            self.connections.discard(conn)
            self._forget(conn)
            self.faults.untrack(ws)
        return ws

    async def _writer(self, conn: Connection) -> None:
        try:
            while not conn.ws.closed:
                text = await conn.queue.get()
                await conn.ws.send_str(text)
        except (ConnectionResetError, RuntimeError, asyncio.CancelledError):
            return

    def _on_text(self, conn: Connection, text: str) -> dict[str, Any] | None:
        try:
            request = json.loads(text)
            method, ident = request["method"], request.get("id")
        except (ValueError, KeyError, TypeError):
            return {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}
        params = request.get("params") or []
        if method == "SUBSCRIBE":
            for stream in params:
                self._subscribe(conn, stream)
            return {"result": None, "id": ident}
        if method == "UNSUBSCRIBE":
            for stream in params:
                self.subs.get(normalize(stream), set()).discard(conn)
                conn.streams.discard(normalize(stream))
            return {"result": None, "id": ident}
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(conn.streams), "id": ident}
        return {"code": 2, "msg": f"Invalid request: unknown method {method!r}", "id": ident}

    def _subscribe(self, conn: Connection, stream: str) -> None:
        """Record the subscription; deliver only if the connection's route serves the stream.

        A stream of another route is still acknowledged and listed (the venue answers
        ``{"result": null}`` and then stays silent; routes.py has the sources).
        unconfirmed: whether LIST_SUBSCRIPTIONS lists such a stream.
        """
        name = normalize(stream)
        conn.streams.add(name)
        if delivers(conn.route, name):
            subscribers = self.subs.setdefault(name, set())
            if not subscribers and self.on_first is not None:
                self.on_first(name)
            subscribers.add(conn)

    def _forget(self, conn: Connection) -> None:
        for name in conn.streams:
            self.subs.get(name, set()).discard(conn)


def streams_from_query(request: web.Request) -> list[str]:
    raw = request.query.get("streams", "")
    return [s for s in raw.split("/") if s]
