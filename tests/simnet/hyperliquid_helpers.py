"""Shared fixtures and helpers for the Hyperliquid venue contract tests.

The real SDK (synchronous, requests/websocket-client) talks to a SimNet that
runs in its own thread; tests call the SDK directly.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import eth_account
import pytest
from eth_account.signers.local import LocalAccount
from hyperliquid.api import API
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action

from tools.simnet.core import SimConfig, SimNet

ALICE_KEY = "0x" + "11" * 32
BOB_KEY = "0x" + "22" * 32
GTC = {"limit": {"tif": "Gtc"}}
IOC = {"limit": {"tif": "Ioc"}}
ALO = {"limit": {"tif": "Alo"}}


@dataclass
class HL:
    net: SimNet
    url: str
    info: Info
    wallet: LocalAccount
    exchange: Exchange

    @property
    def address(self) -> str:
        return self.wallet.address

    def exchange_for(self, key: str, account_address: str | None = None) -> Exchange:
        return Exchange(eth_account.Account.from_key(key), self.url, account_address=account_address)

    def step(self, count: int = 1) -> dict[str, Any]:
        return self.net.control("net", "step", count=count)

    def control(self, action: str, **params: Any) -> dict[str, Any]:
        return self.net.control("hyperliquid", action, **params)

    def post_signed(self, wallet: LocalAccount, action: dict[str, Any], nonce: int | None = None,
                    vault: str | None = None) -> Any:
        """Sign ``action`` like the SDK does and POST it raw (for nonce/signer cases)."""
        nonce = get_timestamp_ms() if nonce is None else nonce
        signature = sign_l1_action(wallet, action, vault, nonce, None, False)
        payload = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": vault,
                   "expiresAfter": None}
        return API(self.url).post("/exchange", payload)


def start_net(seed: int = 7, **options: Any) -> SimNet:
    cfg = SimConfig(seed=seed, venues=("hyperliquid",), autotick=False)
    cfg.options("hyperliquid").update(options)
    net = SimNet(cfg)
    net.start()
    return net


def make_hl(net: SimNet) -> HL:
    url = net.ready["hyperliquid_url"]
    info = Info(url, skip_ws=True)
    wallet = eth_account.Account.from_key(ALICE_KEY)
    info.user_state(wallet.address)  # first sight funds the account
    return HL(net, url, info, wallet, Exchange(wallet, url))


@pytest.fixture
def hl() -> Iterator[HL]:
    net = start_net()
    try:
        yield make_hl(net)
    finally:
        net.stop()


def statuses(response: dict[str, Any]) -> list[Any]:
    assert response["status"] == "ok", response
    return response["response"]["data"]["statuses"]


def only_status(response: dict[str, Any]) -> dict[str, Any]:
    (status,) = statuses(response)
    return status


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until truthy (bounded); returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def position(hl: HL, coin: str, address: str | None = None) -> dict[str, Any] | None:
    state = hl.info.user_state(address or hl.address)
    for item in state["assetPositions"]:
        if item["position"]["coin"] == coin:
            return item["position"]
    return None
