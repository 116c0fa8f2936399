"""BinanceHedgeClient (python-binance AsyncClient) against the simulated Binance USDT-M futures."""
from __future__ import annotations

from bot.venues import hedge_base

import asyncio
import dataclasses
import importlib.util
from decimal import Decimal as D

import pytest

import config
from bot import settings as settings_mod
from bot.credentials import Credentials, Secret

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tools.simnet.binance") is None,
                                reason="simulated Binance venue (tools/simnet/binance) not present")

from hedge_client import HedgeError, HedgeSetupError, create  # noqa: E402
from tools.simnet.core import SimConfig, SimNet  # noqa: E402
from tests.helpers import eventually as wait_for


def make_settings(market: str = "ETH", **overrides):
    raw = dict(config.MARKETS[market])
    raw.update({"hedge": "binance", "hedgeClient_orderbook_frequency": 30,
                "hedgeClient_user_state_frequency": 30})
    raw.update(overrides)
    return settings_mod.validate(market, raw)


@pytest.fixture
def net():
    sim = SimNet(SimConfig(seed=5, venues=("binance",), autotick=False))
    ready = sim.start()
    sim.endpoints = {"BINANCE_FUTURES_REST": ready["binance_futures_rest"],
                     "BINANCE_FUTURES_WS": ready["binance_futures_ws"],
                     "BINANCE_SPOT_REST": ready["binance_spot_rest"],
                     "BINANCE_SPOT_WS": ready["binance_spot_ws"]}
    sim.creds = Credentials(hubble_private_key=Secret("ETH_PRIVATE_KEY", "0x" + "11" * 32),
                            binance_api_key=Secret("BINANCE_API_KEY", ready["binance_api_key"]),
                            binance_secret_key=Secret("BINANCE_SECRET_KEY", ready["binance_api_secret"]))
    yield sim
    sim.stop()


def new_client(net, settings=None, fatal=None):
    return create(settings or make_settings(), net.creds, net.endpoints, fatal or (lambda message: None))


@pytest.fixture
async def client(net):
    c = new_client(net)
    await c.start()
    yield c
    await c.stop()


async def test_start_reads_rules_book_account_and_sets_leverage(client):
    assert client.uptime.is_set()
    assert client.rules.size_step == D("0.001") and client.rules.min_notional == D("20")
    bid, ask = client.best_bid_ask()
    assert bid is not None and ask is not None and bid < ask
    assert client.position == 0 and client.free_margin > 0
    positions = await client.client.futures_position_information(symbol="ETHUSDT")
    account = await client.client.futures_account()
    row = next(p for p in account["positions"] if p["symbol"] == "ETHUSDT")
    assert row["leverage"] == "5" and positions == []
    assert client.taker_rate == D("0.0005")    # the account's own rate (simnet default 5 bps), read once


async def test_fees_cost_no_request_weight_per_hedge(client, monkeypatch):
    """Fees come from the account's rate read at start: no userTrades call (weight 5) per hedge."""
    async def forbidden(**params):
        raise AssertionError("userTrades called during a hedge")

    monkeypatch.setattr(client.client, "futures_account_trades", forbidden)
    result = await client.hedge(D("0.05"))
    assert result.fee == result.filled * result.avg_price * D("0.0005")


async def test_buy_hedge_for_a_hubble_short_fill(client):
    _, ask = client.best_bid_ask()
    result = await client.hedge(D("0.05"))       # Hubble sold 0.05 ETH -> buy here
    assert result.requested == D("0.05") and result.filled == D("0.05") and result.carried == 0
    assert result.attempts == 1
    assert ask <= result.avg_price <= ask * D("1.01")
    trades = await client.client.futures_account_trades(symbol="ETHUSDT")
    assert result.fee == sum(D(t["commission"]) for t in trades) and result.fee > 0
    assert result.sent_at <= result.confirmed_at
    assert client.position == D("0.05")
    assert await client.fetch_position() == D("0.05")


async def test_sell_hedge_for_a_hubble_long_fill(client):
    bid, _ = client.best_bid_ask()
    result = await client.hedge(D("-0.03"))
    assert result.filled == D("-0.03")
    assert bid * D("0.99") <= result.avg_price <= bid
    assert await client.fetch_position() == D("-0.03")


async def test_step_and_min_notional_carry_netting(net):
    c = new_client(net, make_settings("SOL"))      # SOLUSDT: step 1 SOL, $5 minimum
    await c.start()
    try:
        r1 = await c.hedge(D("-0.4"))
        assert r1.attempts == 0 and r1.filled == 0 and r1.carried == D("-0.4")
        r2 = await c.hedge(D("-0.3"))
        assert r2.filled == 0 and r2.carried == D("-0.7")
        r3 = await c.hedge(D("-0.4"))              # -1.1 total: sell 1, carry -0.1
        assert r3.requested == D("-1.1") and r3.filled == D("-1") and r3.carried == D("-0.1")
        assert r3.filled + r3.carried == D("-0.4") + D("-0.3") + D("-0.4")
        assert await c.fetch_position() == D("-1")
    finally:
        await c.stop()


async def test_timestamp_error_resyncs_and_retries(client, net):
    net.control("binance", "set_flag", name="timestamp_error", value=1)
    result = await client.hedge(D("0.02"))
    assert result.filled == D("0.02") and result.attempts == 2


