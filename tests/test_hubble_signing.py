"""Our fast signing path produces exactly the SDK's bytes, and scaling is exact."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest
from eth_account import Account
from hubble_exchange.eip712 import encode_signed_order, get_signed_order_hash
from hubble_exchange.models import SignedOrder

from bot.venues.hubble.signing import OrderSigner, scale_price, scale_size


def sdk_bytes(key: str, trader: str, market: int, size_scaled: int, price_scaled: int, salt: int,
              expire_at: int, reduce_only: bool) -> tuple[bytes, str]:
    order = SignedOrder(id=None, amm_index=market, trader=trader, base_asset_quantity=size_scaled,
                        price=price_scaled, salt=salt, reduce_only=reduce_only, expire_at=expire_at,
                        signature=None)
    return bytes(encode_signed_order(order, key)), "0x" + bytes(get_signed_order_hash(order)).hex()


def test_signatures_hashes_and_encoding_match_the_sdk_on_random_orders():
    rng = random.Random(42)
    for _ in range(60):
        key = "0x" + rng.randbytes(32).hex()
        trader = Account.from_key(key).address
        signer = OrderSigner(key, trader)
        market = rng.randrange(4)
        size = Decimal(rng.randrange(1, 10_000)) / 100 * rng.choice((1, -1))
        price = Decimal(rng.randrange(1, 10_000_000)) / 1000
        salt, expire_at, reduce_only = rng.getrandbits(80), 1_700_000_000 + rng.randrange(10**6), rng.random() < 0.3
        ours = signer.sign(market, size, price, expire_at, reduce_only, salt=salt)
        encoded, order_hash = sdk_bytes(key, trader, market, scale_size(size), scale_price(price), salt, expire_at,
                                        reduce_only)
        assert ours.encoded == encoded
        assert ours.order_id == order_hash


def test_scaling_is_exact_and_refuses_sub_unit_values():
    assert scale_price(Decimal("35.123")) == 35_123_000
    assert scale_size(Decimal("-0.07")) == -70_000_000_000_000_000
    with pytest.raises(ValueError):
        scale_price(Decimal("1.0000001"))


def test_salts_are_unique_and_repr_hides_the_key():
    key = "0x" + "11" * 32
    signer = OrderSigner(key, Account.from_key(key).address)
    assert len({signer.new_salt() for _ in range(1000)}) == 1000
    assert "11" * 8 not in repr(signer)


def test_a_fractional_expiry_is_rounded_up_so_no_quote_is_born_expired():
    import time

    from bot.venues.hubble.gateway import HubbleGateway

    signer = OrderSigner("0x" + "42" * 32, "0x" + "11" * 20)
    gateway = HubbleGateway(client=None, signer=signer, ws_url="ws://unused", rpc_url="http://unused")
    for expiry in (0.5, 1.25, 2):
        before = time.time()
        order = gateway.sign(1, Decimal("1"), Decimal("35"), expiry)
        assert order.expire_at >= before + expiry and order.expire_at == int(order.expire_at)
