"""The HTML page: one self-contained file (inline style, no script, nothing fetched) beside its PNGs.

Every text that comes from the files read is escaped. Times are UTC.
"""
from __future__ import annotations

import html
import time
from typing import Any, Iterable

from tools.report.figures import Figures
from tools.report.journal import number
from tools.report.series import PNL_PARTS, run_pnl
from tools.report.sources import Summary
from tools.report.trades import LATENCIES

EXIT_MEANING = {0: "clean stop", 1: "a venue or feed failed for good", 2: "bad command line",
                78: "bad configuration, or an account a venue refuses"}
PNL_LABELS = {"spread": "spread (incl. slippage)", "maker_fees": "maker fees (Hubble)",
              "taker_fees": "taker fees (hedge venue)", "slippage": "hedge slippage (already in spread)",
              "net": "net PnL = spread - maker fees - taker fees"}
STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
.note { color: #555; font-size: .9em; } .bad { color: #b00; } pre { font-size: .8em; overflow-x: auto; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def utc(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f} %"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(int(round(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], numeric: set[int] | None = None) -> str:
    """A table; cells are escaped unless they are already marked-up (given as Markup)."""
    numeric = numeric or set()
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c, i in numeric) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Markup(str):
    """Text that is already HTML."""


def _cell(content: Any, numeric: bool) -> str:
    text = content if isinstance(content, Markup) else esc(content)
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"


def figure(src: str, alt: str, caption: str) -> str:
    return (f'<figure><img src="{esc(src)}" alt="{esc(alt)}"><figcaption class="note">{esc(caption)}'
            "</figcaption></figure>")


# ---- sections -------------------------------------------------------------------------------------
def header(f: Figures) -> str:
    journal = f.journal
    skipped = (f' <span class="bad">{journal.skipped_lines} unreadable line(s) skipped.</span>'
               if journal.skipped_lines else "")
    first, last = f.runs[0].begin, f.runs[-1].end
    return (f"<h1>{esc(f.request.market)} market making: report</h1>"
            f'<p class="note">Generated {esc(utc(f.generated_at))} from {esc(journal.path)}: '
            f"{len(f.runs)} of {len(journal.runs)} run(s), {esc(utc(first))} to {esc(utc(last))}.{skipped} "
            "All times are UTC.</p>" + runs_table(f))


def exit_text(status: int | None) -> Markup:
    if status is None:
        return Markup('<span class="bad">no stop line: killed, crashed or still running</span>')
    meaning = EXIT_MEANING.get(status, "")
    text = esc(f"{status} {meaning}".strip())
    return Markup(text if status == 0 else f'<span class="bad">{text}</span>')


def runs_table(f: Figures) -> str:
    rows = []
    for run in f.runs:
        fills = sum(1 for x in run.fills if not x.get("removed"))
        rows.append([run.run_id, run.hedge or "none", "yes" if run.sim else "no" if run.sim is False else "-",
                     utc(run.begin), utc(run.stopped),
                     duration(run.end - run.begin if run.end is not None and run.begin is not None else None),
                     exit_text(run.exit_status), "; ".join(run.failures) or "-", len(run.statuses),
                     pct(f.run_uptime[run.run_id].share), fills, len(run.hedges), num(run_pnl(run)["net"]),
                     f"{num(run.final_hubble_position, 3)} / {num(run.final_hedge_position, 3)}"])
    return table(["run", "hedge venue", "sim", "start", "stop", "length", "exit status", "failures",
                  "status snapshots", "quoting", "fills", "hedges", "net PnL USD (last snapshot)",
                  "final position Hubble / hedge"], rows, numeric={8, 9, 10, 11, 12})


def pnl_section(f: Figures, image: str) -> str:
    totals = [[PNL_LABELS[name], num(f.pnl.last(name))] for name in PNL_PARTS]
    return ("<h2>PnL</h2>" + figure(image, "cumulative PnL by part and funding",
                                    "Each run's PnL starts at zero; runs are laid end to end. "
                                    "Dotted lines: a run starts.")
            + table(["part (USD, all runs, as of each run's last status snapshot)", "total"], totals, {1})
            + "<ul class=\"note\">" + "".join(f"<li>{esc(n)}</li>" for n in pnl_notes(f)) + "</ul>")


