"""The fast Hyperliquid L1 signer produces exactly the SDK's signatures."""
from __future__ import annotations

import random

from eth_account import Account
from hyperliquid.utils.signing import (order_request_to_order_wire, order_wires_to_order_action,
                                       sign_l1_action)
from hyperliquid.utils.types import Cloid

from bot.venues.hyperliquid.signing import L1Signer


def random_action(rng: random.Random) -> dict:
    if rng.random() < 0.2:
        return {"type": "updateLeverage", "asset": rng.randrange(200), "isCross": rng.random() < 0.5,
                "leverage": rng.randrange(1, 50)}
    orders = []
    for _ in range(rng.randrange(1, 4)):
        request = {"coin": "X", "is_buy": rng.random() < 0.5, "sz": rng.randrange(1, 10**6) / 10**rng.randrange(5),
                   "limit_px": rng.randrange(1, 10**6) / 10**rng.randrange(5),
                   "order_type": {"limit": {"tif": rng.choice(("Ioc", "Gtc", "Alo"))}},
                   "reduce_only": rng.random() < 0.3,
                   "cloid": Cloid(f"{rng.getrandbits(128):#034x}") if rng.random() < 0.8 else None}
        orders.append(order_request_to_order_wire(request, rng.randrange(200)))
    return order_wires_to_order_action(orders)


def test_signatures_match_the_sdk_on_random_actions():
    rng = random.Random(2024)
    for _ in range(150):
        key = "0x" + rng.randbytes(32).hex()
        action = random_action(rng)
        nonce = 1_600_000_000_000 + rng.randrange(10**12)
        mainnet = rng.random() < 0.5
        vault = Account.from_key("0x" + rng.randbytes(32).hex()).address if rng.random() < 0.2 else None
        expires = nonce + rng.randrange(10**6) if rng.random() < 0.3 else None
        expected = sign_l1_action(Account.from_key(key), action, vault, nonce, expires, mainnet)
        assert L1Signer(key).sign(action, vault, nonce, expires, mainnet) == expected


def test_repr_hides_the_key():
    key = "0x" + "11" * 32
    assert "11" * 8 not in repr(L1Signer(key))
