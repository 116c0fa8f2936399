"""Blocks, transactions, receipts and logs of the simulated chain.

Every transaction is mined at once into its own block (the node accepts its
blocks within a second; clients poll for receipts anyway). Background trades
of the simulated market get blocks of their own, with a synthetic tx hash.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_utils import keccak

ZERO_HASH = "0x" + "00" * 32
BASE_FEE = 10 ** 9        # wei, constant
PRIORITY_FEE = 10 ** 9


@dataclass
class Tx:
    hash: str
    sender: str
    to: str | None
    nonce: int
    gas: int
    data: str
    value: int = 0
    index: int = 0


@dataclass
class Block:
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    txs: list[Tx] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)   # block fields filled in


def _hash32(*parts: object) -> str:
    return "0x" + keccak("|".join(map(str, parts)).encode()).hex()


class Chain:
    def __init__(self, seed: int, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.seed = seed
        genesis = Block(0, _hash32(seed, "genesis"), ZERO_HASH, int(clock()))
        self.blocks: list[Block] = [genesis]
        self.receipts: dict[str, dict[str, Any]] = {}
        self.txs: dict[str, Tx] = {}
        self.nonces: dict[str, int] = {}        # lowercase address -> next nonce

    @property
    def head(self) -> Block:
        return self.blocks[-1]

    def next_nonce(self, address: str) -> int:
        return self.nonces.get(address.lower(), 0)

    def new_block(self) -> Block:
        number = self.head.number + 1
        block = Block(number, _hash32(self.seed, "block", number), self.head.hash, int(self.clock()))
        self.blocks.append(block)
        return block

    def seal(self, block: Block, tx: Tx | None, logs: list[dict[str, Any]], status: int = 1) -> str:
        """Attach a transaction (or a synthetic one) and its logs to the block; returns the tx hash."""
        if tx is None:
            tx = Tx(_hash32(self.seed, "market", block.number), "0x" + "00" * 20, None, 0, 0, "0x")
        tx.index = len(block.txs)
        block.txs.append(tx)
        self.txs[tx.hash] = tx
        first = len(block.logs)
        for i, log in enumerate(logs):
            log.update({"blockNumber": hex(block.number), "blockHash": block.hash,
                        "transactionHash": tx.hash, "transactionIndex": hex(tx.index),
                        "logIndex": hex(first + i), "removed": False})
            block.logs.append(log)
        if tx.to is not None:
            self.nonces[tx.sender.lower()] = tx.nonce + 1
        self.receipts[tx.hash] = {
            "transactionHash": tx.hash, "transactionIndex": hex(tx.index), "blockHash": block.hash,
            "blockNumber": hex(block.number), "from": tx.sender, "to": tx.to,
            "cumulativeGasUsed": hex(21000 * (tx.index + 1)), "gasUsed": hex(21000),
            "effectiveGasPrice": hex(BASE_FEE + PRIORITY_FEE), "contractAddress": None,
            "logs": logs, "logsBloom": "0x" + "00" * 256, "status": hex(status), "type": "0x2",
        }
        return tx.hash

    # ---- queries ----------------------------------------------------------
    def block_by_number(self, tag: str | int) -> Block | None:
        number = self.resolve(tag)
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def resolve(self, tag: str | int | None) -> int:
        if tag is None or tag in ("latest", "pending", "safe", "finalized", "accepted"):
            return self.head.number
        if tag == "earliest":
            return 0
        return int(tag, 16) if isinstance(tag, str) else int(tag)

    def block_json(self, block: Block, full: bool) -> dict[str, Any]:
        txs: list[Any] = [self.tx_json(t, block) for t in block.txs] if full else [t.hash for t in block.txs]
        return {
            "number": hex(block.number), "hash": block.hash, "parentHash": block.parent_hash,
            "timestamp": hex(block.timestamp), "nonce": "0x0000000000000000", "difficulty": "0x1",
            "totalDifficulty": hex(block.number + 1), "gasLimit": hex(15_000_000),
            "gasUsed": hex(21000 * len(block.txs)), "baseFeePerGas": hex(BASE_FEE),
            "miner": "0x" + "00" * 20, "extraData": "0x", "logsBloom": "0x" + "00" * 256,
            "mixHash": ZERO_HASH, "sha3Uncles": _hash32("uncles"), "stateRoot": _hash32("state", block.number),
            "receiptsRoot": _hash32("receipts", block.number), "transactionsRoot": _hash32("txs", block.number),
            "size": hex(1000), "uncles": [], "transactions": txs,
        }

    def tx_json(self, tx: Tx, block: Block | None = None) -> dict[str, Any]:
        receipt = self.receipts.get(tx.hash, {})
        return {
            "hash": tx.hash, "from": tx.sender, "to": tx.to, "nonce": hex(tx.nonce), "gas": hex(tx.gas),
            "input": tx.data, "value": hex(tx.value), "type": "0x2", "chainId": hex(1992),
            "maxFeePerGas": hex(BASE_FEE * 2 + PRIORITY_FEE), "maxPriorityFeePerGas": hex(PRIORITY_FEE),
            "gasPrice": hex(BASE_FEE + PRIORITY_FEE), "blockHash": receipt.get("blockHash"),
            "blockNumber": receipt.get("blockNumber"), "transactionIndex": receipt.get("transactionIndex"),
            "v": "0x0", "r": "0x0", "s": "0x0", "accessList": [],
        }

    def get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        if "blockHash" in flt:
            numbers = [b.number for b in self.blocks if b.hash == flt["blockHash"]]
            lo = hi = numbers[0] if numbers else -1
        else:
            lo, hi = self.resolve(flt.get("fromBlock", "latest")), self.resolve(flt.get("toBlock", "latest"))
        addresses = flt.get("address")
        if isinstance(addresses, str):
            addresses = [addresses]
        wanted = {a.lower() for a in addresses} if addresses else None
        topics = flt.get("topics") or []
        out = []
        for number in range(max(lo, 0), min(hi, self.head.number) + 1):
            for log in self.blocks[number].logs:
                if wanted is not None and log["address"].lower() not in wanted:
                    continue
                if _topics_match(log["topics"], topics):
                    out.append(log)
        return out


def _topics_match(have: list[str], want: list[Any]) -> bool:
    for i, choice in enumerate(want):
        if choice is None:
            continue
        if i >= len(have):
            return False
        options = choice if isinstance(choice, list) else [choice]
        if have[i].lower() not in {o.lower() for o in options}:
            return False
    return True
