"""Quote uptime and why quoting paused, from the status snapshots (one every 5 s).

Each snapshot stands for the same slice of time, so a share of snapshots is
a share of time. Pause reasons are grouped with their numbers masked ("3.2
AVAX is carried..." and "1.1 AVAX is carried..." are one reason).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from tools.report.journal import Run

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
UNKNOWN_REASON = "paused (no reason recorded)"


@dataclass(frozen=True)
class Uptime:
    snapshots: int
    quoting: int

    @property
    def share(self) -> float | None:
        return self.quoting / self.snapshots if self.snapshots else None


def uptime(runs: list[Run]) -> Uptime:
    """Share of status snapshots with quoting true, over all of `runs`."""
    statuses = [s for run in runs for s in run.statuses]
    return Uptime(len(statuses), sum(1 for s in statuses if s.get("quoting") is True))


def reason_key(reason: str | None) -> str:
    """A pause reason with its figures masked, so one cause is one row."""
    if not reason:
        return UNKNOWN_REASON
    return _NUMBER.sub("#", reason.strip())


def pause_shares(runs: list[Run]) -> dict[str, float]:
    """Share of all snapshots (time) paused for each reason, largest first; quoting share not included."""
    statuses = [s for run in runs for s in run.statuses]
    if not statuses:
        return {}
    counts = Counter(reason_key(s.get("pause_reason")) for s in statuses if s.get("quoting") is not True)
    return {reason: count / len(statuses) for reason, count in counts.most_common()}