def pnl_notes(f: Figures) -> list[str]:
    notes = ["Maker fees: Hubble's trader stream carries no fee, so they are the bot's own figure from "
             "HUBBLE_MAKER_FEE_PCT (0 when unset; negative is a rebate)."]
    if f.pnl.reported("maker_fees") and not any(f.pnl.values["maker_fees"]):
        notes.append("Maker fees are 0 in every snapshot here: HUBBLE_MAKER_FEE_PCT was probably not set.")
    notes += ["Taker fees: each hedge's fee at the hedge account's rate, read from the venue at start.",
              "Hedge slippage: what hedges cost against the touch they were priced on (positive is worse); "
              "it is already inside the spread PnL, shown apart.",
              "Funding is not in net PnL. Hubble: the open position's pending (unrealised) funding as the "
              "node reports it; funding already settled into margin is not recorded."]
    for venue, reported in sorted(hedge_funding_by_venue(f).items()):
        if reported:
            notes.append(f"Funding on {venue}: as the venue reports it, since the position opened (its sign "
                         "convention is not confirmed by a source: shown as sent).")
        else:
            notes.append(f"Funding on {venue}: not reported (no figure in these runs' status snapshots).")
    if not f.funding.reported("hubble_pending"):
        notes.append("Hubble pending funding: not reported in these runs.")
    return notes


def hedge_funding_by_venue(f: Figures) -> dict[str, bool]:
    """For each hedge venue of the runs, whether any snapshot carried its funding."""
    found: dict[str, bool] = {}
    for run in f.runs:
        if run.hedge is None:
            continue
        seen = any((s.get("funding") or {}).get("hedge_reported") is not None for s in run.statuses)
        found[run.hedge] = found.get(run.hedge, False) or seen
    return found


def positions_section(f: Figures, image: str) -> str:
    last = [[name, num(f.positions.last(key), 4)] for key, name in
            (("hubble_position", "Hubble"), ("hedge_position", "hedge venue"), ("net", "net delta"))]
    return ("<h2>Positions and net delta</h2>"
            + figure(image, "positions on both venues and the net delta",
                     "The venues' own figures from the status snapshots (the reconciler's last reading) "
                     "and, at each run's end, the positions they gave at the stop.")
            + table(["position (base units)", "last reading"], last, {1}))


def trades_section(f: Figures, fills_image: str, latency_image: str) -> str:
    fills, hedges = f.fills, f.hedges
    counts = table(["fills", "taken back by a reorg", "bought", "sold", "notional USD", "hedges",
                    "of which reconciliation", "hedged volume", "hedge fees USD", "hedge slippage USD"],
                   [[fills.count, fills.removed, num(fills.bought, 3), num(fills.sold, 3), num(fills.notional, 2),
                     hedges.count, hedges.reconciliation, num(hedges.volume, 3), num(hedges.fees),
                     num(hedges.slippage_usd)]], set(range(10)))
    stats = [[label, *(("-",) * 5 if (d := f.latency_stats[key]) is None else
                       (d.count, num(d.p50, 3), num(d.p90, 3), num(d.p99, 3), num(d.max, 3)))]
             for key, label in LATENCIES.items()]
    return ("<h2>Fills and hedges</h2>" + counts
            + figure(fills_image, "Hubble fills over time and fill sizes", "Hubble fills by side.")
            + figure(latency_image, "fill to hedge latency distributions",
                     "From the first fill a hedge covers to the order sent and to the venue's answer.")
            + table(["latency (ms)", "hedges", "p50", "p90", "p99", "max"], stats, {1, 2, 3, 4, 5}))


