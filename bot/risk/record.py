"""The risk state kept on disk (state/<market>-risk.json): the kill switch and the loss baselines.

A tripped kill switch survives a restart: pm2 restarting the process after a
trip must not resume quoting. Only the operator clears it
(``python3 main.py AVAX --clear-kill``), which also takes the account's
equity at that moment as the new baselines (otherwise the same loss would
trip it again at once).

Losses are measured at the venues: the equity of both accounts (Hubble
margin + unrealised PnL, net of pending funding; the hedge account's value),
so fees, funding and slippage are all in it. The day's baseline is the first
equity read after UTC midnight; the total baseline the first ever read.
A deposit or withdrawal moves equity too: clear the baselines after one
(``--clear-kill`` works whether or not the switch has tripped).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

log = logging.getLogger("risk")


@dataclass
class RiskRecord:
    day: str = ""                         # UTC date of day_start_equity
    day_start_equity: str | None = None   # Decimal as text
    start_equity: str | None = None
    halted_reason: str | None = None      # set: the kill switch has tripped
    halted_at: str | None = None          # ISO time of the trip

    @property
    def halted(self) -> bool:
        return self.halted_reason is not None


def utc_day(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d")


class RiskStore:
    """One file per market; inside it one record per trader address, so a simulator run (throwaway keys)
    or another account never halts, or sets the baselines of, this one."""

    def __init__(self, path: Path, trader: str):
        self.path = path
        self.trader = trader.lower()
        self.record = self._load()

    def _read_all(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data

    def _load(self) -> RiskRecord:
        try:
            raw = self._read_all().get(self.trader) or {}
        except (OSError, ValueError) as exc:
            # Unreadable: refuse to guess that the kill switch is off.
            log.error("risk state %s unreadable (%s): treated as a tripped kill switch; check the file, then "
                      "clear it with --clear-kill", self.path, exc)
            return RiskRecord(halted_reason=f"risk state file unreadable ({exc})")
        return RiskRecord(**{k: raw.get(k) for k in RiskRecord.__dataclass_fields__ if k in raw})

    def save(self) -> None:
        try:
            data = self._read_all()
        except (OSError, ValueError):
            data = {}
        data[self.trader] = asdict(self.record)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)           # atomic: a crash never leaves half a file

    def trip(self, reason: str) -> None:
        self.record.halted_reason = reason
        self.record.halted_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.save()

    def clear(self) -> None:
        """The operator's clear: no halt, baselines taken again at the next equity read."""
        self.record = RiskRecord()
        self.save()

    def baselines(self, equity: Decimal, day: str) -> tuple[Decimal, Decimal]:
        """(day start, total start) equity, setting whichever is missing or of another day to `equity`."""
        changed = False
        if self.record.start_equity is None:
            self.record.start_equity, changed = str(equity), True
        if self.record.day != day or self.record.day_start_equity is None:
            self.record.day, self.record.day_start_equity, changed = day, str(equity), True
        if changed:
            self.save()
        return Decimal(self.record.day_start_equity), Decimal(self.record.start_equity)
