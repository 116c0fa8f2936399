"""Reading the event journal (``performance/<market>-events.jsonl``) back into runs.

The bot appends one JSON object per line; several runs share the file and
every line names its ``run`` (see ``bot/reporting/journal.py`` for the kinds
and their fields). A line that is not a JSON object (a run killed in the middle
of a write, a file being appended to right now) is skipped and counted, never
fatal: the report is about what can be read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable


@dataclass
class Run:
    """Everything one run (one ``run`` id) wrote, in file order."""

    run_id: str
    market: str | None = None
    hedge: str | None = None
    sim: bool | None = None
    started: float | None = None
    stopped: float | None = None
    exit_status: int | None = None
    failures: list[str] = field(default_factory=list)
    final_hubble_position: float | None = None
    final_hedge_position: float | None = None
    statuses: list[dict[str, Any]] = field(default_factory=list)
    fills: list[dict[str, Any]] = field(default_factory=list)
    hedges: list[dict[str, Any]] = field(default_factory=list)
    first_t: float | None = None
    last_t: float | None = None

    @property
    def begin(self) -> float | None:
        """When the run started (its start line, else its first line)."""
        return self.started if self.started is not None else self.first_t

    @property
    def end(self) -> float | None:
        """When the run stopped (its stop line, else its last line: a run killed or still going)."""
        return self.stopped if self.stopped is not None else self.last_t

    def add(self, event: dict[str, Any]) -> None:
        t = number(event.get("t"))
        if t is not None:
            self.first_t = t if self.first_t is None else min(self.first_t, t)
            self.last_t = t if self.last_t is None else max(self.last_t, t)
        kind = event.get("kind")
        if kind == "start":
            self.started, self.market = t, event.get("market")
            self.hedge, self.sim = event.get("hedge"), event.get("sim")
        elif kind == "stop":
            self.stopped, self.exit_status = t, event.get("exit_status")
            self.failures = [str(f) for f in event.get("failures") or []]
            self.final_hubble_position = number(event.get("hubble_position"))
            self.final_hedge_position = number(event.get("hedge_position"))
        elif kind in ("status", "fill", "hedge") and t is not None:
            {"status": self.statuses, "fill": self.fills, "hedge": self.hedges}[kind].append(event)


@dataclass
class Journal:
    path: Path
    runs: list[Run]
    skipped_lines: int = 0


def parse_lines(lines: Iterable[str], path: Path = Path("-")) -> Journal:
    """Group the journal's lines into runs, in the order each run first appears."""
    runs: dict[str, Run] = {}
    skipped = 0
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if not isinstance(event, dict) or not isinstance(event.get("run"), str):
            skipped += 1
            continue
        run_id = event["run"]
        runs.setdefault(run_id, Run(run_id)).add(event)
    return Journal(path, list(runs.values()), skipped)


def read_journal(path: Path) -> Journal:
    """The journal with its rotated parts (``<name>.N`` oldest ... ``<name>.1``, then `path`), as one."""
    parts = sorted((p for p in path.parent.glob(f"{path.name}.*") if p.suffix[1:].isdigit()),
                   key=lambda p: -int(p.suffix[1:])) + [path]

    def lines():
        for part in parts:
            with open(part, encoding="utf-8", errors="replace") as text:
                yield from text

    return parse_lines(lines(), path)


def select_runs(runs: list[Run], run_ids: list[str] | None = None, last: int | None = None) -> list[Run]:
    """The runs asked for: ids (or unambiguous prefixes of them), then the last N of those; all by default."""
    chosen = runs
    if run_ids:
        chosen = [run for run in runs if any(run.run_id.startswith(wanted) for wanted in run_ids)]
        missing = [wanted for wanted in run_ids if not any(r.run_id.startswith(wanted) for r in runs)]
        if missing:
            raise LookupError(f"no run {', '.join(missing)} in the journal")
    if last is not None:
        chosen = chosen[-last:] if last > 0 else []
    return chosen


def markets_in(directory: Path) -> list[str]:
    """Markets with a journal in `directory`, upper case, sorted."""
    suffix = "-events.jsonl"
    return sorted(p.name[:-len(suffix)].upper() for p in directory.glob(f"*{suffix}"))


def journal_path(directory: Path, market: str) -> Path:
    return directory / f"{market.lower()}-events.jsonl"


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
