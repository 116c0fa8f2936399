"""A hedge venue's request limits, this process's share of them, and what it has used.

Every REST request is charged with the weight the venue documents for it.
The venues count per IP (request weight) and, on Binance, per account
(orders); pm2 runs one process per market on one machine, so each process
may use ``1 / hedgeVenueProcesses`` of every limit. Orders always go out
(a hedge is never held back by the budget); optional reads (the slow REST
heal polls) are skipped when the share would pass ``OPTIONAL_CEILING``.
The used figures are reported in the summary and by the benchmark.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

log = logging.getLogger("budget")
OPTIONAL_CEILING = 0.5           # optional reads stop at this share of the process's part of a limit
WARN_AT = 0.8                    # a warning when the process reaches this share of its part


@dataclass(frozen=True)
class Limit:
    name: str                    # "request weight per IP", "orders per account"
    per_seconds: float
    amount: int


class Window:
    """Amounts spent in a sliding window (exact: one entry per charge)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._entries: deque[tuple[float, int]] = deque()
        self._total = 0

    def charge(self, amount: int, now: float) -> None:
        self._entries.append((now, amount))
        self._total += amount

    def used(self, now: float) -> int:
        entries = self._entries
        while entries and entries[0][0] <= now - self.seconds:
            self._total -= entries.popleft()[1]
        return self._total


class RequestBudget:
    def __init__(self, venue: str, limits: tuple[Limit, ...], processes: int):
        self.venue = venue
        self.limits = limits
        self.processes = max(1, processes)
        self._windows = {limit.name: Window(limit.per_seconds) for limit in limits}
        self.totals = {limit.name: 0 for limit in limits}
        self.started = time.monotonic()
        self.skipped_reads = 0
        self._warned: set[str] = set()
        self._mark: tuple[float, dict[str, int]] | None = None   # (time, totals) when quoting started
        self._end: tuple[float, dict[str, int]] | None = None    # (time, totals) when stopping began

    def mark(self) -> None:
        """Start of steady running (after start-up's one-off reads): rates are also reported from here."""
        self._mark = (time.monotonic(), dict(self.totals))

    def mark_end(self) -> None:
        """End of steady running (before the stop's final reads)."""
        if self._end is None:
            self._end = (time.monotonic(), dict(self.totals))

    def share(self, limit: Limit) -> float:
        return limit.amount / self.processes

    def charge(self, amounts: dict[str, int]) -> None:
        """Record a request (always sent: the caller decided it must go)."""
        now = time.monotonic()
        for limit in self.limits:
            amount = amounts.get(limit.name, 0)
            if amount:
                self._windows[limit.name].charge(amount, now)
                self.totals[limit.name] += amount
                self._warn_if_high(limit, now)

    def pressure(self) -> float:
        """The largest share of this process's part of any limit used in its current window (1.0 = all)."""
        now = time.monotonic()
        return max((self._windows[limit.name].used(now) / self.share(limit) for limit in self.limits), default=0.0)

    def allows_optional(self, amounts: dict[str, int]) -> bool:
        """May an optional read (a heal poll) go out now without eating into what hedges need?"""
        now = time.monotonic()
        for limit in self.limits:
            amount = amounts.get(limit.name, 0)
            if amount and self._windows[limit.name].used(now) + amount > OPTIONAL_CEILING * self.share(limit):
                self.skipped_reads += 1
                return False
        return True

    def _warn_if_high(self, limit: Limit, now: float) -> None:
        used, share = self._windows[limit.name].used(now), self.share(limit)
        if used >= WARN_AT * share and limit.name not in self._warned:
            self._warned.add(limit.name)
            log.warning("%s: %d of this process's %.0f %s per %.0f s used (the venue allows %d for %d processes)",
                        self.venue, used, share, limit.name, limit.per_seconds, limit.amount, self.processes)
        elif used < WARN_AT * share / 2:
            self._warned.discard(limit.name)

    def report(self) -> dict:
        """Per limit: the venue's amount, this process's share, used in the current window, average per window."""
        now = time.monotonic()
        return {"processes": self.processes, "skipped_optional_reads": self.skipped_reads,
                "limits": {limit.name: self._limit_report(limit, now) for limit in self.limits}}

    def _limit_report(self, limit: Limit, now: float) -> dict:
        name = limit.name
        report = {"per_seconds": limit.per_seconds, "venue_limit": limit.amount,
                  "process_share": round(self.share(limit), 1), "used_in_window": self._windows[name].used(now),
                  "total": self.totals[name]}
        end_time, end_totals = self._end or (now, self.totals)
        if self._mark is not None and end_time > self._mark[0]:
            spent = end_totals[name] - self._mark[1][name]
            rate = spent * limit.per_seconds / (end_time - self._mark[0])
            report["per_window_since_quoting"] = round(rate, 2)
            report["share_of_venue_limit_since_quoting"] = round(rate * self.processes / limit.amount, 4)
        return report
