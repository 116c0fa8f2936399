"""Reorg fault: a head block's fills are removed (Removed=true) and re-mined at the same height (core/blockchain.go)."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from eth_utils import keccak
from hubble_exchange import HubbleClient

from tests.helpers import eventually
from tests.simnet.hubble_helpers import TraderFeed, hubble_net, point_sdk, returned
from tools.simnet.core import SimNet


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(seed=61) as running:
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> Iterator[SimNet]:
    point_sdk(sim[1])
    yield sim[0]
    sim[0].control("hubble", "hold_accept", hold=False)


@pytest.mark.parametrize("matcher", ["other", "same"])
async def test_reorged_fill_is_removed_then_readded_at_the_same_height(
        net: SimNet, request: pytest.FixtureRequest, matcher: str) -> None:
    client = HubbleClient("0x" + keccak(request.node.name.encode()).hex())
    ask = client.prepare_signed_order(1, -1, 35.02, False, 60)
    await client.place_signed_orders([ask], returned)
    async with TraderFeed(net.ready["hubble_ws"], client.trader_address, "head") as head, \
            TraderFeed(net.ready["hubble_ws"], client.trader_address, "accepted") as accepted:
        net.control("hubble", "hold_accept")
        taken = net.control("hubble", "take", market=1, side="buy", size=1, price=35.02)
        await eventually(lambda: len(head.named("OrderMatched")) == 1, 5, "the fill at head")
        result = net.control("hubble", "reorg", depth=1, matcher=matcher)
        assert result["blocks"] == [taken["block"]]
        await eventually(lambda: len(head.named("OrderMatched")) == 3, 5, "removal and re-add")
        first, removed, readded = head.named("OrderMatched")
        assert (removed["Removed"], readded["Removed"]) == (True, False)
        assert first["BlockNumber"] == removed["BlockNumber"] == readded["BlockNumber"] == taken["block"]
        assert removed["TransactionHash"] == first["TransactionHash"]
        assert removed["Args"] == first["Args"] == readded["Args"]
        same_hash = readded["TransactionHash"] == first["TransactionHash"]
        assert same_hash is (matcher == "same")
        net.control("hubble", "hold_accept", hold=False)
        await eventually(lambda: accepted.named("OrderMatched"), 5, "the accepted fill")
    assert [(e["Removed"], e["TransactionHash"]) for e in accepted.named("OrderMatched")] == [
        (False, readded["TransactionHash"])]
    position = (await client.get_margin_and_positions(returned)).positions[0]
    assert position.size == "-1.00000000"                       # the fill counted once
    await client.close_websocket()


def test_an_accepted_block_cannot_be_reorged(net: SimNet) -> None:
    net.control("hubble", "take", market=0, side="buy", size=0.01, wait="accepted")
    net.control("hubble", "accept")
    with pytest.raises(Exception, match="cannot orphan finalized block"):
        net.control("hubble", "reorg")
