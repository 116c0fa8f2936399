"""Rotation of the files a long-running bot writes: logs/<market>.log and the event journal.

A bot under pm2 runs for weeks, so both move aside at a size ("50MB") or at
each UTC midnight ("daily") and at most ``backups`` old files are kept
(``<name>.1`` the newest). The log uses the standard library's rotating
handlers; the journal, written by a worker thread, rotates the same way
before each append (``FileRotation``).
"""
from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import os
from pathlib import Path

MB = 1024 * 1024


def size_limit(rotation: str) -> int | None:
    """Bytes at which a file rotates, or None for "daily"."""
    return None if rotation == "daily" else int(rotation.removesuffix("MB")) * MB


def log_handler(path: Path, rotation: str, backups: int) -> logging.Handler:
    limit = size_limit(rotation)
    if limit is None:
        return logging.handlers.TimedRotatingFileHandler(path, when="midnight", utc=True, backupCount=backups)
    return logging.handlers.RotatingFileHandler(path, maxBytes=limit, backupCount=backups)


def rotated(path: Path, backups: int) -> list[Path]:
    """The rotated copies of `path` that exist, oldest first (``.N`` ... ``.1``)."""
    return [p for p in (path.with_name(f"{path.name}.{n}") for n in range(backups, 0, -1)) if p.exists()]


class FileRotation:
    """Moves `path` aside when it is due (before an append): `path` -> `path`.1 -> ... -> `path`.<backups>."""

    def __init__(self, path: Path, rotation: str = "50MB", backups: int = 10):
        self.path = path
        self.limit = size_limit(rotation)
        self.backups = backups

    def due(self, adding: int = 0) -> bool:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return False
        if self.limit is not None:
            return stat.st_size > 0 and stat.st_size + adding > self.limit
        written = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).date()
        return written < dt.datetime.now(dt.timezone.utc).date()

    def rotate(self) -> None:
        oldest = self.path.with_name(f"{self.path.name}.{self.backups}")
        if oldest.exists():
            oldest.unlink()
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{n + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
