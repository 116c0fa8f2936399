"""Websocket connections and subscriptions (trader, market and depth streams).

Each connection has one writer task fed by a queue, so messages leave in the
order the node produced them and the engine never awaits a socket. Stream
names used by the fault knobs: "trader", "market", "depth", "orders".
"""
from __future__ import annotations

import asyncio
import re
from typing import Any, Callable

from aiohttp import web

from tools.simnet.faults import Faults
from tools.simnet.hubble.wire import go_dumps


class Conn:
    def __init__(self, ws: web.WebSocketResponse, faults: Faults):
        self.ws = ws
        self.faults = faults
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self.subs: dict[str, str] = {}      # subscription id -> stream
        self.writer = asyncio.create_task(self._write())

    def send(self, message: dict[str, Any], stream: str | None = None) -> None:
        if stream is not None and self.faults.is_stalled(stream):
            return
        self.queue.put_nowait(go_dumps(message))

    async def _write(self) -> None:
        try:
            while True:
                text = await self.queue.get()
                if self.ws.closed:
                    return
                await self.ws.send_str(text)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    def close(self) -> None:
        self.writer.cancel()
        for task in self.tasks:
            task.cancel()


def notification(namespace: str, sub_id: str, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": f"{namespace}_subscription",
            "params": {"subscription": sub_id, "result": result}}


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string ("500ms", "1s", "1m30s"); None if invalid."""
    if not text or _DURATION.sub("", text) != "":
        return None
    return sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))


class Feeds:
    """Routes node events to subscribed connections."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self.trader: dict[str, list[tuple[Conn, str, str]]] = {}
        self.market: dict[int, list[tuple[Conn, str, str]]] = {}
        self._next_id = 0

    def new_id(self) -> str:
        self._next_id += 1
        return f"0x{self._next_id:032x}"

    def subscribe_trader(self, conn: Conn, trader: str, level: str) -> str:
        sub_id = self.new_id()
        self.trader.setdefault(trader.lower(), []).append((conn, sub_id, level))
        conn.subs[sub_id] = "trader"
        return sub_id

    def subscribe_market(self, conn: Conn, market: int, level: str) -> str:
        sub_id = self.new_id()
        self.market.setdefault(market, []).append((conn, sub_id, level))
        conn.subs[sub_id] = "market"
        return sub_id

    def drop(self, conn: Conn) -> None:
        for table in (self.trader, self.market):
            for key in list(table):
                table[key] = [s for s in table[key] if s[0] is not conn]
                if not table[key]:
                    del table[key]

    def publish(self, kind: str, key: Any, event: dict[str, Any]) -> None:
        table = self.trader if kind == "trader" else self.market
        for conn, sub_id, level in table.get(key, ()):
            if event.get("BlockStatus") == level:
                conn.send(notification("trading", sub_id, event), kind)

    def start_depth(self, conn: Conn, namespace: str, interval: float,
                    snapshot: Callable[[], tuple[dict[int, int], dict[int, int]]],
                    render: Callable[[dict[int, int], dict[int, int]], Any]) -> str:
        """Every `interval` seconds send the change of the depth since the last message sent."""
        sub_id = self.new_id()
        conn.subs[sub_id] = "depth"

        async def run() -> None:
            old_bids: dict[int, int] = {}
            old_asks: dict[int, int] = {}
            while True:
                await asyncio.sleep(interval)
                if self.faults.is_stalled("depth"):
                    continue
                bids, asks = snapshot()
                conn.send(notification(namespace, sub_id, render(_diff(bids, old_bids), _diff(asks, old_asks))))
                old_bids, old_asks = bids, asks

        conn.tasks.append(asyncio.create_task(run()))
        return sub_id


def _diff(new: dict[int, int], old: dict[int, int]) -> dict[int, int]:
    """Levels that changed (removed levels appear with size 0), as getUpdateInDepth."""
    out = {p: q for p, q in new.items() if old.get(p) != q}
    out.update({p: 0 for p in old if p not in new})
    return out
