"""Signed orders: decoding the SDK's encoding, EIP-712 hashing and signer recovery.

Hashing is done by hand (keccak over 32-byte words) instead of building
eip712-structs objects per order: it is what lets the node validate thousands
of orders a second. ``tests/simnet/test_hubble_signing.py`` checks the hash
against the SDK's own ``get_signed_order_hash``.
"""
from __future__ import annotations

from dataclasses import dataclass

from coincurve import PublicKey
from eth_utils import keccak, to_checksum_address

from tools.simnet.hubble.constants import CHAIN_ID, SIGNED_ORDER_BOOK

ORDER_TYPE_SIGNED = 2

_DOMAIN_TYPEHASH = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_ORDER_TYPEHASH = keccak(
    b"Order(uint8 orderType,uint256 expireAt,uint256 ammIndex,address trader,int256 baseAssetQuantity,"
    b"uint256 price,uint256 salt,bool reduceOnly,bool postOnly)")


def _word(value: int, signed: bool = False) -> bytes:
    return value.to_bytes(32, "big", signed=signed)


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


DOMAIN_SEPARATOR = keccak(
    _DOMAIN_TYPEHASH + keccak(b"Hubble") + keccak(b"2.0") + _word(CHAIN_ID) + _address_word(SIGNED_ORDER_BOOK))


class OrderDecodeError(ValueError):
    """The bytes are not an ABI-encoded signed order."""


@dataclass
class SignedOrderMsg:
    """A signed order as the node receives it (integers already scaled)."""
    order_type: int
    expire_at: int
    amm_index: int
    trader: str          # checksum address
    base_asset_quantity: int
    price: int
    salt: int
    reduce_only: bool
    post_only: bool
    signature: bytes

    def order_hash(self) -> bytes:
        return signed_order_hash(self)


def signed_order_hash(o: SignedOrderMsg) -> bytes:
    """EIP-712 digest of the order (what the SDK signs and uses as the order id)."""
    struct = keccak(
        _ORDER_TYPEHASH + _word(o.order_type) + _word(o.expire_at) + _word(o.amm_index)
        + _address_word(o.trader) + _word(o.base_asset_quantity, signed=True) + _word(o.price)
        + _word(o.salt) + _word(int(o.reduce_only)) + _word(int(o.post_only)))
    return keccak(b"\x19\x01" + DOMAIN_SEPARATOR + struct)


def _uint(data: bytes, index: int) -> int:
    return int.from_bytes(data[index * 32:(index + 1) * 32], "big")


def decode_signed_order(data: bytes) -> SignedOrderMsg:
    """Decode (uint8,uint256,uint256,address,int256,uint256,uint256,bool,bool,bytes)."""
    if len(data) < 11 * 32:
        raise OrderDecodeError("abi: cannot marshal in to go type: length insufficient")
    offset = _uint(data, 9)
    length = int.from_bytes(data[offset:offset + 32], "big") if offset + 32 <= len(data) else -1
    if length < 0 or offset + 32 + length > len(data):
        raise OrderDecodeError("abi: cannot marshal in to go slice: offset greater than length")
    return SignedOrderMsg(
        order_type=_uint(data, 0), expire_at=_uint(data, 1), amm_index=_uint(data, 2),
        trader=to_checksum_address(data[3 * 32 + 12:4 * 32]),
        base_asset_quantity=int.from_bytes(data[4 * 32:5 * 32], "big", signed=True),
        price=_uint(data, 5), salt=_uint(data, 6), reduce_only=bool(_uint(data, 7)),
        post_only=bool(_uint(data, 8)), signature=bytes(data[offset + 32:offset + 32 + length]))


def recover_signer(digest: bytes, signature: bytes) -> str | None:
    """Address that produced the 65-byte (r, s, v) signature over digest, or None."""
    if len(signature) != 65:
        return None
    v = signature[64]
    if v >= 27:
        v -= 27
    if v not in (0, 1):
        return None
    try:
        public = PublicKey.from_signature_and_message(signature[:64] + bytes([v]), digest, hasher=None)
    except Exception:  # invalid curve point / bad signature
        return None
    return to_checksum_address(keccak(public.format(compressed=False)[1:])[-20:])
