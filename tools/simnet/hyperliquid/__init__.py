"""Simulated Hyperliquid perp venue (``/info``, ``/exchange``, ``/ws``) for simnet."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.simnet.core import SimNet
    from tools.simnet.hyperliquid.venue import HyperliquidVenue


def create(net: "SimNet") -> "HyperliquidVenue":
    from tools.simnet.hyperliquid.venue import HyperliquidVenue
    return HyperliquidVenue(net)
