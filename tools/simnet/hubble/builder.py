"""Block production: matching happens when a block is built, fills reach the feeds per block.

Sources (hubblenet):
- plugin/evm/block_builder.go: a block is built when the mempool has transactions (or the
  matching pipeline found matches, limit_order.go RunMatchingPipeline -> signalTxsReady).
- miner/worker.go commitNewWork + commitOrderbookTxs (#185 "Match orders in same block as they
  are placed"): user transactions run first, then the orders they placed are matched and the
  matching transactions join the same block.
- tx_processor.go ExecuteMatchedOrdersTx: one executeMatchedOrders transaction per matched pair,
  signed by the validator; matching_pipeline.go Run: funding is settled first (settleFunding
  once nextFundingTime passed).
- plugin/evm/limit_order.go: the head block's logs go to the trader/market feeds as "head"
  (and into the order book), the accepted block's logs again as "accepted" (and into margin
  and positions).
- core/blockchain.go reorg + SetPreference: a replaced block's logs come back with
  Removed=true, then the new block's logs (same height) with Removed=false.
Block pacing (docs/simnet/hubble.md "Block pacing"; hubblenet 3b29c1a6, avalanchego v1.11.2 daeacb18):
- A transaction entering a validator's pool signals the engine at once (plugin/evm/block_builder.go
  awaitSubmittedTxs -> signalTxsReady, l.125-161); after each build a 50 ms timer signals again if
  transactions are still pending (minBlockBuildingRetryDelay, l.23, 75-96). simnet builds in one
  step, so nothing can arrive during a build and the retry never has work: not modelled.
- No minimum gap: the proposervm holds the signal until parent timestamp + max(slot delay,
  ProposerMinBlockDelay) (vms/proposervm/vm.go l.385-414, scheduler/scheduler.go), and the mainnet
  subnet config sets proposerMinBlockDelay 0 (network-configs/hubblenet/2mxZY7..json l.2; the
  avalanchego default would be 1 s, vm.go l.43). Blocks may share a whole-second timestamp
  (miner/worker.go l.137-145). ``block_time_s`` (default 0) is a minimum gap between builds; the
  former 1.5 s (issue 9's figure, no source) stays available as an explicit setting.
- User transactions reach the validators at the RPC node's push-gossip tick: eth_sendRawTransaction
  queues them (eth/api_backend.go SendTx l.339-350), gossip.Every sends the queue every
  push-gossip-frequency, 100 ms by default (plugin/evm/vm.go l.781-785, config.go l.42; no config in
  network-configs/hubblenet changes it) to all validators (config.go l.38). The SDK's RPC serves the
  trading API, which only the non-validator API/archival configs enable (chain_api_node.json vs
  chain_validator_1.json; config.go l.67-68). ``tx_gossip_s`` (0.1; 0 = straight to the builder)
  applies to RPC transactions and to the background takers (assumed to use an RPC node too).
- At most ``max_processing`` (10) built blocks await acceptance: snowman builds only while
  NumProcessing < OptimalProcessing (snow/engine/snowman/transitive.go l.667-674, default 10 in
  snow/consensus/snowball/parameters.go l.45) and tries again when a poll decides a block (l.440).
- Matching adds no pacing: #185 matches a block's new orders inside it, and the matching pipeline run
  after each head block (plugin/evm/limit_order.go l.169-178, 230) only signals another block when it
  found matches (here: trigger_matching, resting IOCs).
- The fee config adds none either: blockGasCostStep 0, minBlockGasCost 0 (genesis.json feeConfig,
  consensus/dummy/dynamic_fees.go calcBlockGasCost l.208-241): a fast block costs no extra tip.
Liquidations (liquidation.py): the matching pipeline runs after every head block and when its
MatchingTicker fires (matching_pipeline.go matchingTickerDuration 5 s, reset by every run;
plugin/evm/limit_order.go l.230, 345); when it finds liquidations it signals a block, whose first
transactions after funding are the liquidateAndExecuteOrder calls (Run: funding, liquidations, then
the matching engine).
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from tools.simnet.hubble import constants as C
from tools.simnet.hubble import liquidation
from tools.simnet.hubble.access import ChainFlags
from tools.simnet.hubble.chain import Block, Chain, FeedItem, Tx, hash32
from tools.simnet.hubble.engine import Engine, Fill
from tools.simnet.hubble.eventlog import EventLog
from tools.simnet.hubble.memdb import NodeIndex
from tools.simnet.hubble.orders import Order
from tools.simnet.hubble.txexec import TxExecutor, background_ioc
from tools.simnet.hubble.wire import finish

Publisher = Callable[[str, Any, dict[str, Any]], None]
log = logging.getLogger("simnet.hubble")


@dataclass
class BuilderParams:
    block_time_s: float = 0.0          # minimum gap between builds: proposerMinBlockDelay 0 (mainnet subnet config)
    tx_gossip_s: float = 0.1           # RPC node -> validators push-gossip tick (push-gossip-frequency default)
    max_processing: int = 10           # built blocks awaiting acceptance before building stops (OptimalProcessing)
    accept_delay_s: float = 0.5        # unconfirmed: head -> accepted latency of the subnet
    funding_rate: float = 0.0000125    # per period, x oracle price; unconfirmed (0.01% per 8 h, hourly)
    funding_period_s: float = 3600.0   # litepaper (docs.hubble.exchange/litepaper): funding every hour
    matching_ticker_s: float = 5.0     # matching_pipeline.go matchingTickerDuration (0 = runs after blocks only)
    auto_mine: bool = True             # False: blocks only on the "mine" control action (stepped tests)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "BuilderParams":
        p = cls()
        for name, default in vars(cls()).items():
            if name in options:
                setattr(p, name, type(default)(options[name]))
        return p


@dataclass
class TakeIntent:
    market: int
    is_long: bool
    size: int
    price: int | None
    future: asyncio.Future | None = None
    result: dict[str, Any] = field(default_factory=dict)
    arrived: float = field(default_factory=time.monotonic)


class BlockBuilder:
    def __init__(self, engine: Engine, chain: Chain, index: NodeIndex, executor: TxExecutor, eventlog: EventLog,
                 flags: ChainFlags, publish: Publisher, params: BuilderParams, clock: Callable[[], float] = time.time):
        self.engine, self.chain, self.index, self.executor = engine, chain, index, executor
        self.eventlog, self.flags, self.publish, self.params, self.clock = eventlog, flags, publish, params, clock
        period = params.funding_period_s
        self.next_funding = int(math.ceil(clock() / period) * period) if period > 0 else 0
        self.intents: list[TakeIntent] = []
        self.trigger_matching = False
        self.liquidations_pending = False   # the last pipeline run found liquidations to send
        self.hold = False
        self._wake: asyncio.Event | None = None
        self._gossip_epoch = time.monotonic()       # the RPC node's push-gossip ticker started here
        self._last_built = -math.inf
        self._built_at: dict[int, float] = {}
        self._accept_waiters: list[tuple[int, asyncio.Future]] = []
        self._validator_nonce = 0
        self._pipeline_due = time.monotonic() + params.matching_ticker_s

    # ---- pacing -----------------------------------------------------------------
    async def run(self) -> None:
        self._wake = asyncio.Event()
        while self.params.auto_mine:
            if self.params.matching_ticker_s > 0 and time.monotonic() >= self._pipeline_due:
                self.run_pipeline()
            due = self.next_build_at()
            now = time.monotonic()
            if due is not None and due <= now:
                self.build(gossiped_only=True)
                continue
            self._wake.clear()     # new work, an accepted block or the "mine" action wake it
            timeout = 1.0 if due is None else min(1.0, due - now)   # 1 s: funding comes due with time
            if self.params.matching_ticker_s > 0:
                timeout = max(0.0, min(timeout, self._pipeline_due - now))
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except asyncio.TimeoutError:
                pass

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def has_work(self) -> bool:
        """Anything to build, gossiped or not (the "mine" action builds it all, liquidations included)."""
        self.run_pipeline()
        return bool(self.intents or self._local_work() or self.chain.pool.executable(self.chain.next_nonce))

    def _local_work(self) -> bool:
        """Work of the validator itself, no gossip: funding due, the matching pipeline found matches."""
        funding_due = (not self.flags.settled and self.params.funding_period_s > 0
                       and self.clock() >= self.next_funding)
        return self.trigger_matching or self.liquidations_pending or funding_due

    def run_pipeline(self) -> bool:
        """MatchingPipeline.Run, as far as liquidations go: does it find any? (It resets the ticker.)
        The liquidations themselves are sent with the next block (build -> _liquidate), planned again
        there against the same state."""
        self._pipeline_due = time.monotonic() + self.params.matching_ticker_s
        if self.flags.settled:          # no active markets: Run returns at once
            return False
        self.liquidations_pending = bool(liquidation.plan(self.engine, self.index))
        if self.liquidations_pending:
            self.wake()
        return self.liquidations_pending

    def gossiped_at(self, arrived: float) -> float:
        """When something sent to the RPC node at `arrived` reaches the validators: its next push-gossip tick."""
        period = self.params.tx_gossip_s
        if period <= 0:
            return arrived
        return self._gossip_epoch + (math.floor((arrived - self._gossip_epoch) / period) + 1) * period

    def _gossiped(self, now: float) -> Callable[[Tx], bool]:
        arrived = self.chain.pool.arrived_at
        return lambda tx: self.gossiped_at(arrived.get(tx.hash, -math.inf)) <= now

    def next_build_at(self) -> float | None:
        """time.monotonic() at which the node builds the next block by itself; None: nothing to build
        yet (no work, or max_processing blocks await acceptance)."""
        p = self.params
        if p.max_processing > 0 and self.chain.head.number - self.chain.accepted >= p.max_processing:
            return None
        now = time.monotonic()
        ready = [now] if self._local_work() else []
        ready += [self.gossiped_at(i.arrived) for i in self.intents]
        pool = self.chain.pool
        for sender, queue in pool.by_sender.items():       # a sender's run starts with its state nonce
            first = queue.get(self.chain.next_nonce(sender))
            if first is not None:
                ready.append(self.gossiped_at(pool.arrived_at.get(first.hash, now)))
        if not ready:
            return None
        return max(min(ready), self._last_built + p.block_time_s)

    def request_take(self, market: int, is_long: bool, size: int, price: int | None,
                     wait: bool = False) -> TakeIntent:
        intent = TakeIntent(market, is_long, size, price)
        if wait:
            intent.future = asyncio.get_running_loop().create_future()
        self.intents.append(intent)
        self.wake()
        return intent

    # ---- building -----------------------------------------------------------------
    def build(self, gossiped_only: bool = False) -> Block:
        """A block with everything pending; gossiped_only: only what reached the validators by now."""
        engine, chain, ex = self.engine, self.chain, self.executor
        now = time.monotonic()
        ready = self._gossiped(now) if gossiped_only else None
        block = chain.new_block(int(self.clock()))
        engine.block = block.number
        ex.incoming, ex.race_fills = [], []
        self._settle_funding(block)
        self.liquidations_pending = False
        if not self.flags.settled:
            self._liquidate(block)
            for fill in engine.match_resting_iocs():
                self._add_fill(block, fill)
        self.trigger_matching = False
        for tx in chain.pool.executable(chain.next_nonce, ready):
            chain.pool.remove(tx)
            status = ex.execute(tx)
            for fill in ex.race_fills:
                self._add_fill(block, fill)
            ex.race_fills = []
            self._add_tx(block, tx, engine.drain(), status)
        intents, self.intents = self._split_intents(gossiped_only, now)
        for intent in intents:
            self._background_taker(block, intent)
        self._match_incoming(block)
        sealed = self._seal(block, intents)
        self.run_pipeline()              # the head block's logs reach the node: the pipeline runs again
        return sealed

    def _split_intents(self, gossiped_only: bool, now: float) -> tuple[list[TakeIntent], list[TakeIntent]]:
        """(the takers this block includes, those still waiting for their gossip tick)."""
        taken: list[TakeIntent] = []
        waiting: list[TakeIntent] = []
        for intent in self.intents:
            (taken if not gossiped_only or self.gossiped_at(intent.arrived) <= now else waiting).append(intent)
        return taken, waiting

    def _settle_funding(self, block: Block) -> None:
        period = self.params.funding_period_s
        if self.flags.settled or period <= 0 or self.clock() < self.next_funding:
            return
        while self.next_funding <= self.clock():
            self.next_funding += int(period)
        markets = [m.market_id for m in C.MARKETS]
        records = self.engine.settle_funding(self.params.funding_rate, self.next_funding, markets)
        self._add_tx(block, self._validator_tx(block, C.CLEARING_HOUSE), records, 1)

    def _liquidate(self, block: Block) -> None:
        """One liquidateAndExecuteOrder transaction of the validator per match (tx_processor.go
        ExecuteLiquidation); a refused one still lands, with its LiquidationError log."""
        for match in liquidation.plan(self.engine, self.index):
            records, executed = self.engine.liquidate(match.trader, match.order, match.qty)
            if executed:
                self.index.on_fill(match.order, match.qty)
            log.info("hubble block %d: liquidation of %s, %d in market %d against %s: %s", block.number,
                     match.trader, match.qty, match.order.market, match.order.id,
                     "executed" if executed else records[0].err)
            self._add_tx(block, self._validator_tx(block, C.ORDER_BOOK), records, 1)

    def _background_taker(self, block: Block, intent: TakeIntent) -> None:
        order = background_ioc(self.engine, intent.market, intent.is_long, intent.size, intent.price)
        self.executor.admit_background(order)
        tx = Tx(hash32(self.chain.seed, "taker", block.number, order.id), C.BACKGROUND_TAKER, C.IOC_ORDER_BOOK,
                0, 300_000, "0x")
        self._add_tx(block, tx, self.engine.drain(), 1)
        intent.result = {"order": order, "taker_tx": tx.hash, "block": block.number, "txs": []}

    def _match_incoming(self, block: Block) -> None:
        """#185: the orders placed in this block are matched, one transaction per matched pair."""
        for order in self.executor.incoming:
            if order.status != C.STATUS_PLACED:
                continue
            size = self.executor.reduce_only_cap(order) if order.reduce_only else order.remaining
            fills = [] if self.flags.settled else self.engine.take(order, size)
            for fill in fills:
                self._add_fill(block, fill)
            if order.remaining and order.status == C.STATUS_PLACED:
                if order.trader == C.BACKGROUND_TAKER:
                    self.engine.mark_removed(order)     # a synthetic taker never rests
                else:
                    self.engine.rest(order)             # limit: maker; IOC: waits for makers until expiry

    def _add_fill(self, block: Block, fill: Fill) -> None:
        self.index.on_fill(fill.maker, fill.qty)
        self.index.on_fill(fill.taker, fill.qty)
        self._add_tx(block, self._validator_tx(block, C.ORDER_BOOK), fill.events, 1)

    def _validator_tx(self, block: Block, to: str) -> Tx:
        self._validator_nonce += 1
        return Tx(hash32(self.chain.seed, "validator", self._validator_nonce), C.VALIDATORS[0], to,
                  self._validator_nonce, C.MATCHING_TX_GAS, "0x", type=0, matching=True)

    def _add_tx(self, block: Block, tx: Tx, records: list, status: int) -> None:
        logs, feed = [], []
        for record in records:
            log, item = self.eventlog.render(record, block.number, block.timestamp)
            if log is not None:
                logs.append(log)
            if item is not None:
                feed.append(item)
        index = self.chain.add_tx(block, tx, logs, status)
        block.feed += [FeedItem(kind, key, event, index) for kind, key, event in feed]
        block.records += records

    def _seal(self, block: Block, intents: list[TakeIntent]) -> Block:
        engine = self.engine
        block.snapshots = {t: (engine.accounts[t].margin, engine.accounts[t].reserved)
                           for t in engine.touched if t in engine.accounts}
        engine.touched.clear()
        block.finalized, engine.finalized = engine.finalized, []
        self.chain.append(block)
        self._last_built = time.monotonic()
        self._built_at[block.number] = self._last_built
        self._push(block, "head", removed=False)
        self._finish_intents(block, intents)
        self._schedule_accept(block.number)
        return block

    def _finish_intents(self, block: Block, intents: list[TakeIntent]) -> None:
        if not intents:
            return
        matching: dict[str, list[str]] = {}     # order id (hex, no 0x) -> the validator txs whose logs name it
        for tx, logs in zip(block.txs, block.tx_logs):
            if tx.sender == C.VALIDATORS[0]:
                for topic in {t[2:] for log in logs for t in log["topics"]}:
                    matching.setdefault(topic, []).append(tx.hash)
        for intent in intents:
            order: Order = intent.result.pop("order")
            txs = matching.get(order.id[2:], [])
            intent.result.update(filled=order.filled, tx=txs[0] if txs else None, txs=txs)
            if intent.future is not None and not intent.future.done():
                intent.future.set_result(intent.result)

    def _push(self, block: Block, level: str, removed: bool) -> None:
        self._push_later(block, removed, level)()

    def _push_later(self, block: Block, removed: bool, level: str = "head") -> Callable[[], None]:
        """The block's feed events as they are now (transaction hashes included), published when called."""
        events = [(item.kind, item.key, finish(item.event, level, removed, block.txs[item.tx_index].hash))
                  for item in block.feed]
        return lambda: [self.publish(kind, key, event) for kind, key, event in events] and None

    # ---- acceptance -------------------------------------------------------------------
    def _schedule_accept(self, number: int) -> None:
        if self.params.accept_delay_s <= 0:
            self.accept_due()
        else:
            asyncio.get_running_loop().call_later(self.params.accept_delay_s, self.accept_due)

    def accept_due(self, force: bool = False) -> int:
        """Accept, in order, every built block whose acceptance delay passed (all of them if forced)."""
        if self.hold and not force:
            return self.chain.accepted
        now = time.monotonic()
        while self.chain.accepted < self.chain.head.number:
            number = self.chain.accepted + 1
            if not force and self._built_at.get(number, 0) + self.params.accept_delay_s > now + 1e-9:
                break
            block = self.chain.accept(number)
            self.index.accept(block)
            self._push(block, "accepted", removed=False)
        self._release_waiters()
        self.wake()          # snowman builds again once a block is decided (max_processing)
        return self.chain.accepted

    def wait_accepted(self, number: int) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._accept_waiters.append((number, future))
        self._release_waiters()
        return future

    def _release_waiters(self) -> None:
        keep = []
        for number, future in self._accept_waiters:
            if self.chain.accepted >= number:
                if not future.done():
                    future.set_result(number)
            else:
                keep.append((number, future))
        self._accept_waiters = keep

    # ---- reorg ----------------------------------------------------------------------------
    def reorg(self, depth: int = 1, matcher: str = "other", first: str = "removed") -> dict[str, Any]:
        """The last `depth` unaccepted blocks are replaced by blocks with the same transactions.

        Their feed events come back with Removed=true (old hashes), then the new blocks' events
        with Removed=false at the same heights. matcher="other": the winning block was built by
        another validator, whose matching transactions have other hashes (unconfirmed which one
        wins in practice); "same": identical transaction hashes, new block hash only.
        first="mined": the re-mined events reach the subscriber before the removals. The node
        pushes each batch of logs from its own goroutine (hubblenet plugin/evm/limit_order.go
        listenAndStoreLimitOrderTransactions: ``go PushToTraderFeed(logs, head)`` per batch; the
        removed batch is sent first, core/blockchain.go reorg), so either order can arrive.
        """
        head = self.chain.head.number
        low = head - int(depth) + 1
        if low <= self.chain.accepted or low < 1:
            raise ValueError(f"cannot orphan finalized block at height: {self.chain.accepted} "
                             f"to common block at height: {low - 1}")
        blocks = self.chain.blocks[low:]
        removals = [self._push_later(block, removed=True) for block in blocks]
        signer = C.VALIDATORS[1] if matcher == "other" else None
        for block in blocks:
            self.chain.rehash(block, block.version + 1, signer)
        mined = [self._push_later(block, removed=False) for block in blocks]
        for push in (mined + removals if first == "mined" else removals + mined):
            push()
        return {"blocks": [b.number for b in blocks], "hashes": [b.hash for b in blocks]}
