"""HyperliquidHedgeClient against the simulated Hyperliquid venue (real wire protocol)."""
from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import urllib.request
from decimal import Decimal as D

import eth_account
import pytest

import config
from bot import settings as settings_mod
from bot.venues import hedge_base
from bot.credentials import Credentials, Secret

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tools.simnet.hyperliquid") is None,
                                reason="simulated Hyperliquid venue (tools/simnet/hyperliquid) not present")

from hedge_client import HedgeError, HedgeSetupError, create  # noqa: E402
from tools.simnet.core import SimConfig, SimNet  # noqa: E402
from tests.helpers import eventually as wait_for

KEY = "0x" + "4c" * 32
WALLET = eth_account.Account.from_key(KEY)


def make_settings(market: str = "AVAX", **overrides):
    raw = dict(config.MARKETS[market])
    raw.update({"hedge": "hyperliquid", "hedgeClient_orderbook_frequency": 30,
                "hedgeClient_user_state_frequency": 30})
    raw.update(overrides)
    return settings_mod.validate(market, raw)


def creds(trader: str = WALLET.address, key: str = KEY) -> Credentials:
    return Credentials(hubble_private_key=Secret("AVAX_PRIVATE_KEY", "0x" + "11" * 32),
                       hyperliquid_trader=trader, hyperliquid_private_key=Secret("HYPERLIQUID_PRIVATE_KEY", key))


@pytest.fixture
def net():
    sim = SimNet(SimConfig(seed=3, venues=("hyperliquid",), autotick=False,
                           venue_options={"hyperliquid": {"accounts": [WALLET.address]}}))
    ready = sim.start()
    sim.url = ready["hyperliquid_url"]
    yield sim
    sim.stop()


