"""One market's report: the figures (tools.report.figures) drawn as PNGs and written into the page."""
from __future__ import annotations

from pathlib import Path

from tools.report import page, plots
from tools.report.figures import Figures, Request, gather


def draw(figures: Figures, out: Path) -> dict[str, Path]:
    """The PNGs, named after the market, beside the page."""
    prefix = figures.request.market.lower()
    runs = figures.runs
    per_run = [(run.run_id, figures.run_uptime[run.run_id].share) for run in runs]
    return {
        "pnl": plots.pnl_plot(figures.pnl, figures.funding, runs, out / f"{prefix}-pnl.png"),
        "positions": plots.positions_plot(figures.positions, runs, out / f"{prefix}-positions.png"),
        "fills": plots.fills_plot(runs, out / f"{prefix}-fills.png"),
        "latency": plots.latency_plot(figures.latency, out / f"{prefix}-hedge-latency.png"),
        "uptime": plots.uptime_plot(per_run, figures.uptime.share, figures.pauses, out / f"{prefix}-uptime.png"),
    }


def build(request: Request) -> Path:
    """Write <out>/<market>.html and its PNGs; return the page's path."""
    figures = gather(request)
    request.out.mkdir(parents=True, exist_ok=True)
    images = draw(figures, request.out)
    target = request.out / f"{request.market.lower()}.html"
    target.write_text(page.render(figures, {name: p.name for name, p in images.items()}), encoding="utf-8")
    return target
