"""Time series from the status snapshots: PnL parts, funding and the venues' positions.

Each run's PnL starts at zero when the run starts (the bot's ledger is per
run), so PnL over several runs is laid end to end: a run's figures are added
to the totals of the runs before it, as of their last status snapshot.
Funding is a level the venues report (Hubble's pending funding, the hedge
venue's funding since the position opened), so it is shown as reported and
never added up across runs. Positions are the venues' own figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tools.report.journal import Run, number

PNL_PARTS = ("spread", "maker_fees", "taker_fees", "slippage", "net")
FUNDING_PARTS = ("hubble_pending", "hedge_reported")
POSITION_PARTS = ("hubble_position", "hedge_position", "net")


@dataclass
class Series:
    """Points in time (unix seconds), the run each belongs to, and one list of values per name."""

    times: list[float] = field(default_factory=list)
    run_index: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)

    def reported(self, name: str) -> bool:
        return any(v is not None for v in self.values.get(name, []))

    def last(self, name: str) -> float | None:
        return next((v for v in reversed(self.values.get(name, [])) if v is not None), None)


Point = tuple[float, dict[str, float | None]]


def _collect(runs: list[Run], names: tuple[str, ...], points: Callable[[Run], list[Point]],
             cumulative: bool) -> Series:
    series = Series(values={name: [] for name in names})
    offsets = {name: 0.0 for name in names}
    for index, run in enumerate(runs):
        latest: dict[str, float] = {}
        for t, values in points(run):
            series.times.append(t)
            series.run_index.append(index)
            for name in names:
                value = values.get(name)
                if value is not None:
                    latest[name] = value
                    value += offsets[name] if cumulative else 0.0
                series.values[name].append(value)
        if cumulative:
            for name, value in latest.items():
                offsets[name] += value
    return series


def _from_statuses(names: tuple[str, ...], read: Callable[[dict[str, Any], str], Any]) -> Callable[[Run], list[Point]]:
    return lambda run: [(float(s["t"]), {name: number(read(s, name)) for name in names}) for s in run.statuses]


def pnl_series(runs: list[Run]) -> Series:
    """Cumulative PnL parts over the runs (USD; fees and slippage are costs when positive)."""
    return _collect(runs, PNL_PARTS, _from_statuses(PNL_PARTS, lambda s, name: (s.get("pnl") or {}).get(name)),
                    cumulative=True)


def funding_series(runs: list[Run]) -> Series:
    """Funding as each venue reported it at each snapshot (None where it did not)."""
    read = _from_statuses(FUNDING_PARTS, lambda s, name: (s.get("funding") or {}).get(name))
    return _collect(runs, FUNDING_PARTS, read, cumulative=False)


def position_series(runs: list[Run]) -> Series:
    """Hubble and hedge-venue positions and their net (base units), as the venues last reported them;
    a run's stop line adds the positions the venues gave at the stop."""
    snapshots = _from_statuses(POSITION_PARTS, lambda s, name: s.get(name))
    return _collect(runs, POSITION_PARTS, lambda run: snapshots(run) + _final_positions(run), cumulative=False)


def _final_positions(run: Run) -> list[Point]:
    hubble, hedge = run.final_hubble_position, run.final_hedge_position
    if run.stopped is None or (hubble is None and hedge is None):
        return []
    net = hubble + hedge if hubble is not None and hedge is not None else None
    return [(run.stopped, {"hubble_position": hubble, "hedge_position": hedge, "net": net})]


def run_pnl(run: Run) -> dict[str, float | None]:
    """One run's PnL parts as of its last status snapshot."""
    series = pnl_series([run])
    return {name: series.last(name) for name in PNL_PARTS}
