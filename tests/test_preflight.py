"""--check against simnet in each state a live venue can be in: the right row fails, and the exit status."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest
from eth_account import Account

from bot import preflight, settings
from bot.preflight.rows import FAIL, OK, WARN
from bot.sim_launcher import endpoints_from_ready, throwaway_credentials
from tests.engine_harness import FAST, start_net
from tests.helpers import MAIN, clean_env, run_main  # noqa: F401


@pytest.fixture
def sim():
    net, ready = start_net(scenario="default")
    yield net, ready
    net.stop()


def market(hedge: str = "hyperliquid"):
    return settings.load("AVAX", [*FAST, f"hedge={hedge}"])


async def check(ready, hedge="hyperliquid", creds=None):
    creds = creds or throwaway_credentials("AVAX", ready)
    rows = await preflight.run_checks(market(hedge), creds, endpoints_from_ready(ready))
    return rows, preflight.report(rows)[1]


def row(rows, area, name):
    return next(r for r in rows if r.area == area and r.check == name)


@pytest.mark.parametrize("hedge", ["hyperliquid", "binance"])
async def test_a_healthy_setup_has_no_failure(sim, hedge):
    _, ready = sim
    rows, status = await check(ready, hedge)
    assert status == 0 and not [r for r in rows if r.status == FAIL], preflight.report(rows)[0]
    assert row(rows, "feed", "mid price").status == OK and row(rows, "positions", "both venues").status == OK


async def hubble_state(net, action, **params):
    await asyncio.to_thread(net.control, "hubble", action, **params)


@pytest.mark.parametrize("state, area, name, words", [
    ("settled", "hubble", "market", "settled"),
    ("unfunded", "hubble", "margin account", "trader not found"),
    ("no referrer", "hubble", "referrer", "invites are restricted"),
    ("no gas", "hubble", "gas (native USDC)", "has none"),
])
async def test_hubble_states_that_stop_a_live_run_fail_their_row(sim, state, area, name, words):
    net, ready = sim
    creds = throwaway_credentials("AVAX", ready)
    trader = Account.from_key(creds.hubble_private_key.reveal()).address
    if state == "settled":
        await hubble_state(net, "settle")
    elif state == "unfunded":
        await hubble_state(net, "unfund", trader=trader)
    elif state == "no referrer":
        await hubble_state(net, "referral", restricted=True)
    else:
        await hubble_state(net, "set_gas_balance", trader=trader, amount=0)
    rows, status = await check(ready, creds=creds)
    found = row(rows, area, name)
    assert status == 78 and found.status == FAIL and words in found.found and found.action, found


async def test_a_binance_account_in_hedge_mode_fails(sim):
    net, ready = sim
    await asyncio.to_thread(net.control, "binance", "set_position_mode", mode="hedge")
    rows, status = await check(ready, "binance")
    assert status == 78 and "Hedge Mode" in row(rows, "binance", "credentials").found


async def test_a_hyperliquid_key_that_is_not_the_traders_api_wallet_fails(sim):
    _, ready = sim
    creds = dataclasses.replace(throwaway_credentials("AVAX", ready),
                                hyperliquid_trader=throwaway_credentials("AVAX", ready).hyperliquid_trader)
    rows, status = await check(ready, creds=creds)
    assert status == 78 and "not an API wallet" in row(rows, "hyperliquid", "credentials").found


@pytest.mark.parametrize("skew_ms, expected", [(1500, WARN), (8000, FAIL)])
async def test_clock_skew_against_binance(sim, skew_ms, expected):
    net, ready = sim
    await asyncio.to_thread(net.control, "binance", "set_flag", name="clock_skew_ms", value=skew_ms)
    rows, _ = await check(ready, "binance")
    assert row(rows, "binance", "clock").status == expected


@pytest.mark.slow
async def test_a_price_feed_silent_on_its_route_fails(sim):
    net, ready = sim
    await asyncio.to_thread(net.control, "binance", "stall", stream="avaxusdt@bookTicker")
    rows, status = await check(ready)
    assert status == 78 and row(rows, "feed", "mid price").status == FAIL


def test_main_check_prints_the_table_and_exits_0_on_the_simulator(tmp_path):
    result = run_main(["AVAX", "--sim", "--check"], tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "0 FAIL" in result.stdout and "positions" in result.stdout


@pytest.mark.parametrize("maker, hedge", [("hyperliquid", "binance"), ("binance", "hyperliquid")])
async def test_a_maker_venue_other_than_hubble_gets_its_own_rows_and_no_hubble_row(sim, maker, hedge):
    net, ready = sim
    s = settings.load("AVAX", [*FAST, f"maker={maker}", f"hedge={hedge}"])
    rows = await preflight.run_checks(s, throwaway_credentials("AVAX", ready), endpoints_from_ready(ready))
    assert preflight.report(rows)[1] == 0, preflight.report(rows)[0]
    assert not [r for r in rows if r.area == "hubble"]
    assert row(rows, maker, "reachable").status == OK and "post-only" in row(rows, maker, "maker quotes").found
    assert row(rows, hedge, "reachable").status == OK
    assert row(rows, "positions", "both venues").found == f"{maker} 0, {hedge} 0: net 0"


def test_main_refuses_a_maker_that_is_also_the_hedge_venue_in_one_line(tmp_path):
    result = run_main(["AVAX", "--sim", "--check", "--set", "maker=binance", "--set", "hedge=binance"], tmp_path,
                      timeout=60)
    assert result.returncode == 78
    lines = [line for line in result.stderr.splitlines() if "maker" in line]
    assert len(lines) == 1 and "also the hedge venue" in lines[0], result.stderr
