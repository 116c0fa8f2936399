"""JSON-RPC methods of the simulated node (shared by HTTP and websocket).

Sources (hubblenet plugin/evm/orderbook): trading_apis.go (GetMarginAndPositions,
GetTradingOrderBookDepth, GetOrderStatus), service.go (GetDepthForMarket,
GetOpenOrders), testing_apis.go + precompile/contracts/bibliophile/api.go
(GetClearingHouseVars), eth/api.go GetTransactionStatus. Go maps are iterated in
random order: depth rows, open orders and positions come unsorted (seeded here).
"""
from __future__ import annotations

import random
import time
from typing import Any, Callable, Iterable, TypeVar

from eth_utils import keccak, to_checksum_address

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.access import ChainFlags
from tools.simnet.hubble.abi import Contracts
from tools.simnet.hubble.chain import Chain, ChainError
from tools.simnet.hubble.engine import ONE, Engine, notional_of
from tools.simnet.hubble.memdb import NodeIndex
from tools.simnet.hubble.node import HubbleNode
from tools.simnet.hubble.wire import depth_map, depth_rows, go_hex, market_of, to_decimal_str

RpcError = ChainError
T = TypeVar("T")
CLEARING_HOUSE_VIEWS = ("minAllowableMargin", "maintenanceMargin", "makerFee", "takerFee", "hubbleReferral", "paused")
# The referral contract: its address is the simulator's own (the mainnet one is not in the SDK's config).
REFERRAL = "0x03000000000000000000000000000000000000c1"
REFERRER = "0x00000000000000000000000000000000000000a1"   # who every referred trader's referrer is here
CLEARING_HOUSE_REFERRAL_SLOT, RESTRICTED_INVITES_SLOT, TRADER_TO_REFERRER_SLOT = 13, 6, 3


def referrer_slot(trader: str) -> bytes:
    """bibliophile referral.go traderToReferrer: keccak(pad32(trader) ++ pad32(3))."""
    return keccak(bytes(12) + bytes.fromhex(trader.lower()[2:]) + TRADER_TO_REFERRER_SLOT.to_bytes(32, "big"))
STATUS_NAMES = {C.STATUS_PLACED: "NEW", C.STATUS_FILLED: "FILLED", C.STATUS_CANCELLED: "CANCELED"}


