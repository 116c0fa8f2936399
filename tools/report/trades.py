"""Fills and hedges: counts, volumes and the fill -> hedge latency distributions.

A hedge line's ``sent_ms`` and ``confirmed_ms`` run from the first fill it
covers to the order leaving and to the venue's answer. Reconciliation hedges
cover no fill and carry neither, so they count as hedges but not as latency
samples. A fill line with ``removed`` is a reorg taking a fill back: it is
counted apart and its (signed) size still moves the volumes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.report.journal import Run, number

LATENCIES = {"sent_ms": "fill -> hedge sent", "confirmed_ms": "fill -> hedge confirmed"}


@dataclass(frozen=True)
class Distribution:
    count: int
    p50: float
    p90: float
    p99: float
    max: float


@dataclass(frozen=True)
class FillTotals:
    count: int
    removed: int
    bought: float
    sold: float
    notional: float


@dataclass(frozen=True)
class HedgeTotals:
    count: int
    reconciliation: int
    volume: float
    fees: float
    slippage_usd: float


def latency_samples(runs: list[Run], key: str) -> list[float]:
    """Milliseconds from each hedge line that has `key` (sent_ms or confirmed_ms)."""
    values = (number(h.get(key)) for run in runs for h in run.hedges)
    return [v for v in values if v is not None]


def distribution(samples: list[float]) -> Distribution | None:
    if not samples:
        return None
    p50, p90, p99 = np.percentile(np.asarray(samples, dtype=float), [50, 90, 99])
    return Distribution(len(samples), float(p50), float(p90), float(p99), float(max(samples)))


def fill_totals(runs: list[Run]) -> FillTotals:
    count = removed = 0
    bought = sold = notional = 0.0
    for fill in (f for run in runs for f in run.fills):
        qty, price, side = number(fill.get("qty")) or 0.0, number(fill.get("price")) or 0.0, fill.get("side")
        if fill.get("removed"):
            removed += 1
        else:
            count += 1
            notional += qty * price
        if side == 1:
            bought += qty
        elif side == -1:
            sold += qty
    return FillTotals(count, removed, bought, sold, notional)


def hedge_totals(runs: list[Run]) -> HedgeTotals:
    hedges = [h for run in runs for h in run.hedges]
    return HedgeTotals(
        count=len(hedges),
        reconciliation=sum(1 for h in hedges if h.get("reconciliation")),
        volume=sum(abs(number(h.get("filled")) or 0.0) for h in hedges),
        fees=sum(number(h.get("fee")) or 0.0 for h in hedges),
        slippage_usd=sum(number(h.get("slippage_usd")) or 0.0 for h in hedges))
