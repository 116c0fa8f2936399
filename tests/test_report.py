"""tools.report on small hand-written journals: runs, uptime, pause shares, PnL series, the other files, the page."""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from tools.report.__main__ import main
from tools.report.journal import parse_lines, select_runs
from tools.report.series import funding_series, pnl_series, position_series
from tools.report.sources import csv_rows, load_summaries, log_digest
from tools.report.trades import distribution, fill_totals, hedge_totals, latency_samples
from tools.report.uptime import pause_shares, reason_key, uptime

T0 = 1_700_000_000.0
IMAGES = ("avax-pnl.png", "avax-positions.png", "avax-fills.png", "avax-hedge-latency.png", "avax-uptime.png")


def event(run: str, t: float, kind: str, **fields) -> str:
    return json.dumps({"t": t, "run": run, "kind": kind, **fields})


def status(run: str, t: float, quoting: bool = True, reason: str | None = None, pnl: dict | None = None,
           funding: dict | None = None, hubble: float = 0.0, hedge: float = 0.0) -> str:
    return event(run, t, "status", mid=20.0, hubble_position=hubble, hedge_position=hedge, net=hubble + hedge,
                 quoting=quoting, pause_reason=reason,
                 pnl=pnl or {"spread": 0, "maker_fees": 0, "taker_fees": 0, "slippage": 0, "net": 0},
                 funding=funding or {"hubble_pending": 0, "hedge_reported": None})


def pnl(spread: float, maker: float, taker: float, slippage: float) -> dict:
    return {"spread": spread, "maker_fees": maker, "taker_fees": taker, "slippage": slippage,
            "net": spread - maker - taker}


def two_runs() -> list[str]:
    """Run a: 4 snapshots, 3 quoting, one fill and hedge, clean stop. Run b: 2 snapshots, killed."""
    return [
        event("a", T0, "start", market="AVAX", hedge="hyperliquid", sim=True),
        status("a", T0 + 5, pnl=pnl(0, 0, 0, 0), funding={"hubble_pending": 0.1, "hedge_reported": -0.2}),
        event("a", T0 + 6, "fill", side=1, qty=3.0, price=20.0, removed=False),
        event("a", T0 + 6.01, "hedge", filled=-3.0, avg_price=20.01, fee=0.03, reference=20.0,
              reconciliation=False, slippage_usd=-0.03, sent_ms=0.5, confirmed_ms=2.5),
        status("a", T0 + 10, quoting=False, reason="fill cooldown", pnl=pnl(1.0, 0.0, 0.03, 0.0), hubble=3, hedge=-3),
        status("a", T0 + 15, pnl=pnl(1.5, 0.1, 0.05, 0.01), hubble=3, hedge=-3),
        status("a", T0 + 20, pnl=pnl(2.0, 0.1, 0.05, 0.01), funding={"hubble_pending": 0.3, "hedge_reported": -0.4},
               hubble=3, hedge=-3),
        event("a", T0 + 21, "stop", exit_status=0, failures=[], hubble_position=3.0, hedge_position=-3.0),
        event("b", T0 + 100, "start", market="AVAX", hedge="binance", sim=True),
        status("b", T0 + 105, quoting=False, reason="1.5 AVAX is carried unhedged, at least one binance lot (1)",
               pnl=pnl(0.5, 0, 0.01, 0)),
        status("b", T0 + 110, quoting=False, reason="2.5 AVAX is carried unhedged, at least one binance lot (1)",
               pnl=pnl(0.7, 0, 0.02, 0)),
    ]


def runs():
    return parse_lines(two_runs()).runs


def test_lines_are_grouped_by_run_with_start_stop_and_unreadable_lines_counted():
    journal = parse_lines(two_runs() + ['{"t": 1, "run": "b", "kind": "stat', "not json", "[1, 2]"])
    a, b = journal.runs
    assert journal.skipped_lines == 3
    assert (a.run_id, a.hedge, a.exit_status, a.begin, a.end) == ("a", "hyperliquid", 0, T0, T0 + 21)
    assert (len(a.statuses), len(a.fills), len(a.hedges)) == (4, 1, 1)
    assert (b.hedge, b.exit_status, b.stopped, b.end) == ("binance", None, None, T0 + 110)


