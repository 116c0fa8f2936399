"""The other files a run leaves: the performance CSV, ``--summary-json`` files and the log.

None of them names its run, so each is matched to the chosen runs by time:
a CSV row or log line belongs to a run when its (local) timestamp falls
inside the run's start and stop; a summary belongs to the run of its market
that stopped within ``SUMMARY_SLACK_S`` of the file's modification time.
"""
from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.report.journal import Run

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
SUMMARY_SLACK_S = 30.0
TAIL_SLACK_S = 6.0      # a run without a stop line: its last line plus about one status period
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)? (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+(.*)$")
SERIOUS = ("WARNING", "ERROR", "CRITICAL")


def local_to_unix(text: str) -> float | None:
    """A timestamp the bot wrote in local time ("2024-01-31 12:00:00") as unix seconds."""
    try:
        return time.mktime(time.strptime(text.strip(), LOCAL_FORMAT))
    except (ValueError, OverflowError):
        return None


def windows(runs: list[Run]) -> list[tuple[float, float]]:
    """Each run's span of time, a second wider at the start (local timestamps have whole seconds)."""
    spans = []
    for run in runs:
        if run.begin is None or run.end is None:
            continue
        spans.append((run.begin - 1.0, run.end + (1.0 if run.stopped is not None else TAIL_SLACK_S)))
    return spans


def inside(t: float | None, spans: list[tuple[float, float]]) -> bool:
    return t is not None and any(lo <= t <= hi for lo, hi in spans)


# ---- performance CSV ------------------------------------------------------------------------------
def csv_rows(path: Path, runs: list[Run]) -> list[dict[str, str]]:
    """The CSV's rows that end inside one of the runs (empty if the file is missing)."""
    if not path.exists():
        return []
    spans = windows(runs)
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        return [row for row in csv.DictReader(handle) if inside(local_to_unix(row.get("end_time") or ""), spans)]


# ---- summaries ----------------------------------------------------------------------------------
@dataclass
class Summary:
    path: Path
    data: dict[str, Any]
    run_id: str | None = None


def load_summaries(paths: list[Path], runs: list[Run]) -> tuple[list[Summary], list[str]]:
    """The summaries that could be read (each matched to a run where one fits) and a problem per other file."""
    loaded, problems = [], []
    for path in paths:
        try:
            data = json.loads(path.read_text())
            modified = path.stat().st_mtime
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}: not a summary (a JSON object was expected)")
            continue
        loaded.append(Summary(path, data, _summary_run(data, modified, runs)))
    return loaded, problems


def _summary_run(data: dict[str, Any], modified: float, runs: list[Run]) -> str | None:
    candidates = [run for run in runs if run.stopped is not None
                  and (run.market is None or str(data.get("market", "")).upper() == run.market.upper())
                  and abs(run.stopped - modified) <= SUMMARY_SLACK_S
                  and data.get("exit_status", run.exit_status) == run.exit_status]
    if not candidates:
        return None
    return min(candidates, key=lambda run: abs(run.stopped - modified)).run_id  # type: ignore[operator]


# ---- log ----------------------------------------------------------------------------------------
@dataclass
class LogDigest:
    counts: Counter = field(default_factory=Counter)      # level -> lines inside the runs
    serious: deque = field(default_factory=deque)     # (time, level, message), the newest last


def log_digest(path: Path, runs: list[Run], limit: int = 100) -> LogDigest | None:
    """Counts per level of the log lines inside the runs, and the last `limit` warnings and errors."""
    if not path.exists():
        return None
    spans = windows(runs)
    digest = LogDigest(serious=deque(maxlen=limit))
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            match = LOG_LINE.match(line.rstrip("\n"))
            if not match:
                continue
            stamp, fraction, level, message = match.groups()
            if not inside(local_to_unix(stamp), spans):
                continue
            digest.counts[level] += 1
            if level in SERIOUS:
                digest.serious.append((stamp + (fraction or ""), level, message))
    return digest
