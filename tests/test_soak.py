"""tools.soak: the judgement on made-up series (flat, leaking, rotations), and one short run of the real bot."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tools.soak.judge import Bounds, Sample, judge, rotated_names, rotations, slope_per_hour, trend, verdict_line


def series(rss_mib, fds, seconds=3600, step=10, log_ids=None, held=0):
    """Samples every ``step`` seconds; ``rss_mib``/``fds`` are functions of t; the log turns at ``log_ids``."""
    out = []
    for i, t in enumerate(range(0, seconds + 1, step)):
        log_id = (1, log_ids(t)) if log_ids else (1, 100)
        out.append(Sample(t=float(t), rss_kb=int(rss_mib(t) * 1024), fds=fds(t), held_rotated=held if i == 5 else 0,
                          log_id=log_id, log_bytes=1, journal_id=(1, 200), journal_bytes=1))
    return out


def turning_every(seconds):
    return lambda t: 100 + t // seconds


# ---- maths ------------------------------------------------------------------------------------------------------
def test_the_slope_is_per_hour_and_none_without_two_times():
    assert slope_per_hour([(0, 10.0), (1800, 11.0), (3600, 12.0)]) == pytest.approx(2.0)
    assert slope_per_hour([(0, 5.0), (60, 5.0)]) == 0
    assert slope_per_hour([(5, 1.0)]) is None and slope_per_hour([(5, 1.0), (5, 2.0)]) is None


def test_the_trend_leaves_out_warm_up_and_takes_medians_of_the_first_and_last_window():
    points = [(t, 100.0 + (50 if t < 300 else 0)) for t in range(0, 3601, 5)]   # start-up is high, then flat
    points[100] = (500, 900.0)                                                # one spike after warm-up
    flat = trend(points, warmup=300)
    assert flat.at_warmup_end == 100 and flat.at_end == 100 and flat.growth == 0
    assert flat.max == 900 and flat.samples == len([p for p in points if p[0] >= 300])
    assert trend([(t, None) for t in range(10)], warmup=0).growth is None
    assert trend([(1, 5.0)], warmup=300).samples == 0


def test_rotations_count_each_new_file_under_the_name_and_rotated_copies_are_listed():
    assert rotations([None, (1, 7), (1, 7), None, (1, 7), (1, 8), (1, 8), (1, 9)]) == 2
    assert rotations([None, None]) == 0 and rotations([]) == 0
    names = ["avax.log", "avax.log.2", "avax.log.1", "avax.log.10", "avax.log.x", "simnet.log", "avax.logs.1"]
    assert rotated_names(names, "avax.log") == ["avax.log.1", "avax.log.2", "avax.log.10"]


# ---- the verdict ------------------------------------------------------------------------------------------------
def test_a_flat_series_with_rotations_passes():
    noise = lambda t: 170 + (t % 7) * 0.3 + (8 if t < 200 else 0)                 # noqa: E731
    sockets = lambda t: 22 + (1 if t % 600 == 0 else 0)                           # a reconnect now and then
    j = judge(series(noise, sockets, log_ids=turning_every(1500)), warmup=300, bounds=Bounds(), exit_code=0)
    assert j.ok, j.problems
    assert j.log_rotations == 2 and j.journal_rotations == 0
    assert abs(j.rss_mib.slope_per_hour) < 1 and j.fds.growth == 0
    line = verdict_line(j)
    assert line.startswith("soak: within bounds after warm-up: RSS ") and "log rotated 2x" in line
    assert "bound 10 MiB" in line and "(bound +2)" in line


def test_a_leaking_series_fails_on_memory_and_descriptors_in_one_line():
    leak = lambda t: 170 + t / 3600 * 40                                          # noqa: E731  40 MiB an hour
    j = judge(series(leak, lambda t: 22 + t // 900, log_ids=turning_every(1500)), 300, Bounds(), 0)
    assert not j.ok
    assert j.rss_mib.slope_per_hour == pytest.approx(40, rel=0.01)
    assert j.rss_mib.growth > 10 and j.fds.growth == 3
    line = verdict_line(j)
    assert line.startswith("soak: FAILED: RSS grew ") and "bound 10 MiB" in line and "open FDs grew by 3" in line
    assert "\n" not in line
    assert judge(series(leak, lambda t: 22), 300, Bounds(rss_growth_mib=50), 0).problems == [
        "neither the log nor the event journal rotated"]


def test_no_rotation_a_held_rotated_file_and_a_failed_bot_are_each_problems():
    flat = series(lambda t: 170, lambda t: 22, held=1)
    problems = judge(flat, 300, Bounds(), exit_code=1).problems
    assert problems == ["the bot exited with 1", "the bot held 1 rotated or deleted file(s) open",
                        "neither the log nor the event journal rotated"]
    assert "no sample after" in judge(flat[:3], 300, Bounds(), 0).problems[0]


# ---- the real bot, briefly --------------------------------------------------------------------------------------
def soak_command_in_docs() -> list[str]:
    """The command docs/soak.md shows (the one the figures there come from)."""
    text = (ROOT / "docs" / "soak.md").read_text()
    block = re.search(r"```(?:sh|bash)?\n(python3 -m tools\.soak [^\n]*)\n```", text).group(1)
    return shlex.split(block)


@pytest.mark.slow
def test_a_short_soak_of_the_real_bot_writes_samples_and_sees_the_log_rotate(tmp_path):
    """The docs' command, 14 s instead of an hour, a sample a second. The log is given a 1 MB head start so
    that it rotates (1MB, the smallest logRotation, takes the bot's INFO log about 40 minutes to fill)."""
    run, out = tmp_path / "run", tmp_path / "out"
    (run / "logs").mkdir(parents=True)
    (run / "logs" / "avax.log").write_text(("x" * 99 + "\n") * (1024 * 1024 // 100 + 1))
    args = soak_command_in_docs()[1:]
    swap = {"--seconds": "14", "--interval": "1", "--dir": str(run), "--out": str(out)}
    args = [swap.get(args[i - 1], a) if i else a for i, a in enumerate(args)]
    assert {a for a in args if a in swap} == set(swap), "the docs' command names --seconds, --interval, --dir, --out"
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=90)
    report = json.loads((out / "soak.json").read_text())
    assert (out / "soak.png").stat().st_size > 10_000
    assert report["bot_exit_code"] == 0, done.stdout + done.stderr
    samples = report["samples"]
    assert len(samples) >= 10 and samples[0]["t"] < 1 and samples[-1]["t"] <= 14
    running = [s for s in samples if s["t"] >= 6]                       # past the bot's start-up
    assert running and all(s["rss_kb"] > 50_000 and s["fds"] > 5 for s in running)
    assert all(s["sim_rss_kb"] > 50_000 for s in running)               # the simulator child is found too
    assert report["summary"]["rotations_seen"]["log"] >= 1
    assert "avax.log.1" in report["summary"]["rotated_files"]["log"]
    assert report["summary"]["most_rotated_or_deleted_files_held_open"] == 0
    assert "neither the log nor" not in done.stdout
    assert done.stdout.strip() == report["verdict"]["line"] and done.returncode in (0, 3)
    assert report["command"][:4] == ["python3", "main.py", "AVAX", "--sim"]


def test_the_soak_refuses_a_directory_inside_the_repository():
    done = subprocess.run([sys.executable, "-m", "tools.soak", "AVAX", "--dir", str(ROOT / "soak-here")], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "inside the repository" in done.stderr
    assert not (ROOT / "soak-here").exists()
