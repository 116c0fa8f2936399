"""One row of the preflight table: what was checked, OK / WARN / FAIL, what was found, what to do."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Awaitable, Callable

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Row:
    area: str            # "hubble", "hyperliquid", "binance", "feed", "positions"
    check: str
    status: str
    found: str
    action: str = ""
    ms: float | None = None   # how long the venue took to answer, where that is the point


def ok(area: str, check: str, found: str, ms: float | None = None) -> Row:
    return Row(area, check, OK, found, "", ms)


def warn(area: str, check: str, found: str, action: str, ms: float | None = None) -> Row:
    return Row(area, check, WARN, found, action, ms)


def fail(area: str, check: str, found: str, action: str, ms: float | None = None) -> Row:
    return Row(area, check, FAIL, found, action, ms)


async def timed(call: Callable[[], Awaitable]) -> tuple[object, float]:
    """(the answer, milliseconds it took)."""
    started = time.perf_counter()
    answer = await call()
    return answer, round((time.perf_counter() - started) * 1000, 1)


def table(rows: list[Row]) -> str:
    """A plain text table, one line per row, FAIL and WARN rows saying what to do."""
    widths = [max(len(r.area) for r in rows), max(len(r.check) for r in rows)]
    lines = []
    for r in rows:
        took = f" ({r.ms:.0f} ms)" if r.ms is not None else ""
        line = f"{r.status:4}  {r.area:{widths[0]}}  {r.check:{widths[1]}}  {r.found}{took}"
        if r.action:
            line += f"  -> {r.action}"
        lines.append(line)
    counts = {s: sum(r.status == s for r in rows) for s in (OK, WARN, FAIL)}
    lines.append(f"{counts[OK]} OK, {counts[WARN]} WARN, {counts[FAIL]} FAIL")
    return "\n".join(lines)
