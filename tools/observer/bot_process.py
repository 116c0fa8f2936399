"""The bot as users run it in live mode: its own process and working directory, keys and endpoints in the
environment (as tests/test_live_process.py starts it), stopped with SIGTERM."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

from bot.sim_launcher import endpoints_from_ready

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "main.py"
SECRET_NAMES = ("AVAX_PRIVATE_KEY", "ETH_PRIVATE_KEY", "SOL_PRIVATE_KEY", "HYPERLIQUID_TRADER",
                "HYPERLIQUID_PRIVATE_KEY", "BINANCE_API_KEY", "BINANCE_SECRET_KEY",
                "ALERT_WEBHOOK_URL", "ALERT_TELEGRAM_CHAT_ID", "ALERT_WEBHOOK_FORMAT")   # an observed run alerts no one
STOP_TIMEOUT = 40.0          # the bot promises a clean stop within 25 s


@dataclass(frozen=True)
class Keys:
    """Throwaway keys for one run (simnet funds any new account); never written anywhere."""
    hubble: str
    hyperliquid: str

    @classmethod
    def fresh(cls) -> "Keys":
        return cls("0x" + secrets.token_hex(32), "0x" + secrets.token_hex(32))

    @property
    def hubble_trader(self) -> str:
        return Account.from_key(self.hubble).address

    @property
    def hyperliquid_user(self) -> str:
        return Account.from_key(self.hyperliquid).address

    def __repr__(self) -> str:
        return "Keys(<redacted>)"


def bot_environment(ready: dict, market: str, keys: Keys) -> dict[str, str]:
    """This process's environment without any secret or endpoint variable, plus simnet's."""
    endpoints = endpoints_from_ready(ready)
    env = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES and k not in endpoints}
    env.update(endpoints)
    env.update({f"{market}_PRIVATE_KEY": keys.hubble, "HYPERLIQUID_TRADER": keys.hyperliquid_user,
                "HYPERLIQUID_PRIVATE_KEY": keys.hyperliquid, "BINANCE_API_KEY": ready["binance_api_key"],
                "BINANCE_SECRET_KEY": ready["binance_api_secret"]})
    return env


class BotProcess:
    """``python main.py MARKET --set maker=M --set hedge=H --set ...`` in ``workdir``, output to
    ``workdir/bot.out``."""

    def __init__(self, market: str, hedge: str, settings: list[str], env: dict[str, str], workdir: Path,
                 maker: str = "hubble"):
        self.args = [sys.executable, str(MAIN), market, "--set", f"maker={maker}", "--set", f"hedge={hedge}"]
        for item in settings:
            self.args += ["--set", item]
        self.env, self.workdir = env, workdir
        self.output = workdir / "bot.out"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(self.args, cwd=self.workdir, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, then wait for the clean exit; killed (and None returned) if it does not come."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            return None

    def output_tail(self, lines: int = 30) -> list[str]:
        try:
            return self.output.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []
