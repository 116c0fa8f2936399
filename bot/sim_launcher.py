"""--sim: start tools/simnet in a child process and derive endpoints and throwaway keys from its ready line."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
from pathlib import Path

from eth_account import Account

from bot.credentials import Credentials, Secret
from bot.settings import MarketSettings

log = logging.getLogger("sim")
ROOT = Path(__file__).resolve().parents[1]   # the repository root (python -m tools.simnet runs from there)
READY_TIMEOUT = 60.0
# A maker venue other than Hubble gets simulated takers and a book wide enough that the bot's quotes are its
# touch (a model of a less liquid market: simnet's Hyperliquid and Binance books are 1 bp wide by default, and
# quotes priced to earn after the hedge's taker fee would rest behind them and never fill).
MAKER_FLOW = {"hyperliquid": ["taker_rate=2", "spread_bps=30"], "binance": ["taker_rate=2", "maker_spread_bps=30"]}


def endpoints_from_ready(ready: dict) -> dict[str, str]:
    return {
        "HUBBLE_ENV": ready["hubble_env"], "HUBBLE_RPC": ready["hubble_rpc"], "HUBBLE_WS_RPC": ready["hubble_ws"],
        "HUBBLE_INDEXER_API_URL": ready["hubble_indexer"], "HYPERLIQUID_API_URL": ready["hyperliquid_url"],
        "BINANCE_FUTURES_REST": ready["binance_futures_rest"], "BINANCE_FUTURES_WS": ready["binance_futures_ws"],
        "BINANCE_SPOT_REST": ready["binance_spot_rest"], "BINANCE_SPOT_WS": ready["binance_spot_ws"],
    }


def throwaway_credentials(market: str, ready: dict) -> Credentials:
    """Fresh random keys (the simulator funds any account on first sight) and its Binance key pair."""
    hubble_key = "0x" + secrets.token_hex(32)
    hyperliquid_key = "0x" + secrets.token_hex(32)
    return Credentials(
        hubble_private_key=Secret(f"{market}_PRIVATE_KEY", hubble_key),
        hyperliquid_trader=Account.from_key(hyperliquid_key).address,
        hyperliquid_private_key=Secret("HYPERLIQUID_PRIVATE_KEY", hyperliquid_key),
        binance_api_key=Secret("BINANCE_API_KEY", ready["binance_api_key"]),
        binance_secret_key=Secret("BINANCE_SECRET_KEY", ready["binance_api_secret"]),
    )


class Simulator:
    """``async with Simulator(settings) as sim``: sim.endpoints, sim.credentials, sim.ready."""

    def __init__(self, settings: MarketSettings, seed: int = 1, extra_args: list[str] | None = None,
                 log_path: Path | None = None):
        self.settings = settings
        self.args = ["--seed", str(seed), *maker_flow_args(settings.maker, extra_args or []), *(extra_args or [])]
        self.log_path = log_path or Path("logs") / "simnet.log"
        self.process: asyncio.subprocess.Process | None = None
        self.ready: dict = {}

    async def __aenter__(self) -> "Simulator":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")
        # Its own session: a terminal's Ctrl-C goes to the whole foreground process group, and the simulator
        # must outlive the bot's clean stop (cancels confirmed, final positions read); the bot ends it after.
        # It still dies with the bot if the bot is killed outright (PR_SET_PDEATHSIG, Linux).
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tools.simnet", *self.args, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=self._log_file, start_new_session=True,
            preexec_fn=_die_with_parent)
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), READY_TIMEOUT)
            self.ready = json.loads(line)
        except (asyncio.TimeoutError, json.JSONDecodeError) as exc:
            await self._terminate()
            raise RuntimeError(f"the simulator did not start ({type(exc).__name__}); see {self.log_path}") from None
        self.endpoints = endpoints_from_ready(self.ready)
        self.credentials = throwaway_credentials(self.settings.market, self.ready)
        log.info("simulator up (seed %s, scenario %s): Hubble %s, hedge venue %s", self.ready.get("seed"),
                 self.ready.get("scenario"), self.endpoints["HUBBLE_RPC"],
                 self.endpoints["HYPERLIQUID_API_URL" if self.settings.hedge == "hyperliquid" else "BINANCE_FUTURES_REST"])
        return self

    async def __aexit__(self, *exc) -> None:
        await self._terminate()

    async def _terminate(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._log_file.close()


def maker_flow_args(maker: str, extra_args: list[str]) -> list[str]:
    """simnet --set options for the maker venue's flow (MAKER_FLOW), before the user's own --sim-arg ones (which
    win); none with the quiet scenario, whose point is that tests make every fill."""
    if "quiet" in " ".join(extra_args):
        return []
    return [arg for option in MAKER_FLOW.get(maker, []) for arg in ("--set", f"{maker}.{option}")]


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG; no-op elsewhere)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
