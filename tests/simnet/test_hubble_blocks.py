"""Blocks: matching happens when a block is built; head first, accepted later (hubblenet #185, limit_order.go)."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator

import pytest
from hubble_exchange.models import IOCOrder, LimitOrder

from tests.helpers import eventually
from tests.simnet.hubble_helpers import TraderFeed, client_for, hubble_net, point_sdk, returned, rpc
from tools.simnet.core import SimConfig, SimNet
from tools.simnet.hubble.builder import BuilderParams


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(seed=21, block_time_s=0.2, accept_delay_s=0.3) as running:
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> Iterator[SimNet]:
    point_sdk(sim[1])
    yield sim[0]
    sim[0].control("hubble", "hold_accept", hold=False)


def test_mainnet_pacing_is_the_default_in_every_scenario() -> None:
    """The node's pacing (no minimum gap, 100 ms tx gossip, 10 processing blocks; see test_hubble_block_pacing)."""
    for scenario in ("default", "quiet"):
        net = SimNet(SimConfig(seed=1, venues=("hubble",), autotick=False, scenario=scenario))
        net.start()
        try:
            params: BuilderParams = net.venues["hubble"].builder.params
            assert (params.block_time_s, params.tx_gossip_s, params.max_processing, params.auto_mine,
                    params.funding_rate > 0) == (0.0, 0.1, 10, True, True)
        finally:
            net.stop()


async def test_fills_of_one_block_arrive_together_head_first_positions_at_accept(
        net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "maker")
    ready = net.ready
    orders = [client.prepare_signed_order(1, -1, 35.0 + i / 100, False, 60) for i in range(2)]   # inside the spread
    assert all(r["success"] for r in await client.place_signed_orders(orders, returned))
    async with TraderFeed(ready["hubble_ws"], client.trader_address, "head") as head, \
            TraderFeed(ready["hubble_ws"], client.trader_address, "accepted") as accepted:
        net.control("hubble", "hold_accept")
        net.control("hubble", "take", market=0, side="buy", size=0.01)   # a block now: the next one is 0.2 s away
        first = net.control("hubble", "take", market=1, side="buy", size=1, price=35.0, wait="none")
        second = net.control("hubble", "take", market=1, side="buy", size=1, price=35.01, wait="none")
        assert first["queued"] and second["queued"]            # nothing traded yet: waiting for a block
        await eventually(lambda: len(head.named("OrderMatched")) == 2, 5, "both fills at head")
        fills = head.named("OrderMatched")
        assert fills[0]["BlockNumber"] == fills[1]["BlockNumber"]           # one block
        assert fills[0]["TransactionHash"] != fills[1]["TransactionHash"]   # one matching tx per pair
        assert accepted.named("OrderMatched") == []
        account = await asyncio.to_thread(net.control, "hubble", "account", trader=client.trader_address)
        assert account["positions"] == []                      # positions move when the block is accepted
        net.control("hubble", "hold_accept", hold=False)
        await eventually(lambda: len(accepted.named("OrderMatched")) == 2, 5, "both fills accepted")
    account = await asyncio.to_thread(net.control, "hubble", "account", trader=client.trader_address)
    assert [p["size"] for p in account["positions"]] == ["-2.00000000"]
    await client.close_websocket()


async def test_same_block_matching_of_an_ioc_taker(net: SimNet, request: pytest.FixtureRequest) -> None:
    maker, taker = client_for(request, "maker"), client_for(request, "taker")
    asks = [maker.prepare_signed_order(2, -0.3, 150.0 + i / 10, False, 60) for i in range(2)]   # inside the spread
    await maker.place_signed_orders(asks, returned)
    ioc = IOCOrder.new(2, 0.5, 150.1, False, 20)
    assert await taker.place_ioc_orders([ioc], True, returned) == [{"order_id": ioc.id, "success": True}]
    venue = net.venues["hubble"]
    block_number, index = venue.chain.where[_sent_by(venue.chain, taker.trader_address)[0]]
    block = venue.chain.blocks[block_number]
    later = block.txs[index + 1:]
    assert len(later) == 2 and all(tx.to.lower() == "0x03000000000000000000000000000000000000b0" for tx in later)
    receipt = rpc(net.ready["hubble_rpc"], "eth_getTransactionReceipt", block.txs[index].hash)["result"]
    assert len(receipt["logs"]) == 1        # the IOC tx logs its OrderAccepted; fills are in the matching txs
    position = (await taker.get_margin_and_positions(returned)).positions[0]
    assert position.size == "0.50000000"
    await maker.close_websocket()


async def test_receipts_block_number_and_status_follow_acceptance(net: SimNet, request: pytest.FixtureRequest) -> None:
    client = client_for(request, "a")
    url = net.ready["hubble_rpc"]
    net.control("hubble", "hold_accept")
    accepted_before = int(rpc(url, "eth_blockNumber")["result"], 16)
    order = LimitOrder.new(1, 1, 30.0, False, True)
    await client.place_limit_orders([order], False, returned)
    chain = net.venues["hubble"].chain
    await eventually(lambda: _sent_by(chain, client.trader_address), what="the tx in a block")
    tx_hash = _sent_by(chain, client.trader_address)[0]
    assert rpc(url, "eth_getTransactionStatus", tx_hash)["result"]["status"] == "HEAD_BLOCK"
    assert rpc(url, "eth_getTransactionReceipt", tx_hash)["result"] is None
    assert int(rpc(url, "eth_blockNumber")["result"], 16) == accepted_before        # "latest" is accepted
    head = net.venues["hubble"].chain.head.number
    assert rpc(url, "eth_getBlockByNumber", hex(head), False)["error"]["message"] == "cannot query unfinalized data"
    net.control("hubble", "hold_accept", hold=False)
    await eventually(lambda: rpc(url, "eth_getTransactionReceipt", tx_hash)["result"] is not None)
    status = rpc(url, "eth_getTransactionStatus", tx_hash)["result"]
    assert status == {"status": "ACCEPTED", "blockNumber": head}


def test_blocks_are_paced_by_block_time(net: SimNet) -> None:
    started = time.monotonic()
    first = net.control("hubble", "take", market=0, side="buy", size=0.01)
    second = net.control("hubble", "take", market=0, side="sell", size=0.01)
    assert second["block"] == first["block"] + 1
    venue = net.venues["hubble"]
    assert venue.builder._built_at[second["block"]] - venue.builder._built_at[first["block"]] >= 0.2 - 1e-3
    assert time.monotonic() - started >= 0.2 - 1e-3


def _sent_by(chain, sender: str) -> list[str]:
    return [h for h in list(chain.where) if chain.lookup(h)[1].sender == sender]
