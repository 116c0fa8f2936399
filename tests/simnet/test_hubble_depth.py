"""Depth answers and streams carry signed sizes; open orders list limit orders only (service.go, trading_apis.go)."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

import pytest
import websockets
from eth_utils import keccak
from hubble_exchange import HubbleClient
from hubble_exchange.models import LimitOrder

from tests.helpers import eventually
from tests.simnet.hubble_helpers import hubble_net, point_sdk, returned, rpc
from tools.simnet.core import SimNet


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[SimNet, dict[str, Any]]]:
    with hubble_net(seed=31) as running:
        yield running


@pytest.fixture
def net(sim: tuple[SimNet, dict[str, Any]]) -> SimNet:
    point_sdk(sim[1])
    return sim[0]


@pytest.fixture
def client(net: SimNet, request: pytest.FixtureRequest) -> HubbleClient:
    return HubbleClient("0x" + keccak(f"{request.node.name}".encode()).hex())


class DepthStream:
    """A raw depth subscription: every notification's result, in order."""

    def __init__(self, url: str, method: str, params: list[Any]):
        self.url, self.method, self.params = url, method, params
        self.updates: list[dict[str, Any]] = []

    async def __aenter__(self) -> "DepthStream":
        async def run() -> None:
            async with websockets.connect(self.url) as ws:
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": self.method, "params": self.params}))
                async for raw in ws:
                    message = json.loads(raw)
                    if "params" in message:
                        self.updates.append(message["params"]["result"])

        self.task = asyncio.create_task(run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def test_short_sizes_are_negative_in_both_depth_answers(net: SimNet) -> None:
    url = net.ready["hubble_rpc"]
    trading = rpc(url, "trading_getTradingOrderBookDepth", 1)["result"]
    assert trading["asks"] and all(size.startswith("-") for _, size in trading["asks"])
    assert all(not size.startswith("-") for _, size in trading["bids"])
    raw = rpc(url, "orderbook_getDepthForMarket", 1)["result"]
    assert raw["shorts"] and all(int(q) < 0 for q in raw["shorts"].values())
    assert all(int(q) > 0 for q in raw["longs"].values())


def test_an_empty_side_is_null(net: SimNet) -> None:
    url = net.ready["hubble_rpc"]
    assert rpc(url, "trading_getTradingOrderBookDepth", 9)["result"]["bids"] is None     # no such market: empty
    assert rpc(url, "orderbook_getDepthForMarket", 9)["result"] == {"market": 9, "longs": {}, "shorts": {}}


async def test_streams_report_a_vanished_level_as_zero(net: SimNet, client: HubbleClient) -> None:
    ws = net.ready["hubble_ws"]
    order = LimitOrder.new(1, -1, 35.03, False, True)      # a level of its own, inside the spread
    await client.place_limit_orders([order], True, returned)
    async with DepthStream(ws, "orderbook_subscribe", ["streamDepthUpdateForMarketAndFreq", 1, "50ms"]) as raw, \
            DepthStream(ws, "trading_subscribe", ["streamDepthUpdateForMarket", 1]) as trading:
        await eventually(lambda: raw.updates and trading.updates, 5, "first depth messages")
        assert raw.updates[0]["shorts"]["35030000"] == "-1000000000000000000"
        assert ["35.03000000", "-1.00000000"] in trading.updates[0]["a"]
        await client.cancel_limit_orders([order], True, returned)
        await eventually(lambda: any(u["shorts"].get("35030000") == "0" for u in raw.updates), 5, "raw zero")
        await eventually(lambda: any(["35.03000000", "0.00000000"] in (u["a"] or []) for u in trading.updates), 5,
                         "trading zero")
    quiet = [u for u in trading.updates[1:] if u["b"] is None and u["a"] is None]
    assert quiet, "an unchanged book sends null sides"


async def test_open_orders_list_limit_orders_only_with_raw_integer_strings(net: SimNet, client: HubbleClient) -> None:
    signed = client.prepare_signed_order(1, 1, 34.5, False, 60)
    await client.place_signed_orders([signed], returned)
    limit = LimitOrder.new(1, -2, 35.6, False, True)
    await client.place_limit_orders([limit], True, returned)
    answer = rpc(net.ready["hubble_rpc"], "orderbook_getOpenOrders", client.trader_address, "1")["result"]
    assert answer == {"Orders": [{
        "Market": 1, "Price": "35600000", "Size": "-2000000000000000000", "FilledSize": "0", "Timestamp": 0,
        "Salt": str(limit.salt), "OrderId": "0x" + bytes(limit.id).hex(), "ReduceOnly": False, "PostOnly": True,
        "OrderType": "limit"}]}
    assert [o.OrderType for o in await client.get_open_orders(None, returned)] == ["limit"]
    await client.close_websocket()
