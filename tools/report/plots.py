"""The report's PNGs, drawn with matplotlib's Agg backend (no display, no network, bundled fonts).

Every plot is always drawn, with "no data" written on it when the runs have
none, so the page has the same figures whatever the runs did. Times are UTC.
Lines break between runs; with several runs a dotted line marks each start.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402  (after the backend is chosen)
import matplotlib.pyplot as plt  # noqa: E402

from tools.report.journal import Run, number  # noqa: E402
from tools.report.series import Series  # noqa: E402
from tools.report.trades import LATENCIES, distribution  # noqa: E402

DPI = 100
WIDE = (10, 4.2)
PNL_LINES = (  # name, label, sign applied (costs drawn below zero), style
    ("net", "net PnL", 1, {"color": "black", "linewidth": 2.2}),
    ("spread", "spread (incl. slippage)", 1, {"color": "tab:green"}),
    ("maker_fees", "- maker fees (Hubble)", -1, {"color": "tab:orange"}),
    ("taker_fees", "- taker fees (hedge venue)", -1, {"color": "tab:red"}),
    ("slippage", "- hedge slippage (already in spread)", -1, {"color": "tab:purple", "linestyle": "--"}),
)
FUNDING_LINES = (("hubble_pending", "Hubble pending funding", {"color": "tab:blue"}),
                 ("hedge_reported", "hedge venue funding since open", {"color": "tab:brown"}))
POSITION_LINES = (("hubble_position", "Hubble", {"color": "tab:blue"}),   # a position holds until the next reading
                  ("hedge_position", "hedge venue", {"color": "tab:orange"}),
                  ("net", "net delta", {"color": "black", "linewidth": 2.2}))
STEPS = {"drawstyle": "steps-post"}
MAX_RUN_BARS = 20   # more runs than this: the uptime chart shows the last ones (the page's table has all)


def _when(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=timezone.utc)


def _segments(series: Series, name: str, sign: float = 1.0) -> Iterator[tuple[list[datetime], list[float]]]:
    """(times, values) of `name`, one piece per run, points without a value left out."""
    piece_t: list[datetime] = []
    piece_v: list[float] = []
    current = None
    for t, run, value in zip(series.times, series.run_index, series.values.get(name, [])):
        if run != current and piece_t:
            yield piece_t, piece_v
            piece_t, piece_v = [], []
        current = run
        if value is not None:
            piece_t.append(_when(t))
            piece_v.append(sign * value)
    if piece_t:
        yield piece_t, piece_v


def _draw(ax: Any, series: Series, name: str, label: str, sign: float = 1.0, **style: Any) -> bool:
    drawn = False
    for times, values in _segments(series, name, sign):
        ax.plot(times, values, label=None if drawn else label, marker="." if len(values) < 40 else None,
                **style)
        drawn = True
    return drawn


def _time_axis(ax: Any, runs: list[Run]) -> None:
    locator = mdates.AutoDateLocator(tz=timezone.utc)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=timezone.utc))
    if len(runs) > 1:
        for run in runs[1:]:
            if run.begin is not None:
                ax.axvline(_when(run.begin), color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("UTC")
    ax.grid(True, alpha=0.3)


def _legend_outside(ax: Any) -> None:
    """Beside the plot, so it never hides a line."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)


def _no_data(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="grey", fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def pnl_plot(pnl: Series, funding: Series, runs: list[Run], path: Path) -> Path:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.4), sharex=True, height_ratios=(2.2, 1))
    drawn = [_draw(top, pnl, name, label, sign, **style) for name, label, sign, style in PNL_LINES]
    if any(drawn):
        top.axhline(0, color="grey", linewidth=0.8)
        top.set_ylabel("USD, cumulative")
        top.set_title("PnL by part (costs below zero)")
        _legend_outside(top)
        _time_axis(top, runs)
    else:
        _no_data(top, "no PnL in these runs' status snapshots")
    if not any([_draw(bottom, funding, name, label, **style) for name, label, style in FUNDING_LINES]):
        _no_data(bottom, "no funding reported")
    else:
        bottom.set_ylabel("USD, as reported")
        bottom.set_title("Funding as the venues report it (not in net PnL)", fontsize=10)
        _legend_outside(bottom)
        _time_axis(bottom, runs)
    return _save(fig, path)


