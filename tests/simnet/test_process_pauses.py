"""The standalone simulator keeps its own garbage-collection pauses short (tools/simnet/__main__.py)."""
from __future__ import annotations

import asyncio
import gc

from tools.simnet import __main__ as simnet_main


def test_the_surviving_heap_is_frozen_as_soon_as_the_freezer_starts():
    async def scenario() -> int:
        gc.unfreeze()
        freezer = asyncio.create_task(simnet_main._freeze_heap_forever(every=3600))
        await asyncio.sleep(0)                       # one turn: the first freeze happens before any wait
        frozen = gc.get_freeze_count()
        freezer.cancel()
        return frozen

    try:
        frozen = asyncio.run(scenario())
    finally:
        gc.unfreeze()
    assert frozen > 0
