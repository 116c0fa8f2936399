"""The event journal: what happened in a run, one JSON object per line, for ``python3 -m tools.report``.

``performance/<market>-events.jsonl`` is appended to by every run (a run
starts with a ``start`` line) and rotates like the log (``rotation.py``:
``-events.jsonl.1`` is the newest older part). Lines are kept in memory and written by a
worker thread at each status tick and at the stop, so the event loop never
waits on the disk. Kinds and their fields (all money in USD, sizes in base
units, times in unix seconds):

- ``start``: market, hedge, sim, run (a random id)
- ``fill``: side (+1 bought on Hubble, -1 sold), qty, price, removed (a reorg took it back)
- ``hedge``: filled (signed, hedge venue), avg_price, fee, reference (the touch the hedge was priced on),
  slippage_usd, sent_ms and confirmed_ms (from the first fill it covers), reconciliation
- ``status``: mid, hubble_position, hedge_position, net (the venues' own figures), quoting, pause_reason,
  pnl {spread, maker_fees, taker_fees, slippage, net}, funding {hubble_pending, hedge_reported}
- ``stop``: exit_status, failures
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from bot.reporting.rotation import FileRotation

log = logging.getLogger("journal")


class EventJournal:
    def __init__(self, path: Path, rotation: FileRotation | None = None):
        self.path = path
        self.rotation = rotation or FileRotation(path)
        self.run = os.urandom(4).hex()
        self._pending: list[str] = []
        self._warned = False

    def write(self, kind: str, **fields: Any) -> None:
        """Queue one event (cheap: no I/O here)."""
        self._pending.append(json.dumps({"t": round(time.time(), 3), "run": self.run, "kind": kind, **fields},
                                        default=_plain, separators=(",", ":")))

    def take(self) -> list[str]:
        """The queued lines, handed to ``append`` (in a worker thread) by the owner."""
        lines, self._pending = self._pending, []
        return lines

    def append(self, lines: list[str]) -> None:
        """File I/O only, safe in a worker thread. A failure is logged once, never raised."""
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.rotation.due(len(text)):
                self.rotation.rotate()
            with open(self.path, "a") as out:
                out.write(text)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("event journal %s not written (%s); trading goes on", self.path, exc)


def _plain(value: Any) -> Any:
    """Decimals and the like as numbers where exact enough for a report, else as text."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
