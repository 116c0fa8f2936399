"""Seeded reference price path shared by every simulated venue.

The path is a function of (seed, step) only, never of wall-clock time, so a
seed and scenario always give the same prices. Each step is ``dt`` seconds of
simulated time. Between steps the log price moves by a Gaussian increment
(geometric Brownian motion) plus, with probability ``jump_rate * dt``, a jump
of +/- ``jump_size`` (relative). A CSV of ``timestamp,price`` rows replaces
the model for one market: step k takes the last row at or before k * dt
seconds after the first row.

A steady trend on top of the model (scenarios ``trend`` and ``crash``) is
given per second of path time, not over a run: the path does not know how long
a run lasts. ``drift_per_s`` is the relative move per second, compounded
(``1.3 ** (1 / 120) - 1`` moves the price up 30 % every 120 s), applied only
between ``drift_from_s`` and ``drift_until_s`` seconds of path time (step k is
at k * dt). It draws nothing from the RNG, so a path with it differs from the
same seed's path without it by exactly the trend.
"""
from __future__ import annotations

import bisect
import csv
import math
import random
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PathParams:
    dt: float = 0.1                 # seconds of simulated time per step
    annual_vol: float = 0.6         # annualised volatility of log price
    jump_rate: float = 0.0          # expected jumps per second
    jump_size: float = 0.01         # relative size of one jump
    drift: float = 0.0              # annualised drift of log price
    drift_per_s: float = 0.0        # extra relative move per second of path time, compounded (see above)
    drift_from_s: float = 0.0       # path time the per-second drift starts
    drift_until_s: float = math.inf  # and stops
    replay: dict[str, Path] = field(default_factory=dict)  # symbol -> CSV


_SECONDS_PER_YEAR = 365.0 * 24 * 3600


class CsvReplay:
    """Prices from a ``timestamp,price`` CSV (timestamps in seconds)."""

    def __init__(self, path: Path):
        times: list[float] = []
        prices: list[float] = []
        with open(path, newline="") as handle:
            for row in csv.reader(handle):
                if not row or not row[0].strip():
                    continue
                try:
                    times.append(float(row[0]))
                    prices.append(float(row[1]))
                except ValueError:
                    if times:  # only a first header row may be non-numeric
                        raise ValueError(f"{path}: bad row {row!r}") from None
        if not prices:
            raise ValueError(f"{path}: no timestamp,price rows")
        self._offsets = [t - times[0] for t in times]
        self._prices = prices

    def at(self, seconds: float) -> float:
        index = bisect.bisect_right(self._offsets, seconds) - 1
        return self._prices[max(index, 0)]


class PricePath:
    """Reference price per symbol, advanced one step at a time."""

    def __init__(self, seed: int, start: dict[str, float], params: PathParams | None = None):
        self.params = params or PathParams()
        self.step_index = 0
        self._rng = random.Random(seed)
        self._prices = dict(start)
        self._replays = {sym: CsvReplay(p) for sym, p in self.params.replay.items()}
        for symbol, replay in self._replays.items():
            self._prices[symbol] = replay.at(0.0)
        self._shocks: dict[str, float] = {}  # pending one-off relative moves

    def price(self, symbol: str) -> float:
        return self._prices[symbol]

    def prices(self) -> dict[str, float]:
        return dict(self._prices)

    def shock(self, symbol: str, relative: float) -> None:
        """Apply a one-off relative move at the next step (scenario jumps)."""
        self._shocks[symbol] = self._shocks.get(symbol, 0.0) + relative

    def step(self) -> dict[str, float]:
        """Advance one step and return the new prices."""
        p = self.params
        self.step_index += 1
        sigma = p.annual_vol * math.sqrt(p.dt / _SECONDS_PER_YEAR)
        mu = (p.drift - 0.5 * p.annual_vol ** 2) * p.dt / _SECONDS_PER_YEAR
        if p.drift_per_s:
            mu += self._window_drift()
        for symbol in sorted(self._prices):
            # draw for every symbol every step so replays don't shift the others
            z = self._rng.gauss(0.0, 1.0)
            jump = 0.0
            if self._rng.random() < p.jump_rate * p.dt:
                jump = p.jump_size if self._rng.random() < 0.5 else -p.jump_size
            if symbol in self._replays:
                self._prices[symbol] = self._replays[symbol].at(self.step_index * p.dt)
            else:
                self._prices[symbol] *= math.exp(mu + sigma * z) * (1.0 + jump)
            shock = self._shocks.pop(symbol, 0.0)
            if shock:
                self._prices[symbol] *= 1.0 + shock
        return dict(self._prices)

    def _window_drift(self) -> float:
        """Log move of this step from ``drift_per_s``: the part of the step inside the drift window."""
        p = self.params
        start, end = (self.step_index - 1) * p.dt, self.step_index * p.dt
        inside = min(end, p.drift_until_s) - max(start, p.drift_from_s)
        return math.log1p(p.drift_per_s) * inside if inside > 0 else 0.0


def per_second(move: float, seconds: float) -> float:
    """The compounded per-second relative move that makes ``move`` (e.g. 0.3 for +30 %) over ``seconds``."""
    return (1.0 + move) ** (1.0 / seconds) - 1.0
