"""JSON-RPC methods of the simulated node (shared by HTTP and websocket)."""
from __future__ import annotations

import time
from typing import Any, Callable

from eth_utils import to_checksum_address

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.chain import BASE_FEE, PRIORITY_FEE
from tools.simnet.hubble.node import HubbleNode, RpcError
from tools.simnet.hubble.wire import depth_rows, market_of, to_decimal_str

BALANCE = 1000 * 10 ** 18   # native balance reported for any address


class RpcMethods:
    def __init__(self, node: HubbleNode):
        self.node = node
        self.engine = node.engine
        self.chain = node.chain
        self.table: dict[str, Callable[..., Any]] = {
            "eth_chainId": lambda: hex(C.CHAIN_ID),
            "net_version": lambda: str(C.CHAIN_ID),
            "web3_clientVersion": lambda: "simnet-hubble/v0.1",
            "eth_blockNumber": lambda: hex(self.chain.head.number),
            "eth_getBlockByNumber": self.get_block_by_number,
            "eth_getBlockByHash": self.get_block_by_hash,
            "eth_getTransactionCount": lambda addr, tag="latest": hex(self.chain.next_nonce(addr)),
            "eth_getBalance": lambda addr, tag="latest": hex(BALANCE),
            "eth_gasPrice": lambda: hex(BASE_FEE + PRIORITY_FEE),
            "eth_maxPriorityFeePerGas": lambda: hex(PRIORITY_FEE),
            "eth_feeHistory": self.fee_history,
            "eth_estimateGas": lambda tx, tag=None: hex(300_000),
            "eth_getCode": lambda addr, tag="latest": "0x01",
            "eth_call": self.call,
            "eth_sendRawTransaction": self.node.send_raw_transaction,
            "eth_getTransactionReceipt": lambda h: self.chain.receipts.get(h.lower()),
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

    # ---- eth -----------------------------------------------------------------
    def get_block_by_number(self, tag: str, full: bool = False) -> dict[str, Any] | None:
        block = self.chain.block_by_number(tag)
        return self.chain.block_json(block, full) if block else None

    def get_block_by_hash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        for block in reversed(self.chain.blocks):
            if block.hash == block_hash.lower():
                return self.chain.block_json(block, full)
        return None

    def get_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        tx = self.chain.txs.get(tx_hash.lower())
        return self.chain.tx_json(tx) if tx else None

    def transaction_status(self, tx_hash: str) -> dict[str, Any]:
        receipt = self.chain.receipts.get(tx_hash.lower())
        if receipt is None:
            return {"status": "NOT_FOUND"}
        return {"status": "ACCEPTED", "blockNumber": int(receipt["blockNumber"], 16)}

    def fee_history(self, count: Any, newest: str = "latest", percentiles: list | None = None) -> dict[str, Any]:
        n = int(count, 16) if isinstance(count, str) else int(count)
        n = max(1, min(n, 1024))
        head = self.chain.resolve(newest)
        oldest = max(0, head - n + 1)
        blocks = head - oldest + 1
        return {"oldestBlock": hex(oldest), "baseFeePerGas": [hex(BASE_FEE)] * (blocks + 1),
                "gasUsedRatio": [0.5] * blocks,
                "reward": [[hex(PRIORITY_FEE)] * len(percentiles or [])] * blocks}

    def call(self, tx: dict[str, Any], tag: Any = "latest") -> str:
        to = (tx.get("to") or "").lower()
        data = bytes.fromhex((tx.get("data") or tx.get("input") or "0x")[2:])
        decoded = self.node.contracts.decode_call(to, data)
        if decoded is None:
            raise RpcError("execution reverted", 3)
        fn, args = decoded
        values = self._view(to, fn.name, args)
        if values is None:
            raise RpcError("execution reverted", 3)
        return "0x" + self.node.contracts.encode_result(to, fn.name, values).hex()

    def _view(self, to: str, name: str, args: tuple) -> tuple | None:
        amms = {m.amm_address: m for m in C.MARKETS}
        if to == C.CLEARING_HOUSE and name == "getAMMs":
            return ([to_checksum_address(m.amm_address) for m in C.MARKETS],)
        if to in amms and name == "name":
            return (amms[to].name,)
        if name == "orderStatus" and to in (C.LIMIT_ORDER_BOOK, C.IOC_ORDER_BOOK, C.SIGNED_ORDER_BOOK):
            return self._order_status_view(to, "0x" + bytes(args[0]).hex())
        return None

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

    # ---- hubble --------------------------------------------------------------
    def margin_and_positions(self, trader: str) -> dict[str, Any]:
        acct = self.engine.account(to_checksum_address(trader))
        available_base = acct.margin
        positions = []
        for market, pos in sorted(acct.positions.items()):
            mid = self.engine.mid_price(market)
            notional = abs(pos.size) * mid // C.SIZE_SCALE
            upnl = self.engine.unrealized_pnl(pos, mid)
            mf = (available_base + upnl) * C.PRICE_SCALE // notional if notional else 0
            positions.append({
                "market": market, "openNotional": to_decimal_str(pos.open_notional, 6),
                "size": to_decimal_str(pos.size, 18), "unrealisedFunding": to_decimal_str(0, 6),
                "liquidationThreshold": to_decimal_str(abs(pos.size) // 4, 18),
                "notionalPosition": to_decimal_str(notional, 6), "unrealisedProfit": to_decimal_str(upnl, 6),
                "marginFraction": to_decimal_str(mf, 6), "liquidationPrice": "0",
                "markPrice": to_decimal_str(mid, 6)})
        return {"margin": to_decimal_str(acct.margin, 6), "reservedMargin": to_decimal_str(acct.reserved, 6),
                "positions": positions}

    def clearing_house_vars(self, trader: str | None = None) -> dict[str, Any]:
        params = self.engine.params
        acct = self.engine.account(to_checksum_address(trader)) if trader else None
        notional = 0
        if acct:
            notional = sum(abs(p.size) * self.engine.mid_price(m) // C.SIZE_SCALE for m, p in acct.positions.items())
        return {
            "maintenance_margin": params.maintenance_margin, "min_allowable_margin": params.min_allowable_margin,
            "taker_fee": params.taker_fee_ppm, "amms": [to_checksum_address(m.amm_address) for m in C.MARKETS],
            "active_markets_count": len(C.MARKETS), "notional_position": notional,
            "margin": acct.margin if acct else 0, "total_funding": 0,
            "underlying_prices": [self.engine.index_prices[m.market_id] for m in C.MARKETS],
            "position_sizes": [acct.positions[m.market_id].size if acct and m.market_id in acct.positions else 0
                               for m in C.MARKETS],
        }

    def _depth(self, market: int) -> tuple[dict[int, int], dict[int, int]]:
        if market_of(market) is None:
            return {}, {}
        book = self.engine.books[market]
        return book.bids.depth(), book.asks.depth()

    def order_book_depth(self, market: int) -> dict[str, Any]:
        bids, asks = self._depth(int(market))
        # the node leaves symbol, E and lastUpdateId unset (zero)
        return {"lastUpdateId": 0, "E": 0, "T": int(time.time()), "symbol": 0,
                "bids": depth_rows(bids, True), "asks": depth_rows(asks, False)}

    def depth_for_market(self, market: int) -> dict[str, Any]:
        bids, asks = self._depth(int(market))
        return {"market": int(market), "longs": {str(p): str(q) for p, q in bids.items()},
                "shorts": {str(p): str(q) for p, q in asks.items()}}

    def open_orders(self, trader: str, market_str: str = "") -> dict[str, Any]:
        market: int | None = None
        if market_str not in ("", None):
            try:
                market = int(market_str)
            except (TypeError, ValueError):
                raise RpcError("invalid market") from None
        # hubblenet's GetOpenOrders (as read) lists only "limit" orders; option open_orders_types
        # ("all" by default, or "limit") chooses between that and every open order of the trader
        kinds = None if self.node.options.get("open_orders_types", "all") == "all" else {"limit"}
        rows = []
        for order in self.engine.orders.values():
            if order.status != C.STATUS_PLACED or not order.in_book or order.trader.lower() != trader.lower():
                continue
            if kinds is not None and order.kind not in kinds:
                continue
            if market is not None and order.market != market:
                continue
            sign = 1 if order.is_long else -1
            rows.append({"Market": order.market, "Price": str(order.price), "Size": str(order.qty),
                         "FilledSize": str(sign * order.filled), "Timestamp": 0,   # left unset by the node
                         "Salt": str(order.salt), "OrderId": order.id, "ReduceOnly": order.reduce_only,
                         "PostOnly": order.post_only, "OrderType": order.kind})
        return {"Orders": rows}

    def order_status(self, order_id: str) -> dict[str, Any]:
        order = self.engine.orders.get(order_id.lower())
        if order is None or order.status != C.STATUS_PLACED or not order.in_book:
            raise RpcError("order not found")
        status = "PARTIALLY_FILLED" if order.filled else "NEW"
        block_time = self.chain.blocks[min(order.block, self.chain.head.number)].timestamp
        update_time = self.chain.blocks[min(order.update_block, self.chain.head.number)].timestamp
        return {"executedQty": to_decimal_str(order.filled, 18), "orderId": order.id,
                "origQty": to_decimal_str(abs(order.qty), 18), "price": to_decimal_str(order.price, 6),
                "reduceOnly": order.reduce_only, "postOnly": order.post_only,
                "positionSide": "LONG" if order.is_long else "SHORT", "status": status,
                "symbol": order.market, "time": block_time, "type": "LIMIT_ORDER",
                "updateTime": update_time, "salt": order.salt}
