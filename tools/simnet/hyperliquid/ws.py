"""Websocket ``/ws``: connections, subscribe/unsubscribe, ping/pong, delivery, idle timeout, limits.

What is pushed and when lives in feeds.py, ``post`` requests in ws_post.py, subscription parsing in
ws_subs.py, stream faults in ws_faults.py. Each connection has a send queue drained by its own task, so
the engine and the clocks publish without awaiting.

Sources: docs/websocket (https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket),
docs/heartbeats (.../websocket/timeouts-and-heartbeats), docs/rate-limits
(.../api/rate-limits-and-user-limits), probe (nemanull/arbitrage-observatory
docs/profiles/hyperliquid/websocket.md, wire probe of 2026-09-24), nktkas#78 (nktkas/hyperliquid issue 78,
error texts seen on the real venue). The greeting "Websocket connection established." is what the official
SDK's websocket_manager.py skips before parsing JSON.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tools.simnet.faults import Faults
from tools.simnet.hyperliquid import ws_subs
from tools.simnet.hyperliquid.limits import SlidingWeight
from tools.simnet.hyperliquid.ws_faults import StreamFaults
from tools.simnet.hyperliquid.ws_subs import Sub

log = logging.getLogger("simnet.hyperliquid.ws")

STREAM = "ws"   # name every socket is tracked under (drop_ws stream="ws")
GREETING = "Websocket connection established."
Snapshot = Callable[[Sub], list[tuple[str, Any]]]
PostHandler = Callable[["Client", dict[str, Any], str], None]


@dataclass
class WsLimits:
    """Per-IP limits, docs/rate-limits (current page "Rate limits and user limits", also quoted by the
    probe's source S5): 10 connections, 30 new connections per minute, 1000 subscriptions, 10 unique users
    across user subscriptions, 2000 messages sent to the venue per minute, 100 inflight posts. (The older
    page said 100 connections.) Texts of the refusals: nktkas#78. Unconfirmed: the reaction to a connection
    over either connection limit (simnet refuses the upgrade with HTTP 429)."""
    connections: int = 10
    new_connections_per_minute: int = 30
    subscriptions: int = 1000
    users: int = 10
    messages_per_minute: int = 2000
    inflight_posts: int = 100


@dataclass
class WsIdle:
    """docs/heartbeats: "The server will close any connection if it hasn't sent a message to it in the last
    60 seconds". The probe measured the reading: a socket with no subscription and no traffic was closed at
    60.2 s (code 1006, no close frame); one that only pinged every 30 s stayed open; one that was subscribed
    and sent nothing after subscribing stayed open 66 s. So the clock counts what the venue sends
    (rule "server", the default). Rule "client" (close when the client sent nothing) is a stricter test
    setting, not the venue's."""
    timeout_s: float = 60.0
    rule: str = "server"


class Client:
    def __init__(self, ws: web.WebSocketResponse, ip: str, transport: asyncio.BaseTransport | None):
        self.ws = ws
        self.ip = ip
        self.transport = transport
        self.subs: dict[str, Sub] = {}
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.last_sent = self.last_received = time.monotonic()
        self.open = True
        self.muted = False       # the mute_ws fault: open, and nothing is ever sent on it again

    def put(self, text: str) -> None:
        if self.open and not self.muted:
            self.queue.put_nowait(text)

    def abort(self) -> None:
        """Drop the TCP connection without a websocket close frame (the client sees code 1006)."""
        self.open = False
        if self.transport is not None:
            self.transport.abort()   # type: ignore[attr-defined]

    async def pump(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return
            self.last_sent = time.monotonic()


class Hub:
    """All websocket clients of the venue."""

    def __init__(self, faults: Faults, known_coins: set[str], limits: WsLimits | None = None,
                 idle: WsIdle | None = None):
        self.faults = faults
        self.known_coins = known_coins
        self.limits = limits or WsLimits()
        self.idle = idle or WsIdle()
        self.snapshot: Snapshot = lambda sub: []        # set by the venue (feeds.py)
        self.on_post: PostHandler | None = None         # set by the venue (ws_post.py)
        self.stream_faults = StreamFaults()
        self.clients: set[Client] = set()
        self.messages: dict[str, SlidingWeight] = {}    # ip -> messages received in the last minute
        self.opened: dict[str, SlidingWeight] = {}      # ip -> connections opened in the last minute

    # ---- who listens ----------------------------------------------------------------
    def of_ip(self, ip: str) -> list[Client]:
        return [c for c in self.clients if c.ip == ip]

    def subscribers(self, kind: str, target: str | None = None) -> list[tuple[Client, Sub]]:
        return [(c, s) for c in self.clients for s in c.subs.values()
                if s.kind == kind and (target is None or s.target == target)]

    def has_subscribers(self, kind: str, target: str | None = None) -> bool:
        return any(s.kind == kind and (target is None or s.target == target)
                   for c in self.clients for s in c.subs.values())

    def usage(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for ip in {c.ip for c in self.clients} | set(self.messages):
            clients = self.of_ip(ip)
            meter = self.messages.get(ip)
            out[ip] = {"connections": len(clients), "subscriptions": sum(len(c.subs) for c in clients),
                       "users": len(self._users(clients)), "messages_last_minute": meter.used() if meter else 0}
        return out

    @staticmethod
    def _users(clients: list[Client]) -> set[str]:
        return {s.target for c in clients for s in c.subs.values() if s.is_user}

    # ---- sending ----------------------------------------------------------------------
    def send(self, client: Client, channel: str, data: Any) -> None:
        """One message to one client (answers, snapshots, errors), through the stream faults."""
        self._emit(client, channel, json.dumps({"channel": channel, "data": data}))

    def push(self, targets: list[tuple[Client, Sub]], channel: str, data: Any) -> None:
        """One event to its subscribers. A stalled channel drops it; ``lose_pushes`` loses it for all."""
        if not targets or self.faults.is_stalled(channel) or self.stream_faults.take_loss(channel):
            return
        text = json.dumps({"channel": channel, "data": data})
        for client in {id(c): c for c, _ in targets}.values():
            self._emit(client, channel, text)

    def _emit(self, client: Client, channel: str, text: str) -> None:
        if self.faults.is_stalled(channel):
            return
        self.stream_faults.route(channel, lambda: client.put(text))

    def error(self, client: Client, text: str) -> None:
        self.send(client, "error", text)

    # ---- connection ---------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ip = request.remote or ""
        refusal = self._refuse_connection(ip)
        if refusal is not None:
            return refusal
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        client = Client(ws, ip, request.transport)
        self.clients.add(client)
        self.faults.track(ws, STREAM)
        pump = asyncio.create_task(client.pump())
        watchdog = asyncio.create_task(self._watch_idle(client))
        client.put(GREETING)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    client.last_received = time.monotonic()
                    self._on_text(client, msg.data)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            client.open = False
            self.clients.discard(client)
            self.faults.untrack(ws)
            client.queue.put_nowait(None)
            watchdog.cancel()
            await asyncio.gather(pump, watchdog, return_exceptions=True)
        return ws

    def _refuse_connection(self, ip: str) -> web.Response | None:
        lim = self.limits
        opened = self.opened.setdefault(ip, SlidingWeight(lim.new_connections_per_minute, 60.0))
        if (lim.connections > 0 and len(self.of_ip(ip)) >= lim.connections) or not opened.admits(1):
            return web.Response(status=429, text="null", content_type="application/json")
        opened.charge(1)
        return None

    async def _watch_idle(self, client: Client) -> None:
        timeout = self.idle.timeout_s
        if timeout <= 0:
            return
        while client.open:
            basis = client.last_sent if self.idle.rule == "server" else client.last_received
            left = basis + timeout - time.monotonic()
            if left <= 0:
                log.info("closing a websocket silent for %.1f s (%s rule)", timeout, self.idle.rule)
                client.abort()
                return
            await asyncio.sleep(left)

    # ---- messages from the client ----------------------------------------------------------
    def _on_text(self, client: Client, text: str) -> None:
        meter = self.messages.setdefault(client.ip, SlidingWeight(self.limits.messages_per_minute, 60.0))
        if not meter.admits(1):
            self.error(client, f"Cannot send more than {self.limits.messages_per_minute} messages per minute.")
            return
        meter.charge(1)
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            self._emit(client, "pong", json.dumps({"channel": "pong"}))
        elif method in ("subscribe", "unsubscribe") and "subscription" in msg:
            self._on_subscription(client, method, msg["subscription"], text)
        elif method == "post" and self.on_post is not None:
            self.on_post(client, msg, text)
        else:
            self.error(client, ws_subs.PARSE_ERROR + text)

    def _on_subscription(self, client: Client, method: str, raw: Any, text: str) -> None:
        try:
            sub = ws_subs.parse(raw, self.known_coins)
        except ws_subs.ParseError:
            self.error(client, ws_subs.PARSE_ERROR + text)
            return
        except ws_subs.CloseConnection:
            client.abort()
            return
        if method == "unsubscribe":
            if client.subs.pop(sub.echo_text, None) is None:
                self.error(client, f"Already unsubscribed: {sub.echo_text}")
                return
            self.send(client, "subscriptionResponse", {"method": method, "subscription": sub.echo})
            return
        if sub.echo_text in client.subs:
            self.error(client, f"Already subscribed: {sub.echo_text}")
            return
        refusal = self._over_limit(client, sub)
        if refusal:
            self.error(client, refusal)
            return
        client.subs[sub.echo_text] = sub
        self.send(client, "subscriptionResponse", {"method": method, "subscription": sub.echo})
        for channel, data in self.snapshot(sub):
            self.send(client, channel, data)

    def _over_limit(self, client: Client, sub: Sub) -> str | None:
        clients = self.of_ip(client.ip)
        lim = self.limits
        if lim.subscriptions > 0 and sum(len(c.subs) for c in clients) >= lim.subscriptions:
            return f"Cannot subscribe to more than {lim.subscriptions} channels."
        if sub.is_user and lim.users > 0:
            users = self._users(clients)
            if sub.target not in users and len(users) >= lim.users:
                return f"Cannot track more than {lim.users} total users."
        return None

    # ---- faults and shutdown -----------------------------------------------------------------
    async def drop(self, kind: str | None = None, abrupt: bool = False) -> int:
        """Close the sockets carrying a subscription of ``kind`` (all sockets if None): with a close frame
        (code 1011) or, ``abrupt``, by dropping the TCP connection (code 1006 at the client)."""
        victims = [c for c in self.clients if kind is None or any(s.kind == kind for s in c.subs.values())]
        for client in victims:
            self.faults.untrack(client.ws)
            if abrupt:
                client.abort()
            else:
                client.open = False
                await client.ws.close(code=1011, message=b"dropped by fault injection")
        return len(victims)

    def mute(self) -> int:
        """Fault (a test device, no venue behaviour): the connections open now stay open and get nothing more,
        not even answers to pings; connections opened later are served as usual (a half-open socket)."""
        for client in self.clients:
            client.muted = True
        return len(self.clients)

    async def close_all(self) -> None:
        for client in list(self.clients):
            client.open = False
            client.queue.put_nowait(None)
            await client.ws.close()
