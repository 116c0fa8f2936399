"""What the two order-book venues' maker sides share: the book feed over their venue client, the dead-man
switch's heartbeat, and the read of an account into the quoting maths' shape.

A maker venue of this kind (Hyperliquid, Binance) keeps one venue client (the
same class that hedges on that venue: rules, book stream, account stream,
signing, request budget) and adds quoting on top of it. Its quotes rest until
cancelled, so a dead-man switch on the venue cancels them if this process
dies: it is armed at start to ``deadManSeconds`` ahead, refreshed three times
per window, and cleared at a clean stop.
"""
from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Any, Callable

from bot import supervision

log = logging.getLogger("maker")
HEARTBEATS_PER_WINDOW = 3     # heartbeats per deadManSeconds: two may be lost before the venue cancels
UNWIND_TIMEOUT = 10.0          # seconds for an unwind order's answer


class VenueMaker:
    """The life cycle both order-book maker venues share: the venue client started, its book mirrored, the
    dead-man switch stopped (cleared) before the client closes. Subclasses set ``client`` and ``dead_man``
    and read their account rates in ``_after_start``."""
    client: Any
    dead_man: "DeadManSwitch"
    _book: "VenueBookFeed"
    _book_task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.client.start()
        self._book_task = asyncio.create_task(self._book.run())
        await self._after_start()

    async def _after_start(self) -> None:
        pass

    async def close(self) -> None:
        await self.dead_man.stop()
        if self._book_task is not None:
            self._book_task.cancel()
            await asyncio.gather(self._book_task, return_exceptions=True)
        await self.client.stop()

    def tasks(self) -> list[asyncio.Task]:
        return self.dead_man.tasks()

    def book_feed(self) -> "VenueBookFeed":
        return self._book


class VenueBookFeed:
    """The maker venue's best bid and ask, read from its venue client's book (pushed or polled)."""

    def __init__(self, client: Any):
        self.client = client
        self.event = asyncio.Event()     # set while the venue client's book is up

    @property
    def best_bid(self) -> Decimal | None:
        return self.client.book.best_bid()

    @property
    def best_ask(self) -> Decimal | None:
        return self.client.book.best_ask()

    @property
    def updated_at(self) -> float:
        """time.monotonic() of the venue client's last book (pushed or polled), as the metrics read it."""
        return self.client.book_at

    @property
    def updates(self) -> int:
        """Messages of the venue client's stream (Hyperliquid's one socket); 0 where the client does not count
        them (Binance's depth stream)."""
        stream = getattr(self.client, "stream", None)
        return getattr(stream, "messages", 0)

    def age(self) -> float:
        return self.client.book_age()

    def max_age(self) -> float:
        return self.client.max_book_age()

    async def run(self) -> None:
        """Mirror the venue client's book state into ``event`` (the client's own workers read the book)."""
        while True:
            if self.client.book_ready.is_set():
                self.event.set()
            else:
                self.event.clear()
            await asyncio.sleep(0.1)


class DeadManSwitch:
    """Keeps the venue's cancel-all countdown ahead of now while the bot runs."""

    def __init__(self, venue: str, arm: Callable[[int | None], Any], fatal: Callable[[str], None], seconds: int):
        self.venue = venue
        self.seconds = seconds
        self.arm = arm                   # arm(seconds ahead) / arm(None) clears it
        self.fatal = fatal
        self.armed = False
        self.refusal: str | None = None  # why the venue would not arm it
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self._beat()
        if self.armed:
            self._task = asyncio.create_task(supervision.keep_running(f"{self.venue} dead-man switch", self._loop,
                                                                      self.fatal))

    async def _beat(self) -> None:
        try:
            await self.arm(self.seconds)
            self.armed, self.refusal = True, None
        except Exception as exc:  # noqa: BLE001 - said once; quoting goes on (the quotes are cancelled at stop)
            if self.refusal is None:
                log.warning("%s: the venue did not arm its dead-man switch (%s): if this process dies, its quotes "
                            "rest until the next start cancels them", self.venue, exc)
            self.refusal = str(exc)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / HEARTBEATS_PER_WINDOW)
            await self._beat()

    async def stop(self) -> None:
        if self._task is not None:
            await supervision.cancel_and_wait([self._task])
            self._task = None
        if self.armed:
            try:
                await self.arm(None)
            except Exception as exc:  # noqa: BLE001 - the countdown then simply runs out with nothing to cancel
                log.info("%s: clearing the dead-man switch failed (%s): it fires with nothing left to cancel",
                         self.venue, exc)
            self.armed = False

    def tasks(self) -> list[asyncio.Task]:
        return [self._task] if self._task is not None else []


def local_ms() -> int:
    """This machine's clock in ms: the fill mark "now" where only a lower bound for a read-back is needed (the
    read-back starts READBACK_MARGIN_MS earlier, which covers a venue clock that much off ours)."""
    return int(time.time() * 1000)