class RpcMethods:
    def __init__(self, node: HubbleNode, contracts: Contracts, flags: ChainFlags, seed: int,
                 clock: Callable[[], float] = time.time):
        self.node, self.contracts, self.flags, self.clock = node, contracts, flags, clock
        self.engine: Engine = node.engine
        self.chain: Chain = node.chain
        self.index: NodeIndex = node.index
        self.rng = random.Random(f"{seed}:hubble:go-map-order")
        self.table: dict[str, Callable[..., Any]] = {
            "eth_chainId": lambda: hex(C.CHAIN_ID),
            "net_version": lambda: str(C.CHAIN_ID),
            "web3_clientVersion": lambda: "simnet-hubble/v0.2",
            "eth_blockNumber": lambda: hex(self.chain.accepted),
            "eth_getBlockByNumber": self.get_block_by_number,
            "eth_getBlockByHash": self.get_block_by_hash,
            "eth_getTransactionCount": self.transaction_count,
            "eth_getBalance": lambda addr, tag="latest": hex(self.chain.balance(addr)),
            "eth_gasPrice": lambda: hex(C.BASE_FEE + C.PRIORITY_FEE),
            "eth_maxPriorityFeePerGas": lambda: hex(C.PRIORITY_FEE),
            "eth_feeHistory": self.fee_history,
            "eth_estimateGas": lambda tx, tag=None: hex(300_000),
            "eth_getCode": lambda addr, tag="latest": "0x01",
            "eth_call": self.call,
            "eth_getStorageAt": self.get_storage_at,
            "eth_sendRawTransaction": self.node.send_raw_transaction,
            "eth_getTransactionReceipt": self.chain.receipt,
            "eth_getTransactionByHash": self.get_transaction,
            "eth_getTransactionStatus": self.transaction_status,
            "eth_getLogs": self.chain.get_logs,
            "trading_getMarginAndPositions": self.margin_and_positions,
            "testing_getClearingHouseVars": self.clearing_house_vars,
            "trading_getTradingOrderBookDepth": self.order_book_depth,
            "orderbook_getDepthForMarket": self.depth_for_market,
            "orderbook_getOpenOrders": self.open_orders,
            "trading_getOrderStatus": self.order_status,
            "order_placeSignedOrders": self.node.place_signed_orders,
        }

    def dispatch(self, method: str, params: list[Any]) -> Any:
        fn = self.table.get(method)
        if fn is None:
            raise RpcError(f"the method {method} does not exist/is not available", -32601)
        try:
            return fn(*params)
        except TypeError as exc:
            raise RpcError(f"invalid argument: {exc}", -32602) from None

    def go_order(self, items: Iterable[T]) -> list[T]:
        """The iteration order of a Go map: unspecified (seeded shuffle)."""
        out = list(items)
        self.rng.shuffle(out)
        return out

    # ---- eth -----------------------------------------------------------------
    def get_block_by_number(self, tag: str, full: bool = False) -> dict[str, Any] | None:
        block = self.chain.visible_block(self.chain.resolve(tag))
        return self.chain.block_json(block, full) if block else None

    def get_block_by_hash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        for block in reversed(self.chain.blocks):
            if block.hash == block_hash.lower():
                if not block.accepted:
                    raise RpcError("cannot query unfinalized data")
                return self.chain.block_json(block, full)
        return None

    def transaction_count(self, address: str, tag: str = "latest") -> str:
        if tag == "pending":
            return hex(self.chain.pending_nonce(address))
        return hex(self.chain.next_nonce(address, accepted=True))

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        found = self.chain.lookup(tx_hash)
        if found is not None and found[0].accepted:
            return self.chain.tx_json(found[1], found[0])
        for queue in self.chain.pool.by_sender.values():
            for tx in queue.values():
                if tx.hash == tx_hash.lower():
                    return self.chain.tx_json(tx, None)
        return None

    def transaction_status(self, tx_hash: str) -> dict[str, Any]:
        """eth/api.go GetTransactionStatus: ACCEPTED, HEAD_BLOCK (built, not accepted) or NOT_FOUND."""
        found = self.chain.lookup(tx_hash)
        if found is None:
            return {"status": "NOT_FOUND"}
        block = found[0]
        return {"status": "ACCEPTED" if block.accepted else "HEAD_BLOCK", "blockNumber": block.number}

    def fee_history(self, count: Any, newest: str = "latest", percentiles: list | None = None) -> dict[str, Any]:
        n = int(count, 16) if isinstance(count, str) else int(count)
        n = max(1, min(n, 1024))
        head = self.chain.resolve(newest)
        oldest = max(0, head - n + 1)
        blocks = head - oldest + 1
        return {"oldestBlock": hex(oldest), "baseFeePerGas": [hex(C.BASE_FEE)] * (blocks + 1),
                "gasUsedRatio": [0.5] * blocks,
                "reward": [[hex(C.PRIORITY_FEE)] * len(percentiles or [])] * blocks}

    def call(self, tx: dict[str, Any], tag: Any = "latest") -> str:
        to = (tx.get("to") or "").lower()
        data = bytes.fromhex((tx.get("data") or tx.get("input") or "0x")[2:])
        decoded = self.contracts.decode_call(to, data)
        if decoded is None:
            raise RpcError("execution reverted", 3)
        fn, args = decoded
        values = self._view(to, fn.name, args)
        if values is None:
            raise RpcError("execution reverted", 3)
        return "0x" + self.contracts.encode_result(to, fn.name, values).hex()

    def _view(self, to: str, name: str, args: tuple) -> tuple | None:
        amms = {m.amm_address: m for m in C.MARKETS}
        params = self.engine.params
        if to == C.CLEARING_HOUSE and name == "getAMMs":
            return ([to_checksum_address(m.amm_address) for m in C.MARKETS],)
        if to == C.CLEARING_HOUSE and name in CLEARING_HOUSE_VIEWS:
            # the ClearingHouse views of the SDK's ABI (contract_abis/ClearingHouse.json); 1e6-scaled like the
            # node's bibliophile reads (GetMinAllowableMargin, GetTakerFee, ...)
            return ({"minAllowableMargin": params.min_allowable_margin, "maintenanceMargin": params.maintenance_margin,
                     "makerFee": params.maker_fee_ppm, "takerFee": params.taker_fee_ppm,
                     "hubbleReferral": to_checksum_address(REFERRAL), "paused": False}[name],)
        if to in amms and name == "name":
            return (amms[to].name,)
        if to in amms and name == "minSizeRequirement":   # AMM.json; the node's size check reads it from chain
            return (amms[to].min_size,)
        if to in amms and name == "multiplier":           # AMM.json; the price precision (1e6 price units)
            return (amms[to].price_multiplier,)
        if name == "orderStatus" and to in (C.LIMIT_ORDER_BOOK, C.IOC_ORDER_BOOK, C.SIGNED_ORDER_BOOK):
            return self._order_status_view(to, "0x" + bytes(args[0]).hex())
        return None

    def get_storage_at(self, address: str, slot: str, tag: Any = "latest") -> str:
        """The storage the node reads for referrals (bibliophile referral.go: restrictedInvites at slot 6 of the
        referral contract, traderToReferrer a mapping at slot 3; clearing_house.go: the referral contract's
        address at ClearingHouse slot 13). Every other slot reads as zero here."""
        key, where = int(slot, 16) if isinstance(slot, str) else int(slot), address.lower()
        value = 0
        if where == C.CLEARING_HOUSE and key == CLEARING_HOUSE_REFERRAL_SLOT:
            value = int(REFERRAL, 16)
        elif where == REFERRAL and key == RESTRICTED_INVITES_SLOT:
            value = int(self.flags.restricted_invites)
        elif where == REFERRAL:
            value = next((int(REFERRER, 16) for trader in self.flags.referred
                          if key == int.from_bytes(referrer_slot(trader), "big")), 0)
        return "0x" + value.to_bytes(32, "big").hex()

    def _order_status_view(self, to: str, order_id: str) -> tuple:
        order = self.engine.orders.get(order_id)
        kind = {C.LIMIT_ORDER_BOOK: "limit", C.IOC_ORDER_BOOK: "ioc", C.SIGNED_ORDER_BOOK: "signed"}[to]
        if order is None or order.kind != kind:
            status, filled, block, reserved = C.STATUS_INVALID, 0, 0, 0
        else:
            sign = 1 if order.is_long else -1
            status, filled, block, reserved = order.status, sign * order.filled, order.block, order.reserved
            if kind == "signed" and status == C.STATUS_PLACED and order.filled == 0:
                status = C.STATUS_INVALID   # the contract only learns of a signed order when it trades
        if kind == "limit":
            return ((block, filled, reserved, status),)
        if kind == "ioc":
            return ((block, filled, status),)
        return ((filled, status),)

    # ---- trading / orderbook -------------------------------------------------------
    def margin_and_positions(self, trader: str) -> dict[str, Any]:
        """GetMarginAndPositions: memdb margin net of pending funding, positions valued at the mid price.

        marginFraction is per position, the whole margin over that position's mid-price notional: not the
        figure liquidations use (oracle prices, all positions: liquidation.py). liquidationPrice is always
        "0": the node leaves it at `"0", // todo: calculate` (trading_apis.go GetMarginAndPositions)."""
        view = self.index.trader(to_checksum_address(trader))
        if view is None:
            raise RpcError("trader not found")
        if self.flags.settled and view.positions:
            # GetMidPrices lists active markets only (none once settled): the handler indexes past it
            raise RpcError("method handler crashed", -32603)
        margin = view.margin - view.pending_funding
        positions = []
        for market, pos in self.go_order(view.positions.items()):
            mid = self.engine.mid_price(market)
            notional = notional_of(pos.size, mid)
            upnl = mf = 0
            if notional:
                upnl = notional - pos.open_notional if pos.size > 0 else pos.open_notional - notional
                mf = (margin + upnl) * C.PRICE_SCALE // notional
            positions.append({
                "market": market, "openNotional": to_decimal_str(pos.open_notional, 6),
                "size": to_decimal_str(pos.size, 18), "unrealisedFunding": to_decimal_str(pos.unrealised_funding, 6),
                "liquidationThreshold": to_decimal_str(pos.liquidation_threshold, 6),
                "notionalPosition": to_decimal_str(notional, 6), "unrealisedProfit": to_decimal_str(upnl, 6),
                "marginFraction": to_decimal_str(mf, 6), "liquidationPrice": "0",
                "markPrice": to_decimal_str(mid, 6)})
        return {"margin": to_decimal_str(margin, 6), "reservedMargin": to_decimal_str(view.reserved, 6),
                "positions": positions}

    def clearing_house_vars(self, trader: str | None = None) -> dict[str, Any]:
        """bibliophile.GetClearingHouseVariables at the last accepted block (JSON numbers)."""
        params = self.engine.params
        active = [] if self.flags.settled else list(C.MARKETS)
        view = self.index.trader(to_checksum_address(trader)) if trader else None
        notional = upnl = funding = 0
        sizes = []
        for market in C.MARKETS:
            pos = view.positions.get(market.market_id) if view else None
            sizes.append(pos.size if pos else 0)
            if pos and pos.size:
                price = self.engine.index_prices[market.market_id]
                notional += notional_of(pos.size, price)
                upnl += self.engine.unrealized_pnl(pos, price)   # type: ignore[arg-type]
                funding += (self.index.cumulative[market.market_id] - pos.last_cpf) * pos.size // ONE
        return {
            "maintenance_margin": params.maintenance_margin, "min_allowable_margin": params.min_allowable_margin,
            "taker_fee": params.taker_fee_ppm, "amms": [go_hex(m.amm_address) for m in active],
            "active_markets_count": len(active), "notional_position": notional,
            "margin": (view.margin + upnl) if view else 0, "total_funding": funding,
            "underlying_prices": [self.engine.index_prices[m.market_id] for m in active],
            "position_sizes": sizes,
        }

    def _depth(self, market: int) -> tuple[dict[int, int], dict[int, int]]:
        if market_of(market) is None:
            return {}, {}
        book, now = self.engine.books[market], int(self.clock())
        return (dict(self.go_order(book.bids.depth(now).items())),
                dict(self.go_order(book.asks.depth(now).items())))

    def order_book_depth(self, market: int) -> dict[str, Any]:
        bids, asks = self._depth(int(market))
        # the node leaves symbol, E and lastUpdateId unset (zero); empty sides are null
        return {"lastUpdateId": 0, "E": 0, "T": int(self.clock()), "symbol": 0,
                "bids": depth_rows(bids), "asks": depth_rows(asks)}

    def depth_for_market(self, market: int) -> dict[str, Any]:
        bids, asks = self._depth(int(market))
        return {"market": int(market), "longs": depth_map(bids), "shorts": depth_map(asks)}

    def open_orders(self, trader: str, market_str: str = "") -> dict[str, Any]:
        """GetOpenOrders: the trader's *limit* orders still in the memdb (GetOpenOrdersForTraderByType Limit)."""
        market: int | None = None
        if market_str not in ("", None):
            try:
                market = int(market_str)
            except (TypeError, ValueError):
                raise RpcError("invalid market") from None
        rows = []
        for order in self.go_order(self.index.limit_orders(to_checksum_address(trader))):
            if market is not None and order.market != market:
                continue
            sign = 1 if order.is_long else -1
            rows.append({"Market": order.market, "Price": str(order.price), "Size": str(order.qty),
                         "FilledSize": str(sign * order.filled), "Timestamp": 0,   # left unset by the node
                         "Salt": str(order.salt), "OrderId": order.id, "ReduceOnly": order.reduce_only,
                         "PostOnly": order.post_only, "OrderType": order.kind})
        return {"Orders": rows}

    def order_status(self, order_id: str) -> dict[str, Any]:
        """GetOrderStatus of any order still in the memdb (PARTIALLY_FILLED whenever something filled)."""
        order = self.index.order(order_id)
        if order is None:
            raise RpcError("order not found")
        status = "PARTIALLY_FILLED" if order.filled else STATUS_NAMES.get(order.status, "")
        update_block = order.block if order.status == C.STATUS_PLACED else order.update_block
        return {"executedQty": to_decimal_str(order.filled, 18), "orderId": order.id,
                "origQty": to_decimal_str(abs(order.qty), 18), "price": to_decimal_str(order.price, 6),
                "reduceOnly": order.reduce_only, "postOnly": order.post_only,
                "positionSide": "LONG" if order.is_long else "SHORT", "status": status,
                "symbol": order.market, "time": self._block_time(order.block), "type": "LIMIT_ORDER",
                "updateTime": self._block_time(update_block), "salt": order.salt}

    def _block_time(self, number: int) -> int:
        """BlockByNumber's time, 0 when the block is not accepted yet (the node ignores the error)."""
        return self.chain.blocks[number].timestamp if number <= self.chain.accepted else 0
