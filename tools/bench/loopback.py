"""The loopback floor: a bare HTTP request/response to another process on this machine.

A minimal aiohttp server (its own process, like the simulator) answers a
small JSON POST; the client is aiohttp with a kept-alive connection, as the
hedge clients use. Fill-to-hedge-confirmed is reported beside this floor.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import numpy as np

SERVER = r"""
import sys
from aiohttp import web
async def answer(request):
    await request.read()
    return web.json_response({"status": "ok", "response": {"type": "order", "data": {"statuses": [{}]}}})
app = web.Application(); app.router.add_post("/exchange", answer)
async def main():
    runner = web.AppRunner(app, access_log=None); await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0); await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    import asyncio; await asyncio.Event().wait()
import asyncio; asyncio.run(main())
"""


async def _measure(port: int, count: int) -> list[float]:
    import aiohttp

    body = {"action": {"type": "order", "orders": [{"a": 5, "b": True, "p": "35.1", "s": "1"}]}, "nonce": 1}
    samples = []
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/exchange"
        for i in range(count + 20):
            start = time.perf_counter()
            async with session.post(url, json=body) as response:
                await response.json()
            if i >= 20:                                  # the first requests open the connection
                samples.append(time.perf_counter() - start)
            await asyncio.sleep(0.002)                   # paced like sparse hedges, not a tight loop
    return samples


def floor(count: int) -> dict[str, float]:
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        values = np.array(asyncio.run(_measure(port, count))) * 1000
    finally:
        server.terminate()
        server.wait(10)
    p50, p99 = np.percentile(values, [50, 99])
    return {"count": int(values.size), "p50_ms": round(float(p50), 3), "p99_ms": round(float(p99), 3),
            "max_ms": round(float(values.max()), 3)}
