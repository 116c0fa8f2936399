"""Hyperliquid L1 action signing, byte-identical to the SDK's ``sign_l1_action`` and several times faster.

The SDK builds an EIP-712 message dict and lets eth-account encode and sign
it for every action. The action hash (msgpack + nonce + vault flag) is the
SDK's own ``action_hash``; the rest is fixed: the "Exchange" domain (chain
1337, zero verifying contract) and the ``Agent(string source, bytes32
connectionId)`` struct, so both type hashes and the domain separator are
computed once. The digest is signed with coincurve (RFC 6979, low-s, like
eth-keys), and the signature is returned in the SDK's {"r", "s", "v"} form.
tests/test_hyperliquid_signing.py checks identity on many random actions.
"""
from __future__ import annotations

from typing import Any

import coincurve
from eth_utils import keccak, to_hex
from hyperliquid.utils.signing import action_hash

_DOMAIN_TYPEHASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_DOMAIN_SEPARATOR = keccak(_DOMAIN_TYPEHASH + keccak(b"Exchange") + keccak(b"1") + (1337).to_bytes(32, "big")
                           + bytes(32))
_AGENT_TYPEHASH = keccak(b"Agent(string source,bytes32 connectionId)")
_SOURCE_HASH = {True: keccak(b"a"), False: keccak(b"b")}      # mainnet "a", testnet "b"


class L1Signer:
    """Signs L1 actions for one key (kept inside coincurve; never logged)."""

    def __init__(self, private_key: str):
        self._key = coincurve.PrivateKey(bytes.fromhex(private_key.removeprefix("0x")))

    def __repr__(self) -> str:
        return "L1Signer(<key hidden>)"

    @staticmethod
    def digest(action: Any, vault_address: str | None, nonce: int, expires_after: int | None,
               is_mainnet: bool) -> bytes:
        connection_id = action_hash(action, vault_address, nonce, expires_after)
        agent = keccak(_AGENT_TYPEHASH + _SOURCE_HASH[is_mainnet] + connection_id)
        return keccak(b"\x19\x01" + _DOMAIN_SEPARATOR + agent)

    def sign(self, action: Any, vault_address: str | None, nonce: int, expires_after: int | None,
             is_mainnet: bool) -> dict[str, Any]:
        raw = self._key.sign_recoverable(self.digest(action, vault_address, nonce, expires_after, is_mainnet),
                                         hasher=None)
        return {"r": to_hex(int.from_bytes(raw[:32], "big")), "s": to_hex(int.from_bytes(raw[32:64], "big")),
                "v": raw[64] + 27}
