"""The day's PnL for the daily alert: the run's running totals at each UTC midnight, differenced.

PnL parts from `Performance.pnl_parts` cover the whole run (spread marked at the mid of the moment),
so a day's figures are today's totals minus those at the previous midnight (or at the start).
"""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping


def seconds_to_midnight(now: dt.datetime) -> float:
    """Seconds from `now` (aware) to the next UTC midnight, never 0."""
    now = now.astimezone(dt.timezone.utc)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - now).total_seconds(), 0.001)


async def until_midnight() -> str:
    """Sleep until the next UTC midnight; the day that just ended (YYYY-MM-DD)."""
    await asyncio.sleep(seconds_to_midnight(dt.datetime.now(dt.timezone.utc)))
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).date().isoformat()


@dataclass
class DailyPnl:
    """Keeps the totals at the last cut; `cut` returns the change since then."""

    parts: dict[str, Decimal] = field(default_factory=dict)
    fills: int = 0
    volume: Decimal = Decimal(0)

    def cut(self, parts: Mapping[str, Decimal], fills: int, volume: Decimal) -> dict:
        day = {key: value - self.parts.get(key, Decimal(0)) for key, value in parts.items()}
        day.update(fills=fills - self.fills, volume=volume - self.volume)
        self.parts, self.fills, self.volume = dict(parts), fills, volume
        return day