def info(net, body):
    request = urllib.request.Request(net.url + "/info", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as resp:   # the test's own check, off the client
        return json.loads(resp.read())


@pytest.fixture
async def client(net):
    fatal_messages: list[str] = []
    c = create(make_settings(), creds(), {"HYPERLIQUID_API_URL": net.url}, fatal_messages.append)
    c.fatal_messages = fatal_messages
    await c.start()
    yield c
    await c.stop()


async def venue_state(net):
    return await asyncio.to_thread(info, net, {"type": "clearinghouseState", "user": WALLET.address})


async def test_start_reads_book_and_account_and_sets_leverage(client, net):
    assert client.uptime.is_set()
    bid, ask = client.best_bid_ask()
    assert bid is not None and ask is not None and bid < ask
    assert client.position == 0 and client.free_margin > 0
    await client.hedge(D("1"))
    state = await venue_state(net)
    assert state["assetPositions"][0]["position"]["leverage"]["value"] == 5


async def test_buy_hedge_for_a_hubble_short_fill(client, net):
    _, ask = client.best_bid_ask()
    result = await client.hedge(D("3"))          # Hubble sold 3 AVAX -> buy 3 here
    assert result.requested == D("3") and result.filled == D("3") and result.carried == 0
    assert result.attempts == 1
    assert ask <= result.avg_price <= ask * D("1.01")
    assert result.fee > 0
    assert result.sent_at <= result.confirmed_at
    fills = await asyncio.to_thread(info, net, {"type": "userFills", "user": WALLET.address})
    rate = D((await asyncio.to_thread(info, net, {"type": "userFees", "user": WALLET.address}))["userCrossRate"])
    assert result.fee == D("3") * result.avg_price * rate      # the account's taker rate, no userFills per hedge
    assert abs(sum(D(f["fee"]) for f in fills) - result.fee) < D("0.000001")   # the venue rounds to 6 places
    assert client.position == D("3")
    assert await client.fetch_position() == D("3")
    state = await venue_state(net)
    assert D(state["assetPositions"][0]["position"]["szi"]) == D("3")


async def test_sell_hedge_for_a_hubble_long_fill(client):
    bid, _ = client.best_bid_ask()
    result = await client.hedge(D("-2.5"))
    assert result.filled == D("-2.5")
    assert bid * D("0.99") <= result.avg_price <= bid
    assert await client.fetch_position() == D("-2.5")


async def test_a_hedge_below_the_minimum_is_done_by_overshooting_and_closing(client):
    # $10 minimum: 0.1 AVAX (~$3.5) alone cannot be sent; buying 0.1 + k then selling k hedges it exactly
    result = await client.hedge(D("0.1"))
    assert result.attempts == 2 and result.filled == D("0.1") and result.carried == 0
    assert await client.fetch_position() == D("0.1")


async def test_dust_below_one_step_is_carried_and_netted_exactly(client):
    r1 = await client.hedge(D("0.007"))            # below the 0.01 step: nothing can be sent
    assert r1.attempts == 0 and r1.filled == 0 and r1.carried == D("0.007")
    r2 = await client.hedge(D("0.35"))             # 0.357 total: 0.35 sent, 0.007 below the step carried
    assert r2.requested == D("0.357")
    assert r2.filled == D("0.35") and r2.carried == D("0.007") and client.carried == D("0.007")
    assert await client.fetch_position() == D("0.35")


async def test_server_errors_are_retried_without_double_fill(client, net):
    net.control("hyperliquid", "error", count=2)     # order answer 500, then the lookup answer 500
    result = await client.hedge(D("2"))
    assert result.filled == D("2") and result.attempts == 2
    assert await client.fetch_position() == D("2")


async def test_rate_limit_is_retried(client, net):
    net.control("hyperliquid", "set_flag", name="rate_limit", value=1)
    result = await client.hedge(D("-1"))
    assert result.filled == D("-1") and result.attempts == 2


async def test_lost_answer_is_resolved_by_client_order_id(net):
    c = create(make_settings(), creds(), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    c.request_timeout = 0.3
    await c.start()
    try:
        net.control("hyperliquid", "set_flag", name="slow_ack", value=1.0)   # order executes, answer is late
        result = await c.hedge(D("3"))
        net.control("hyperliquid", "set_flag", name="slow_ack", value=0)
        assert result.filled == D("3") and result.attempts == 1      # found by cloid, not resent
        assert result.fee > 0
        assert await c.fetch_position() == D("3")
    finally:
        await c.stop()


async def test_concurrent_hedges_are_serialised_and_sum_exactly(client):
    results = await asyncio.gather(client.hedge(D("1")), client.hedge(D("-0.1")), client.hedge(D("0.45")))
    assert sum(r.filled for r in results) + client.carried == D("1.35")
    assert client.carried == results[-1].carried
    assert await client.fetch_position() == sum(r.filled for r in results)


async def test_without_streams_a_fill_charges_free_margin_until_the_next_poll(net):
    c = create(make_settings(hedgeStreams=False), creds(), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    await c.start()
    try:
        before = c.free_margin
        result = await c.hedge(D("10"))
        expected = result.avg_price * 10 / 5 + result.fee      # 5x leverage
        assert c.free_margin == before - expected
    finally:
        await c.stop()


async def test_with_streams_free_margin_follows_the_venues_pushed_account(client, net):
    await client.hedge(D("10"))
    pushed = D((await venue_state(net))["withdrawable"])
    await wait_for(lambda: client.free_margin == pushed, timeout=10)


async def test_unknown_outcome_that_cannot_be_checked_is_not_resent(client, net, monkeypatch):
    monkeypatch.setattr(hedge_base, "HEDGE_RETRY_SECONDS", 1.0)   # the lookups' time bound, shortened
    net.control("hyperliquid", "error", count=100)   # the order and every lookup fail
    with pytest.raises(HedgeError, match="not resending"):
        await client.hedge(D("2"))
    net.control("hyperliquid", "clear")
    assert await client.fetch_position() == 0         # (the 500 came before execution here)


async def test_partial_fills_retry_the_remainder_and_carry_the_dust(client, net):
    net.control("hyperliquid", "set_flag", name="partial_fill", value=0.5)
    result = await client.hedge(D("4"))
    # 2, 1, 0.5, 0.25 fill; 0.25 (~$9) is below the $10 minimum and is carried
    assert result.attempts == 4
    assert result.filled == D("3.75") and result.carried == D("0.25")
    assert result.filled + result.carried == D("4")
    assert client.carried == D("0.25")
    assert await client.fetch_position() == D("3.75")


async def test_rejections_give_a_clear_error_and_keep_the_size(client, net, monkeypatch):
    monkeypatch.setattr(hedge_base, "REFUSAL_BASE_DELAY", 0.01)
    net.control("hyperliquid", "reject_orders", count=10, reason="Insufficient margin to place order.")
    with pytest.raises(HedgeError, match=r"incomplete after 8 orders.*\(8 refused\)") as info_:
        await client.hedge(D("2"))
    assert info_.value.result.filled == 0
    assert client.carried == D("2")                 # kept for the next hedge
    net.control("hyperliquid", "clear")
    result = await client.hedge(D("0"))
    assert result.filled == D("2") and client.carried == 0


async def test_a_venue_that_refuses_for_a_while_is_outlasted(client, net, monkeypatch):
    """Refusals back off (a venue refusing through a crash or a halt is waited out, not hammered into the
    process's exit): six refusals, then the hedge fills."""
    monkeypatch.setattr(hedge_base, "REFUSAL_BASE_DELAY", 0.01)
    net.control("hyperliquid", "reject_orders", count=6)
    result = await client.hedge(D("2"))
    assert result.filled == D("2") and result.attempts == 7



async def test_leverage_above_venue_maximum_is_refused(net):
    s = dataclasses.replace(make_settings(), leverage=11)     # AVAX max is 10x
    c = create(s, creds(), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    with pytest.raises(HedgeSetupError, match="maximum 10x"):
        await c.start()


async def test_leverage_is_left_alone_while_a_position_is_open(client, net):
    await client.hedge(D("2"))
    other = create(make_settings(leverage=3), creds(), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    await other.start()
    try:
        assert other.position == D("2")
        state = await venue_state(net)
        assert state["assetPositions"][0]["position"]["leverage"]["value"] == 5
    finally:
        await other.stop()


async def test_can_open_position_walks_book_and_checks_margin(client):
    assert client.can_open_position(D("3"))
    assert client.can_open_position(D("-3"))
    # $10k margin at 5x is ~$50k of notional: 2000 AVAX (~$70k) is more than that
    assert not client.can_open_position(D("2000"))
    # the book cannot absorb a million AVAX within 1 %
    assert not client.can_open_position(D("-1000000"))


async def test_agent_wallet_signs_for_the_trader(net):
    agent_key = "0x" + "5d" * 32
    agent = eth_account.Account.from_key(agent_key)

    def approve() -> None:
        from hyperliquid.exchange import Exchange
        from hyperliquid.utils.signing import get_timestamp_ms, sign_agent
        exchange = Exchange(WALLET, net.url)
        nonce = get_timestamp_ms()
        action = {"type": "approveAgent", "agentAddress": agent.address, "agentName": "hedger", "nonce": nonce}
        signature = sign_agent(WALLET, action, False)
        answer = exchange._post_action(action, signature, nonce)
        assert answer["status"] == "ok", answer

    await asyncio.to_thread(approve)
    c = create(make_settings(), creds(WALLET.address, agent_key), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    await c.start()
    try:
        result = await c.hedge(D("1"))
        assert result.filled == D("1")
        assert await c.fetch_position() == D("1")
    finally:
        await c.stop()


async def test_uptime_drops_while_venue_fails_and_comes_back(net):
    s = make_settings(hedgeClient_orderbook_frequency=0.05, hedgeClient_user_state_frequency=0.05,
                      hedgeStreams=False)
    c = create(s, creds(), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    c.poll_retry_delay = 0.05
    await c.start()
    try:
        assert c.uptime.is_set()
        # (simnet's "refuse" keeps established keep-alive connections, so use answered errors)
        await asyncio.to_thread(net.control, "hyperliquid", "error", count=1000)
        await wait_for(lambda: not c.uptime.is_set())
        assert not c.can_open_position(D("1"))
        await asyncio.to_thread(net.control, "hyperliquid", "clear")
        await wait_for(c.uptime.is_set)
    finally:
        await c.stop()


async def test_poller_gives_up_through_fatal(net):
    s = make_settings(hedgeClient_orderbook_frequency=0.05, hedgeClient_user_state_frequency=0.05,
                      hedgeStreams=False)
    messages: list[str] = []
    c = create(s, creds(), {"HYPERLIQUID_API_URL": net.url}, messages.append)
    c.poll_retry_delay = 0.01
    await c.start()
    try:
        await asyncio.to_thread(net.control, "hyperliquid", "error", count=100000)
        await wait_for(lambda: len(messages) == 2, timeout=10)
        assert "gave up after 5 reconnect attempts" in messages[0]
        assert not c.uptime.is_set()
    finally:
        await c.stop()



async def test_a_market_sharing_the_hedge_account_uses_only_its_share_of_the_free_margin(net):
    c = create(make_settings(hedgeMarginShare=0.25), creds(), {"HYPERLIQUID_API_URL": net.url}, lambda m: None)
    await c.start()
    try:
        state = await venue_state(net)
        assert c.free_margin == D(state["withdrawable"]) * D("0.25")
    finally:
        await c.stop()
