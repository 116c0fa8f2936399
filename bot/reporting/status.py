"""The status line: prices, quotes, the venues' own positions, PnL, feed health and why quoting waits.

Positions are the latest answers of the venues themselves (the reconciler's
last comparison), with their age, never the bot's own books: a fill the bot
did not see shows up here as net exposure.
"""
from __future__ import annotations

import time
from typing import Any


def _positions(engine: Any) -> str:
    orders = engine.orders
    reconciler = orders.reconciler
    if reconciler is None or reconciler.last is None:
        return f"pos {engine.s.maker} {_fmt(orders.hubble_position())} (no hedge venue)"
    c = reconciler.last_clean or reconciler.last
    age = time.monotonic() - c.at
    text = f"pos {engine.s.maker} {_fmt(c.hubble)} {engine.s.hedge} {_fmt(c.hedge)} net {_fmt(c.net)} ({age:.0f}s ago)"
    if c.outstanding:
        text += f" hedging {_fmt(c.outstanding)}"
    return text


def _fmt(value) -> str:
    return "-" if value is None else format(value.normalize(), "f") if value else "0"


def status_line(engine: Any) -> str:
    orders, mid, book = engine.orders, engine.mid_feed.mid, engine.book_feed
    quotes = orders.quoter.last_quotes
    bids = [q.price for q in quotes if q.side == 1]
    asks = [q.price for q in quotes if q.side == -1]
    feeds = (("mid", engine.mid_feed.event), ("book", book.event), ("fills", orders.fill_feed_event),
             ("positions", orders.positions_event)) + ((("hedge", engine.hedge.uptime),) if engine.hedge else ())
    health = " ".join(f"{name}:{'up' if event.is_set() else 'DOWN'}" for name, event in feeds)
    pause = orders.pause_reason
    skipped = orders.quoter.skipped
    state = "quoting" if pause is None else "paused: " + pause
    if pause is None and skipped:
        state += " (left out: " + "; ".join(skipped) + ")"
    return (f"mid {mid} | {engine.s.maker} {book.best_bid}/{book.best_ask} | "
            f"quotes {max(bids) if bids else '-'}/{min(asks) if asks else '-'} | {_positions(engine)} | "
            f"pnl {engine.perf.net_pnl(mid):.4f} | risk {orders.risk.nearest_limit()} | {health} | {state}")


def status_record(engine: Any) -> dict:
    """The status line as data, for the event journal (the venues' own positions, as in the line)."""
    orders, mid = engine.orders, engine.mid_feed.mid
    reconciler = orders.reconciler
    c = (reconciler.last_clean or reconciler.last) if reconciler else None
    hubble = c.hubble if c else orders.hubble_position()
    account = orders.account
    pending = sum((p.unrealised_funding for p in account.positions if p.market == orders.market), 0) if account else None
    return {"mid": mid, "hubble_position": hubble, "hedge_position": c.hedge if c else None,
            "net": c.net if c else None, "positions_age_s": round(time.monotonic() - c.at, 1) if c else None,
            "quoting": orders.pause_reason is None, "pause_reason": orders.pause_reason,
            "left_out": list(orders.quoter.skipped),
            "risk": {"state": orders.risk.state.value, "reason": orders.risk.reason,
                     "pnl_day": orders.risk.pnl_day, "pnl_total": orders.risk.pnl_total,
                     "liquidation_distance_pct": {n: v.distance_pct for n, v in orders.risk.venues.items()},
                     "funding_rate_per_hour": {n: v.funding_rate_hour for n, v in orders.risk.venues.items()},
                     "expected_funding_usd_per_hour": {n: v.expected_funding_hour()
                                                       for n, v in orders.risk.venues.items()}},
            "pnl": engine.perf.pnl_parts(mid),
            "funding": {"hubble_pending": pending,
                        "hedge_reported": getattr(engine.hedge, "funding_reported", None) if engine.hedge else None}}
