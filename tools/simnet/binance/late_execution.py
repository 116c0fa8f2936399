"""The ``late_execution`` fault: an accepted order reaches the matching engine late and its
answer never arrives.

The POST /fapi/v1/order request gets no answer (mode ``timeout``: the connection is held
open until the client gives up, then dropped; mode ``reset``: dropped at once). For
``late_execution_seconds`` the order is unknown to the venue (GET /fapi/v1/order answers
-2013 "Order does not exist."); then it reaches the matching engine, where -- as Binance does
since 2023-04-18 -- "the order placing requests are valid if recvWindow + timestamp >=
matching engine timestamp" (derivatives change log, RELEASE DATE 2023-04-18; the rejection is
-5028 "Timestamp for this request is outside of the ME recvWindow.", USDⓈ-M error-code page).
A request that is still inside its recvWindow executes as if it had arrived then.
unconfirmed: whether Binance pushes anything on the user stream for a -5028 rejection (simnet:
nothing; the order stays unknown).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from tools.simnet.binance.auth import DEFAULT_RECV_WINDOW

log = logging.getLogger("simnet.binance.late")


def inside_recv_window(params: dict[str, str], engine_ms: int) -> bool:
    stamp = int(params["timestamp"])
    window = int(params.get("recvWindow", DEFAULT_RECV_WINDOW))
    return engine_ms <= stamp + window


@dataclass
class LateOrders:
    tasks: set[asyncio.Task] = field(default_factory=set)
    rejected: list[dict[str, str]] = field(default_factory=list)    # requests refused with -5028 (for tests)

    def schedule(self, delay: float, params: dict[str, str], clock: Callable[[], int],
                 execute: Callable[[], Any]) -> None:
        async def arrive() -> None:
            await asyncio.sleep(delay)
            if not inside_recv_window(params, clock()):
                self.rejected.append(dict(params))
                log.info("late order %s rejected at the matching engine (-5028)", params.get("newClientOrderId"))
                return
            try:
                execute()
            except Exception as exc:  # a rejection at the engine (margin, price band): the order stays unknown
                log.info("late order %s rejected at the matching engine: %s", params.get("newClientOrderId"), exc)

        task = asyncio.ensure_future(arrive())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def cancel(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def no_answer(request: web.Request, mode: str, hold_seconds: float) -> web.StreamResponse:
    """Never answer: hold the request (``timeout``) or drop the connection at once (``reset``)."""
    if mode != "reset":
        await asyncio.sleep(hold_seconds)
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=504)     # not delivered: the transport is closed

