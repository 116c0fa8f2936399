"""What a market's page shows: the request, and the figures worked out from the runs it chose (no drawing, no HTML)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.report.journal import Journal, Run, journal_path, read_journal, select_runs
from tools.report.series import Series, funding_series, pnl_series, position_series
from tools.report.sources import LogDigest, Summary, csv_rows, load_summaries, log_digest
from tools.report.trades import (LATENCIES, Distribution, FillTotals, HedgeTotals, distribution, fill_totals,
                                 hedge_totals, latency_samples)
from tools.report.uptime import Uptime, pause_shares, uptime


@dataclass
class Request:
    """What the operator asked for (the command line)."""

    market: str
    directory: Path = Path("performance")
    out: Path = Path("report")
    log_dir: Path = Path("logs")
    summaries: list[Path] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    last: int | None = None


@dataclass
class Figures:
    """Everything the page shows, worked out from the chosen runs."""

    request: Request
    journal: Journal
    runs: list[Run]
    pnl: Series
    funding: Series
    positions: Series
    uptime: Uptime
    run_uptime: dict[str, Uptime]
    pauses: dict[str, float]
    fills: FillTotals
    hedges: HedgeTotals
    latency: dict[str, list[float]]
    latency_stats: dict[str, Distribution | None]
    csv_path: Path
    csv_rows: list[dict[str, str]]
    summaries: list[Summary]
    summary_problems: list[str]
    log_path: Path
    log: LogDigest | None
    generated_at: float


class NothingToReport(Exception):
    """No journal, or no run matching the request."""


def gather(request: Request) -> Figures:
    path = journal_path(request.directory, request.market)
    if not path.exists():
        raise NothingToReport(f"no event journal at {path}: run the bot for {request.market} first")
    journal = read_journal(path)
    try:
        runs = select_runs(journal.runs, request.run_ids, request.last)
    except LookupError as exc:
        raise NothingToReport(f"{path}: {exc}") from None
    if not runs:
        raise NothingToReport(f"{path}: no run to report")
    latency = {key: latency_samples(runs, key) for key in LATENCIES}
    csv_path = request.directory / f"{request.market.lower()}.csv"
    log_path = request.log_dir / f"{request.market.lower()}.log"
    summaries, problems = load_summaries(request.summaries, runs)
    return Figures(
        request=request, journal=journal, runs=runs,
        pnl=pnl_series(runs), funding=funding_series(runs), positions=position_series(runs),
        uptime=uptime(runs), run_uptime={run.run_id: uptime([run]) for run in runs}, pauses=pause_shares(runs),
        fills=fill_totals(runs), hedges=hedge_totals(runs),
        latency=latency, latency_stats={key: distribution(values) for key, values in latency.items()},
        csv_path=csv_path, csv_rows=csv_rows(csv_path, runs), summaries=summaries, summary_problems=problems,
        log_path=log_path, log=log_digest(log_path, runs), generated_at=time.time())
