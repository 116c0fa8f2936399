"""The 5-retry rule: event set while healthy, cleared on a break or stall, fatal after 5 failed reconnects."""
from __future__ import annotations

import asyncio

import pytest

from bot import supervision


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.001)


async def test_gives_up_after_five_consecutive_failures_and_reports_once():
    event, reasons, calls = asyncio.Event(), [], []

    async def worker(health):
        calls.append(1)
        raise ConnectionError("refused")

    await asyncio.wait_for(supervision.supervise("feed", worker, event, reasons.append), 5)
    assert len(calls) == 1 + supervision.MAX_RETRIES
    assert reasons == ["feed: gave up after 5 reconnect attempts; last error: ConnectionError: refused"]
    assert not event.is_set()


async def test_a_healthy_reconnect_sets_the_event_and_resets_the_count():
    event, reasons, calls = asyncio.Event(), [], []
    seen_clear = asyncio.Event()

    async def worker(health):
        calls.append(1)
        if len(calls) % 3 == 0:          # every third connection delivers data, then breaks
            health.ok()
            assert event.is_set()
        elif not event.is_set():
            seen_clear.set()
        if len(calls) >= 12:
            await asyncio.Event().wait()  # finally stays up
        raise ConnectionError("dropped")

    task = asyncio.create_task(supervision.supervise("feed", worker, event, reasons.append))
    try:
        await asyncio.wait_for(seen_clear.wait(), 5)
        while len(calls) < 12:
            await asyncio.sleep(0.001)
        assert reasons == []               # never 5 failures in a row
    finally:
        task.cancel()


async def test_an_open_but_silent_stream_counts_as_a_break():
    event, reasons, calls = asyncio.Event(), [], []

    async def worker(health):
        calls.append(1)
        if len(calls) == 1:
            health.ok()                   # data once, then an open socket that stays silent
            assert event.is_set()
        await asyncio.Event().wait()

    await asyncio.wait_for(supervision.supervise("feed", worker, event, reasons.append, stall_timeout=0.01), 5)
    assert len(calls) == 1 + supervision.MAX_RETRIES
    assert "StalledError" in reasons[0]


def test_backoff_doubles_and_is_capped():
    assert [supervision.backoff_delay(n, 0.5) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]


async def test_keep_running_restarts_a_failing_task_then_reports_fatal(monkeypatch):
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.001)
    runs, fatal = [], []

    async def work():
        runs.append(1)
        raise RuntimeError("boom")

    await supervision.keep_running("quote loop", work, fatal.append)
    assert len(runs) == supervision.MAX_RETRIES
    assert fatal and "quote loop failed 5 times" in fatal[0] and "boom" in fatal[0]


async def test_keep_running_returns_when_the_task_ends_normally():
    fatal = []

    async def work():
        return None

    await supervision.keep_running("status line", work, fatal.append)
    assert fatal == []
