"""ABI plumbing from the ABI files the SDK ships: call decoding, return and log encoding."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hubble_exchange
from eth_abi import decode, encode
from eth_utils import keccak

from tools.simnet.hubble import constants as C

ABI_DIR = Path(hubble_exchange.__file__).parent / "contract_abis"

ABI_FILES = {
    C.ORDER_BOOK: "OrderBook.json",
    C.CLEARING_HOUSE: "ClearingHouse.json",
    C.LIMIT_ORDER_BOOK: "LimitOrderBook.json",
    C.IOC_ORDER_BOOK: "ImmediateOrCancelOrders.json",
    C.SIGNED_ORDER_BOOK: "SignedOrderBook.json",
}


def _type_of(param: dict[str, Any]) -> str:
    """Canonical ABI type, tuples expanded: '(uint256,address)[]'."""
    kind = param["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_type_of(c) for c in param["components"]) + ")" + kind[len("tuple"):]
    return kind


@dataclass(frozen=True)
class Function:
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    name: str
    topic: bytes
    indexed: tuple[str, ...]     # types of the indexed params, in order
    data: tuple[str, ...]        # types of the non-indexed params, in order
    data_names: tuple[str, ...]


def _load(path: Path) -> tuple[dict[bytes, Function], dict[str, Function], dict[str, Event]]:
    by_selector: dict[bytes, Function] = {}
    by_name: dict[str, Function] = {}
    events: dict[str, Event] = {}
    for item in json.loads(path.read_text()):
        if item.get("type") == "function":
            ins = tuple(_type_of(p) for p in item["inputs"])
            outs = tuple(_type_of(p) for p in item.get("outputs", []))
            fn = Function(item["name"], ins, outs)
            by_selector[keccak(f"{fn.name}({','.join(ins)})".encode())[:4]] = fn
            by_name[fn.name] = fn
        elif item.get("type") == "event":
            types = [_type_of(p) for p in item["inputs"]]
            sig = f"{item['name']}({','.join(types)})"
            events[item["name"]] = Event(
                item["name"], keccak(sig.encode()),
                tuple(t for t, p in zip(types, item["inputs"]) if p.get("indexed")),
                tuple(t for t, p in zip(types, item["inputs"]) if not p.get("indexed")),
                tuple(p["name"] for p in item["inputs"] if not p.get("indexed")))
    return by_selector, by_name, events


class Contracts:
    """Every contract the simulated node answers for, keyed by lowercase address."""

    def __init__(self) -> None:
        self.selectors: dict[str, dict[bytes, Function]] = {}
        self.functions: dict[str, dict[str, Function]] = {}
        self.events: dict[str, dict[str, Event]] = {}
        for address, filename in ABI_FILES.items():
            sel, fns, evs = _load(ABI_DIR / filename)
            self.selectors[address], self.functions[address], self.events[address] = sel, fns, evs
        amm_sel, amm_fns, _ = _load(ABI_DIR / "AMM.json")
        for market in C.MARKETS:
            self.selectors[market.amm_address] = amm_sel
            self.functions[market.amm_address] = amm_fns

    def decode_call(self, to: str, data: bytes) -> tuple[Function, tuple[Any, ...]] | None:
        fn = self.selectors.get(to.lower(), {}).get(bytes(data[:4]))
        if fn is None:
            return None
        return fn, decode(list(fn.inputs), bytes(data[4:]))

    def encode_result(self, to: str, name: str, values: tuple[Any, ...]) -> bytes:
        fn = self.functions[to.lower()][name]
        return encode(list(fn.outputs), list(values))

    def event(self, address: str, name: str) -> Event:
        return self.events[address][name]


def topic_word(kind: str, value: Any) -> str:
    """A 32-byte topic for an indexed value."""
    if kind == "address":
        raw = bytes(12) + bytes.fromhex(value[2:])
    elif kind == "bytes32":
        raw = value if isinstance(value, bytes) else bytes.fromhex(value[2:])
    elif kind.startswith("int"):
        raw = int(value).to_bytes(32, "big", signed=True)
    else:
        raw = int(value).to_bytes(32, "big")
    return "0x" + raw.hex()


def encode_log(address: str, event: Event, indexed: tuple[Any, ...], data: tuple[Any, ...]) -> dict[str, Any]:
    """address, topics and data of a log (block fields are added by the chain)."""
    topics = ["0x" + event.topic.hex()] + [topic_word(t, v) for t, v in zip(event.indexed, indexed)]
    return {"address": address, "topics": topics, "data": "0x" + encode_data(list(event.data), list(data)).hex()}


STATIC_WORDS = ("uint", "int", "bool", "address", "bytes32")


def encode_data(types: list[str], values: list[Any]) -> bytes:
    """ABI encoding of a log's data: word by word when every type is a static elementary one (the events
    of every fill), else eth_abi. Byte-identical either way (tests/simnet/test_hubble_abi.py)."""
    if not all(kind.startswith(STATIC_WORDS) and "[" not in kind and "(" not in kind for kind in types):
        return encode(types, values)
    return b"".join(bytes.fromhex(topic_word(kind, value)[2:]) if kind in ("address", "bytes32")
                    else int(value).to_bytes(32, "big", signed=kind.startswith("int")) for kind, value in zip(types, values))
