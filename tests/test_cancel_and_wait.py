"""Stopping never waits forever on a task whose clean-up itself waits."""
import asyncio

from bot.supervision import cancel_and_wait


async def _stubborn(cleanup_started: asyncio.Event, never: asyncio.Event) -> None:
    try:
        await never.wait()
    finally:
        cleanup_started.set()
        await never.wait()  # like a socket exit polling a read loop that never notices


async def _deaf(never: asyncio.Event) -> None:
    while True:
        try:
            await never.wait()
        except asyncio.CancelledError:
            continue  # swallows every cancel


def test_second_cancel_interrupts_a_waiting_cleanup():
    async def scenario():
        started, never = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(_stubborn(started, never))
        await asyncio.sleep(0)
        await cancel_and_wait([task], timeout=0.05)
        assert started.is_set() and task.cancelled()

    asyncio.run(scenario())


def test_a_task_that_ignores_cancel_is_left_behind_and_named(caplog):
    async def scenario():
        never = asyncio.Event()
        task = asyncio.create_task(_deaf(never), name="deaf-worker")
        await asyncio.sleep(0)
        await cancel_and_wait([task], timeout=0.02)
        assert not task.done()
        never.set()
        task.cancel()
        never.clear()

    asyncio.run(asyncio.wait_for(scenario(), 5))
    assert "deaf-worker" in caplog.text
