"""The observer's output: one JSON document per run and a markdown table, one row per scenario."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from tools.observer import liquidations, metrics
from tools.observer.options import RunOptions
from tools.observer.records import Collected, Fill, Sample

VENUE_NAMES = {"hubble": "Hubble", "hyperliquid": "Hyperliquid", "binance": "Binance"}
QUOTES_READ = {"hubble": "the trader's Hubble orders that can still match",
               "hyperliquid": "the account's Hyperliquid open orders in the coin (as openOrders answers)",
               "binance": "the account's Binance open orders in the symbol (as GET /fapi/v1/openOrders answers)"}
FILLS_READ = {"hubble": "Hubble OrderMatched + PositionModified logs",
              "hyperliquid": "Hyperliquid userFillsByTime (paged)", "binance": "Binance userTrades (signed)"}
TIME_OF_A_FILL = {"hubble": "Hubble fills carry their block's whole second",
                  "hyperliquid": "Hyperliquid fills carry their ms", "binance": "Binance trades carry their ms"}


def method(maker: str, hedge: str) -> dict[str, str]:
    """How each figure is made, for this pair (the maker venue's reads, the hedge venue's)."""
    m, h = VENUE_NAMES[maker], VENUE_NAMES[hedge]
    blocks = ("the sum over Hubble blocks of |net size of the block's fills| (the bot nets a block's fills)"
              if maker == "hubble" else f"the {m} fills' volume (fills of one taker at one ms netted)")
    return {
        "pair": f"the bot quotes on {m} (the maker venue) and hedges on {h} (the hedge venue)",
        "samples": f"once a second at a random moment of the second (seeded: never in step with simnet's price "
                   f"ticks), from simnet's state in its own loop (never the bot): {QUOTES_READ[maker]}, both "
                   f"venues' positions{' (Hubble at head)' if maker == 'hubble' else ''}, {h}'s book, {m}'s mid",
        "uptime": "share of samples from the first one showing a quote to the stop signal",
        "net_delta": ("from the fills on both venues at their ms: the net position after each (time-weighted, max, "
                      "seconds at or above one hedge lot)" if maker != "hubble" else
                      "from the samples (Hubble fills carry their block's whole second)")
                     + "; final: the venues' positions after the clean stop",
        "hedge_coverage": f"{h} volume / {blocks}; hedge_volume_ratio: / {m}'s whole filled volume",
        "fills": f"after the run from the venues: {FILLS_READ[maker]} (maker), {FILLS_READ[hedge]} (hedge)",
        "mid_at_a_fill": f"{h}'s mid in the last sample at or before the fill ({TIME_OF_A_FILL[maker]})",
        "pnl": f"cash of every fill on both venues - fees (each fill's own: {m}'s maker fee, {h}'s taker fee) + "
               f"funding + the residual position at {h}'s final mid; spread + hedge_slippage + fees + rest = total",
        "hedge_at_placement": f"each {m} fill hedged by walking {h}'s book as the bot could have seen it when pricing "
                              "the quote (recorded at every price tick: the last book before the 10 ms ahead of the "
                              "order's placement, from simnet's placements control action on the maker venue, or "
                              "any change within them; losing only if it loses on all), after the fill's maker fee "
                              f"and {h}'s taker rate",
        "liquidations": "after the run, each venue's liquidations control action filtered to the bot's account "
                        "(Hubble trader, Hyperliquid user, Binance API key); null: the venue has no such action",
        "max_drawdown_usd": "largest fall from its running peak of the PnL at each sample: cash and fees of the "
                            "fills on both venues up to the sample, their net position at the sample's hedge mid "
                            "(no funding)",
        "max_positions": "largest |position| in the samples, base units, as the venues hold them",
        "bot_metrics": "the bot's own Prometheus figures (metricsPort, scraped once a sample and at the stop): the "
                       "lowest hubble_mm_liquidation_distance_pct per venue, hubble_mm_risk_state_seconds_total per "
                       "state at the stop; null where the bot exports none",
    }


def num(value: Decimal | float | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def build(options: RunOptions, c: Collected) -> dict[str, Any]:
    uptime = metrics.quote_uptime([s for s in c.samples if s.t <= c.stopped])   # not the sample after the stop
    maker, hedge = metrics.volume(c.maker_fills), metrics.volume(c.hedge_fills)
    final = c.samples[-1]
    end_mid = final.hedge_mid or Decimal(0)
    pnl = metrics.pnl(c.maker_fills, c.hedge_fills, metrics.mid_series(c.samples), end_mid, c.funding)
    checks = metrics.placement_checks(c.maker_fills, c.placements, c.books, c.taker_rate)
    losing = [check for check in checks if check.loses]
    return {
        "scenario": options.scenario, "pair": options.pair, "maker": options.maker, "hedge": options.hedge,
        "seed": options.seed, "seconds": options.seconds, "market": options.market,
        "bot_settings": options.bot_settings, "sim_settings": options.sim_settings,
        "sim_venue_options": options.sim_config().venue_options,
        "started_at": round(c.started, 3), "bot_exit_code": c.exit_code, "bot_output_tail": c.bot_tail,
        "quotes": {"samples": uptime.samples, "first_quote_after_s": _after(uptime.first_quote_t, c.started),
                   "two_sided_uptime": num(uptime.two_sided, 4), "any_side_uptime": num(uptime.any_side, 4)},
        "fills": {"maker": _volume(maker), "hedge": _volume(hedge)},
        "hedge_coverage": num(metrics.hedge_coverage(metrics.exposure_to_hedge(c.maker_fills), hedge), 4),
        "hedge_volume_ratio": num(metrics.hedge_coverage(maker.base, hedge), 4),
        "net_delta": _net_delta(c, final, options.maker != "hubble"),
        "pnl": _pnl(pnl, maker),
        "hedge_at_placement": {"checked": len(checks), "losing": len(losing), "taker_fee_rate": num(c.taker_rate, 8),
                               "losing_fills": [_check(x) for x in losing]},
        **_risk(options, c),
        "method": method(options.maker, options.hedge),
        "detail": {"maker_fills": [_fill(f) for f in c.maker_fills], "hedge_fills": [_fill(f) for f in c.hedge_fills],
                   "samples": [_sample(s, c.started) for s in c.samples]},
    }


def _risk(options: RunOptions, c: Collected) -> dict[str, Any]:
    series = metrics.pnl_series(c.samples, c.maker_fills, c.hedge_fills)
    scraped = c.scraped
    states = scraped.state_seconds
    venues = [options.maker, options.hedge]
    return {
        "liquidations": {venue: liquidations.summary(c.liquidated.get(venue)) for venue in venues},
        "max_drawdown_usd": num(metrics.max_drawdown(v for _, v in series), 4),
        "max_maker_position": num(metrics.max_abs(c.samples, lambda s: s.maker_position)),
        "max_hedge_position": num(metrics.max_abs(c.samples, lambda s: s.hedge_position)),
        "min_liquidation_distance_pct": {venue: num(value, 4) for venue, value in
                                         scraped.distances_for(venues).items()},
        "trading_state_seconds": None if states is None else {k: num(v, 3) for k, v in sorted(states.items())},
        "bot_metrics_scrapes": {"answered": scraped.scrapes, "failed": scraped.failed},
    }


def _after(t: float | None, start: float) -> float | None:
    return None if t is None else round(t - start, 2)


def _volume(v: metrics.Volume) -> dict[str, Any]:
    return {"count": v.count, "base": num(v.base), "usd": num(v.usd, 2)}


def _net_delta(c: Collected, final: Sample, from_fills: bool) -> dict[str, Any]:
    """Net delta over the run. From the fills' ms (``source`` fills) when both venues stamp them so (a maker
    venue other than Hubble): exact, where a 1 s sample would stand for a hedge's few ms in flight as a whole
    second; from the samples for Hubble, whose fills carry their block's whole second. ``final_within_a_lot``:
    every fill hedged or netted, what is left being less than the hedge venue's size step (a fill on a finer
    maker grid leaves such a residual)."""
    samples, lot = c.samples, c.hedge_lot
    out: dict[str, Any] = {"source": "fills" if from_fills else "samples"}
    if from_fills:
        path = metrics.net_path([*c.maker_fills, *c.hedge_fills], samples[0].t, samples[-1].t)
        mids = metrics.mid_series(samples)

        def usd(step: metrics.NetStep) -> Decimal | None:
            mid = mids.at(step.t)
            return None if mid is None else step.net * mid

        above, longest = metrics.seconds_at_least(path, lot) if lot is not None else (None, None)
        out.update({"time_weighted_abs_base": num(metrics.time_weighted_abs(path, lambda step: step.net)),
                    "time_weighted_abs_usd": num(metrics.time_weighted_abs(path, usd), 2),
                    "max_abs_base": num(max(abs(step.net) for step in path)),
                    "seconds_at_least_a_lot": num(above, 3), "longest_at_least_a_lot_s": num(longest, 3)})
    else:
        out.update({"time_weighted_abs_base": num(metrics.time_weighted_abs(samples, lambda s: s.net)),
                    "time_weighted_abs_usd": num(metrics.time_weighted_abs(samples, metrics.net_usd), 2),
                    "max_abs_base": num(max((abs(s.net) for s in samples), default=None))})
    return {**out, "final_base": num(final.net), "final_abs_usd": num(abs(metrics.net_usd(final) or 0), 2),
            "final_positions": {"maker": num(final.maker_position), "hedge": num(final.hedge_position)},
            "hedge_lot": num(lot), "final_within_a_lot": None if lot is None else abs(final.net) < lot,
            "samples_at_least_a_lot": None if lot is None else sum(1 for s in samples if abs(s.net) >= lot)}


def _pnl(p: metrics.PnL, maker: metrics.Volume) -> dict[str, Any]:
    """The PnL and its parts; ``maker_fee_rate`` is what the maker fills paid per unit of notional."""
    return {"total_usd": num(p.total, 4), "spread_usd": num(p.spread, 4), "hedge_slippage_usd": num(p.hedge_slippage, 4),
            "fees_usd": num(p.fees, 4), "rest_usd": num(p.rest, 4),
            "fees_detail": {"maker_paid_usd": num(p.maker_fees, 4), "hedge_paid_usd": num(p.hedge_fees, 4),
                            "maker_fee_rate": num(p.maker_fees / maker.usd, 8) if maker.usd else None},
            "rest_detail": {"inventory_usd": num(p.inventory, 4), "funding_usd": num(p.funding, 4),
                            "funding_maker_usd": num(p.funding_maker, 6),
                            "funding_hedge_usd": num(p.funding - p.funding_maker, 6)},
            "per_million_traded_usd": num(p.per_million, 2)}


def _fill(f: Fill) -> dict[str, Any]:
    row = {"t": round(f.t, 3), "qty": num(f.qty), "price": num(f.price), "fee": num(f.fee), "order": f.order_id,
           "ref": f.ref}
    return row if f.block is None else {**row, "block": f.block}


def _check(x: metrics.PlacementCheck) -> dict[str, Any]:
    return {"order": x.fill.order_id, "t": x.fill.t, "qty": num(x.fill.qty), "price": num(x.fill.price),
            "placed_at": round(x.placed_at, 3), "book_t": None if x.book_t is None else round(x.book_t, 3),
            "hedge_price": num(x.hedge_price), "pnl_after_fees_usd": num(x.pnl, 4)}


def _sample(s: Sample, start: float) -> dict[str, Any]:
    """t: seconds from the bot's start (``started_at``); fills carry wall-clock seconds."""
    return {"t": round(s.t - start, 3), "bids": s.bids, "asks": s.asks, "bid_size": num(s.bid_size),
            "ask_size": num(s.ask_size), "maker": num(s.maker_position), "hedge": num(s.hedge_position),
            "hedge_mid": num(s.hedge_mid), "maker_mid": num(s.maker_mid)}


