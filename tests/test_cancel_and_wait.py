"""Stopping never waits forever on a task whose clean-up itself waits."""
import asyncio

from bot.supervision import cancel_and_wait


async def _stubborn(cleanup_started: asyncio.Event, never: asyncio.Event) -> None:
    try:
        await never.wait()
    finally:
        cleanup_started.set()
        await never.wait()  # like a socket exit polling a read loop that never notices


async def _deaf(release: asyncio.Event) -> None:
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue  # swallows every cancel until released


def test_second_cancel_interrupts_a_waiting_cleanup():
    async def scenario():
        started, never = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(_stubborn(started, never))
        await asyncio.sleep(0)
        await cancel_and_wait([task], timeout=1.0, every=0.02)
        assert started.is_set() and task.cancelled()

    asyncio.run(scenario())


async def _swallows_first_cancel(seen: list[int]) -> None:
    """Like wait_for on Python 3.11 when the cancel and the inner result coincide: the cancel is lost."""
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append(1)
            if len(seen) == 1:
                asyncio.current_task().uncancel()
                continue
            raise


def test_a_lost_cancel_is_repeated():
    async def scenario():
        seen: list[int] = []
        task = asyncio.create_task(_swallows_first_cancel(seen))
        await asyncio.sleep(0)
        await cancel_and_wait([task], timeout=1.0, every=0.02)
        assert task.cancelled() and len(seen) == 2

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_a_task_that_ignores_cancel_is_left_behind_and_named(caplog):
    async def scenario():
        release = asyncio.Event()
        task = asyncio.create_task(_deaf(release), name="deaf-worker")
        await asyncio.sleep(0)
        await cancel_and_wait([task], timeout=0.1, every=0.02)
        assert not task.done()
        release.set()
        await asyncio.wait_for(task, 1)

    asyncio.run(asyncio.wait_for(scenario(), 5))
    assert "deaf-worker" in caplog.text