def uptime_section(f: Figures, image: str) -> str:
    per_run = [[run.run_id, f.run_uptime[run.run_id].snapshots, f.run_uptime[run.run_id].quoting,
                pct(f.run_uptime[run.run_id].share)] for run in f.runs]
    per_run.append([Markup("<b>overall</b>"), f.uptime.snapshots, f.uptime.quoting, pct(f.uptime.share)])
    pauses = [[reason, pct(share)] for reason, share in f.pauses.items()] or [["never paused", "-"]]
    return ("<h2>Quote uptime and pauses</h2>"
            + figure(image, "quote uptime per run and pause reasons",
                     "A status snapshot every 5 s: a share of snapshots is a share of time.")
            + table(["run", "status snapshots", "quoting", "uptime"], per_run, {1, 2, 3})
            + table(["pause reason (figures masked as #)", "share of time"], pauses, {1}))


def csv_section(f: Figures) -> str:
    if not f.csv_rows:
        return (f"<h2>Periodic rows</h2><p class=\"note\">No row of {esc(f.csv_path)} falls inside these runs "
                "(one is written every performance_tracking_interval and at each stop).</p>")
    headers = list(f.csv_rows[0])
    rows = [[row.get(h, "") for h in headers] for row in f.csv_rows]
    return (f"<h2>Periodic rows</h2><p class=\"note\">From {esc(f.csv_path)} (times local to the bot's "
            "machine), the rows ending inside these runs.</p>" + table(headers, rows, set(range(2, len(headers)))))


SUMMARY_HEADERS = ("file", "run", "fills", "hedges", "coverage", "net PnL USD", "final net delta",
                   "fill->sent p50/p99 ms (per fill)", "fill->confirmed p50/p99 ms (per fill)", "exit")


def summary_row(summary: Summary) -> list[Any]:
    d = summary.data
    latency = d.get("latency") or {}
    sent, confirmed = latency.get("fill_to_hedge_sent") or {}, latency.get("fill_to_hedge_confirmed") or {}
    return [summary.path, summary.run_id or "not matched", (d.get("fills") or {}).get("count", "-"),
            (d.get("hedges") or {}).get("count", "-"), d.get("hedge_coverage", "-"),
            num(number(d.get("net_pnl_usd"))), (d.get("final_net_delta") or {}).get("base", "-"),
            f"{sent.get('p50_ms', '-')} / {sent.get('p99_ms', '-')}",
            f"{confirmed.get('p50_ms', '-')} / {confirmed.get('p99_ms', '-')}", d.get("exit_status", "-")]


def summaries_section(f: Figures) -> str:
    if not f.summaries and not f.summary_problems:
        return ""
    problems = "".join(f'<p class="bad">{esc(p)}</p>' for p in f.summary_problems)
    return ("<h2>Run summaries (--summary-json)</h2><p class=\"note\">Matched to a run by market, exit status "
            "and the file's time against the run's stop. Figures at the stop; latencies there are per fill, "
            "those above per hedge.</p>"
            + table(SUMMARY_HEADERS, [summary_row(s) for s in f.summaries], {2, 3, 4, 5, 6}) + problems)


def log_section(f: Figures) -> str:
    if f.log is None:
        return f"<h2>Log</h2><p class=\"note\">No log at {esc(f.log_path)}.</p>"
    counts = ", ".join(f"{esc(level)} {n}" for level, n in sorted(f.log.counts.items())) or "no line"
    lines = "\n".join(esc(f"{stamp} {level} {message}") for stamp, level, message in f.log.serious)
    return (f"<h2>Log</h2><p class=\"note\">{esc(f.log_path)}, lines inside these runs: {counts}.</p>"
            + (f"<p>The last {len(f.log.serious)} warnings and errors:</p><pre>{lines}</pre>"
               if f.log.serious else "<p>No warning or error.</p>"))


def render(f: Figures, images: dict[str, str]) -> str:
    body = "".join([header(f), pnl_section(f, images["pnl"]), positions_section(f, images["positions"]),
                    trades_section(f, images["fills"], images["latency"]), uptime_section(f, images["uptime"]),
                    csv_section(f), summaries_section(f), log_section(f)])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc(f.request.market)} report</title><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")
