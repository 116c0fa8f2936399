"""The reconnect rule shared by every feed and poller: up to 5 retries with backoff.

``supervise`` runs a long-lived coroutine (a stream reader or a polling loop).
While it runs healthily the caller's event is set; when it fails the event is
cleared and it is restarted after a backoff delay. A success (``healthy()``
called by the worker after its first good message/poll) resets the count.
After the 5th consecutive failed restart the error is reported through
``fatal`` and supervise returns: the engine then stops with a non-zero exit so
pm2 restarts the process.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

MAX_RETRIES = 5
log = logging.getLogger("retry")


class FatalError(RuntimeError):
    """A component gave up; the process must exit non-zero."""


@dataclass
class Health:
    """Passed to a supervised worker: call ``ok()`` after each good message or poll."""

    event: asyncio.Event
    failures: int = 0
    last_error: str = ""

    def ok(self) -> None:
        if not self.event.is_set():
            self.event.set()
        self.failures = 0


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Delay before retry `attempt` (1-based): base * 2**(attempt-1), capped."""
    return min(cap, base * (2 ** (attempt - 1)))


async def supervise(name: str, worker: Callable[[Health], Awaitable[None]], event: asyncio.Event,
                    fatal: Callable[[str], None], *, base_delay: float = 0.5,
                    max_retries: int = MAX_RETRIES) -> None:
    """Run `worker(health)` forever; restart it on failure; report fatal after `max_retries`."""
    health = Health(event)
    while True:
        try:
            await worker(health)
            error = "stream ended"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of the worker is a break of the feed
            error = f"{type(exc).__name__}: {exc}"
        event.clear()
        health.failures += 1
        health.last_error = error
        if health.failures > max_retries:
            message = f"{name}: gave up after {max_retries} reconnect attempts; last error: {error}"
            log.error(message)
            fatal(message)
            return
        delay = backoff_delay(health.failures, base_delay)
        log.warning("%s broke (%s); reconnect %d/%d in %.1fs", name, error, health.failures, max_retries, delay)
        await asyncio.sleep(delay)
