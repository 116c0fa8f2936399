"""Cost guard: a price tick must stay cheap for the one-core simulator loop."""
from __future__ import annotations

import json
import time

import websocket

from tests.simnet.hyperliquid_helpers import HL, hl, wait_for  # noqa: F401


async def _ticks(net, count: int) -> float:
    started = time.perf_counter()
    net.step(count)
    return (time.perf_counter() - started) / count


def test_tick_with_every_market_stream_subscribed_is_cheap(hl: HL) -> None:
    conn = websocket.create_connection("ws" + hl.url[4:] + "/ws", timeout=5)
    try:
        conn.recv()
        subs = [{"type": "allMids"}] + [{"type": kind, "coin": coin} for kind in ("l2Book", "bbo")
                                          for coin in ("ETH", "SOL", "AVAX")]
        for sub in subs:
            conn.send(json.dumps({"method": "subscribe", "subscription": sub}))
        venue = hl.net.venues["hyperliquid"]
        wait_for(lambda: venue.hub.clients and len(next(iter(venue.hub.clients)).subs) == len(subs),
                 what="subscriptions")
        per_tick = hl.net.call(_ticks, hl.net, 200)
        assert per_tick < 0.01, f"{per_tick * 1000:.2f} ms per tick"
    finally:
        conn.close()
