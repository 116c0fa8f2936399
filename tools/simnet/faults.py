"""Fault knobs shared by every simulated venue.

Each venue owns one ``Faults``. The control API (``SimNet.control``, or
``POST /control`` on the control port) sets the knobs; the venue consults them
on its hot paths. Knobs that every venue honours the same way live here;
venue-specific ones (Binance's -1021, a fill racing a cancel on Hubble) are
read from ``Faults.flags`` / ``Faults.take`` by the venue itself.

Actions understood by every venue (params in brackets):
  delay          [seconds, count=None]  delay the next `count` responses (all if None)
  drop_ws        [stream=None]          close every websocket (or those of one stream)
  stall          [stream=None, seconds=None]  keep sockets open but stop sending
  unstall        []                     resume every stalled stream
  error          [count=1, code=None, message=None]  answer the next `count` requests with an error
  reject_orders  [count=1, reason=None] reject the next `count` orders
  refuse         [seconds]              refuse TCP connections for `seconds`
  set_flag       [name, value]          venue-specific switch (see each venue)
  clear          []                     reset every knob
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web


@dataclass
class Faults:
    delay_seconds: float = 0.0
    delay_count: int | None = None        # None: every response while delay_seconds > 0
    error_count: int = 0
    error_code: int | None = None
    error_message: str | None = None
    reject_count: int = 0
    reject_reason: str | None = None
    stalled: dict[str, float] = field(default_factory=dict)   # stream ("*" = all) -> until (monotonic; inf = forever)
    flags: dict[str, Any] = field(default_factory=dict)
    sockets: dict[web.WebSocketResponse, str] = field(default_factory=dict)  # open ws -> stream name
    counters: dict[str, int] = field(default_factory=dict)    # name -> remaining count for take()

    # ---- hot-path queries -------------------------------------------------
    async def maybe_delay(self) -> None:
        """Sleep if a delay fault is armed (used before answering a request)."""
        if self.delay_seconds <= 0:
            return
        if self.delay_count is not None:
            if self.delay_count <= 0:
                self.delay_seconds = 0.0
                return
            self.delay_count -= 1
        await asyncio.sleep(self.delay_seconds)

    def take_error(self) -> tuple[int | None, str | None] | None:
        """(code, message) if this request must fail, else None."""
        if self.error_count <= 0:
            return None
        self.error_count -= 1
        return self.error_code, self.error_message

    def take_reject(self) -> str | None:
        """Reason text if this order must be rejected, else None."""
        if self.reject_count <= 0:
            return None
        self.reject_count -= 1
        return self.reject_reason or "rejected by fault injection"

    def take(self, name: str) -> bool:
        """Consume one unit of a venue-specific counted fault (``set_flag name=<count>``)."""
        remaining = self.counters.get(name, 0)
        if remaining <= 0:
            return False
        self.counters[name] = remaining - 1
        return True

    def is_stalled(self, stream: str) -> bool:
        now = time.monotonic()
        for key in ("*", stream):
            until = self.stalled.get(key)
            if until is not None:
                if now < until:
                    return True
                del self.stalled[key]
        return False

    # ---- websocket bookkeeping -------------------------------------------
    def track(self, ws: web.WebSocketResponse, stream: str) -> None:
        self.sockets[ws] = stream

    def untrack(self, ws: web.WebSocketResponse) -> None:
        self.sockets.pop(ws, None)

    async def drop(self, stream: str | None = None) -> int:
        victims = [ws for ws, s in self.sockets.items() if stream in (None, s)]
        for ws in victims:
            self.untrack(ws)
            await ws.close(code=1011, message=b"dropped by fault injection")
        return len(victims)

    # ---- control ----------------------------------------------------------
    async def apply(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Apply a generic action; returns a result dict. KeyError if unknown."""
        handlers: dict[str, Callable[..., Any]] = {
            "delay": self._delay, "error": self._error, "reject_orders": self._reject,
            "stall": self._stall, "unstall": self._unstall, "set_flag": self._set_flag,
            "clear": self._clear,
        }
        if action == "drop_ws":
            return {"dropped": await self.drop(params.get("stream"))}
        return handlers[action](**params) or {}

    def _delay(self, seconds: float, count: int | None = None) -> None:
        self.delay_seconds, self.delay_count = float(seconds), count

    def _error(self, count: int = 1, code: int | None = None, message: str | None = None) -> None:
        self.error_count, self.error_code, self.error_message = int(count), code, message

    def _reject(self, count: int = 1, reason: str | None = None) -> None:
        self.reject_count, self.reject_reason = int(count), reason

    def _stall(self, stream: str | None = None, seconds: float | None = None) -> None:
        until = float("inf") if seconds is None else time.monotonic() + float(seconds)
        self.stalled[stream or "*"] = until

    def _unstall(self) -> None:
        self.stalled.clear()

    def _set_flag(self, name: str, value: Any = True) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.counters[name] = value
        self.flags[name] = value

    def _clear(self) -> None:
        sockets = self.sockets
        self.__init__()  # type: ignore[misc]
        self.sockets = sockets
