"""Control actions of the Hubble venue (``net.control("hubble", action, **params)``).

Every action is listed, with its parameters and defaults, in docs/simnet/hubble.md.
Unknown actions fall through to the generic fault knobs (tools/simnet/faults.py).
"""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any, Protocol

from eth_utils import to_checksum_address

from tools.simnet.faults import Faults
from tools.simnet.hubble import constants as C
from tools.simnet.hubble.access import ChainFlags
from tools.simnet.hubble.activity import Activity, round_size
from tools.simnet.hubble.builder import BlockBuilder
from tools.simnet.hubble.chain import Chain
from tools.simnet.hubble.engine import Engine
from tools.simnet.hubble.indexer import Indexer
from tools.simnet.hubble.memdb import NodeIndex, TraderView
from tools.simnet.hubble.node import HubbleNode
from tools.simnet.hubble.rpc import RpcMethods


class Controlled(Protocol):
    """What the control actions reach of the venue (venue.HubbleVenue is one)."""
    engine: Engine
    chain: Chain
    index: NodeIndex
    flags: ChainFlags
    builder: BlockBuilder
    node: HubbleNode
    rpc: RpcMethods
    indexer: Indexer
    activity: Activity
    faults: Faults
    prices: dict[int, float]          # market id -> the venue's index price, USD
    ws_refused_until: float           # monotonic time until which websocket upgrades get 503 (do_refuse_ws)


