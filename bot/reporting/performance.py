"""Reporting: latencies, the performance CSV rows and the run summary, all derived from the fill ledger.

PnL is cash-flow based so that it holds whatever the order of fills and
hedges: spread PnL = -(sum of signed size x price over every Hubble fill and
every hedge fill) + the unhedged residual x mid. Fees are kept apart: net PnL
= spread PnL - maker fees - taker fees (a negative fee is a rebate). A CSV
row is the difference of two ledger snapshots, so the period is cut on the
event loop and no fill can fall between two rows. Latencies are
perf_counter() differences in bounded buffers; cheap enough to stay on in
production.
"""
from __future__ import annotations

import itertools
import json
import time
from collections import deque
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bot.reporting.journal import EventJournal
from bot.reporting.rotation import FileRotation
from bot.tracking.fills import FillLedger, LedgerSnapshot
from bot.tracking.orders import OrderTracker

ZERO = Decimal(0)
LATENCY_NAMES = ("fill_to_hedge_sent", "fill_to_hedge_confirmed", "quote_tick_to_orders_sent", "hedge_book_age")
CSV_COLUMNS = ("start_time", "end_time", "cumulative_trade_volume", "trade_volume_in_period", "orders_attempted",
               "orders_placed", "orders_filled", "orders_failed", "orders_hedged", "hedge_spread_pnl",
               "maker_fees", "taker_fees", "net_pnl")


class Latencies:
    def __init__(self, maxlen: int = 100_000):
        self.samples = {name: deque(maxlen=maxlen) for name in LATENCY_NAMES}
        self.totals = dict.fromkeys(LATENCY_NAMES, 0)     # samples ever added (the metrics read the new ones)

    def add(self, name: str, seconds: float) -> None:
        self.samples[name].append(seconds)
        self.totals[name] += 1

    def since(self, name: str, seen: int) -> list[float]:
        """The samples added after the first `seen` (at most the ones still kept)."""
        new = self.totals[name] - seen
        samples = self.samples[name]
        return list(itertools.islice(reversed(samples), min(new, len(samples))))[::-1] if new > 0 else []

    def percentiles(self, name: str) -> dict[str, float | int | None]:
        values = np.fromiter(self.samples[name], dtype=float)
        if values.size == 0:
            return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
        p50, p99 = np.percentile(values, [50, 99]) * 1000
        return {"count": int(values.size), "p50_ms": round(float(p50), 3), "p99_ms": round(float(p99), 3),
                "max_ms": round(float(values.max()) * 1000, 3)}


class Performance:
    """The CSV periods and the summary of one run."""

    def __init__(self, market: str, ledger: FillLedger, tracker: OrderTracker, directory: Path = Path("performance"),
                 rotation: str = "50MB", backups: int = 10):
        self.market = market
        self.ledger = ledger
        self.tracker = tracker
        self.latencies = Latencies()
        self.path = directory / f"{market.lower()}.csv"
        journal = directory / f"{market.lower()}-events.jsonl"
        self.journal = EventJournal(journal, FileRotation(journal, rotation, backups))
        self._period = self._period_start()

    def _period_start(self) -> tuple[float, LedgerSnapshot, dict[str, int]]:
        return time.time(), self.ledger.snapshot(), dict(self.tracker.quote_counts)

    # ---- CSV ------------------------------------------------------------------------------------
    def cut_row(self) -> dict[str, object]:
        """The current period as a CSV row, and start a new period (call on the event loop)."""
        started, base, base_counts = self._period
        now = self.ledger.snapshot()
        period = now.minus(base)
        counts = {k: v - base_counts[k] for k, v in self.tracker.quote_counts.items()}
        self._period = (time.time(), now, dict(self.tracker.quote_counts))
        spread = period.cash
        maker, taker = period.hubble.fees, period.hedge.fees + period.reconciliation.fees
        return {
            "start_time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
            "end_time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "cumulative_trade_volume": str(now.hubble.volume), "trade_volume_in_period": str(period.hubble.volume),
            "orders_attempted": counts["attempted"], "orders_placed": counts["placed"],
            "orders_filled": period.hubble.count, "orders_failed": counts["failed"],
            "orders_hedged": period.hedge.count,
            "hedge_spread_pnl": str(spread), "maker_fees": str(maker), "taker_fees": str(taker),
            "net_pnl": str(spread - maker - taker),
        }

    def append_row(self, row: dict[str, object]) -> Path:
        """Append a row (header on a new file): file I/O only, safe in a worker thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame([row], columns=list(CSV_COLUMNS)).to_csv(
            self.path, mode="a", header=not self.path.exists() or self.path.stat().st_size == 0, index=False)
        return self.path

    # ---- figures --------------------------------------------------------------------------------
    def net_pnl(self, mid: Decimal | None) -> Decimal:
        snap = self.ledger.snapshot()
        return snap.spread_pnl(mid) - snap.fees

    def pnl_parts(self, mid: Decimal | None) -> dict[str, Decimal]:
        """Net PnL = spread - maker fees - taker fees; slippage (already inside spread) shown on its own."""
        snap = self.ledger.snapshot()
        spread = snap.spread_pnl(mid)
        taker = snap.hedge.fees + snap.reconciliation.fees
        return {"spread": spread, "maker_fees": snap.hubble.fees, "taker_fees": taker, "slippage": snap.slippage_usd,
                "net": spread - snap.hubble.fees - taker}

    def summary(self, mid: Decimal | None, hubble_position: Decimal | None, hedge_position: Decimal | None,
                extra: dict | None = None) -> dict[str, Any]:
        """Positions are the venues' own answers; every other money figure comes from the ledger."""
        snap = self.ledger.snapshot()
        net = (hubble_position or ZERO) + (hedge_position or ZERO)
        spread = snap.spread_pnl(mid)
        hedges = snap.hedge.count
        result = {
            "market": self.market,
            "fills": {"count": snap.hubble.count, "base_volume": float(snap.hubble.volume),
                      "notional_usd": float(snap.hubble.notional), "other_markets_ignored": snap.other_market_fills},
            "hedges": {"count": hedges, "volume": float(snap.hedge.volume),
                       "avg_slippage_bps": float(snap.slippage_bps_sum / hedges) if hedges else None},
            "hedge_coverage": self.ledger.coverage,
            "reconciliation_volume": float(snap.reconciliation.volume),
            "final_net_delta": {"base": float(net), "usd": float(net * mid) if mid is not None else None,
                                "hubble_position": _f(hubble_position), "hedge_position": _f(hedge_position)},
            "orders": dict(self.tracker.quote_counts),
            "fees": {"maker_usd": float(snap.hubble.fees),
                     "taker_usd": float(snap.hedge.fees + snap.reconciliation.fees)},
            "spread_pnl_usd": float(spread),
            "net_pnl_usd": float(spread - snap.fees),
            "latency": {name: self.latencies.percentiles(name) for name in LATENCY_NAMES},
        }
        result.update(extra or {})
        return result


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def write_summary(path: Path, summary: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
