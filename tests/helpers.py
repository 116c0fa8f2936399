"""Shared test helpers: run main.py as a user would, with a clean environment."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
SECRET_NAMES = ("AVAX_PRIVATE_KEY", "ETH_PRIVATE_KEY", "SOL_PRIVATE_KEY", "HYPERLIQUID_TRADER",
                "HYPERLIQUID_PRIVATE_KEY", "BINANCE_API_KEY", "BINANCE_SECRET_KEY", "ALERT_WEBHOOK_URL",
                "ALERT_TELEGRAM_CHAT_ID", "ALERT_WEBHOOK_FORMAT")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any secret or endpoint variable, plus `extra`."""
    import config

    env = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES and k not in config.ENDPOINTS}
    env.update(extra)
    return env


def run_main(args: list[str], cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `python main.py ARGS` in `cwd` (so logs/ and .env.secret are the test's own)."""
    return subprocess.run([sys.executable, str(MAIN), *args], cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, timeout=timeout)


async def eventually(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Wait until predicate() is true: a bounded loop of short sleeps (no sleep used as a barrier)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def wait_until(predicate, timeout: float, what: str) -> None:
    """The same, for code that waits outside an event loop (a helper thread, a process being watched)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