class HubbleControl:
    def __init__(self, venue: Controlled):
        self.v = venue

    async def apply(self, action: str, params: dict[str, Any]) -> dict[str, Any] | None:
        handler = getattr(self, "do_" + action, None)
        if handler is None:
            return None
        result = handler(**params)
        return await result if asyncio.iscoroutine(result) else result

    # ---- trades and blocks -------------------------------------------------------
    async def do_take(self, market: Any, side: str, size: float | None = None, size_usd: float | None = None,
                      price: float | None = None, wait: str = "head") -> dict[str, Any]:
        """A simulated taker's IOC order; lands in the next block. wait: "head", "accepted" or "none"."""
        v = self.v
        market_id = market_id_of(market)
        spec = C.MARKETS[market_id]
        if size is None:
            size = float(size_usd or 0) / v.prices[market_id]
        qty = round_size(float(size), spec) if size > 0 else 0
        buy = side.lower() in ("buy", "long", "bid")
        limit = int(Decimal(str(price)) * C.PRICE_SCALE) if price is not None else None
        intent = v.builder.request_take(market_id, buy, qty, limit, wait=wait != "none")
        if intent.future is None:
            return {"queued": True, "size": qty / C.SIZE_SCALE}
        result = dict(await intent.future)
        if wait == "accepted":
            await v.builder.wait_accepted(result["block"])
        result["size"] = qty / C.SIZE_SCALE
        return result

    def do_mine(self) -> dict[str, Any]:
        """Build a block now with everything pending (ignores block_time_s, tx_gossip_s and max_processing)."""
        if not self.v.builder.has_work():
            return {"block": None}
        return {"block": self.v.builder.build().number}

    def do_hold_accept(self, hold: bool = True) -> dict[str, Any]:
        """Stop (or resume) accepting blocks: they stay head-only (and can be reorged)."""
        self.v.builder.hold = bool(hold)
        if not hold:
            self.v.builder.accept_due()
        return {"accepted": self.v.chain.accepted, "head": self.v.chain.head.number}

    def do_accept(self) -> dict[str, Any]:
        """Accept every built block now."""
        return {"accepted": self.v.builder.accept_due(force=True)}

    def do_reorg(self, depth: int = 1, matcher: str = "other", first: str = "removed") -> dict[str, Any]:
        return self.v.builder.reorg(int(depth), str(matcher), str(first))

    def do_funding(self, rate: float | None = None) -> dict[str, Any]:
        """Settle funding in the next block (optionally with another rate from now on)."""
        if rate is not None:
            self.v.builder.params.funding_rate = float(rate)
            self.v.indexer.funding_rate = float(rate)
        self.v.builder.next_funding = int(self.v.builder.clock())
        self.v.builder.wake()
        return {"funding_rate": self.v.builder.params.funding_rate}

    def do_sweep(self) -> dict[str, Any]:
        """Run the 1 s sanitary sweep now (expired signed orders leave)."""
        return {"expired": self.v.node.sweep_expired()}

    def do_requote(self) -> dict[str, Any]:
        self.v.activity.refresh_makers(self.v.prices, force=True)
        return {}

    # ---- accounts and chain state -------------------------------------------------------
    def do_fund(self, trader: str, amount: float) -> dict[str, Any]:
        address = to_checksum_address(trader)
        amount_1e6 = int(Decimal(str(amount)) * C.PRICE_SCALE)
        if address in self.v.engine.unfunded:
            self.v.index.traders[address] = TraderView(margin=0)
        self.v.engine.fund(address, amount_1e6)
        self.v.index.deposit(address, amount_1e6)
        return {"margin": self.v.engine.accounts[address].margin / C.PRICE_SCALE}

    def do_unfund(self, trader: str) -> dict[str, Any]:
        """The address has no margin account: "trader not found", no auto-funding."""
        address = to_checksum_address(trader)
        self.v.engine.unfund(address)
        self.v.index.forget(address)
        return {}

    def do_set_gas_balance(self, trader: str, amount: float) -> dict[str, Any]:
        """Native (USDC) balance that pays gas, in USDC."""
        self.v.chain.balances[trader.lower()] = int(Decimal(str(amount)) * 10 ** 18)
        return {"balance": self.v.chain.balances[trader.lower()]}

    def do_referral(self, restricted: bool | None = None, trader: str | None = None,
                    has: bool = True) -> dict[str, Any]:
        flags = self.v.flags
        if restricted is not None:
            flags.restricted_invites = bool(restricted)
        if trader is not None:
            (flags.referred.add if has else flags.referred.discard)(trader.lower())
        return {"restricted": flags.restricted_invites}

    def do_settle(self) -> dict[str, Any]:
        """Every market settled (ClearingHouse settledAll): no matching, no new signed orders."""
        self.v.flags.settled = True
        return {}

    def do_account(self, trader: str) -> dict[str, Any]:
        return self.v.rpc.margin_and_positions(trader)

    def do_orders(self, trader: str, market: Any = None) -> dict[str, Any]:
        """Every order of `trader` that can still match now, of any kind (a simulator's view: the node has
        no such API; orderbook_getOpenOrders lists limit orders only). For tests that ask the venue,
        not the bot, what rests."""
        engine, now = self.v.engine, int(self.v.engine.clock())
        wanted = None if market is None else market_id_of(market)
        rows = [{"id": o.id, "market": o.market, "kind": o.kind, "size": str(o.unfilled_signed / C.SIZE_SCALE),
                 "price": str(o.price / C.PRICE_SCALE), "expire_at": o.expire_at}
                for o in engine.orders.values()
                if o.trader.lower() == trader.lower() and o.in_book and o.live(now) and o.remaining > 0
                and (wanted is None or o.market == wanted)]
        return {"orders": rows}

    def do_placements(self, trader: str, market: Any = None) -> dict[str, Any]:
        """Every order `trader` ever placed (kept by the simulator after it filled, expired or was cancelled)
        with the wall-clock time it entered the book: a simulator's view, no node API has it."""
        wanted = None if market is None else market_id_of(market)
        rows = [{"id": o.id, "market": o.market, "kind": o.kind, "size": str(o.qty / C.SIZE_SCALE),
                 "price": str(o.price / C.PRICE_SCALE), "placed_at": o.placed_at}
                for o in self.v.engine.orders.values()
                if o.trader.lower() == trader.lower() and (wanted is None or o.market == wanted)]
        return {"placements": rows}

    def do_liquidations(self) -> dict[str, Any]:
        """Every liquidation executed so far (head blocks): account, market symbol, signed size the venue traded
        for the account (+ = bought to close a short), execution price, unix time. A simulator's view."""
        return {"liquidations": [dict(row) for row in self.v.engine.liquidations]}

    def do_prices(self) -> dict[str, Any]:
        return {"prices": dict(self.v.prices)}

    # ---- faults ------------------------------------------------------------------------------
    async def do_refuse_ws(self, seconds: float) -> dict[str, Any]:
        """Fault: the node's websocket endpoint is down for `seconds` while JSON-RPC over HTTP still answers
        (separate backends behind a proxy, a websocket restart): open sockets dropped, upgrades refused (503).
        A fault of the deployment, not a node behaviour: no source to pin."""
        self.v.ws_refused_until = time.monotonic() + float(seconds)
        return {"dropped": await self.v.faults.drop(), "seconds": float(seconds)}


def market_id_of(market: Any) -> int:
    if isinstance(market, int) or (isinstance(market, str) and market.isdigit()):
        return int(market)
    for m in C.MARKETS:
        if m.symbol == str(market).upper() or m.name == market:
            return m.market_id
    raise KeyError(f"unknown hubble market {market!r}")
