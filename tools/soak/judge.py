"""The soak's judgement, pure: what was sampled, its trend after warm-up, and whether it is flat.

No process is read here (``probe`` does that). A series' figure "at warm-up end" is the median of
its samples in the first window after warm-up, "at the end" the median of the last window: a single
sample would stand for a moment's garbage collection or a socket reconnecting. The slope is the least
squares line through every sample after warm-up, per hour.
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

WINDOW = 60.0      # seconds of samples behind the figures at warm-up end and at the end (less in a short run)
FileId = tuple[int, int]      # (st_dev, st_ino): a new one under the same name is a rotation


@dataclass(frozen=True)
class Sample:
    """One look at the bot (and its simulator child), ``t`` seconds after the bot started."""
    t: float
    rss_kb: int | None                   # the bot's VmRSS, in kB as /proc states it (KiB)
    fds: int | None                      # entries of /proc/<pid>/fd
    held_rotated: int = 0                # of those, rotated or deleted files (a handler that kept the old file)
    sim_rss_kb: int | None = None        # the simulator's (python3 -m tools.simnet, the bot's child)
    sim_fds: int | None = None
    log_id: FileId | None = None         # logs/<market>.log
    log_bytes: int | None = None
    journal_id: FileId | None = None     # performance/<market>-events.jsonl
    journal_bytes: int | None = None

    def row(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Bounds:
    """What "flat after warm-up" allows."""
    rss_growth_mib: float = 10.0          # the end's RSS over the warm-up end's
    fd_growth: int = 2                   # the end's open FDs over the warm-up end's: a pooled connection or
                                         # two opening later is no leak; a leak adds one per event, and a
                                         # rotated file held open is caught on its own (held_rotated)


@dataclass(frozen=True)
class Trend:
    at_warmup_end: float | None
    at_end: float | None
    max: float | None
    slope_per_hour: float | None         # after warm-up
    samples: int                         # after warm-up

    @property
    def growth(self) -> float | None:
        if self.at_warmup_end is None or self.at_end is None:
            return None
        return self.at_end - self.at_warmup_end

    def figures(self, places: int = 2) -> dict:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, places)
        return {"at_warmup_end": r(self.at_warmup_end), "at_end": r(self.at_end), "growth": r(self.growth),
                "max": r(self.max), "slope_per_hour": r(self.slope_per_hour), "samples_after_warmup": self.samples}


def slope_per_hour(points: Sequence[tuple[float, float]]) -> float | None:
    """Least squares slope of (seconds, value) points, in value per hour; None under two distinct times."""
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread * 3600


def trend(points: Iterable[tuple[float, float | None]], warmup: float, window: float = WINDOW) -> Trend:
    """The series after ``warmup`` seconds: medians of its first and last ``window`` (at most a quarter of
    what is left after warm-up each), its max and slope. Points whose value is None are left out."""
    after = [(t, float(v)) for t, v in points if v is not None and t >= warmup]
    if not after:
        return Trend(None, None, None, None, 0)
    first, last = after[0][0], after[-1][0]
    span = min(window, (last - first) / 4)
    start = [v for t, v in after if t <= first + span]
    end = [v for t, v in after if t >= last - span]
    return Trend(statistics.median(start), statistics.median(end), max(v for _, v in after),
                 slope_per_hour(after), len(after))


def rotations(ids: Iterable[FileId | None]) -> int:
    """How many times a file was replaced under its name: changes between successive ids seen (a missing
    file, None, is neither a rotation nor forgets the last id)."""
    count, last = 0, None
    for file_id in ids:
        if file_id is None:
            continue
        if last is not None and file_id != last:
            count += 1
        last = file_id
    return count


def rotated_names(names: Iterable[str], live: str) -> list[str]:
    """The rotated copies of ``live`` among ``names`` (``avax.log.1`` ... for ``avax.log``), newest first."""
    prefix = live + "."
    found = [n for n in names if n.startswith(prefix) and n[len(prefix):].isdigit()]
    return sorted(found, key=lambda n: int(n[len(prefix):]))


@dataclass(frozen=True)
class Judgement:
    rss_mib: Trend
    fds: Trend
    log_rotations: int
    journal_rotations: int
    held_rotated: int                    # most rotated or deleted files the bot held open at once
    exit_code: int | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def judge(samples: Sequence[Sample], warmup: float, bounds: Bounds, exit_code: int | None,
          window: float = WINDOW) -> Judgement:
    rss = trend(((s.t, None if s.rss_kb is None else s.rss_kb / 1024) for s in samples), warmup, window)
    fds = trend(((s.t, s.fds) for s in samples), warmup, window)
    log_turns = rotations(s.log_id for s in samples)
    journal_turns = rotations(s.journal_id for s in samples)
    held = max((s.held_rotated for s in samples), default=0)
    problems = []
    if exit_code != 0:
        problems.append(f"the bot exited with {exit_code}")
    if rss.growth is None or fds.growth is None:
        problems.append(f"no sample after the {warmup:g} s warm-up")
    else:
        if rss.growth > bounds.rss_growth_mib:
            problems.append(f"RSS grew {rss.growth:.1f} MiB after warm-up ({rss.at_warmup_end:.1f} -> "
                            f"{rss.at_end:.1f} MiB; bound {bounds.rss_growth_mib:g} MiB)")
        if fds.growth > bounds.fd_growth:
            problems.append(f"open FDs grew by {fds.growth:g} after warm-up ({fds.at_warmup_end:g} -> "
                            f"{fds.at_end:g}; bound {bounds.fd_growth})")
    if held:
        problems.append(f"the bot held {held} rotated or deleted file(s) open")
    if log_turns + journal_turns == 0:
        problems.append("neither the log nor the event journal rotated")
    return Judgement(rss, fds, log_turns, journal_turns, held, exit_code, problems)


def verdict_line(j: Judgement, bounds: Bounds = Bounds()) -> str:
    """One line: what failed, or the figures that kept within the bounds."""
    if j.problems:
        return "soak: FAILED: " + "; ".join(j.problems)
    rss, slope = j.rss_mib, j.rss_mib.slope_per_hour
    return (f"soak: within bounds after warm-up: RSS {rss.at_warmup_end:.1f} -> {rss.at_end:.1f} MiB "
            f"({rss.growth:+.1f} MiB, {'n/a' if slope is None else f'{slope:+.2f}'} MiB/h; bound "
            f"{bounds.rss_growth_mib:g} MiB), open FDs {j.fds.at_warmup_end:g} -> {j.fds.at_end:g} (bound "
            f"+{bounds.fd_growth}), log rotated {j.log_rotations}x, journal {j.journal_rotations}x")