async def test_server_errors_and_rate_limits_are_retried_without_double_fill(client, net):
    net.control("binance", "error", count=1)                  # 503 -1001 on the order (not executed)
    net.control("binance", "set_flag", name="unknown_status", value=1)   # next: executed, answer 503
    result = await client.hedge(D("0.02"))
    assert result.filled == D("0.02")
    assert await client.fetch_position() == D("0.02")
    net.control("binance", "set_flag", name="retry_after_s", value=1)   # the 429's Retry-After, shortened
    net.control("binance", "error", count=1, code=429)
    result = await client.hedge(D("-0.02"))
    assert result.filled == D("-0.02") and result.attempts == 2
    assert await client.fetch_position() == 0
    trades = await client.client.futures_account_trades(symbol="ETHUSDT")
    assert result.fee == sum(D(t["commission"]) for t in trades if t["side"] == "SELL")   # equals the venue's records


async def test_lost_answer_is_resolved_by_client_order_id(net):
    c = new_client(net)
    c.request_timeout = 0.3
    await c.start()
    try:
        net.control("binance", "set_flag", name="slow_ack_seconds", value=1.0)
        net.control("binance", "set_flag", name="slow_ack", value=1)
        result = await c.hedge(D("0.04"))
        assert result.filled == D("0.04") and result.attempts == 1      # found, not resent
        assert await c.fetch_position() == D("0.04")
    finally:
        await c.stop()


async def test_partial_fill_retries_the_remainder(client, net):
    net.control("binance", "set_flag", name="partial_fill", value=1)     # one IOC fills half
    result = await client.hedge(D("0.1"))
    assert result.attempts == 2 and result.filled == D("0.1") and result.carried == 0
    assert await client.fetch_position() == D("0.1")


async def test_rejections_give_a_clear_error_and_keep_the_size(client, net, monkeypatch):
    monkeypatch.setattr(hedge_base, "REFUSAL_BASE_DELAY", 0.01)
    net.control("binance", "reject_orders", count=10, reason="-2019")
    with pytest.raises(HedgeError, match=r"incomplete after 8 orders.*\(8 refused\).*Margin is insufficient"):
        await client.hedge(D("0.02"))
    assert client.carried == D("0.02")
    net.control("binance", "clear")
    result = await client.hedge(D("0"))
    assert result.filled == D("0.02") and client.carried == 0


async def test_a_venue_that_refuses_for_a_while_is_outlasted(client, net, monkeypatch):
    """Refusals back off (a venue refusing through a crash or a halt is waited out, not hammered into the
    process's exit): six refusals, then the hedge fills."""
    monkeypatch.setattr(hedge_base, "REFUSAL_BASE_DELAY", 0.01)
    net.control("binance", "reject_orders", count=6)
    result = await client.hedge(D("2"))
    assert result.filled == D("2") and result.attempts == 7



async def test_leverage_above_venue_maximum_is_refused(net):
    c = new_client(net, dataclasses.replace(make_settings(), leverage=200))
    with pytest.raises(HedgeSetupError, match="maximum 125x"):
        await c.start()


async def test_can_open_position_walks_book_and_checks_margin(client):
    assert client.can_open_position(D("0.1"))
    assert client.can_open_position(D("-0.1"))
    assert not client.can_open_position(D("30"))          # ~$90k > $10k at 5x
    assert not client.can_open_position(D("-100000"))     # more than the book holds within 1 %


async def test_uptime_drops_on_errors_and_fatal_after_five_retries(net):
    s = make_settings(hedgeClient_orderbook_frequency=0.05, hedgeClient_user_state_frequency=0.05)
    messages: list[str] = []
    c = new_client(net, s, messages.append)
    c.poll_retry_delay = 0.01
    await c.start()
    try:
        await asyncio.to_thread(net.control, "binance", "error", count=100000)
        await wait_for(lambda: not c.uptime.is_set())
        assert not c.can_open_position(D("0.01"))
        await wait_for(lambda: len(messages) == 2, timeout=10)
        assert "gave up after 5 reconnect attempts" in messages[0]
    finally:
        await c.stop()



def test_min_notional_and_leverage_bracket_parsing():
    from bot.venues.binance.hedge import _max_leverage, _min_notional
    assert _min_notional({"MIN_NOTIONAL": {"filterType": "MIN_NOTIONAL", "notional": "20"}}) == D("20")
    assert _min_notional({"NOTIONAL": {"filterType": "NOTIONAL", "minNotional": "5"}}) == D("5")
    assert _min_notional({}) == 0
    row = {"symbol": "ETHUSDT", "brackets": [{"bracket": 1, "initialLeverage": 125},
                                             {"bracket": 2, "initialLeverage": 100}]}
    assert _max_leverage(row, "ETHUSDT") == 125 and _max_leverage([row], "ETHUSDT") == 125
    with pytest.raises(HedgeSetupError):
        _max_leverage([row], "SOLUSDT")


async def test_a_difference_below_a_raised_minimum_is_hedged_by_overshooting_and_closing(net):
    # issue 10 item 15: the venue raised its minimum above the whole hedge (3 AVAX ~ $105 < $250)
    client = new_client(net, make_settings("AVAX"))
    await client.start()
    try:
        net.control("binance", "set_flag", name="min_notional", value=250)
        result = await client.hedge(D("-3"))
        assert result.filled == D("-3") and result.carried == 0 and result.attempts >= 2
        assert await client.fetch_position() == D("-3")           # the venue's own answer
        assert client.rules.min_notional == 250                   # re-read after the venue refused the first order
    finally:
        await client.stop()
