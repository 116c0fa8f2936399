"""Signing cost per order: the engine's paths beside the SDKs' own, measured in the same process."""
from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Callable

from eth_account import Account


def _per_call_us(fn: Callable[[int], object], count: int) -> float:
    fn(0)                                             # warm caches and lazy imports
    start = time.perf_counter()
    for i in range(count):
        fn(i)
    return (time.perf_counter() - start) / count * 1e6


def hubble(count: int) -> dict[str, float]:
    """OrderSigner.sign (engine) vs SignedOrder + get_signed_order_hash + encode_signed_order (SDK)."""
    from hubble_exchange.eip712 import encode_signed_order, get_signed_order_hash
    from hubble_exchange.models import SignedOrder

    from bot.venues.hubble.signing import OrderSigner, scale_price, scale_size

    rng = random.Random(5)
    key = "0x" + rng.randbytes(32).hex()
    trader = Account.from_key(key).address
    signer = OrderSigner(key, trader)
    orders = [(Decimal(rng.randrange(1, 500)) * rng.choice((1, -1)), Decimal(rng.randrange(30_000, 40_000)) / 1000)
              for _ in range(64)]

    def engine(i: int) -> object:
        size, price = orders[i % 64]
        return signer.sign(1, size, price, 1_800_000_000 + i)

    def sdk(i: int) -> object:
        size, price = orders[i % 64]
        order = SignedOrder(id=None, amm_index=1, trader=trader, base_asset_quantity=scale_size(size),
                            price=scale_price(price), salt=signer.new_salt(), reduce_only=False,
                            expire_at=1_800_000_000 + i, signature=None)
        order.id = get_signed_order_hash(order)
        return encode_signed_order(order, key)

    engine_us = _per_call_us(engine, count)
    sdk_us = _per_call_us(sdk, max(20, count // 10))
    return {"engine_us": round(engine_us, 1), "sdk_us": round(sdk_us, 1), "sdk_over_engine": round(sdk_us / engine_us, 1)}


def hyperliquid(count: int) -> dict[str, float]:
    """One IOC order action: hedge_hyperliquid_signing.L1Signer (engine) vs the SDK's sign_l1_action."""
    from hyperliquid.utils.signing import order_request_to_order_wire, order_wires_to_order_action, sign_l1_action
    from hyperliquid.utils.types import Cloid

    from bot.venues.hyperliquid.signing import L1Signer

    key = "0x" + random.Random(6).randbytes(32).hex()
    wallet, signer = Account.from_key(key), L1Signer(key)
    actions = []
    for i in range(64):
        request = {"coin": "AVAX", "is_buy": i % 2 == 0, "sz": 1.0 + i % 7, "limit_px": 35.0 + i / 100,
                   "order_type": {"limit": {"tif": "Ioc"}}, "reduce_only": False, "cloid": Cloid(f"{i + 1:#034x}")}
        actions.append(order_wires_to_order_action([order_request_to_order_wire(request, 5)]))

    engine_us = _per_call_us(lambda i: signer.sign(actions[i % 64], None, 1_800_000_000_000 + i, None, True), count)
    sdk_us = _per_call_us(lambda i: sign_l1_action(wallet, actions[i % 64], None, 1_800_000_000_000 + i, None, True),
                          max(20, count // 4))
    return {"engine_us": round(engine_us, 1), "sdk_us": round(sdk_us, 1), "sdk_over_engine": round(sdk_us / engine_us, 1)}
