"""A killed bot's quotes on a maker venue whose quotes rest until cancelled (Hyperliquid, Binance).

main.py as users run it (live mode, keys from the environment) against tools/simnet, killed with SIGKILL
while its quotes rest. Two things must bound them: the venue's dead-man switch, which the bot keeps armed
(``deadManSeconds``), and the next start, which cancels what an earlier run left before it quotes. What
rests is asked of the venue (openOrders), never of the bot.
"""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from eth_account import Account

from bot.sim_launcher import endpoints_from_ready
from tests.engine_harness import start_net
from tests.helpers import MAIN, clean_env
from tests.maker_venue_helpers import PAIRS, resting_quotes

pytestmark = pytest.mark.slow           # started first by tests/conftest.py

HL_KEY = "0x" + "6b" * 31 + "03"
FAST = ["--set", "orderFrequency=1", "--set", "hubblePositionPollInterval=0.5", "--set", "position_data_expiry=3",
        "--set", "hedgeClient_user_state_frequency=1", "--set", "orderFillCooldown=0"]
MAKER = pytest.mark.parametrize("maker,hedge,market", PAIRS, ids=[f"{m}-{h}" for m, h, _ in PAIRS])


def _env(ready: dict) -> dict[str, str]:
    return clean_env(**endpoints_from_ready(ready), HYPERLIQUID_TRADER=Account.from_key(HL_KEY).address,
                     HYPERLIQUID_PRIVATE_KEY=HL_KEY, BINANCE_API_KEY=ready["binance_api_key"],
                     BINANCE_SECRET_KEY=ready["binance_api_secret"])


class _Creds:
    hyperliquid_trader = Account.from_key(HL_KEY).address


def _args(market: str, maker: str, hedge: str, dead_man: int) -> list[str]:
    return [sys.executable, str(MAIN), market, *FAST, "--set", f"maker={maker}", "--set", f"hedge={hedge}",
            "--set", f"deadManSeconds={dead_man}"]


def _poll(predicate, timeout: float, what: str) -> None:
    """wait_until at the pace of a venue client: openOrders weighs 20 of Hyperliquid's 1200 a minute."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def _ids(ready: dict, maker: str, market: str) -> set:
    return {str(o.get("oid") or o.get("orderId")) for o in resting_quotes(ready, maker, _Creds, market)}


def _kill_while_quoting(tmp_path, ready: dict, maker: str, hedge: str, market: str, dead_man: int) -> set:
    """Start the bot, wait for its quotes on the venue, SIGKILL it; the ids of what rested."""
    first = subprocess.Popen(_args(market, maker, hedge, dead_man), cwd=tmp_path, env=_env(ready),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _poll(lambda: _ids(ready, maker, market), 60, "first quotes on the venue")
        left = _ids(ready, maker, market)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    return left


@MAKER
def test_the_venue_cancels_a_killed_bots_quotes_when_its_dead_man_switch_runs_out(tmp_path, maker, hedge, market):
    net, ready = start_net()
    try:
        left = _kill_while_quoting(tmp_path, ready, maker, hedge, market, dead_man=5)
        assert left and left <= _ids(ready, maker, market) | left          # they rested when it died
        _poll(lambda: not _ids(ready, maker, market), 15, "the venue's dead-man switch")
    finally:
        net.stop()


@MAKER
def test_the_next_start_cancels_what_a_killed_run_left_resting(tmp_path, maker, hedge, market):
    net, ready = start_net()
    try:
        left = _kill_while_quoting(tmp_path, ready, maker, hedge, market, dead_man=300)
        assert left and left <= _ids(ready, maker, market)              # still resting after the kill
        second = subprocess.run([*_args(market, maker, hedge, 300), "--duration", "5"], cwd=tmp_path,
                                env=_env(ready), capture_output=True, text=True, timeout=120)
        out = second.stdout + second.stderr
        assert second.returncode == 0, out[-3000:]
        assert "from an earlier run: cancelling them" in out
        assert not left & _ids(ready, maker, market)
        assert not _ids(ready, maker, market)                           # and the second run left nothing
    finally:
        net.stop()


@MAKER
def test_a_run_killed_with_a_fill_unhedged_is_reconciled_at_the_next_start(tmp_path, maker, hedge, market):
    """The hedge venue refuses every order, a taker fills a quote, the bot is killed while its hedge retries:
    the next start finds the difference between the venues and hedges it before quoting."""
    from tests.maker_venue_helpers import flow_options, maker_position, venue_lot
    from tests.venue_positions import hedge_position

    # every taker sells into our bids, so fills add up rather than net out
    net, ready = start_net(scenario="default", **flow_options(maker, taker_rate=3.0, taker_buy_share=0.0))
    try:
        first = subprocess.Popen(_args(market, maker, hedge, 300), cwd=tmp_path, env=_env(ready),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _poll(lambda: _ids(ready, maker, market), 60, "first quotes on the venue")
            net.control(hedge, "reject_orders", count=10 ** 6)            # no hedge gets through
            armed = maker_position(ready, maker, _Creds, market)
            _poll(lambda: maker_position(ready, maker, _Creds, market) != armed, 60, "a fill after that")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        net.control(hedge, "reject_orders", count=0)
        unhedged = maker_position(ready, maker, _Creds, market) + hedge_position(ready, hedge, _Creds, market)
        assert unhedged != 0
        second = subprocess.run([*_args(market, maker, hedge, 300), "--duration", "5"], cwd=tmp_path,
                                env=_env(ready), capture_output=True, text=True, timeout=120)
        out = second.stdout + second.stderr
        assert second.returncode == 0, out[-3000:]
        assert "RECONCILER" in out
        net_after = maker_position(ready, maker, _Creds, market) + hedge_position(ready, hedge, _Creds, market)
        assert abs(net_after) < venue_lot(ready, hedge, market), net_after
    finally:
        net.stop()
