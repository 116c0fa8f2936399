"""Hubble signed orders: exact scaling, fast EIP-712 signing, SDK-identical bytes.

The SDK's path (prepare_signed_order + encode_signed_order) builds
eip712-structs objects and signs through eth-account for every order, and
scales float prices. Here prices and sizes come in as Decimal and are scaled
exactly; the EIP-712 digest is computed with one keccak over fixed-layout
bytes and signed with coincurve (RFC 6979, so deterministic). The resulting
signature, order hash and ABI encoding are byte-identical to the SDK's
(tests/test_hubble_orders.py checks many random orders).
"""
from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass
from decimal import Decimal

import coincurve
from eth_utils import keccak, to_checksum_address

PRICE_SCALE = Decimal(10) ** 6
SIZE_SCALE = Decimal(10) ** 18
ORDER_TYPE_SIGNED = 2
_ORDER_TYPEHASH = keccak(
    b"Order(uint8 orderType,uint256 expireAt,uint256 ammIndex,address trader,int256 baseAssetQuantity,"
    b"uint256 price,uint256 salt,bool reduceOnly,bool postOnly)")
_WORD = 32


def _domain_separator() -> bytes:
    """The SignedOrderBook EIP-712 domain of the configured HUBBLE_ENV, as the SDK computes it."""
    from hubble_exchange.eip712 import domain_separator

    return bytes(domain_separator)


def _word(value: int) -> bytes:
    return value.to_bytes(_WORD, "big", signed=value < 0)


def scale_price(price: Decimal) -> int:
    """USD price -> Hubble's 1e6 integer; refuses anything that is not exact."""
    scaled = price * PRICE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"price {price} has more than 6 decimals")
    return int(scaled)


def scale_size(size: Decimal) -> int:
    """Signed base size -> Hubble's 1e18 integer; refuses anything that is not exact."""
    scaled = size * SIZE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"size {size} has more than 18 decimals")
    return int(scaled)


@dataclass(frozen=True)
class SignedHubbleOrder:
    order_id: str               # 0x-prefixed EIP-712 digest (the node's order hash)
    market: int
    trader: str                 # checksum address
    size: Decimal               # signed base units: + bid, - ask
    price: Decimal              # USD
    salt: int
    expire_at: int              # unix seconds
    reduce_only: bool
    signature: bytes
    encoded: bytes              # ABI encoding sent in order_placeSignedOrders

    @property
    def side(self) -> int:
        return 1 if self.size > 0 else -1


class OrderSigner:
    """Signs Hubble orders for one trader key (kept inside coincurve; never logged)."""

    def __init__(self, private_key: str, trader: str):
        self._key = coincurve.PrivateKey(bytes.fromhex(private_key.removeprefix("0x")))
        self.trader = to_checksum_address(trader)
        self._trader_word = bytes(12) + bytes.fromhex(self.trader[2:])
        self._domain = _domain_separator()
        self._salt_counter = itertools.count(random.SystemRandom().randrange(10_000))

    def __repr__(self) -> str:
        return f"OrderSigner(trader={self.trader})"

    def new_salt(self) -> int:
        """Unique per order: nanosecond clock followed by a counter, like the SDK's salts."""
        return int(f"{time.time_ns()}{next(self._salt_counter) % 10_000:04d}")

    def digest(self, market: int, size_scaled: int, price_scaled: int, salt: int,
               expire_at: int, reduce_only: bool) -> bytes:
        struct = b"".join((
            _ORDER_TYPEHASH, _word(ORDER_TYPE_SIGNED), _word(expire_at), _word(market), self._trader_word,
            _word(size_scaled), _word(price_scaled), _word(salt), _word(int(reduce_only)), _word(1)))
        return keccak(b"\x19\x01" + self._domain + keccak(struct))

    def sign(self, market: int, size: Decimal, price: Decimal, expire_at: int,
             reduce_only: bool = False, salt: int | None = None) -> SignedHubbleOrder:
        size_scaled, price_scaled = scale_size(size), scale_price(price)
        salt = self.new_salt() if salt is None else salt
        digest = self.digest(market, size_scaled, price_scaled, salt, expire_at, reduce_only)
        raw = self._key.sign_recoverable(digest, hasher=None)
        signature = raw[:64] + bytes([raw[64] + 27])
        encoded = b"".join((
            _word(ORDER_TYPE_SIGNED), _word(expire_at), _word(market), self._trader_word, _word(size_scaled),
            _word(price_scaled), _word(salt), _word(int(reduce_only)), _word(1),
            _word(10 * _WORD), _word(len(signature)), signature.ljust(96, b"\0")))
        return SignedHubbleOrder("0x" + digest.hex(), market, self.trader, size, price, salt, expire_at,
                                 reduce_only, signature, encoded)
