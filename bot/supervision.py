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
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, TypeVar

MAX_RETRIES = 5
BASE_DELAY = 0.5   # seconds before the first reconnect; doubles each time (tests shorten it)
MIN_STALL_SECONDS = 5.0
log = logging.getLogger("retry")
T = TypeVar("T")


class FatalError(RuntimeError):
    """A component gave up; the process must exit non-zero."""


class StalledError(RuntimeError):
    """A stream stayed open but sent nothing for too long."""


@dataclass
class Health:
    """Passed to a supervised worker: call ``ok()`` after each good message or poll."""

    event: asyncio.Event
    failures: int = 0
    last_error: str = ""
    last_ok: float = field(default_factory=time.monotonic)

    def ok(self) -> None:
        self.last_ok = time.monotonic()
        if not self.event.is_set():
            self.event.set()
            self.failures = 0


def stall_timeout(period: float) -> float:
    """A stream that normally sends every `period` seconds counts as stalled after this long."""
    return max(MIN_STALL_SECONDS, 3 * period)


def backoff_delay(attempt: int, base: float, cap: float = 8.0) -> float:
    """Delay before retry `attempt` (1-based): base * 2**(attempt-1), capped."""
    return min(cap, base * (2 ** (attempt - 1)))


async def _watch(health: Health, stall_timeout: float) -> None:
    """Raise StalledError once the worker has reported nothing for `stall_timeout` seconds."""
    while True:
        idle = time.monotonic() - health.last_ok
        if idle > stall_timeout:
            raise StalledError(f"no data for {idle:.1f}s (stream open but silent)")
        await asyncio.sleep(stall_timeout - idle + 0.01)


async def _run_once(worker: Callable[[Health], Awaitable[None]], health: Health,
                    stall_timeout: float | None) -> None:
    health.last_ok = time.monotonic()
    if stall_timeout is None:
        await worker(health)
        return
    tasks = [asyncio.ensure_future(worker(health)), asyncio.ensure_future(_watch(health, stall_timeout))]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # re-raise the worker's error or the stall
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def supervise(name: str, worker: Callable[[Health], Awaitable[None]], event: asyncio.Event,
                    fatal: Callable[[str], None], *, base_delay: float | None = None,
                    max_retries: int | None = MAX_RETRIES, stall_timeout: float | None = None) -> None:
    """Run `worker(health)` forever; restart it on failure or stall; report fatal after `max_retries`
    (None: never, for a stream whose work a poll takes over while it is down)."""
    health = Health(event)
    while True:
        try:
            await _run_once(worker, health, stall_timeout)
            error = "stream ended"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of the worker is a break of the feed
            error = f"{type(exc).__name__}: {exc}"
        event.clear()
        health.failures += 1
        health.last_error = error
        if max_retries is not None and health.failures > max_retries:
            message = f"{name}: gave up after {max_retries} reconnect attempts; last error: {error}"
            log.error(message)
            fatal(message)
            return
        delay = backoff_delay(health.failures, BASE_DELAY if base_delay is None else base_delay)
        log.warning("%s broke (%s); reconnect %d/%s in %.1fs", name, error, health.failures,
                    max_retries if max_retries is not None else "-", delay)
        await asyncio.sleep(delay)


async def keep_running(name: str, work: Callable[[], Awaitable[None]], fatal: Callable[[str], None], *,
                       max_failures: int = MAX_RETRIES, base_delay: float | None = None) -> None:
    """Run a task that must never end (quote loop, status line, CSV rows): an exception is logged with
    its traceback and the task restarted after a backoff; after `max_failures` in a row, fatal.

    Without this, an exception would end quoting while the process looks healthy. A run that lasts
    longer than a minute resets the count. Returning normally ends it (a loop told to stop).
    """
    failures = 0
    while True:
        started = time.monotonic()
        try:
            await work()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the task is reported and retried
            failures = 1 if time.monotonic() - started > 60 else failures + 1
            log.exception("%s failed (%s/%s): %s: %s", name, failures, max_failures, type(exc).__name__, exc)
            if failures >= max_failures:
                fatal(f"{name} failed {failures} times in a row; last error: {type(exc).__name__}: {exc}")
                return
            await asyncio.sleep(backoff_delay(failures, BASE_DELAY if base_delay is None else base_delay))


async def cancel_and_wait(tasks: list[asyncio.Task], timeout: float = 4.0, every: float = 0.25) -> None:
    """Cancel `tasks` and wait at most `timeout` seconds for them to end, cancelling again every `every`.

    One cancel is not always enough: Python 3.11's ``asyncio.wait_for`` drops a cancel that arrives as
    its inner future completes (python-binance's socket ``recv`` wraps every read in one, so a busy feed
    can lose it and keep reading), and python-binance's socket exit polls until its read loop notices.
    Whatever still runs after `timeout` is named in the log instead of holding the stop forever.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = {task for task in tasks if not task.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(every, max(deadline - loop.time(), 0.001)))
    if pending:
        names = ", ".join(sorted(task.get_name() for task in pending))
        log.warning("tasks still running %.0fs after cancel, left behind: %s", timeout, names)


async def bounded(coro: Awaitable[T], timeout: float, what: str) -> T:
    """`coro`'s result within `timeout` seconds, or TimeoutError naming `what`. Unlike ``asyncio.wait_for``
    it never waits on a task that ignores its cancel: such a task is cancelled and left behind (named in the
    log by ``cancel_and_wait``), so a stuck step cannot hold up whoever has a deadline."""
    task = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task}, timeout=max(0.0, timeout))
    if task in done:
        return task.result()
    await cancel_and_wait([task], timeout=0.5)
    raise TimeoutError(f"{what} did not finish in {timeout:.1f}s")
