"""Named scenarios: presets of the price path and timed events.

``apply`` adjusts the configuration before the venues are built;
``timeline`` returns coroutines run on the simnet loop (timed shocks, a venue
lagging). Venue-specific knobs go into ``config.venue_options[venue]``.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Coroutine

if TYPE_CHECKING:
    from tools.simnet.core import SimNet

SCENARIOS: dict[str, str] = {
    "default": "calm market: 60% annual vol, no jumps, steady taker flow",
    "volatile": "150% annual vol with jumps (0.5% size, one every 20 s on average)",
    "jump": "a 2% jump on the reference path after 5 s, seen by Binance first (Hyperliquid and Hubble lag 1 s)",
    "informed": "takers are informed: they hit the side the price is about to move through",
    "quiet": "no background taker flow (tests drive every fill themselves)",
}


def apply(name: str, net: "SimNet") -> None:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    cfg = net.config
    if name == "volatile":
        cfg.path.annual_vol, cfg.path.jump_rate, cfg.path.jump_size = 1.5, 0.05, 0.005
    elif name == "jump":
        for venue in ("hubble", "hyperliquid"):
            cfg.options(venue).setdefault("lag_seconds", 1.0)
    elif name == "informed":
        cfg.options("hubble").setdefault("informed_takers", 0.8)
    elif name == "quiet":
        cfg.options("hubble").setdefault("taker_rate", 0.0)


def timeline(name: str, net: "SimNet") -> list[Coroutine[Any, Any, None]]:
    if name != "jump":
        return []

    async def jump_later() -> None:
        await asyncio.sleep(5.0)
        for symbol in net.path.prices():
            net.path.shock(symbol, 0.02)

    return [jump_later()]
