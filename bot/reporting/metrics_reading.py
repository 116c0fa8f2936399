"""What the Prometheus endpoint shows, read from the engine in one go on its event loop.

``read_engine`` runs on the event loop (the metrics thread asks the loop to
run it), so it sees the engine between two steps of the loop, never halfway
through one, and copies everything into plain numbers and strings. It reads
what the engine already keeps (the status line's figures, the fill ledger,
the latency buffers, the feeds, the request budget): nothing is added to the
trading path. Positions are the venues' own answers, as on the status line.
"""
from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import Any

from bot.reporting.performance import LATENCY_NAMES

# Every reason the quote gate gives (OrderManager.gate, Reconciler.gate, Quoter's "starting"); a reason
# not listed (the reconciler's own message about an unhedgeable residual) shows as "unhedged residual"
# or "other", so the label never carries figures and its values stay few.
MAKER_REASONS = ("{} order-book feed down", "{} fill stream down", "{} positions watcher down", "no {} account data yet",
                 "{} order book stale")      # the maker venue's gates, one set per venue (maker_venue.VENUE_NAMES)
PAUSE_REASONS = (
    "starting", "mid-price feed down", "hedge venue down", "fill cooldown", "hedge in flight",
    "mid price stale", "position data stale", "hedge order book stale",
    "reconciling positions", "hedging a carried residual of one lot", "a hedge is failing: retrying it",
    "risk engine down",
    *(reason.format(name) for name in ("Hubble", "Hyperliquid", "Binance") for reason in MAKER_REASONS),
)
PAUSE_STATES = ("quoting", *PAUSE_REASONS, "risk halted", "unhedged residual", "other")


def read_engine(engine: Any, latencies_seen: dict[str, int]) -> dict[str, Any]:
    """A copy of the engine's figures; `latencies_seen` (samples already taken, per latency) is advanced."""
    orders = engine.orders
    mid = engine.mid_feed.mid if engine.mid_feed is not None else None
    figures: dict[str, Any] = {
        "ready": orders is not None, "mid": _f(mid), "run_seconds": time.monotonic() - engine.started,
        "hedge_venue": engine.hedge.venue if engine.hedge is not None else None,
        "maker_venue": engine.s.maker,
        "pnl": {k: float(v) for k, v in engine.perf.pnl_parts(mid).items()},
        "counts": _counts(engine), "latencies": _new_latencies(engine.perf.latencies, latencies_seen),
        "feeds": _feeds(engine), "budget": engine.hedge.budget.report() if engine.hedge is not None else None,
        "alerts": engine.alerts.figures() if getattr(engine, "alerts", None) is not None and engine.alerts.enabled
        else None,
    }
    figures.update(_positions(engine))
    figures.update(_gate(engine))
    figures["risk"] = _risk(engine)
    return figures


def _risk(engine: Any) -> dict[str, Any] | None:
    risk = engine.orders.risk if engine.orders is not None else None
    if risk is None:
        return None
    return {"state": risk.state.value, "state_seconds": risk.clock.totals(),
            "distances": {name: _f(v.distance_pct) for name, v in risk.venues.items()},
            "funding": {name: _f(v.expected_funding_hour()) for name, v in risk.venues.items()},
            "pnl_day": _f(risk.pnl_day), "pnl_total": _f(risk.pnl_total), "refused": risk.refused}


def _f(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _positions(engine: Any) -> dict[str, Any]:
    orders = engine.orders
    if orders is None:
        return {"hubble_position": None, "hedge_position": None, "net": None, "outstanding": None,
                "positions_age": None}
    reconciler = orders.reconciler
    c = (reconciler.last_clean or reconciler.last) if reconciler is not None else None
    if c is None:
        hubble = orders.hubble_position()
        return {"hubble_position": _f(hubble), "hedge_position": None,
                "net": _f(hubble) if engine.hedge is None else None, "outstanding": None,
                "positions_age": time.monotonic() - orders.account_at if hubble is not None else None}
    return {"hubble_position": float(c.hubble), "hedge_position": float(c.hedge), "net": float(c.net),
            "outstanding": float(c.outstanding), "positions_age": time.monotonic() - c.at}


def _counts(engine: Any) -> dict[str, Any]:
    ledger = engine.ledger
    return {"fills": ledger.hubble.count, "fill_volume": float(ledger.hubble.volume),
            "hedges": ledger.hedge.count, "reconciliation_hedges": ledger.reconciliation.count,
            "quote_orders": dict(engine.tracker.quote_counts)}


def _new_latencies(latencies: Any, seen: dict[str, int]) -> dict[str, list[float]]:
    new = {}
    for name in LATENCY_NAMES:
        new[name] = latencies.since(name, seen.get(name, 0))
        seen[name] = latencies.totals[name]
    return new


def _age(updated_at: float) -> float:
    return time.monotonic() - updated_at if updated_at > 0 else math.inf


def _feeds(engine: Any) -> dict[str, tuple[float | None, bool]]:
    """Per feed: (seconds since its last update, up)."""
    feeds = {}
    if engine.mid_feed is not None:
        feeds["mid"] = (_age(engine.mid_feed.updated_at), engine.mid_feed.event.is_set())
    if engine.book_feed is not None:
        feeds["hubble_book"] = (_age(engine.book_feed.updated_at), engine.book_feed.event.is_set())
    if engine.hedge is not None:
        feeds["hedge_book"] = (_age(engine.hedge.book_at), engine.hedge.uptime.is_set())
    if engine.orders is not None:
        feeds["hubble_fills"] = (None, engine.orders.fill_feed_event.is_set())   # a stream of events: no age
        feeds["hubble_positions"] = (_age(engine.orders.account_at) if engine.orders.account_at > -math.inf
                                     else math.inf, engine.orders.positions_event.is_set())
    return feeds


def _gate(engine: Any) -> dict[str, Any]:
    orders = engine.orders
    reason = orders.pause_reason if orders is not None else "starting"
    return {"quoting": reason is None, "pause_reason": reason, "pause_state": pause_state(engine, reason)}


def pause_state(engine: Any, reason: str | None) -> str:
    """The reason as one of PAUSE_STATES."""
    if reason is None:
        return "quoting"
    if reason.startswith("risk HALTED"):
        return "risk halted"
    if reason in PAUSE_REASONS:
        return reason
    reconciler = engine.orders.reconciler if engine.orders is not None else None
    return "unhedged residual" if reconciler is not None and reason == reconciler.problem else "other"
