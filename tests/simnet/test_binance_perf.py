"""Cost guard: a price step with every market stream subscribed must stay cheap
(the simulator shares one core with three venues at 10 steps per second)."""
import asyncio
import time

import websockets

from tests.simnet.binance_helpers import sim  # noqa: F401

KINDS = ("bookTicker", "depth5@100ms", "depth20", "depth@100ms", "aggTrade", "markPrice@1s")


async def test_step_cost_with_all_streams(sim):
    streams = "/".join(f"{s}@{k}" for s in ("ethusdt", "avaxusdt", "solusdt") for k in KINDS)
    futures = sim.ready["binance_futures_ws"] + "stream?streams=" + streams
    spot = sim.ready["binance_spot_ws"] + "stream?streams=" + "/".join(
        f"{s}@{k}" for s in ("ethusdt", "avaxusdt", "solusdt") for k in ("trade", "bookTicker", "depth10@100ms"))
    async with websockets.connect(futures, max_queue=None) as fws, websockets.connect(spot, max_queue=None) as sws:
        async def timed() -> float:
            started = time.perf_counter()
            sim.step(200)
            return time.perf_counter() - started

        elapsed = await asyncio.to_thread(sim.call, timed)
        assert elapsed / 200 < 0.01, f"{elapsed / 200 * 1000:.2f} ms per step"
        assert "stream" in (await asyncio.wait_for(fws.recv(), 2))
        assert "stream" in (await asyncio.wait_for(sws.recv(), 2))