def positions_plot(positions: Series, runs: list[Run], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(11, 4.2))
    if any([_draw(ax, positions, name, label, **style, **STEPS) for name, label, style in POSITION_LINES]):
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_ylabel("base units")
        ax.set_title("Positions as the venues report them, and the net delta")
        _legend_outside(ax)
        _time_axis(ax, runs)
    else:
        _no_data(ax, "no positions in these runs' status snapshots")
    return _save(fig, path)


def fills_plot(runs: list[Run], path: Path) -> Path:
    fills = [f for run in runs for f in run.fills if not f.get("removed")]
    fig, (left, right) = plt.subplots(1, 2, figsize=WIDE, width_ratios=(1.6, 1))
    if not fills:
        _no_data(left, "no fills")
        _no_data(right, "no fills")
        return _save(fig, path)
    sides = {1: ("bought", "tab:green"), -1: ("sold", "tab:red")}
    times = {side: [mdates.date2num(_when(f["t"])) for f in fills if f.get("side") == side] for side in sides}
    sizes = {side: [number(f.get("qty")) or 0.0 for f in fills if f.get("side") == side] for side in sides}
    span = [t for ts in times.values() for t in ts]
    bins = 40 if max(span) > min(span) else 1
    left.hist([times[1], times[-1]], bins=bins, weights=[sizes[1], sizes[-1]], stacked=True,
              color=[sides[1][1], sides[-1][1]], label=[sides[1][0], sides[-1][0]])
    left.xaxis_date(tz=timezone.utc)
    _time_axis(left, runs)
    left.set_ylabel("base units filled")
    left.set_title("Hubble fills over time")
    left.legend(fontsize=8)
    right.hist([sizes[1], sizes[-1]], bins=20, color=[sides[1][1], sides[-1][1]], label=[sides[1][0], sides[-1][0]])
    right.set_xlabel("fill size (base units)")
    right.set_ylabel("fills")
    right.set_title("Fill sizes")
    right.legend(fontsize=8)
    return _save(fig, path)


def latency_plot(samples: dict[str, list[float]], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(LATENCIES), figsize=WIDE)
    for ax, (key, label) in zip(axes, LATENCIES.items()):
        values = samples.get(key) or []
        if not values:
            _no_data(ax, f"{label}: no hedges")
            continue
        ax.hist(values, bins=30, color="tab:blue")
        stats = distribution(values)
        for name, mark, style in (("p50", stats.p50, "-"), ("p99", stats.p99, "--")):
            ax.axvline(mark, color="black", linestyle=style, linewidth=1, label=f"{name} {mark:.2f} ms")
        ax.set_xlabel("ms")
        ax.set_ylabel("hedges")
        ax.set_title(label)
        ax.legend(fontsize=8)
    return _save(fig, path)


def uptime_plot(per_run: list[tuple[str, float | None]], overall: float | None, pauses: dict[str, float],
                path: Path) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=WIDE, width_ratios=(1, 1.4))
    rows = [(label, share) for label, share in per_run if share is not None]
    shown = rows[-MAX_RUN_BARS:]
    if rows and overall is not None:
        labels = [label for label, _ in shown] + ["overall"]
        shares = [share * 100 for _, share in shown] + [overall * 100]
        colors = ["tab:blue"] * len(shown) + ["black"]
        left.barh(labels, shares, color=colors)
        left.set_xlim(0, 100)
        left.invert_yaxis()
        left.set_xlabel("% of status snapshots quoting")
        left.set_title("Quote uptime" + (f" (last {len(shown)} runs shown)" if len(shown) < len(rows) else ""))
    else:
        _no_data(left, "no status snapshots")
    if pauses:
        reasons = list(pauses)
        right.barh([_short(r) for r in reasons], [pauses[r] * 100 for r in reasons], color="tab:orange")
        right.invert_yaxis()
        right.set_xlabel("% of time paused for this reason")
        right.set_title("Why quoting paused")
        right.tick_params(axis="y", labelsize=8)
    else:
        _no_data(right, "never paused" if rows else "no status snapshots")
    return _save(fig, path)


def _short(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[:width - 1] + "\u2026"
