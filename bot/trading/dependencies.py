"""The shapes the quoter and the hedger are built from: what each calls on the objects it is given.

Each is a Protocol that an object the order manager already holds satisfies as it is (the order manager
itself, the risk engine, the hedger), so order_manager.py names the parts it hands over instead of wrapping
them in lambdas. Only what the part calls is listed. The reconciler's shapes are in
bot/tracking/reconciler.py (tracking sits below trading).
"""
from __future__ import annotations

from typing import Protocol


class Fatal(Protocol):
    """Stop the bot with `message` (the engine's ``fatal``): status 78 when only the operator can fix the
    cause (pm2 does not restart it), 1 otherwise."""

    def __call__(self, message: str, status: int = 1) -> None: ...
