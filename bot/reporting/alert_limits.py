"""How many alerts may go out: a token bucket (a burst, then a steady rate) and a filter of repeats.

Both take a clock so tests can move time without sleeping.
"""
from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], float]


class TokenBucket:
    """`burst` alerts at once, then `per_minute` a minute."""

    def __init__(self, burst: int, per_minute: float, clock: Clock = time.monotonic):
        self.capacity = float(burst)
        self.per_second = per_minute / 60.0
        self.clock = clock
        self.tokens = float(burst)
        self._updated = clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.per_second)
        self._updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RepeatFilter:
    """Identical alerts within `window` seconds of the last one sent are held back and counted.

    ``admit`` answers None for a repeat to hold back, else how many repeats of
    the same alert were held back since it last went out (so the message can
    say so)."""

    MAX_KEYS = 512

    def __init__(self, window: float, clock: Clock = time.monotonic):
        self.window = window
        self.clock = clock
        self._seen: dict[str, tuple[float, int]] = {}     # key -> (last sent at, repeats held back since)

    def admit(self, key: str) -> int | None:
        now = self.clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self.window:
            self._seen[key] = (last[0], last[1] + 1)
            return None
        self._forget_old(now)
        self._seen[key] = (now, 0)
        return last[1] if last is not None else 0

    def _forget_old(self, now: float) -> None:
        if len(self._seen) >= self.MAX_KEYS:
            recent = sorted(((v[0], k) for k, v in self._seen.items() if now - v[0] < self.window), reverse=True)
            self._seen = {k: self._seen[k] for _, k in recent[:self.MAX_KEYS // 2]}
