"""Reads of a running process through /proc (Linux), and of the files it writes: one ``Sample`` a call."""
from __future__ import annotations

import os
from pathlib import Path

from tools.soak.judge import FileId, Sample, rotated_names

SIMULATOR = "tools.simnet"          # in the command line of the bot's simulator child


def rss_kb(pid: int) -> int | None:
    """VmRSS of ``pid`` in kB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def fd_targets(pid: int) -> list[str] | None:
    """What each open file descriptor of ``pid`` points at (a path, socket:[...], pipe:[...]); None once gone."""
    base = Path(f"/proc/{pid}/fd")
    try:
        names = os.listdir(base)
    except OSError:
        return None
    targets = []
    for name in names:
        try:
            targets.append(os.readlink(base / name))
        except OSError:        # closed between the listing and the read
            pass
    return targets


def held_rotated(targets: list[str], directory: Path) -> int:
    """Of ``targets``, files under ``directory`` that were rotated (``name.N``) or deleted."""
    inside = [t for t in targets if t.startswith(str(directory) + os.sep)]
    return sum(1 for t in inside if t.endswith(" (deleted)") or t.rpartition(".")[2].isdigit())


def child(pid: int, marker: str = SIMULATOR) -> int | None:
    """The child of ``pid`` whose command line holds ``marker``."""
    try:
        children = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                    for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except (OSError, ValueError):
        return None
    for c in children:
        try:
            if marker in Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                return c
        except OSError:
            continue
    return None


def file_state(path: Path) -> tuple[FileId | None, int | None]:
    try:
        st = path.stat()
    except OSError:
        return None, None
    return (st.st_dev, st.st_ino), st.st_size


class Probe:
    """Samples the bot ``pid`` that runs in ``directory`` for ``market``."""

    def __init__(self, pid: int, directory: Path, market: str):
        self.pid = pid
        self.directory = directory.resolve()
        self.log = self.directory / "logs" / f"{market.lower()}.log"
        self.journal = self.directory / "performance" / f"{market.lower()}-events.jsonl"
        self.simulator: int | None = None

    def sample(self, t: float) -> Sample:
        if self.simulator is None or rss_kb(self.simulator) is None:
            self.simulator = child(self.pid)
        targets = fd_targets(self.pid)
        sim = self.simulator
        sim_fds = None if sim is None else fd_targets(sim)
        log_id, log_bytes = file_state(self.log)
        journal_id, journal_bytes = file_state(self.journal)
        return Sample(t=round(t, 2), rss_kb=rss_kb(self.pid), fds=None if targets is None else len(targets),
                      held_rotated=0 if targets is None else held_rotated(targets, self.directory),
                      sim_rss_kb=None if sim is None else rss_kb(sim),
                      sim_fds=None if sim_fds is None else len(sim_fds),
                      log_id=log_id, log_bytes=log_bytes, journal_id=journal_id, journal_bytes=journal_bytes)

    def rotated_files(self) -> dict[str, list[str]]:
        """The rotated copies beside the log and the journal, now."""
        def beside(live: Path) -> list[str]:
            return rotated_names(os.listdir(live.parent), live.name) if live.parent.exists() else []
        return {"log": beside(self.log), "journal": beside(self.journal)}