# ---- files ------------------------------------------------------------------------------------------------------
COLUMNS = ("scenario", "pair", "two-sided uptime", "any-side uptime", "maker fills", "volume (base / USD)",
           "hedge coverage", "time-weighted abs net delta (base / USD)", "final abs net delta (base)",
           "final net under a hedge lot",
           "PnL USD", "spread", "hedge slippage", "fees", "rest", "PnL per $1M", "losing at placement",
           "max drawdown USD", "max position (maker / hedge)", "liquidations (maker / hedge)",
           "min liquidation distance % (maker / hedge)", "seconds active / reducing / halted")


def table(reports: Iterable[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in reports:
        q, h, d, p, x = r["quotes"], r["fills"]["maker"], r["net_delta"], r["pnl"], r["hedge_at_placement"]
        cells = [r["scenario"], r["pair"].replace("->", " -> "), _pct(q["two_sided_uptime"]),
                 _pct(q["any_side_uptime"]), h["count"],
                 f"{_g(h['base'])} / {_g(h['usd'], 0)}", _g(r["hedge_coverage"], 3),
                 f"{_g(d['time_weighted_abs_base'], 3)} / {_g(d['time_weighted_abs_usd'], 2)}",
                 _g(abs(d["final_base"] or 0), 3), _within(d), _g(p["total_usd"], 2), _g(p["spread_usd"], 2),
                 _g(p["hedge_slippage_usd"], 2), _g(p["fees_usd"], 2), _g(p["rest_usd"], 2),
                 _g(p["per_million_traded_usd"], 0), f"{x['losing']} of {x['checked']}", *_risk_cells(r)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _risk_cells(r: dict[str, Any]) -> list[str]:
    """The risk columns; n/a for a figure the report does not have (a venue or bot without it)."""
    maker, hedge = r["maker"], r["hedge"]
    liquidated = r.get("liquidations") or {}
    distance = r.get("min_liquidation_distance_pct") or {}
    states = r.get("trading_state_seconds")
    count = lambda venue: "n/a" if liquidated.get(venue) is None else str(liquidated[venue]["count"])  # noqa: E731
    return [_g(r.get("max_drawdown_usd"), 2),
            f"{_g(r.get('max_maker_position'), 3)} / {_g(r.get('max_hedge_position'), 3)}",
            f"{count(maker)} / {count(hedge)}",
            f"{_g(distance.get(maker), 1)} / {_g(distance.get(hedge), 1)}",
            "n/a" if states is None else " / ".join(_g(states.get(k), 0) for k in ("ACTIVE", "REDUCING", "HALTED"))]


def _within(d: dict[str, Any]) -> str:
    within = d.get("final_within_a_lot")
    return "n/a" if within is None else f"{'yes' if within else 'NO'} (lot {d['hedge_lot']:g})"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _g(value: float | None, places: int = 4) -> str:
    return "n/a" if value is None else f"{value:,.{places}f}"


def write(reports: list[dict[str, Any]], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for r in reports:
        (out / f"{r['scenario']}.json").write_text(json.dumps(r, indent=1) + "\n")
    path = out / "table.md"
    path.write_text(table(reports))
    return path
