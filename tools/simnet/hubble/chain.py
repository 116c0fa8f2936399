"""Blocks, the transaction pool, receipts and logs of the simulated chain.

Sources (hubblenet):
- eth/api_backend.go HeaderByNumber / BlockByNumber: with allow-unfinalized-queries off (the
  default; network-configs/hubblenet/chain_api_node.json does not turn it on) "latest" is the
  last *accepted* block and higher numbers answer "cannot query unfinalized data".
- core/blockchain.go writeBlockAcceptedIndices: transaction lookups (hence receipts) are
  written when a block is accepted, not when it becomes the head.
- eth/filters/filter.go Logs: ranges past the last accepted block are refused.
- core/txpool/txpool.go checkTxState: nonce and balance checks and their error texts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_utils import keccak

from tools.simnet.hubble import constants as C

ZERO_HASH = "0x" + "00" * 32


class ChainError(Exception):
    """A JSON-RPC error of the eth namespace (code -32000 unless said otherwise)."""

    def __init__(self, message: str, code: int = -32000):
        super().__init__(message)
        self.code, self.message = code, message


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
    type: int = 2
    max_fee: int = 2 * C.BASE_FEE + C.PRIORITY_FEE
    tip: int = C.PRIORITY_FEE
    matching: bool = False    # a validator's matching transaction (re-signed by the winner of a reorg)

    @property
    def cost(self) -> int:
        """types.Transaction.Cost: gas fee cap * gas limit + value."""
        return self.max_fee * self.gas + self.value

    @property
    def gas_price(self) -> int:
        return min(self.max_fee, C.BASE_FEE + self.tip)


@dataclass
class FeedItem:
    kind: str                 # "trader" | "market"
    key: Any                  # lowercase trader address | market id
    event: dict[str, Any]     # without BlockStatus, Removed and TransactionHash
    tx_index: int


@dataclass
class Block:
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    version: int = 0
    txs: list[Tx] = field(default_factory=list)
    tx_logs: list[list[dict[str, Any]]] = field(default_factory=list)   # per tx: address, topics, data
    statuses: list[int] = field(default_factory=list)
    feed: list[FeedItem] = field(default_factory=list)
    records: list = field(default_factory=list)          # engine events, replayed by the index on accept
    snapshots: dict[str, tuple[int, int]] = field(default_factory=dict)   # trader -> (margin, reserved)
    finalized: list = field(default_factory=list)        # orders filled or cancelled in this block
    accepted: bool = False


def hash32(*parts: object) -> str:
    return "0x" + keccak("|".join(map(str, parts)).encode()).hex()


class TxPool:
    """Pending transactions per sender and nonce, in arrival order."""

    def __init__(self) -> None:
        self.by_sender: dict[str, dict[int, Tx]] = {}
        self.hashes: set[str] = set()
        self.arrived_at: dict[str, float] = {}      # tx hash -> time.monotonic() it entered the pool
        self._arrival: dict[str, int] = {}
        self._count = 0

    def add(self, tx: Tx) -> None:
        self._count += 1
        self.by_sender.setdefault(tx.sender.lower(), {})[tx.nonce] = tx
        self.hashes.add(tx.hash)
        self._arrival[tx.hash] = self._count
        self.arrived_at[tx.hash] = time.monotonic()

    def remove(self, tx: Tx) -> None:
        self.by_sender.get(tx.sender.lower(), {}).pop(tx.nonce, None)
        self.hashes.discard(tx.hash)
        self._arrival.pop(tx.hash, None)
        self.arrived_at.pop(tx.hash, None)

    def executable(self, next_nonce: Callable[[str], int], ready: Callable[[Tx], bool] | None = None) -> list[Tx]:
        """Transactions whose nonces follow the sender's state nonce without a gap, by arrival.

        With `ready`, a sender's run stops at its first transaction that is not ready (the block
        builder's view: one not yet gossiped to the validators holds back the later nonces too).
        """
        found: list[Tx] = []
        for sender, queue in self.by_sender.items():
            nonce = next_nonce(sender)
            while nonce in queue and (ready is None or ready(queue[nonce])):
                found.append(queue[nonce])
                nonce += 1
        return sorted(found, key=lambda tx: (self._arrival[tx.hash]))


class Chain:
    def __init__(self, seed: int, default_balance: int, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.seed = seed
        genesis = Block(0, hash32(seed, "genesis"), ZERO_HASH, int(clock()), accepted=True)
        self.blocks: list[Block] = [genesis]
        self.accepted = 0
        self.where: dict[str, tuple[int, int]] = {}     # tx hash -> (block number, index)
        self.nonces: dict[str, int] = {}                # head state: lowercase address -> next nonce
        self.accepted_nonces: dict[str, int] = {}
        self.balances: dict[str, int] = {}              # native (USDC, 18 decimals), head state
        self.default_balance = default_balance
        self.pool = TxPool()

    # ---- state ------------------------------------------------------------
    @property
    def head(self) -> Block:
        return self.blocks[-1]

    @property
    def accepted_block(self) -> Block:
        return self.blocks[self.accepted]

    def next_nonce(self, address: str, accepted: bool = False) -> int:
        return (self.accepted_nonces if accepted else self.nonces).get(address.lower(), 0)

    def pending_nonce(self, address: str) -> int:
        nonce = self.next_nonce(address)
        queue = self.pool.by_sender.get(address.lower(), {})
        while nonce in queue:
            nonce += 1
        return nonce

    def balance(self, address: str) -> int:
        return self.balances.setdefault(address.lower(), self.default_balance)

    # ---- building -----------------------------------------------------------
    def new_block(self, timestamp: int) -> Block:
        number = self.head.number + 1
        return Block(number, hash32(self.seed, "block", number, 0), self.head.hash, timestamp)

    def add_tx(self, block: Block, tx: Tx, logs: list[dict[str, Any]], status: int = 1) -> int:
        tx.index = len(block.txs)
        block.txs.append(tx)
        block.tx_logs.append(logs)
        block.statuses.append(status)
        if not tx.matching and tx.to is not None:
            self.nonces[tx.sender.lower()] = tx.nonce + 1
            key = tx.sender.lower()
            self.balances[key] = self.balance(key) - C.GAS_USED * tx.gas_price
        return tx.index

    def append(self, block: Block) -> None:
        self.blocks.append(block)
        for tx in block.txs:
            self.where[tx.hash] = (block.number, tx.index)

    def accept(self, number: int) -> Block:
        block = self.blocks[number]
        block.accepted = True
        self.accepted = number
        for tx in block.txs:
            if not tx.matching and tx.to is not None:
                self.accepted_nonces[tx.sender.lower()] = tx.nonce + 1
        return block

    def rehash(self, block: Block, version: int, signer: str | None) -> None:
        """The block is replaced at the same height: new hash; matching txs re-signed by `signer`."""
        block.version = version
        block.hash = hash32(self.seed, "block", block.number, version)
        for tx in block.txs:
            if tx.matching and signer is not None:
                self.where.pop(tx.hash, None)
                tx.hash, tx.sender = hash32(tx.hash, "resigned", version), signer
                self.where[tx.hash] = (block.number, tx.index)
        if block.number + 1 < len(self.blocks):
            self.blocks[block.number + 1].parent_hash = block.hash

    # ---- queries ----------------------------------------------------------
    def resolve(self, tag: str | int | None) -> int:
        """A block tag or number; "latest" and friends are the last accepted block."""
        if tag is None or tag in ("latest", "pending", "safe", "finalized", "accepted"):
            return self.accepted
        if tag == "earliest":
            return 0
        return int(tag, 16) if isinstance(tag, str) else int(tag)

    def visible_block(self, number: int) -> Block | None:
        if number > self.accepted:
            raise ChainError("cannot query unfinalized data")
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def lookup(self, tx_hash: str) -> tuple[Block, Tx] | None:
        where = self.where.get(tx_hash.lower())
        if where is None:
            return None
        block = self.blocks[where[0]]
        return block, block.txs[where[1]]

    def logs_of(self, block: Block, index: int, removed: bool = False) -> list[dict[str, Any]]:
        tx = block.txs[index]
        first = sum(len(logs) for logs in block.tx_logs[:index])
        return [{**log, "blockNumber": hex(block.number), "blockHash": block.hash, "transactionHash": tx.hash,
                 "transactionIndex": hex(index), "logIndex": hex(first + i), "removed": removed}
                for i, log in enumerate(block.tx_logs[index])]

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """Receipts exist once the block is accepted (tx lookup entries)."""
        found = self.lookup(tx_hash)
        if found is None or not found[0].accepted:
            return None
        block, tx = found
        return {
            "transactionHash": tx.hash, "transactionIndex": hex(tx.index), "blockHash": block.hash,
            "blockNumber": hex(block.number), "from": tx.sender, "to": tx.to,
            "cumulativeGasUsed": hex(C.GAS_USED * (tx.index + 1)), "gasUsed": hex(C.GAS_USED),
            "effectiveGasPrice": hex(tx.gas_price), "contractAddress": None,
            "logs": self.logs_of(block, tx.index), "logsBloom": "0x" + "00" * 256,
            "status": hex(block.statuses[tx.index]), "type": hex(tx.type),
        }

    def block_json(self, block: Block, full: bool) -> dict[str, Any]:
        txs: list[Any] = [self.tx_json(t, block) for t in block.txs] if full else [t.hash for t in block.txs]
        return {
            "number": hex(block.number), "hash": block.hash, "parentHash": block.parent_hash,
            "timestamp": hex(block.timestamp), "nonce": "0x0000000000000000", "difficulty": "0x1",
            "totalDifficulty": hex(block.number + 1), "gasLimit": hex(15_000_000),
            "gasUsed": hex(C.GAS_USED * len(block.txs)), "baseFeePerGas": hex(C.BASE_FEE),
            "miner": "0x" + "00" * 20, "extraData": "0x", "logsBloom": "0x" + "00" * 256,
            "mixHash": ZERO_HASH, "sha3Uncles": hash32("uncles"), "stateRoot": hash32("state", block.number),
            "receiptsRoot": hash32("receipts", block.number), "transactionsRoot": hash32("txs", block.number),
            "size": hex(1000), "uncles": [], "transactions": txs,
        }

    def tx_json(self, tx: Tx, block: Block | None) -> dict[str, Any]:
        return {
            "hash": tx.hash, "from": tx.sender, "to": tx.to, "nonce": hex(tx.nonce), "gas": hex(tx.gas),
            "input": tx.data, "value": hex(tx.value), "type": hex(tx.type), "chainId": hex(C.CHAIN_ID),
            "maxFeePerGas": hex(tx.max_fee), "maxPriorityFeePerGas": hex(tx.tip), "gasPrice": hex(tx.gas_price),
            "blockHash": block.hash if block else None, "blockNumber": hex(block.number) if block else None,
            "transactionIndex": hex(tx.index) if block else None, "v": "0x0", "r": "0x0", "s": "0x0",
            "accessList": [],
        }

    def get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        if "blockHash" in flt:
            numbers = [b.number for b in self.blocks if b.hash == flt["blockHash"] and b.accepted]
            lo = hi = numbers[0] if numbers else -1
        else:
            lo, hi = self.resolve(flt.get("fromBlock", "latest")), self.resolve(flt.get("toBlock", "latest"))
            if lo > self.accepted:
                raise ChainError(f"requested from block {lo} after last accepted block {self.accepted}")
            if hi > self.accepted:
                raise ChainError(f"requested to block {hi} after last accepted block {self.accepted}")
        addresses = flt.get("address")
        if isinstance(addresses, str):
            addresses = [addresses]
        wanted = {a.lower() for a in addresses} if addresses else None
        topics = flt.get("topics") or []
        out = []
        for number in range(max(lo, 0), hi + 1):
            block = self.blocks[number]
            for index in range(len(block.txs)):
                for log in self.logs_of(block, index):
                    if (wanted is None or log["address"].lower() in wanted) and _topics_match(log["topics"], topics):
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