def test_runs_are_chosen_by_id_prefix_and_last_n():
    all_runs = parse_lines(two_runs() + [event("a2", T0 + 200, "start")]).runs
    assert [r.run_id for r in select_runs(all_runs)] == ["a", "b", "a2"]
    assert [r.run_id for r in select_runs(all_runs, ["a"])] == ["a", "a2"]
    assert [r.run_id for r in select_runs(all_runs, last=1)] == ["a2"]
    with pytest.raises(LookupError, match="zz"):
        select_runs(all_runs, ["zz"])


def test_uptime_is_the_share_of_snapshots_quoting_per_run_and_overall():
    a, b = runs()
    assert uptime([a]).share == 0.75
    assert uptime([b]).share == 0.0
    overall = uptime([a, b])
    assert (overall.snapshots, overall.quoting, overall.share) == (6, 3, 0.5)
    assert uptime([]).share is None


def test_pause_shares_are_time_shares_with_figures_masked():
    shares = pause_shares(runs())
    assert shares == {"# AVAX is carried unhedged, at least one binance lot (#)": pytest.approx(2 / 6),
                      "fill cooldown": pytest.approx(1 / 6)}
    assert reason_key(None) == "paused (no reason recorded)"


def test_pnl_runs_are_laid_end_to_end_and_funding_is_shown_as_reported():
    a, b = runs()
    series = pnl_series([a, b])
    assert series.values["spread"] == [0, 1.0, 1.5, 2.0, 2.5, 2.7]
    assert series.values["taker_fees"] == pytest.approx([0, 0.03, 0.05, 0.05, 0.06, 0.07])
    assert series.last("net") == pytest.approx((2.0 - 0.15) + (0.7 - 0.02))
    assert series.run_index == [0, 0, 0, 0, 1, 1]
    funding = funding_series([a, b])
    assert funding.values["hubble_pending"] == [0.1, 0, 0, 0.3, 0, 0]       # levels, not added up
    assert funding.values["hedge_reported"] == [-0.2, None, None, -0.4, None, None]
    assert funding.reported("hedge_reported") and not funding_series([b]).reported("hedge_reported")


def test_positions_come_from_snapshots_and_the_stop_line():
    a, b = runs()
    series = position_series([a, b])
    assert series.times == [T0 + 5, T0 + 10, T0 + 15, T0 + 20, T0 + 21, T0 + 105, T0 + 110]
    assert series.values["hubble_position"][:5] == [0, 3, 3, 3, 3.0]
    assert series.values["net"][4] == 0.0
    assert series.run_index == [0, 0, 0, 0, 0, 1, 1]


def test_fill_and_hedge_totals_and_latency_samples():
    lines = two_runs() + [event("a", T0 + 7, "fill", side=-1, qty=3.0, price=20.0, removed=True),
                          event("a", T0 + 8, "hedge", filled=1.0, avg_price=20, fee=0.01, reference=20,
                                reconciliation=True, slippage_usd=0.0, sent_ms=None, confirmed_ms=None)]
    chosen = parse_lines(lines).runs
    fills, hedges = fill_totals(chosen), hedge_totals(chosen)
    assert (fills.count, fills.removed, fills.bought, fills.sold, fills.notional) == (1, 1, 3.0, 3.0, 60.0)
    assert (hedges.count, hedges.reconciliation, hedges.volume) == (2, 1, 4.0)
    assert latency_samples(chosen, "sent_ms") == [0.5] and latency_samples(chosen, "confirmed_ms") == [2.5]
    stats = distribution([float(v) for v in range(1, 101)])
    assert (stats.count, stats.max) == (100, 100.0) and stats.p50 == pytest.approx(50.5)
    assert distribution([]) is None


