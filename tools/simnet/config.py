"""SimConfig: what a simnet run is asked to be (seed, ports, venues, scenario, price path, venue knobs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.simnet.pricepath import PathParams

ALL_VENUES = ("hubble", "hyperliquid", "binance")


@dataclass
class SimConfig:
    seed: int = 1
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=dict)   # role -> port (0 or absent: free port)
    venues: tuple[str, ...] = ALL_VENUES
    scenario: str = "default"
    autotick: bool = True           # step the price path on a wall-clock timer
    path: PathParams = field(default_factory=PathParams)
    initial_margin: float = 10_000.0  # USD credited to any new account on first sight
    venue_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # venue -> free-form knobs

    def options(self, venue: str) -> dict[str, Any]:
        return self.venue_options.setdefault(venue, {})
