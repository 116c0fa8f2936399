"""Connection rules of fstream.binance.com (USDⓈ-M "Websocket Market Streams",
https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams):

* "A single connection is only valid for 24 hours; expect to be disconnected at the 24 hour mark"
  (knob ``ws_lifetime``, seconds);
* "The websocket server will send a ping frame every 3 minutes. If the websocket server does not
  receive a pong frame back from the connection within a 10 minute period, the connection will be
  disconnected. Unsolicited pong frames are allowed" (knobs ``ws_ping_interval``, ``ws_pong_timeout``);
* "WebSocket connections have a limit of 10 incoming messages per second. A connection that goes
  beyond the limit will be disconnected" (knob ``ws_max_incoming``).

unconfirmed: the close codes (simnet: 1000 at the lifetime mark, 1008 for a missing pong or too many
messages) and which frames count as incoming messages on USDⓈ-M (simnet counts text, ping and pong
frames, as the spot docs define a message: "A PING frame, A PONG frame, A JSON controlled message").
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

LIFETIME_CLOSE, POLICY_CLOSE = 1000, 1008


@dataclass
class WsLimits:
    lifetime: float = 24 * 3600.0
    ping_interval: float = 180.0
    pong_timeout: float = 600.0
    max_incoming: int = 10                  # per second

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "WsLimits":
        return cls(float(options.get("ws_lifetime", cls.lifetime)),
                   float(options.get("ws_ping_interval", cls.ping_interval)),
                   float(options.get("ws_pong_timeout", cls.pong_timeout)),
                   int(options.get("ws_max_incoming", cls.max_incoming)))


@dataclass
class Liveness:
    """What one connection has done: when it opened, its last pong, its recent incoming frames."""
    limits: WsLimits
    opened: float = field(default_factory=time.monotonic)
    last_pong: float = field(default_factory=time.monotonic)
    incoming: deque = field(default_factory=deque)

    def pong(self) -> None:
        self.last_pong = time.monotonic()

    def over_rate(self) -> bool:
        """Count one incoming frame; True when the last second holds more than the limit."""
        now = time.monotonic()
        self.incoming.append(now)
        while self.incoming and now - self.incoming[0] >= 1.0:
            self.incoming.popleft()
        return len(self.incoming) > self.limits.max_incoming


async def keep(ws: web.WebSocketResponse, live: Liveness) -> None:
    """Ping every ping_interval; close when no pong came for pong_timeout or at the lifetime mark."""
    limits = live.limits
    next_ping = live.opened + limits.ping_interval
    end = live.opened + limits.lifetime
    while not ws.closed:
        now = time.monotonic()
        if now >= end:
            await ws.close(code=LIFETIME_CLOSE, message=b"connection lifetime reached")
            return
        if now - live.last_pong >= limits.pong_timeout:
            await ws.close(code=POLICY_CLOSE, message=b"no pong")
            return
        if now >= next_ping:
            next_ping = now + limits.ping_interval
            try:
                await ws.ping()
            except (ConnectionResetError, RuntimeError):
                return
        await asyncio.sleep(max(0.0, min(end, next_ping, live.last_pong + limits.pong_timeout) - time.monotonic()))
