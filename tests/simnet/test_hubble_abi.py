"""The simulator's fast log encoding is byte-identical to eth_abi's."""
from __future__ import annotations

import random

from eth_abi import encode

from tools.simnet.hubble.abi import encode_data


def test_static_words_match_eth_abi():
    rng = random.Random(5)
    types = ["uint256", "int256", "uint8", "bool", "address", "bytes32", "int256"]
    for _ in range(200):
        values = [rng.randrange(2**256), rng.randrange(-2**255, 2**255), rng.randrange(256), rng.random() < 0.5,
                  "0x" + rng.randbytes(20).hex(), rng.randbytes(32), -rng.randrange(2**200)]
        assert encode_data(types, values) == encode(types, values)


def test_dynamic_types_go_through_eth_abi():
    assert encode_data(["string", "uint256"], ["x", 1]) == encode(["string", "uint256"], ["x", 1])
