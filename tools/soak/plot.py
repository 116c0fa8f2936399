"""The soak's PNG (matplotlib's Agg backend): RSS, open FDs and the two files' sizes against minutes of the run."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from tools.soak.judge import Bounds, Judgement, Sample, verdict_line  # noqa: E402

MIB = 1024 * 1024
STARTED = 30.0          # seconds: the bot's RSS zoom leaves out its start-up


def plot(samples: Sequence[Sample], warmup: float, judgement: Judgement, bounds: Bounds, title: str,
         path: Path) -> Path:
    minutes = [s.t / 60 for s in samples]
    fig, (rss, sim, fds, files) = plt.subplots(4, 1, figsize=(10, 11), sharex=True, dpi=100,
                                               gridspec_kw={"height_ratios": [3, 2, 2, 2]})
    bot_rss = [_mib(s.rss_kb) for s in samples]
    _line(rss, minutes, bot_rss, "bot (main.py)", "tab:blue")
    _zoom(rss, [v for s, v in zip(samples, bot_rss) if s.t >= min(STARTED, warmup) and v is not None])
    rss.set_ylabel("bot's resident\nmemory, MiB")
    _line(sim, minutes, [_mib(s.sim_rss_kb) for s in samples], "simulator (the bot's child)", "tab:gray")
    sim.set_ylabel("simulator's resident\nmemory, MiB")
    _line(fds, minutes, [s.fds for s in samples], "bot", "tab:blue")
    _line(fds, minutes, [s.sim_fds for s in samples], "simulator", "tab:gray")
    fds.set_ylabel("open file\ndescriptors")
    _line(files, minutes, [_bytes_mib(s.log_bytes) for s in samples], "logs/<market>.log", "tab:green")
    _line(files, minutes, [_bytes_mib(s.journal_bytes) for s in samples], "performance/<market>-events.jsonl",
          "tab:orange")
    files.set_ylabel("live file size, MiB\n(a drop: a rotation)")
    files.set_xlabel("minutes since the bot started")
    for ax in (rss, sim, fds, files):
        ax.axvline(warmup / 60, color="black", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    rss.text(warmup / 60, 0.02, " end of warm-up", transform=rss.get_xaxis_transform(), fontsize=8)
    reading = verdict_line(judgement, bounds).removeprefix("soak: ")
    fig.suptitle(title + "\n" + textwrap.fill(reading, 130), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _zoom(ax, values: list[float]) -> None:
    """The bot's RSS on a scale that shows a MiB (start-up's climb from nothing is cut off)."""
    if values:
        low, high = min(values), max(values)
        pad = max(1.0, (high - low) * 0.15)
        ax.set_ylim(low - pad, high + pad)


def _line(ax, xs: list[float], ys: list[float | None], label: str, color: str) -> None:
    points = [(x, y) for x, y in zip(xs, ys) if y is not None]
    if points:
        ax.plot([x for x, _ in points], [y for _, y in points], label=label, color=color, linewidth=1.2)


def _mib(kb: int | None) -> float | None:
    return None if kb is None else kb / 1024


def _bytes_mib(size: int | None) -> float | None:
    return None if size is None else size / MIB
