"""Order entry of the simulated node: signed orders (websocket), limit/IOC/cancel transactions.

Validation follows hubblenet's plugin/evm/orderbook (PlaceOrder and
hubbleutils.ValidateSignedOrder): same checks, same order, same error texts.
Engine events are turned here into ABI-encoded logs (for receipts and
eth_getLogs) and into the trader / market websocket feeds. The trader feed
follows the node's PushToTraderFeed: OrderMatched events carry an empty
OrderType, SignedOrderBook cancel logs are not pushed at all, and a signed
order's OrderAccepted is pushed by PlaceOrder itself (BlockNumber null, zero
transaction hash), at both confirmation levels.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import rlp
from eth_abi import encode
from eth_account import Account
from eth_account._utils.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from tools.simnet.faults import Faults
from tools.simnet.hubble import constants as C
from tools.simnet.hubble import engine as E
from tools.simnet.hubble.abi import Contracts, encode_log
from tools.simnet.hubble.chain import ZERO_HASH, Block, Chain, Tx
from tools.simnet.hubble.signing import OrderDecodeError, SignedOrderMsg, decode_signed_order, recover_signer
from tools.simnet.hubble.wire import market_of, order_map, to_float, trader_event, market_event

LIMIT_TUPLE = ("uint256", "address", "int256", "uint256", "uint256", "bool", "bool")
IOC_TUPLE = ("uint8", "uint256", "uint256", "address", "int256", "uint256", "uint256", "bool")
ORDER_BOOK_OF_KIND = {"limit": C.LIMIT_ORDER_BOOK, "ioc": C.IOC_ORDER_BOOK, "signed": C.SIGNED_ORDER_BOOK}


class RpcError(Exception):
    def __init__(self, message: str, code: int = -32000):
        super().__init__(message)
        self.code, self.message = code, message


Publisher = Callable[[str, Any, dict[str, Any]], None]   # (feed, key, event)


class HubbleNode:
    def __init__(self, engine: E.Engine, chain: Chain, faults: Faults, options: dict[str, Any],
                 publish: Publisher, clock: Callable[[], float] = time.time):
        self.engine, self.chain, self.faults, self.options = engine, chain, faults, options
        self.contracts = Contracts()
        self.publish = publish
        self.clock = clock
        self._queued: dict[str, dict[int, bytes]] = {}   # sender -> nonce -> raw tx (future nonces)

    # ---- signed orders (order_placeSignedOrders) ---------------------------
    def place_signed_orders(self, payload: str) -> dict[str, Any]:
        try:
            raw_orders = json.loads(payload)
            if not isinstance(raw_orders, list):
                raise ValueError
        except (ValueError, TypeError):
            raise RpcError("json: cannot unmarshal into Go value of type []string")
        results = []
        for raw in raw_orders:
            try:
                msg = decode_signed_order(bytes.fromhex(str(raw).removeprefix("0x")))
            except (ValueError, OrderDecodeError) as exc:
                results.append({"success": False, "error": str(exc)})
                continue
            order_id, err = self.place_signed(msg)
            entry: dict[str, Any] = {"orderId": order_id, "success": err is None}
            if err is not None:
                entry["error"] = err
            results.append(entry)
        return {"orders": results}

    def place_signed(self, msg: SignedOrderMsg) -> tuple[str, str | None]:
        """Validate and rest one signed order; (order id, error text or None)."""
        order_hash = msg.order_hash()
        order_id = "0x" + order_hash.hex()
        err = self._validate_signed(msg, order_hash, order_id)
        if err is None:
            err = self.faults.take_reject()
        if err is not None:
            return order_id, err
        order = self.engine.new_order(E.Order(
            order_id, msg.amm_index, msg.trader, msg.base_asset_quantity, msg.price, msg.salt,
            msg.reduce_only, msg.post_only, "signed", expire_at=msg.expire_at))
        self.engine.rest(order, self.engine.required_margin(msg.price, msg.base_asset_quantity))
        args = {"order": {**order_map(order), "orderType": "signed", "expireAt": str(msg.expire_at)}}
        now = int(self.clock())
        for level in ("head", "accepted"):
            self.publish("trader", msg.trader.lower(), trader_event(
                msg.trader, order_id, "signed", "OrderAccepted", args, None, level, now, ZERO_HASH))
        return order_id, None

    def _validate_signed(self, msg: SignedOrderMsg, order_hash: bytes, order_id: str) -> str | None:
        if order_id in self.engine.orders and self.engine.orders[order_id].status == C.STATUS_PLACED:
            return "order already exists"
        market = market_of(msg.amm_index)
        if msg.order_type != 2:
            return "not signed order"
        if msg.expire_at < int(self.clock()):
            return "order expired"
        if not msg.post_only:
            return "not post only"
        if msg.base_asset_quantity == 0:
            return "baseAssetQuantity is zero"
        if market is None:
            return "invalid market"
        size_or_price = _size_price_error(market, msg.base_asset_quantity, msg.price)
        if size_or_price:
            return size_or_price
        signer = recover_signer(order_hash, msg.signature)
        if signer is None:
            return "invalid signature"
        if order_id in self.engine.orders:
            return "order already exists"
        if signer != msg.trader:
            return "no trading authority"
        if msg.reduce_only:
            return "reduce only orders via makerbook are not supported yet"
        acct = self.engine.account(msg.trader)
        if self.engine.available_margin(acct) < self.engine.required_margin(msg.price, msg.base_asset_quantity):
            return "insufficient margin"
        if self.engine.crosses(msg.amm_index, msg.base_asset_quantity > 0, msg.price):
            return "crossing market"
        return None

    # ---- transactions -------------------------------------------------------
    def send_raw_transaction(self, raw_hex: str) -> str:
        raw = bytes.fromhex(raw_hex.removeprefix("0x"))
        tx = self._decode_tx(raw)
        expected = self.chain.next_nonce(tx.sender)
        if tx.nonce < expected:
            raise RpcError(f"nonce too low: address {tx.sender}, tx: {tx.nonce} state: {expected}")
        if tx.hash in self.chain.txs:
            raise RpcError("already known")
        if tx.nonce > expected:   # future nonce: wait in the pool until the gap closes
            self._queued.setdefault(tx.sender.lower(), {})[tx.nonce] = raw
            return tx.hash
        self._execute(tx)
        queue = self._queued.get(tx.sender.lower(), {})
        while self.chain.next_nonce(tx.sender) in queue:
            self._execute(self._decode_tx(queue.pop(self.chain.next_nonce(tx.sender))))
        return tx.hash

    def _decode_tx(self, raw: bytes) -> Tx:
        try:
            sender = Account.recover_transaction(raw)
            if raw[0] == 2:
                fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
                to, data, nonce, gas, value = (fields.get("to"), fields.get("data", b""), fields["nonce"],
                                               fields["gas"], fields.get("value", 0))
                chain_id = fields.get("chainId")
            else:
                nonce_b, _gp, gas_b, to_b, value_b, data, v_b, _r, _s = rlp.decode(raw)
                nonce, gas, value = (int.from_bytes(x, "big") for x in (nonce_b, gas_b, value_b))
                to = to_b
                v = int.from_bytes(v_b, "big")
                chain_id = (v - 35) // 2 if v >= 35 else C.CHAIN_ID
        except Exception as exc:
            raise RpcError(f"rlp: {exc}") from None
        if chain_id != C.CHAIN_ID:
            raise RpcError(f"invalid chain id for signer: have {chain_id} want {C.CHAIN_ID}")
        to_hex = to_checksum_address(to) if to else None
        data_hex = data if isinstance(data, str) else "0x" + bytes(data).hex()
        return Tx("0x" + keccak(raw).hex(), sender, to_hex, nonce, gas, data_hex, value)

    def _execute(self, tx: Tx) -> None:
        block = self.chain.new_block()
        self.engine.block = block.number
        call = self.contracts.decode_call(tx.to or "", bytes.fromhex(tx.data[2:])) if tx.to else None
        status = 1
        if call is None:
            status = 0
        else:
            fn, args = call
            handler = self._tx_handlers().get((tx.to.lower(), fn.name))
            if handler is None:
                status = 0
            else:
                handler(tx.sender, *args)
        logs = self._emit(self.engine.drain(), block, tx.hash)
        self.chain.seal(block, tx, logs, status)

    def _tx_handlers(self) -> dict[tuple[str, str], Callable[..., None]]:
        return {
            (C.LIMIT_ORDER_BOOK, "placeOrders"): self._place_limit_orders,
            (C.LIMIT_ORDER_BOOK, "cancelOrders"): self._cancel_limit_orders,
            (C.IOC_ORDER_BOOK, "placeOrders"): self._place_ioc_orders,
            (C.SIGNED_ORDER_BOOK, "cancelOrders"): self._cancel_signed_orders,
        }

    def _place_limit_orders(self, sender: str, orders: tuple) -> None:
        for amm, trader, qty, price, salt, reduce_only, post_only in orders:
            trader = to_checksum_address(trader)
            order_id = "0x" + keccak(encode(list(LIMIT_TUPLE), [amm, trader, qty, price, salt, reduce_only, post_only])).hex()
            order = E.Order(order_id, amm, trader, qty, price, salt, reduce_only, post_only, "limit")
            self._enter(sender, order)

    def _place_ioc_orders(self, sender: str, orders: tuple) -> None:
        for otype, expire_at, amm, trader, qty, price, salt, reduce_only in orders:
            trader = to_checksum_address(trader)
            order_id = "0x" + keccak(encode(list(IOC_TUPLE), [otype, expire_at, amm, trader, qty, price, salt, reduce_only])).hex()
            order = E.Order(order_id, amm, trader, qty, price, salt, reduce_only, False, "ioc", expire_at=expire_at)
            err = None
            if otype != 1:
                err = "not_ioc_order"
            elif expire_at < int(self.clock()):
                err = "IOC order expired"
            self._enter(sender, order, err)

    def _enter(self, sender: str, order: E.Order, err: str | None = None) -> None:
        """Validate, accept and match a limit or IOC order from a transaction."""
        engine = self.engine
        err = err or self._validate_onchain(sender, order)
        if err is None:
            err = self.faults.take_reject()
        if err is not None:   # rejected orders leave no state behind, only the log
            order.status = C.STATUS_INVALID
            engine.events.append(E.Rejected(order, err))
            return
        engine.new_order(order)
        engine.events.append(E.Accepted(order))
        is_long = order.qty > 0
        if not order.post_only:
            limit_size = self._reduce_only_cap(order) if order.reduce_only else abs(order.qty)
            engine.take(order.market, is_long, limit_size, order.price, order.trader, order)
        if order.kind == "ioc" or order.remaining == 0:
            if order.remaining and order.status == C.STATUS_PLACED:
                order.status = C.STATUS_CANCELLED   # IOC leftover expires
            return
        reserve = 0 if order.reduce_only else engine.required_margin(order.price, order.remaining)
        engine.rest(order, reserve)

    def _reduce_only_cap(self, order: E.Order) -> int:
        pos = self.engine.account(order.trader).positions.get(order.market)
        size = pos.size if pos else 0
        return min(abs(order.qty), abs(size)) if size and (size > 0) != (order.qty > 0) else 0

    def _validate_onchain(self, sender: str, order: E.Order) -> str | None:
        market = market_of(order.market)
        if sender != order.trader:
            return "no trading authority"
        if market is None:
            return "invalid market"
        if order.qty == 0:
            return "baseAssetQuantity is zero"
        size_or_price = _size_price_error(market, order.qty, order.price)
        if size_or_price:
            return size_or_price
        if order.id in self.engine.orders:
            return "order already exists"
        if order.reduce_only:
            if self._reduce_only_cap(order) < abs(order.qty):
                return "reduce only order must reduce position"
        else:
            acct = self.engine.account(order.trader)
            if self.engine.available_margin(acct) < self.engine.required_margin(order.price, order.qty):
                return "insufficient margin"
        if order.post_only and self.engine.crosses(order.market, order.qty > 0, order.price):
            return "crossing market"
        return None

    def _cancel_limit_orders(self, sender: str, orders: tuple) -> None:
        for amm, trader, qty, price, salt, reduce_only, post_only in orders:
            trader = to_checksum_address(trader)
            order_id = "0x" + keccak(encode(list(LIMIT_TUPLE), [amm, trader, qty, price, salt, reduce_only, post_only])).hex()
            self._cancel(sender, trader, order_id, "limit")

    def _cancel_signed_orders(self, sender: str, orders: tuple, signatures: tuple) -> None:
        for raw, _sig in zip(orders, signatures):
            otype, expire_at, amm, trader, qty, price, salt, reduce_only, post_only = raw
            msg = SignedOrderMsg(otype, expire_at, amm, to_checksum_address(trader), qty, price, salt,
                                 reduce_only, post_only, b"")
            self._cancel(sender, msg.trader, "0x" + msg.order_hash().hex(), "signed")

    def _cancel(self, sender: str, trader: str, order_id: str, kind: str) -> None:
        order = self.engine.orders.get(order_id)
        if order is None or order.kind != kind:
            self.engine.events.append(E.CancelRejected(order_id, trader, kind, "invalid order"))
            return
        if sender != order.trader:
            self.engine.events.append(E.CancelRejected(order_id, trader, kind, "no trading authority"))
            return
        if order.status == C.STATUS_PLACED and self._race_fill_armed():
            self._race_fill(order)
        err = self.engine.cancel(order)
        if err is not None:
            self.engine.events.append(E.CancelRejected(order_id, trader, kind, err))

    def _race_fill_armed(self) -> bool:
        return self.faults.take("fill_on_cancel") or self.faults.flags.get("fill_on_cancel") is True

    def _race_fill(self, order: E.Order) -> None:
        """Fault: a simulated taker fills the order while its cancel is in flight."""
        fraction = float(self.options.get("fill_on_cancel_fraction", 1.0))
        market = C.MARKETS[order.market]
        qty = int(order.remaining * fraction) // market.min_size * market.min_size
        self.engine.fill_resting(order, max(qty, min(market.min_size, order.remaining)), C.BACKGROUND_TAKER)

    # ---- simulated market ----------------------------------------------------
    def market_take(self, market: int, is_long: bool, size: int, limit_price: int | None = None) -> dict[str, Any]:
        """A simulated taker trades now; its fills are mined into a block of their own."""
        block = self.chain.new_block()
        self.engine.block = block.number
        filled = self.engine.take(market, is_long, size, limit_price, C.BACKGROUND_TAKER)
        events = self.engine.drain()
        if not events:
            self.chain.blocks.pop()
            return {"filled": 0, "block": None}
        logs = self._emit(events, block, None)
        tx_hash = self.chain.seal(block, None, logs)
        return {"filled": filled, "block": block.number, "tx": tx_hash}

    # ---- events -> logs and feeds -------------------------------------------
    def _emit(self, events: list, block: Block, tx_hash: str | None) -> list[dict[str, Any]]:
        if tx_hash is None:
            tx_hash = "0x" + keccak(f"{self.chain.seed}|market|{block.number}".encode()).hex()
        logs: list[dict[str, Any]] = []
        feed: list[tuple[str, Any, dict[str, Any]]] = []
        for ev in events:
            item = self._log_of(ev, block, tx_hash)
            if item is None:
                continue
            log, kind, key, event = item
            logs.append(log)
            if kind:
                feed.append((kind, key, event))
        for level in ("head", "accepted"):
            for kind, key, event in feed:
                self.publish(kind, key, {**event, "BlockStatus": level})
        return logs

    def _log_of(self, ev: Any, block: Block, tx_hash: str):
        c = self.contracts
        ts = int(self.clock())
        if isinstance(ev, E.Matched):
            if ev.order is None:
                return None
            o = ev.order
            log = encode_log(C.ORDER_BOOK, c.event(C.ORDER_BOOK, "OrderMatched"), (o.trader, bytes.fromhex(o.id[2:])),
                             (ev.fill, ev.price, ev.open_interest, ev.timestamp, False))
            args = {"fillAmount": to_float(ev.fill, 18), "price": to_float(ev.price, 6),
                    "openInterestNotional": to_float(ev.open_interest, 18), "timestamp": ev.timestamp,
                    "isLiquidation": False}
            # the node leaves OrderType empty for OrderBook (matching) events
            return log, "trader", o.trader.lower(), trader_event(
                o.trader, o.id, "", "OrderMatched", args, block.number, "", ev.timestamp, tx_hash)
        if isinstance(ev, E.PositionModified):
            log = encode_log(C.CLEARING_HOUSE, c.event(C.CLEARING_HOUSE, "PositionModified"), (ev.trader, ev.market),
                             (ev.base, ev.price, ev.realized_pnl, ev.size, ev.open_notional, ev.fee, ev.mode, ev.timestamp))
            return log, "market", ev.market, market_event(
                ev.trader, ev.market, ev.base, ev.price, block.number, "", ev.timestamp, tx_hash)
        if isinstance(ev, (E.Accepted, E.Rejected)):
            o = ev.order
            address = ORDER_BOOK_OF_KIND[o.kind]
            name = "OrderAccepted" if isinstance(ev, E.Accepted) else "OrderRejected"
            raw = ((o.market, o.trader, o.qty, o.price, o.salt, o.reduce_only, o.post_only) if o.kind == "limit"
                   else (1, o.expire_at, o.market, o.trader, o.qty, o.price, o.salt, o.reduce_only))
            data: tuple = (raw, ts) if name == "OrderAccepted" else (raw, ts, ev.err)
            log = encode_log(address, c.event(address, name), (o.trader, bytes.fromhex(o.id[2:])), data)
            args: dict[str, Any] = {"order": order_map(o), "timestamp": ts}
            if name == "OrderRejected":
                args["err"] = ev.err
            return log, "trader", o.trader.lower(), trader_event(
                o.trader, o.id, o.kind, name, args, block.number, "", ts, tx_hash)
        if isinstance(ev, E.CancelAccepted):
            o = ev.order
            address = ORDER_BOOK_OF_KIND[o.kind]
            data = (ts, ev.auto) if o.kind == "limit" else (ts,)
            log = encode_log(address, c.event(address, "OrderCancelAccepted"), (o.trader, bytes.fromhex(o.id[2:])), data)
            if o.kind == "signed":   # the node's trader feed ignores SignedOrderBook logs
                return log, None, None, None
            args = {"timestamp": ts, "isAutoCancelled": ev.auto}
            return log, "trader", o.trader.lower(), trader_event(
                o.trader, o.id, o.kind, "OrderCancelAccepted", args, block.number, "", ts, tx_hash)
        if isinstance(ev, E.CancelRejected):
            address = ORDER_BOOK_OF_KIND[ev.kind]
            log = encode_log(address, c.event(address, "OrderCancelRejected"),
                             (ev.trader, bytes.fromhex(ev.order_id[2:])), (ts, ev.err))
            if ev.kind == "signed":
                return log, None, None, None
            return log, "trader", ev.trader.lower(), trader_event(
                ev.trader, ev.order_id, ev.kind, "OrderCancelRejected", {"timestamp": ts, "err": ev.err},
                block.number, "", ts, tx_hash)
        return None


def _size_price_error(market, qty: int, price: int) -> str | None:
    """The node's size and price checks shared by signed and on-chain orders (scaled integers)."""
    if qty % market.min_size:
        return "not multiple"
    if price <= 0:
        return "invalid price"
    if price % market.price_multiplier:
        return "invalid price precision"
    return None
