"""Performance accounting: counters, PnL, latencies, the CSV rows and the run summary.

PnL is cash-flow based so that it holds whatever the order of fills and
hedges: spread PnL = -(sum of signed size * price over every Hubble fill and
every hedge fill) + net delta * mid, i.e. what the combined book would
realise if the unhedged remainder were closed at mid. Fees are kept apart:
net PnL = spread PnL - maker fees - taker fees (a negative fee is a rebate).
Latencies are perf_counter() differences recorded in bounded buffers; cheap
enough to stay on in production.
"""
from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ZERO = Decimal(0)
LATENCY_NAMES = ("fill_to_hedge_sent", "fill_to_hedge_confirmed", "quote_tick_to_orders_sent")
CSV_COLUMNS = ("start_time", "end_time", "cumulative_trade_volume", "trade_volume_in_period", "orders_attempted",
               "orders_placed", "orders_filled", "orders_failed", "orders_hedged", "hedge_spread_pnl",
               "maker_fees", "taker_fees", "net_pnl")


@dataclass
class Period:
    started: float = field(default_factory=time.time)
    volume: Decimal = ZERO
    orders_attempted: int = 0
    orders_placed: int = 0
    orders_filled: int = 0
    orders_failed: int = 0
    orders_hedged: int = 0
    spread_cash: Decimal = ZERO
    maker_fees: Decimal = ZERO
    taker_fees: Decimal = ZERO


