"""The node's hand-rolled EIP-712 hashing and decoding agree with the SDK's own code."""
from __future__ import annotations

import time

from hubble_exchange.eip712 import encode_signed_order, get_signed_order_hash
from hubble_exchange.models import SignedOrder

from tests.simnet.hubble_helpers import ADDR_A, KEY_A
from tools.simnet.hubble.signing import decode_signed_order, recover_signer, signed_order_hash


def _order(qty: int, price: int, salt: int, reduce_only: bool = False) -> SignedOrder:
    return SignedOrder(id=None, signature=None, amm_index=1, trader=ADDR_A, base_asset_quantity=qty,
                       price=price, salt=salt, reduce_only=reduce_only, expire_at=int(time.time()) + 60)


def test_hash_decode_and_recover_match_the_sdk() -> None:
    for qty, price, salt, ro in [(10 ** 18, 35_123_000, 1, False), (-3 * 10 ** 18, 1, 2 ** 200, True)]:
        order = _order(qty, price, salt, ro)
        encoded = encode_signed_order(order, KEY_A)
        msg = decode_signed_order(bytes(encoded))
        assert (msg.amm_index, msg.trader, msg.base_asset_quantity, msg.price, msg.salt, msg.reduce_only) == \
               (1, ADDR_A, qty, price, salt, ro)
        assert msg.order_type == 2 and msg.post_only is True
        assert signed_order_hash(msg) == bytes(get_signed_order_hash(order))
        assert recover_signer(signed_order_hash(msg), msg.signature) == ADDR_A


def test_bad_signature_recovers_to_someone_else_or_nothing() -> None:
    msg = decode_signed_order(bytes(encode_signed_order(_order(10 ** 18, 35_000_000, 5), KEY_A)))
    tampered = bytes([msg.signature[0] ^ 1]) + msg.signature[1:]
    assert recover_signer(signed_order_hash(msg), tampered) != ADDR_A
    assert recover_signer(signed_order_hash(msg), b"\x00" * 10) is None