def local(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def test_csv_rows_and_log_lines_belong_to_a_run_by_time(tmp_path):
    a, b = runs()
    csv_path = tmp_path / "avax.csv"
    csv_path.write_text("start_time,end_time,net_pnl\n"
                        f"{local(T0 - 600)},{local(T0 - 300)},9\n{local(T0)},{local(T0 + 21)},1.85\n")
    assert [r["net_pnl"] for r in csv_rows(csv_path, [a])] == ["1.85"]
    assert csv_rows(tmp_path / "missing.csv", [a]) == []
    log = tmp_path / "avax.log"
    log.write_text(f"{local(T0 + 2)}.123 INFO    engine: quoting\n"
                   f"{local(T0 + 3)}.456 WARNING hedge: slow answer\n"
                   f"{local(T0 + 50)}.000 ERROR   engine: between runs\n"
                   "Traceback (most recent call last):\n"
                   f"{local(T0 + 104)}.000 ERROR   reconciler: carried\n")
    digest = log_digest(log, [a, b])
    assert digest.counts == {"INFO": 1, "WARNING": 1, "ERROR": 1}
    assert [line[2] for line in digest.serious] == ["hedge: slow answer", "reconciler: carried"]


def test_a_summary_is_matched_to_the_run_that_stopped_when_it_was_written(tmp_path):
    a, b = runs()
    good, far, broken = tmp_path / "s.json", tmp_path / "other.json", tmp_path / "broken.json"
    for path, when in ((good, T0 + 22), (far, T0 + 5000)):
        path.write_text(json.dumps({"market": "AVAX", "exit_status": 0}))
        os.utime(path, (when, when))
    broken.write_text("{")
    summaries, problems = load_summaries([good, far, broken], [a, b])
    assert [(s.path.name, s.run_id) for s in summaries] == [("s.json", "a"), ("other.json", None)]
    assert len(problems) == 1 and "broken.json" in problems[0]


def write_journal(directory: Path, lines: list[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "avax-events.jsonl").write_text("\n".join(lines) + "\n")


def test_the_command_writes_a_page_and_every_plot_escaping_what_it_read(tmp_path, capsys):
    lines = two_runs() + [status("b", T0 + 115, quoting=False, reason="<script>alert(1)</script>")]
    write_journal(tmp_path / "performance", lines)
    out = tmp_path / "report"
    assert main(["--dir", str(tmp_path / "performance"), "--out", str(out), "--logs", str(tmp_path)]) == 0
    page = (out / "avax.html").read_text()
    assert capsys.readouterr().out.strip() == str(out / "avax.html")
    for image in IMAGES:
        assert f'src="{image}"' in page and (out / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must not fetch anything"
    assert "no stop line" in page and "Funding on binance: not reported" in page
    assert "Funding on hyperliquid: as the venue reports it" in page


def test_a_run_without_fills_or_snapshots_still_gets_every_plot(tmp_path):
    write_journal(tmp_path / "performance", [event("c", T0, "start", market="AVAX", hedge=None, sim=False)])
    assert main(["--dir", str(tmp_path / "performance"), "--out", str(tmp_path / "r"), "--logs", str(tmp_path)]) == 0
    assert all((tmp_path / "r" / image).stat().st_size > 0 for image in IMAGES)


def test_nothing_to_report_exits_1_with_a_reason(tmp_path, capsys):
    assert main(["--dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    assert "no event journal" in capsys.readouterr().err
    write_journal(tmp_path, two_runs())
    assert main(["--dir", str(tmp_path), "--out", str(tmp_path / "r"), "--run", "nope"]) == 1
    assert "no run nope" in capsys.readouterr().err
    assert main(["--dir", str(tmp_path), "--out", str(tmp_path / "r"), "--market", "eth"]) == 1
    assert "eth-events.jsonl" in capsys.readouterr().err


def test_many_runs_and_last_n(tmp_path):
    lines = [status(f"r{i:02d}", T0 + 10 * i, quoting=i % 2 == 0) for i in range(25)]
    write_journal(tmp_path / "performance", lines)
    out = tmp_path / "r"
    assert main(["--dir", str(tmp_path / "performance"), "--out", str(out), "--logs", str(tmp_path)]) == 0
    assert "25 of 25 run(s)" in (out / "avax.html").read_text()
    assert main(["--dir", str(tmp_path / "performance"), "--out", str(out), "--logs", str(tmp_path),
                 "--last", "3"]) == 0
    page = (out / "avax.html").read_text()
    assert "3 of 25 run(s)" in page and "r24" in page and "r21" not in page
