"""What one observed run is asked for: the venue pair, the scenario and seed, its length, the bot's and simnet's
settings. The maker venue (``RunOptions.maker``: hubble, hyperliquid or binance) is the one the bot quotes on, the
hedge venue the one it hedges on."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sim_launcher import MAKER_FLOW
from tools.simnet.core import SimConfig

MAKERS = ("hubble", "hyperliquid", "binance")
HEDGES = ("hyperliquid", "binance")


def check_pair(maker: str, hedge: str) -> None:
    """ValueError (one line) unless the bot can quote on ``maker`` and hedge on ``hedge``."""
    if maker not in MAKERS or hedge not in HEDGES:
        raise ValueError(f"unknown pair {maker} -> {hedge}: maker is one of {MAKERS}, hedge one of {HEDGES}")
    if maker == hedge:
        raise ValueError(f"--maker and --hedge are both {maker}: the bot must hedge on another venue than it quotes on")


def maker_flow(maker: str, scenario: str) -> dict[str, Any]:
    """The simnet options ``main.py --sim`` gives a maker venue other than Hubble (bot.sim_launcher.MAKER_FLOW:
    background takers, and a book wide enough that the bot's quotes are its touch); none under ``quiet``,
    whose point is that the caller makes every fill, as --sim does."""
    if scenario == "quiet":
        return {}
    return {key: _value(value) for key, _, value in (item.partition("=") for item in MAKER_FLOW.get(maker, []))}


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@dataclass
class RunOptions:
    """One run: what simnet and the bot are given, and for how long."""
    scenario: str = "default"
    seed: int = 1
    seconds: float = 300.0
    hedge: str = "hyperliquid"
    market: str = "AVAX"
    bot_settings: list[str] = field(default_factory=list)     # main.py --set KEY=VALUE
    sim_settings: list[str] = field(default_factory=list)     # simnet VENUE.KEY=VALUE
    interval: float = 1.0
    maker: str = "hubble"
    bot_log: Path | None = None       # where to keep the bot's own output after the run (never read for a figure)

    def __post_init__(self) -> None:
        check_pair(self.maker, self.hedge)

    @property
    def pair(self) -> str:
        return f"{self.maker}->{self.hedge}"

    def sim_config(self) -> SimConfig:
        options: dict[str, dict[str, Any]] = {}
        for item in self.sim_settings:
            key, _, value = item.partition("=")
            venue, _, knob = key.partition(".")
            if not value or not knob:
                raise ValueError(f"simnet setting {item!r}: expected VENUE.KEY=VALUE")
            options.setdefault(venue, {})[knob] = _value(value)
        for knob, value in maker_flow(self.maker, self.scenario).items():
            options.setdefault(self.maker, {}).setdefault(knob, value)      # a --sim-set of the knob wins
        return SimConfig(seed=self.seed, scenario=self.scenario, venue_options=options)
