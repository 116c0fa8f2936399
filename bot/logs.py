"""Logging: timestamped lines to stdout and logs/<market>.log (rotated, bot/reporting/rotation.py), secrets masked.

Every handler uses ``RedactingFormatter``, which replaces any registered secret
value in the final text (message, arguments and traceback alike) with ``***``.
Uncaught exceptions in the main thread and in worker threads go through the
same handlers, so a traceback can never print a key either.
"""
from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path

from bot.reporting.rotation import log_handler

_SECRETS: set[str] = set()
_pattern: re.Pattern[str] | None = None
FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def redact(value: str) -> None:
    """Register a secret value (and its 0x-less / 0x form) to be masked in every log line."""
    global _pattern
    if value and len(value) >= 8:
        _SECRETS.add(value.removeprefix("0x").removeprefix("0X"))
        alternatives = sorted(_SECRETS, key=len, reverse=True)
        _pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)


def scrub(text: str) -> str:
    """`text` with every registered secret (in any letter case) replaced by ***."""
    return _pattern.sub("***", text) if _pattern is not None else text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def setup(market: str, level: str = "INFO", log_dir: Path = Path("logs"), rotation: str = "50MB",
          backups: int = 10) -> Path:
    """Configure the root logger; return the log file path (rotated at `rotation`, `backups` kept)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{market.lower()}.log"
    formatter = RedactingFormatter(FORMAT, DATE_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout), log_handler(path, rotation, backups)]
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("websockets", "urllib3", "asyncio", "web3", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    _route_uncaught_exceptions()
    return path


def _route_uncaught_exceptions() -> None:
    log = logging.getLogger("uncaught")

    def main_hook(kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.critical("uncaught %s: %s", kind.__name__, value, exc_info=(kind, value, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.critical("uncaught %s in thread %s: %s", args.exc_type.__name__,
                     getattr(args.thread, "name", "?"), args.exc_value,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = main_hook
    threading.excepthook = thread_hook
