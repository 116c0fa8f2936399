"""Named scenarios: presets of the price path and timed events.

``apply`` adjusts the configuration before the venues are built;
``timeline`` returns coroutines run on the simnet loop (timed shocks, a venue
lagging). Venue-specific knobs go into ``config.venue_options[venue]``; the
scenarios' own knobs into ``config.venue_options["scenario"]`` (``--set
scenario.KEY=VALUE``), with the defaults in ``KNOBS``.

``trend`` and ``crash`` move the path with its per-second drift
(pricepath.py): their times are seconds of path time from simnet's start (step
k is at k * dt), which is wall time when the path ticks on the clock. The
crash's hedge-venue windows wait for path time too, so they line up with the
crash whether the path is stepped by the clock or by hand. They use the
generic fault knobs (faults.py): ``delay`` (every answer late: the venue
lagging) and ``reject_orders`` (every order refused with the venue's fault
text); what a real venue does in a crash is not modelled from any source.
"""
from __future__ import annotations

import asyncio
from typing import Any, Container, Coroutine, Protocol

from tools.simnet.config import SimConfig
from tools.simnet.pricepath import PricePath, per_second

SCENARIOS: dict[str, str] = {
    "default": "calm market: 60% annual vol, no jumps, steady taker flow",
    "volatile": "150% annual vol with jumps (0.5% size, one every 20 s on average)",
    "jump": "a 2% jump on the reference path after 5 s, seen by Binance first (Hyperliquid and Hubble lag 1 s)",
    "informed": "takers are informed (on every venue with taker flow): they hit the side the price is about to "
                "move through",
    "quiet": "no background taker flow on any venue (tests drive every fill themselves)",
    "trend": "steady drift up, +30% per 120 s of path time (compounding, for the whole run); 70% of the "
             "uninformed takers buy (on every venue with taker flow)",
    "crash": "-25% from 20 s to 60 s; the hedge venue answers 1 s late from 25 s to 35 s and refuses every "
             "order from 35 s to 45 s",
}

HEDGE_VENUES = ("hyperliquid", "binance")
# venues with simulated taker flow (hubble/activity.py, hyperliquid/flow.py, binance/flow.py): the scenarios'
# flow knobs apply to each (Hyperliquid's and Binance's flow is off unless their taker_rate is set)
FLOW_VENUES = ("hubble", "hyperliquid", "binance")
NEVER_ENDING = 10 ** 9      # a reject_orders count that outlasts any window
KNOBS: dict[str, float] = {
    "trend_pct": 30.0,              # move per trend_seconds, compounded per second
    "trend_seconds": 120.0,
    "trend_buy_share": 0.7,         # hubble.taker_buy_share unless that is set
    "crash_pct": 25.0,              # fall over crash_seconds from crash_from_s
    "crash_from_s": 20.0,
    "crash_seconds": 40.0,
    "hedge_lag_from_s": 25.0,       # every hedge-venue answer hedge_lag_delay_s late in this window
    "hedge_lag_seconds": 10.0,
    "hedge_lag_delay_s": 1.0,
    "hedge_reject_from_s": 35.0,    # every hedge-venue order refused in this window
    "hedge_reject_seconds": 10.0,
}



class Net(Protocol):
    """What a scenario reads and drives of the running simnet (core.SimNet is one)."""
    config: SimConfig
    path: PricePath
    venues: Container[str]

    async def control_async(self, venue: str, action: str,
                            params: dict[str, Any] | None = None) -> dict[str, Any]: ...


def knob(cfg: SimConfig, name: str) -> float:
    """A scenario knob: ``venue_options["scenario"][name]`` or its default in KNOBS."""
    return float(cfg.venue_options.get("scenario", {}).get(name, KNOBS[name]))


def apply(name: str, net: Net) -> None:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    cfg = net.config
    if name == "volatile":
        cfg.path.annual_vol, cfg.path.jump_rate, cfg.path.jump_size = 1.5, 0.05, 0.005
    elif name == "jump":
        for venue in ("hubble", "hyperliquid"):
            cfg.options(venue).setdefault("lag_seconds", 1.0)
    elif name == "informed":
        for venue in FLOW_VENUES:
            cfg.options(venue).setdefault("informed_takers", 0.8)
    elif name == "quiet":
        for venue in FLOW_VENUES:
            cfg.options(venue).setdefault("taker_rate", 0.0)
    elif name == "trend":
        cfg.path.drift_per_s = per_second(knob(cfg, "trend_pct") / 100, knob(cfg, "trend_seconds"))
        for venue in FLOW_VENUES:
            cfg.options(venue).setdefault("taker_buy_share", knob(cfg, "trend_buy_share"))
    elif name == "crash":
        start, seconds = knob(cfg, "crash_from_s"), knob(cfg, "crash_seconds")
        cfg.path.drift_per_s = per_second(-knob(cfg, "crash_pct") / 100, seconds)
        cfg.path.drift_from_s, cfg.path.drift_until_s = start, start + seconds


def timeline(name: str, net: Net) -> list[Coroutine[Any, Any, None]]:
    if name == "jump":
        return [_jump_later(net)]
    if name == "crash":
        return [coroutine for venue in HEDGE_VENUES if venue in net.venues for coroutine in _hedge_outage(net, venue)]
    return []


async def _jump_later(net: Net) -> None:
    await asyncio.sleep(5.0)
    for symbol in net.path.prices():
        net.path.shock(symbol, 0.02)


def _hedge_outage(net: Net, venue: str) -> list[Coroutine[Any, Any, None]]:
    cfg = net.config
    lag = _window(net, venue, knob(cfg, "hedge_lag_from_s"), knob(cfg, "hedge_lag_seconds"),
                  ("delay", {"seconds": knob(cfg, "hedge_lag_delay_s")}), ("delay", {"seconds": 0.0}))
    refuse = _window(net, venue, knob(cfg, "hedge_reject_from_s"), knob(cfg, "hedge_reject_seconds"),
                     ("reject_orders", {"count": NEVER_ENDING}), ("reject_orders", {"count": 0}))
    return [lag, refuse]


async def _window(net: Net, venue: str, start: float, seconds: float,
                  on: tuple[str, dict[str, Any]], off: tuple[str, dict[str, Any]]) -> None:
    """A fault knob set at ``start`` seconds of path time and reset ``seconds`` later."""
    if seconds <= 0:
        return
    await _path_time(net, start)
    await net.control_async(venue, *on)
    await _path_time(net, start + seconds)
    await net.control_async(venue, *off)


async def _path_time(net: Net, seconds: float) -> None:
    """Return once the path has reached ``seconds`` of path time (checked every half step)."""
    dt = net.config.path.dt
    while net.path.step_index * dt < seconds - 1e-9:
        await asyncio.sleep(dt / 2)