class Performance:
    def __init__(self, market: str, maker_fee_pct: Decimal, directory: Path = Path("performance")):
        self.market = market
        self.maker_fee_pct = maker_fee_pct
        self.path = directory / f"{market.lower()}.csv"
        self.period = Period()
        self.fills = 0
        self.fill_volume = ZERO             # base units, absolute
        self.fill_notional = ZERO           # USD
        self.hedges = 0
        self.hedge_volume = ZERO            # base units, absolute
        self.slippage_bps_sum = ZERO
        self.cash = ZERO                    # -(signed size * price) over both venues
        self.hubble_delta = ZERO            # signed base from our fills (this run)
        self.hedge_delta = ZERO             # signed base from our hedges (this run)
        self.reconciliation_volume = ZERO   # base hedged at start-up for exposure inherited from an earlier run
        self.maker_fees = ZERO
        self.taker_fees = ZERO
        self.orders = {"attempted": 0, "placed": 0, "failed": 0}
        self.latencies = {name: deque(maxlen=100_000) for name in LATENCY_NAMES}

    # ---- events ---------------------------------------------------------------
    def on_orders(self, attempted: int, placed: int) -> None:
        failed = attempted - placed
        self.orders["attempted"] += attempted
        self.orders["placed"] += placed
        self.orders["failed"] += failed
        self.period.orders_attempted += attempted
        self.period.orders_placed += placed
        self.period.orders_failed += failed

    def on_fill(self, signed_size: Decimal, price: Decimal) -> None:
        notional = abs(signed_size) * price
        fee = notional * self.maker_fee_pct / 100
        self.fills += 1
        self.fill_volume += abs(signed_size)
        self.fill_notional += notional
        self.cash -= signed_size * price
        self.hubble_delta += signed_size
        self.maker_fees += fee
        p = self.period
        p.orders_filled += 1
        p.volume += abs(signed_size)
        p.spread_cash -= signed_size * price
        p.maker_fees += fee

    def on_hedge(self, filled: Decimal, avg_price: Decimal | None, fee: Decimal, reference: Decimal | None,
                 reconciliation: bool = False) -> None:
        """A hedge fill. A start-up reconciliation hedge moves cash, delta and fees but is counted
        apart from the hedges of this run's fills, so coverage stays hedged / filled volume."""
        if not filled or avg_price is None:
            return
        self.cash -= filled * avg_price
        self.hedge_delta += filled
        self.taker_fees += fee
        if reconciliation:
            self.reconciliation_volume += abs(filled)
            self.period.spread_cash -= filled * avg_price
            self.period.taker_fees += fee
            return
        self.hedges += 1
        self.hedge_volume += abs(filled)
        if reference:
            side = 1 if filled > 0 else -1
            self.slippage_bps_sum += (avg_price - reference) / reference * 10_000 * side
        p = self.period
        p.orders_hedged += 1
        p.spread_cash -= filled * avg_price
        p.taker_fees += fee

    def latency(self, name: str, seconds: float) -> None:
        self.latencies[name].append(seconds)

    # ---- derived ----------------------------------------------------------------
    def spread_pnl(self, mid: Decimal | None) -> Decimal:
        residual = self.hubble_delta + self.hedge_delta
        return self.cash + (residual * mid if mid is not None else ZERO)

    def percentiles(self, name: str) -> dict[str, float | int | None]:
        values = np.fromiter(self.latencies[name], dtype=float)
        if values.size == 0:
            return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
        p50, p99 = np.percentile(values, [50, 99]) * 1000
        return {"count": int(values.size), "p50_ms": round(float(p50), 3), "p99_ms": round(float(p99), 3),
                "max_ms": round(float(values.max()) * 1000, 3)}

    # ---- output -----------------------------------------------------------------
    def csv_row(self) -> dict[str, object]:
        """The current period. Its spread PnL is the period's cash flow on both venues: with every
        fill hedged that is the realised spread; an unhedged remainder is valued in the summary."""
        p = self.period
        spread = p.spread_cash
        return {
            "start_time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(p.started)),
            "end_time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "cumulative_trade_volume": str(self.fill_volume), "trade_volume_in_period": str(p.volume),
            "orders_attempted": p.orders_attempted, "orders_placed": p.orders_placed,
            "orders_filled": p.orders_filled, "orders_failed": p.orders_failed, "orders_hedged": p.orders_hedged,
            "hedge_spread_pnl": str(spread), "maker_fees": str(p.maker_fees), "taker_fees": str(p.taker_fees),
            "net_pnl": str(spread - p.maker_fees - p.taker_fees),
        }

    def write_csv_row(self) -> Path:
        """Append the current period as a row (header on a new file) and start a new period."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        row = self.csv_row()
        pd.DataFrame([row], columns=list(CSV_COLUMNS)).to_csv(
            self.path, mode="a", header=not self.path.exists() or self.path.stat().st_size == 0, index=False)
        self.period = Period()
        return self.path

    def summary(self, mid: Decimal | None, hubble_position: Decimal | None, hedge_position: Decimal | None,
                extra: dict | None = None) -> dict:
        net = (hubble_position or ZERO) + (hedge_position or ZERO)
        spread = self.spread_pnl(mid)
        coverage = float(self.hedge_volume / self.fill_volume) if self.fill_volume else None
        result = {
            "market": self.market,
            "fills": {"count": self.fills, "base_volume": float(self.fill_volume),
                      "notional_usd": float(self.fill_notional)},
            "hedges": {"count": self.hedges, "volume": float(self.hedge_volume),
                       "avg_slippage_bps": float(self.slippage_bps_sum / self.hedges) if self.hedges else None},
            "hedge_coverage": coverage,
            "reconciliation_volume": float(self.reconciliation_volume),
            "final_net_delta": {"base": float(net), "usd": float(net * mid) if mid is not None else None,
                                "hubble_position": _f(hubble_position), "hedge_position": _f(hedge_position)},
            "orders": dict(self.orders),
            "fees": {"maker_usd": float(self.maker_fees), "taker_usd": float(self.taker_fees)},
            "spread_pnl_usd": float(spread),
            "net_pnl_usd": float(spread - self.maker_fees - self.taker_fees),
            "latency": {name: self.percentiles(name) for name in LATENCY_NAMES},
        }
        result.update(extra or {})
        return result


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def write_summary(path: Path, summary: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
