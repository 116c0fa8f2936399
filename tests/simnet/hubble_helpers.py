"""Helpers for the Hubble simnet contract tests: start the node, point the real SDK at it."""
from __future__ import annotations

import asyncio
import os
import time
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Iterator

from eth_account import Account
from eth_utils import keccak

from tools.simnet.core import SimConfig, SimNet

KEY_A = "0x" + keccak(b"simnet-hubble-trader-a").hex()
KEY_B = "0x" + keccak(b"simnet-hubble-trader-b").hex()
KEY_C = "0x" + keccak(b"simnet-hubble-trader-c").hex()
ADDR_A = Account.from_key(KEY_A).address
ADDR_B = Account.from_key(KEY_B).address


@contextmanager
def hubble_net(seed: int = 7, scenario: str = "quiet", **options: Any) -> Iterator[tuple[SimNet, dict[str, Any]]]:
    """A SimNet running only the Hubble venue, stepped by hand (autotick off), with fast blocks.

    Blocks are still built by the block builder (every 50 ms when something is pending) and
    accepted 50 ms later; tests that need the mainnet pacing pass block_time_s / accept_delay_s.
    """
    opts = {"depth_interval_s": 0.05, "block_time_s": 0.05, "accept_delay_s": 0.05, "sanitary_interval_s": 0.1,
            **options}
    net = SimNet(SimConfig(seed=seed, venues=("hubble",), autotick=False, scenario=scenario,
                           venue_options={"hubble": opts}))
    ready = net.start()
    try:
        yield net, ready
    finally:
        net.stop()


def point_sdk(ready: dict[str, Any]) -> None:
    """Set the SDK's env vars and forget its cached web3 clients (they hold the URL)."""
    os.environ["HUBBLE_RPC"] = ready["hubble_rpc"]
    os.environ["HUBBLE_WS_RPC"] = ready["hubble_ws"]
    os.environ["HUBBLE_INDEXER_API_URL"] = ready["hubble_indexer"]
    os.environ["HUBBLE_ENV"] = ready["hubble_env"]
    import hubble_exchange.eth as eth
    eth.async_web3_client = None
    eth.sync_web3_client = None


async def returned(value: Any) -> Any:
    """SDK callback that just hands the response back."""
    return value


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition (short sleeps inside a bounded loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


async def collect(subscribe: Callable[[Callable[..., Awaitable[Any]]], Awaitable[Any]],
                  until: Callable[[list[Any]], bool], timeout: float = 5.0) -> list[Any]:
    """Run an SDK subscription until `until(messages)` holds; returns the messages."""
    messages: list[Any] = []
    done = asyncio.Event()

    async def callback(ws: Any, response: Any) -> None:
        messages.append(response)
        if until(messages):
            done.set()

    task = asyncio.create_task(subscribe(callback))
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return messages


class TraderFeed:
    """A raw streamTraderUpdates subscription collecting every event (what the node sends, unparsed)."""

    def __init__(self, ws_url: str, trader: str, level: str = "head"):
        self.ws_url, self.trader, self.level = ws_url, trader, level
        self.events: list[dict[str, Any]] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "TraderFeed":
        import json

        import websockets

        subscribed = asyncio.Event()

        async def run() -> None:
            async with websockets.connect(self.ws_url) as ws:
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "trading_subscribe",
                                          "params": ["streamTraderUpdates", self.trader, self.level]}))
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("id") == 1:
                        subscribed.set()
                    elif message.get("method") == "trading_subscription":
                        self.events.append(message["params"]["result"])

        self._task = asyncio.create_task(run())
        await asyncio.wait_for(subscribed.wait(), 5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["EventName"] == name]


def rpc(url: str, method: str, *params: Any) -> Any:
    """One JSON-RPC call; returns the whole answer (result or error)."""
    import requests

    return requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                         timeout=5).json()


def client_for(request: Any, tag: str) -> Any:
    """A HubbleClient with a key of its own per test and tag (the simulator funds it on first sight)."""
    from eth_utils import keccak
    from hubble_exchange import HubbleClient

    return HubbleClient("0x" + keccak(f"{request.node.name}:{tag}".encode()).hex())
