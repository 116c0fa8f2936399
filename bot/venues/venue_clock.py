"""How far a venue's clock may be behind this machine's, measured from the venue's own timestamps.

An order's venue-side deadline (Hyperliquid ``expiresAfter``) is in the venue's
time; "not found after the deadline" proves the order can no longer execute
only once the venue's clock has passed it. A message the venue stamped at its
time T and that arrived here at local time t says the venue's clock reads at
least T - t ahead of ours (the message took some time to come), so the
largest T - t of recent messages bounds from below how far the venue is
ahead, and hence from above how far it can be behind. Stale stamps (a book
unchanged for a while) only make that bound looser, never wrong.
"""
from __future__ import annotations

import logging
import time
from collections import deque

log = logging.getLogger("hedge.clock")
WINDOW_SECONDS = 120.0          # samples older than this are dropped
UNMEASURED_BEHIND = 10.0        # seconds allowed when no recent stamp exists (the stream down since a while)
WARN_BEHIND = 1.0               # a venue this far behind is said once (NTP on this machine?)


class VenueClock:
    def __init__(self, venue: str):
        self.venue = venue
        self._samples: deque[tuple[float, float]] = deque()   # (monotonic at arrival, venue - local seconds)
        self._warned = False

    def observe(self, venue_ms: int | float, received: float | None = None) -> None:
        """A venue timestamp (ms) on a message that has just arrived (or arrived at unix time `received`)."""
        if not venue_ms or venue_ms <= 0:
            return
        now = time.monotonic()
        self._samples.append((now, venue_ms / 1000 - (time.time() if received is None else received)))
        while self._samples and self._samples[0][0] < now - WINDOW_SECONDS:
            self._samples.popleft()

    def behind(self) -> float:
        """Seconds the venue's clock may at most be behind ours (0 when it is not), UNMEASURED_BEHIND without a
        recent stamp."""
        now = time.monotonic()
        recent = [offset for at, offset in self._samples if at >= now - WINDOW_SECONDS]
        if not recent:
            return UNMEASURED_BEHIND
        behind = max(0.0, -max(recent))
        if behind > WARN_BEHIND and not self._warned:
            self._warned = True
            log.warning("%s: the venue's clock reads up to %.1fs behind this machine's: order deadlines are extended "
                        "by that much; synchronise this machine's clock (NTP)", self.venue, behind)
        elif behind <= WARN_BEHIND:
            self._warned = False
        return behind
