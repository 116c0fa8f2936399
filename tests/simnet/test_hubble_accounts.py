"""Account states a test can reach: no margin account, no referrer, settled markets, no gas, funding, margin params."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

import pytest
from eth_utils import keccak
from hubble_exchange import HubbleClient
from hubble_exchange.errors import TraderNotFound
from hubble_exchange.models import IOCOrder, LimitOrder

from tests.simnet.hubble_helpers import client_for, hubble_net, point_sdk, returned, rpc
from tools.simnet.core import SimNet
from tools.simnet.hubble.chain import ZERO_HASH

UNFUNDED_KEY = "0x" + keccak(b"simnet-hubble-unfunded").hex()


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    from eth_account import Account

    unfunded = Account.from_key(UNFUNDED_KEY).address
    with hubble_net(seed=51, unfunded_traders=[unfunded], funding_period_s=3600) as running:
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> Iterator[SimNet]:
    point_sdk(sim[1])
    yield sim[0]
    sim[0].control("hubble", "referral", restricted=False)


async def test_an_address_without_margin_account_is_not_found(net: SimNet, request: pytest.FixtureRequest) -> None:
    knob = HubbleClient(UNFUNDED_KEY)                     # unfunded_traders knob
    with pytest.raises(TraderNotFound):
        await knob.get_margin_and_positions(returned)
    order = knob.prepare_signed_order(1, 1, 34.0, False, 60)
    assert (await knob.place_signed_orders([order], returned))[0]["error"] == "insufficient margin"
    await knob.close_websocket()
    later = client_for(request, "a")
    assert (await later.get_margin_and_positions(returned)).margin == "10000.00000000"   # auto-funded
    net.control("hubble", "unfund", trader=later.trader_address)                        # control action
    with pytest.raises(TraderNotFound):
        await later.get_margin_and_positions(returned)
    net.control("hubble", "fund", trader=later.trader_address, amount=50)
    assert (await later.get_margin_and_positions(returned)).margin == "50.00000000"


async def test_restricted_invites_refuse_traders_without_referrer(net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "a")
    net.control("hubble", "referral", restricted=True)
    signed = client.prepare_signed_order(1, 1, 34.0, False, 60)
    assert (await client.place_signed_orders([signed], returned))[0]["error"] == "no referrer"
    limit, ioc = LimitOrder.new(1, 1, 34.0, False, True), IOCOrder.new(1, 1, 34.0, False, 20)
    assert (await client.place_limit_orders([limit], True, returned))[0]["error"] == "no referrer"
    assert (await client.place_ioc_orders([ioc], True, returned))[0]["error"] == "no referrer"
    net.control("hubble", "referral", trader=client.trader_address, has=True)
    again = client.prepare_signed_order(1, 1, 34.01, False, 60)
    assert (await client.place_signed_orders([again], returned))[0]["success"] is True
    await client.close_websocket()


async def test_transactions_need_native_gas_not_margin(net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "a")
    url = net.ready["hubble_rpc"]
    assert int(rpc(url, "eth_getBalance", client.trader_address, "latest")["result"], 16) == 100 * 10 ** 18
    order = client.prepare_signed_order(1, 1, 34.0, False, 60)
    await client.place_signed_orders([order], returned)
    net.control("hubble", "set_gas_balance", trader=client.trader_address, amount=0)
    assert rpc(url, "eth_getBalance", client.trader_address, "latest")["result"] == "0x0"
    with pytest.raises(ValueError) as info:
        await client.cancel_signed_orders([order], True, returned)
    message = info.value.args[0]["message"]
    assert message.startswith(f"insufficient funds for gas * price + value: address {client.trader_address} "
                              "have (0) want (")
    assert (await client.get_margin_and_positions(returned)).margin == "10000.00000000"   # margin is not gas
    await client.close_websocket()


async def test_min_allowable_margin_comes_from_chain_state(net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "a")
    chv = rpc(net.ready["hubble_rpc"], "testing_getClearingHouseVars", client.trader_address)["result"]
    assert chv["min_allowable_margin"] == 100_000 and chv["maintenance_margin"] == 50_000   # JSON numbers, 1e6
    fits = client.prepare_signed_order(0, 33, 3000.0 - 10, False, 60)    # 98,670 notional x 0.1 < 10,000
    assert (await client.place_signed_orders([fits], returned))[0]["success"] is True
    await client.close_websocket()


async def test_funding_shows_in_margin_and_unrealised_funding(net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "long")
    bid = client.prepare_signed_order(1, 2, 35.0, False, 60)
    await client.place_signed_orders([bid], returned)
    net.control("hubble", "take", market=1, side="sell", size=2, price=35.0, wait="accepted")
    before = await client.get_margin_and_positions(returned)
    net.control("hubble", "funding", rate=0.001)                 # next block settles funding at 0.1%
    net.control("hubble", "take", market=0, side="buy", size=0.01, wait="accepted")
    after = await client.get_margin_and_positions(returned)
    owed = Decimal("2") * Decimal(net.venues["hubble"].engine.index_prices[1]) / 10 ** 6 * Decimal("0.001")
    assert Decimal(after.positions[0].unrealisedFunding) == owed.quantize(Decimal("0.00000001"))
    assert Decimal(before.margin) - Decimal(after.margin) == owed.quantize(Decimal("0.00000001"))
    chv = rpc(net.ready["hubble_rpc"], "testing_getClearingHouseVars", client.trader_address)["result"]
    assert chv["total_funding"] == int(owed * 10 ** 6)
    # trading again settles it into the margin: unrealised funding back to 0, margin unchanged by that
    net.control("hubble", "funding", rate=0.0)
    ask = client.prepare_signed_order(1, -1, 35.05, False, 60)
    await client.place_signed_orders([ask], returned)
    net.control("hubble", "take", market=1, side="buy", size=1, price=35.05, wait="accepted")
    settled = await client.get_margin_and_positions(returned)
    assert settled.positions[0].unrealisedFunding == "0.00000000"
    await client.close_websocket()


async def test_settled_markets_refuse_signed_orders_and_drop_active_markets(request: pytest.FixtureRequest) -> None:
    with hubble_net(seed=52) as (net, ready):
        point_sdk(ready)
        client = client_for(request, "a")
        bid = client.prepare_signed_order(1, 1, 35.0, False, 60)
        await client.place_signed_orders([bid], returned)
        net.control("hubble", "take", market=1, side="sell", size=1, price=35.0, wait="accepted")
        net.control("hubble", "settle")
        order = client.prepare_signed_order(1, 1, 34.0, False, 60)
        assert await client.place_signed_orders([order], returned) == [
            {"success": False, "order_id": ZERO_HASH, "error": "all markets are settled now"}]
        chv = rpc(ready["hubble_rpc"], "testing_getClearingHouseVars", client.trader_address)["result"]
        assert (chv["active_markets_count"], chv["amms"], chv["underlying_prices"]) == (0, [], [])
        answer = rpc(ready["hubble_rpc"], "trading_getMarginAndPositions", client.trader_address)
        assert answer["error"] == {"code": -32603, "message": "method handler crashed"}
        await client.close_websocket()
