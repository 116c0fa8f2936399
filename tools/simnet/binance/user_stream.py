"""Pushes of the USDⓈ-M user data stream (listenKey streams on /private).

* An account event goes to every live listenKey of the account; a key that expired or was closed
  gets nothing more ("No more user data event will be updated after this event received until a
  new valid listenKey used", Event: User Data Stream Expired,
  https://developers.binance.com/docs/derivatives/coin-margined-futures/user-data-streams/Event-User-Data-Stream-Expired,
  the same text on every derivatives product's page). The connection stays open: "This event is
  not related to the websocket disconnection" (same page).
* ``listenKeyExpired`` {"e", "E", "listenKey"} is pushed when a key in use runs out (listen_keys.py)
  or the ``expire_listen_keys`` fault fires. ``E`` is a number: official SDK model
  websocket_streams/models/listen_key_expired.py and CHANGELOG 10.3.0 (2026-05-22) "`E`: type
  `StrictStr` → `StrictInt`". unconfirmed: the live type today (a 2023 capture in
  ccxt/go-binance#510 shows "E": "1693427319838", a string).
* Order: one account's pushes leave in the order they happened. Binance guarantees order only per
  event type on one connection ("messages of the same event type ... are strictly ordered by both T
  and E", USDⓈ-M User Data Streams, Message Ordering Guarantee), and nothing about the order between
  a push and the REST answer to the request that caused it: the ``user_stream_delay`` knob holds
  every push back so a test can see the REST answer first.
* Faults: ``lose_user_events`` drops the next N account events (the bot must heal by REST).
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable

from tools.simnet.binance.listen_keys import ListenKeys
from tools.simnet.binance.streams import StreamHub


class UserStream:
    def __init__(self, hub: StreamHub, keys: ListenKeys, clock: Callable[[], int],
                 delay: Callable[[], float]):
        self.hub = hub
        self.keys = keys
        self.clock = clock                        # server time, ms
        self.delay = delay                        # seconds each push is held back (knob/flag)
        self.queue: deque[tuple[float, str, dict[str, Any]]] = deque()    # (due loop time, key, payload)
        self._task: asyncio.Task | None = None
        self.lose_count = 0
        self.lose_event: str | None = None

    # ---- what the venue calls ------------------------------------------------------------
    def push(self, api_key: str, event: dict[str, Any]) -> None:
        """An account event: to each live listenKey of `api_key`, unless the lose fault takes it."""
        if self._lose(event):
            return
        for key in self.keys.live_keys(api_key):
            self._send(key, event)

    def expired(self, key: str) -> None:
        """Called by ListenKeys when `key` stops being valid."""
        self._send(key, {"e": "listenKeyExpired", "E": self.clock(), "listenKey": key})

    def lose(self, count: int = 1, event: str | None = None) -> dict[str, Any]:
        """Fault: drop the next `count` account events (only those of type `event` if given)."""
        self.lose_count, self.lose_event = int(count), event
        return {"lose": self.lose_count, "event": event}

    # ---- delivery -----------------------------------------------------------------------
    def _lose(self, event: dict[str, Any]) -> bool:
        if self.lose_count <= 0 or self.lose_event not in (None, event.get("e")):
            return False
        self.lose_count -= 1
        return True

    def _send(self, key: str, payload: dict[str, Any]) -> None:
        delay = float(self.delay())
        if delay <= 0 and not self.queue:
            self.hub.publish(key, payload)
            return
        loop = asyncio.get_running_loop()
        self.queue.append((loop.time() + max(0.0, delay), key, payload))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())

    async def _drain(self) -> None:
        """Publish queued pushes in order, each when it is due (the knob's own delay, not a sync wait)."""
        loop = asyncio.get_running_loop()
        while self.queue:
            due, key, payload = self.queue[0]
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
                continue
            self.queue.popleft()
            self.hub.publish(key, payload)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.queue.clear()
