"""How an /exchange answer reaches (or fails to reach) the client: the late-execution fault.

``late_execution`` (control action, params seconds, count=1, mode="drop"|"hang"): the next ``count``
order actions get no answer -- the connection is closed at once ("drop") or held open and closed without
an answer when the action finally runs ("hang") -- and the action is executed ``seconds`` later. Until
then orderStatus does not know the order (unknownOid, by oid or cloid). When it runs, it goes through the
normal checks at that moment, so an action whose ``expiresAfter`` has passed is refused ("Action already
expired") and leaves nothing behind.

Basis: the venue answers after the action is processed on the L1; an answer lost in transit leaves the
outcome unknown to the client, and docs exchange-endpoint "Expires after" exists so a delayed action can
be rejected instead of executing late. The size of such delays on the real venue is not documented.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger("simnet.hyperliquid.delivery")

LATE_ACTIONS = ("order", "batchModify", "modify")
MODES = ("drop", "hang")


@dataclass
class LateExecution:
    seconds: float
    remaining: int
    mode: str = "drop"

    def take(self, action_type: Any) -> bool:
        if self.remaining <= 0 or action_type not in LATE_ACTIONS:
            return False
        self.remaining -= 1
        return True


def arm(params: dict[str, Any]) -> LateExecution:
    mode = str(params.get("mode", "drop"))
    if mode not in MODES:
        raise ValueError(f"late_execution mode must be one of {MODES}, got {mode!r}")
    return LateExecution(float(params["seconds"]), int(params.get("count", 1)), mode)


async def run_late(late: LateExecution, transport: asyncio.BaseTransport | None,
                   execute: Callable[[], dict[str, Any]], pending: set[asyncio.Task]) -> None:
    """Close (drop) or hold (hang) the request's connection; execute the action ``late.seconds`` later."""

    async def later() -> None:
        await asyncio.sleep(late.seconds)
        try:
            outcome = execute()
        except Exception:   # the action must not take the loop down; it is logged like a venue fault
            log.exception("late execution failed")
            return
        log.info("late execution ran: %s", outcome)

    task = asyncio.create_task(later())
    pending.add(task)
    task.add_done_callback(pending.discard)
    if late.mode == "hang":
        await asyncio.shield(task)
    if transport is not None:
        transport.close()
