"""main.py as users run it (live mode, keys from the environment) against tools/simnet.

One scenario covers two promises: a kill in the middle of a hedge is
reconciled at the next start, and secret values never reach any output
(stdout, stderr, log file, performance CSV, summary).
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys

from eth_account import Account

import pytest

from bot.sim_launcher import endpoints_from_ready
from tests.venue_positions import hubble_position, hyperliquid_position
from tests.engine_harness import start_net
from tests.helpers import MAIN, clean_env, wait_until

pytestmark = pytest.mark.slow           # started first by tests/conftest.py

HUBBLE_KEY = "0x" + "5e" * 31 + "01"
HL_KEY = "0x" + "7a" * 31 + "02"
FAST = ["--set", "orderFrequency=1", "--set", "orderExpiry=2", "--set", "orderFillCooldown=0",
        "--set", "hubblePositionPollInterval=0.5", "--set", "position_data_expiry=3",
        "--set", "hubble_orderbook_frequency=200ms", "--set", "hedgeClient_user_state_frequency=1"]


def live_env(ready: dict) -> dict[str, str]:
    return clean_env(**endpoints_from_ready(ready), AVAX_PRIVATE_KEY=HUBBLE_KEY,
                     HYPERLIQUID_TRADER=Account.from_key(HL_KEY).address, HYPERLIQUID_PRIVATE_KEY=HL_KEY)


def accepts_connections(url: str) -> bool:
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=0.2).close()
        return True
    except OSError:
        return False


def hubble_account(net, trader: str) -> dict:
    return net.control("hubble", "account", trader=trader)


def resting(net, trader: str) -> list:
    """The trader's quotes that can still match, as the simulated node holds them."""
    return net.control("hubble", "orders", trader=trader)["orders"]


def position(account: dict) -> float:
    return sum(float(p["size"]) for p in account.get("positions") or [] if int(p["market"]) == 1)


def test_kill_mid_hedge_then_restart_reconciles_and_no_secret_is_ever_printed(tmp_path):
    net, ready = start_net()
    trader = Account.from_key(HUBBLE_KEY).address
    env = live_env(ready)
    outputs = []
    try:
        first = subprocess.Popen([sys.executable, str(MAIN), "AVAX", *FAST], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: resting(net, trader), 60, "first quotes")
            net.control("hyperliquid", "refuse", seconds=4)          # the hedge cannot get through
            net.control("hubble", "take", market=1, side="sell", size=3)
            wait_until(lambda: position(hubble_account(net, trader)) == 3, 10, "the fill")
            first.send_signal(signal.SIGKILL)                        # killed while the hedge retries
        finally:
            if first.poll() is None:
                first.kill()
            outputs += first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL

        wait_until(lambda: accepts_connections(ready["hyperliquid_url"]), 15, "the hedge venue back")
        second = subprocess.run([sys.executable, str(MAIN), "AVAX", *FAST, "--duration", "6",
                                 "--summary-json", "summary.json"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        outputs += [second.stdout, second.stderr]
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        assert "RECONCILER" in second.stdout and "hedging -3" in second.stdout
        assert hubble_position(net, trader) == 3                      # the venues themselves
        assert hyperliquid_position(ready, Account.from_key(HL_KEY).address) == -3
        summary = json.loads((tmp_path / "summary.json").read_text())
        assert summary["final_net_delta"]["base"] == 0
        assert summary["reconciliation_volume"] == 3 and summary["hedges"]["count"] == 0
    finally:
        net.stop()

    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "avax.log" for p in tmp_path.rglob("*")) and any(p.suffix == ".csv" for p in tmp_path.rglob("*"))
    everything = "\n".join(outputs + files).lower()
    for secret in (HUBBLE_KEY, HL_KEY):
        assert secret[2:].lower() not in everything


def test_a_restart_after_a_kill_clears_the_quotes_the_killed_run_left_resting(tmp_path):
    """Quotes of 30 s outlive a SIGKILL; the next start cancels them before quoting (asked of the node)."""
    net, ready = start_net()
    trader = Account.from_key(HUBBLE_KEY).address
    env, slow = live_env(ready), [*FAST, "--set", "orderExpiry=30"]
    try:
        first = subprocess.Popen([sys.executable, str(MAIN), "AVAX", *slow], cwd=tmp_path, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: resting(net, trader), 60, "first quotes")
            left = {o["id"] for o in resting(net, trader)}
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        assert left <= {o["id"] for o in resting(net, trader)}        # still resting after the kill
        second = subprocess.Popen([sys.executable, str(MAIN), "AVAX", *slow, "--duration", "30"], cwd=tmp_path,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_until(lambda: not left & {o["id"] for o in resting(net, trader)}, 25, "the killed run's quotes gone")
            wait_until(lambda: {o["id"] for o in resting(net, trader)} - left, 25, "the new run quoting")
        finally:
            second.terminate()
            out, _ = second.communicate(timeout=60)
        assert "quotes of an earlier run may still rest" in out and "no quote of an earlier run is left" in out
        assert second.returncode == 0, out[-3000:]
    finally:
        net.stop()
