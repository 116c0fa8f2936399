"""Order entry of the simulated node: signed orders (order_placeSignedOrders) and raw transactions.

Signed orders follow trading_apis.go PlaceOrder and hubbleutils/validations.go
ValidateSignedOrder: same checks, same order, same error texts. They enter the
memdb at once (BlockNumber 0) and the node pushes their OrderAccepted itself, at
both confirmation levels, with a null BlockNumber and a zero transaction hash.
Raw transactions are checked as core/txpool/txpool.go does and wait in the pool
for the next block (see builder.py).
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import rlp
from eth_account import Account
from eth_account._utils.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from tools.simnet.faults import Faults
from tools.simnet.hubble import constants as C
from tools.simnet.hubble.access import ChainFlags
from tools.simnet.hubble.chain import ZERO_HASH, Chain, ChainError, Tx
from tools.simnet.hubble.engine import Engine
from tools.simnet.hubble.memdb import NodeIndex
from tools.simnet.hubble.orders import Order
from tools.simnet.hubble.signing import OrderDecodeError, SignedOrderMsg, decode_signed_order, recover_signer
from tools.simnet.hubble.wire import finish, market_of, order_map, trader_event

RpcError = ChainError
Publisher = Callable[[str, Any, dict[str, Any]], None]   # (feed, key, event)


class HubbleNode:
    def __init__(self, engine: Engine, chain: Chain, index: NodeIndex, flags: ChainFlags, faults: Faults,
                 publish: Publisher, on_tx: Callable[[], None], clock: Callable[[], float] = time.time):
        self.engine, self.chain, self.index, self.flags, self.faults = engine, chain, index, flags, faults
        self.publish = publish
        self.on_tx = on_tx            # wakes the block builder
        self.on_crossed_ioc: Callable[[], None] = lambda: None
        self.clock = clock

    # ---- signed orders (plugin/evm/order_api.go PlaceSignedOrders) -------------
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
        if self.flags.settled:
            return ZERO_HASH, "all markets are settled now"    # PlaceOrder returns common.Hash{}
        order_hash = msg.order_hash()
        order_id = "0x" + order_hash.hex()
        err = self._validate_signed(msg, order_hash, order_id)
        if err is None:
            err = self.faults.take_reject()
        if err is not None:
            return order_id, err
        order = self.engine.new_order(Order(
            order_id, msg.amm_index, msg.trader, msg.base_asset_quantity, msg.price, msg.salt,
            msg.reduce_only, msg.post_only, "signed", expire_at=msg.expire_at, block=0))
        self.engine.rest(order)
        self.index.reserve_signed(order, self.index.required(msg.price, msg.base_asset_quantity))
        if self.engine.crossed_ioc(order.market, order.is_long, order.price):
            self.on_crossed_ioc()      # ShouldTriggerMatching: the matching pipeline runs
        args = {"order": {**order_map(order), "orderType": "signed", "expireAt": str(msg.expire_at)}}
        event = trader_event(msg.trader, order_id, "signed", "OrderAccepted", args, None, int(self.clock()))
        for level in ("head", "accepted"):
            self.publish("trader", msg.trader.lower(), finish(event, level, False, ZERO_HASH))
        return order_id, None

    def _validate_signed(self, msg: SignedOrderMsg, order_hash: bytes, order_id: str) -> str | None:
        known = self.index.order(order_id)
        if known is not None:
            return "order already exists"                       # P1: already in the memdb
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
            return "invalid market"      # unconfirmed: the node reads a zero min size and would panic first
        if msg.base_asset_quantity % market.min_size:
            return "not multiple"
        if msg.price <= 0:
            return "invalid price"
        if msg.price % market.price_multiplier:
            return "invalid price precision"
        signer = recover_signer(order_hash, msg.signature)
        if signer is None:
            return "invalid signature"   # unconfirmed text: ECRecover's own error
        if order_id in self.engine.orders:
            return "order already exists"                       # contract status is not Invalid
        if signer != msg.trader:
            return "no trading authority"
        if msg.reduce_only:
            return "reduce only orders via makerbook are not supported yet"
        if self.index.makerbook_available(msg.trader) < self.index.required(msg.price, msg.base_asset_quantity):
            return "insufficient margin"
        if self.engine.crosses_makerbook(msg.amm_index, msg.base_asset_quantity > 0, msg.price):
            return "crossing market"
        if not self.flags.has_referrer(msg.trader):
            return "no referrer"
        return None

    # ---- expiry (matching_pipeline.go RunSanitization, every second) ------------------
    def sweep_expired(self) -> int:
        """RemoveExpiredSignedOrders: delete expired signed orders and push OrderExpired (head + accepted)."""
        now = int(self.clock())
        gone = self.engine.expire_signed(now)
        for order in gone:
            self.index.delete(order)
            if order.trader in self.engine.params.unlimited:
                continue
            event = trader_event(order.trader, order.id, "signed", "OrderExpired", None, None, now)
            for level in ("head", "accepted"):
                self.publish("trader", order.trader.lower(), finish(event, level, False, ZERO_HASH))
        return len(gone)

    # ---- transactions (eth_sendRawTransaction) ------------------------------------------
    def send_raw_transaction(self, raw_hex: str) -> str:
        tx = decode_tx(bytes.fromhex(raw_hex.removeprefix("0x")))
        if tx.hash in self.chain.pool.hashes or tx.hash in self.chain.where:
            raise RpcError("already known")
        state_nonce = self.chain.next_nonce(tx.sender)
        if tx.nonce < state_nonce:
            raise RpcError(f"nonce too low: address {tx.sender} current nonce ({state_nonce}) > tx nonce ({tx.nonce})")
        balance = self.chain.balance(tx.sender)
        if balance < tx.cost:
            raise RpcError(f"insufficient funds for gas * price + value: address {tx.sender} "
                           f"have ({balance}) want ({tx.cost})")
        self.chain.pool.add(tx)
        self.on_tx()
        return tx.hash


def decode_tx(raw: bytes) -> Tx:
    """Sender, fields and hash of a signed legacy or EIP-1559 transaction."""
    try:
        sender = Account.recover_transaction(raw)
        if raw[0] == 2:
            fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            to, data, nonce, gas, value = (fields.get("to"), fields.get("data", b""), fields["nonce"],
                                           fields["gas"], fields.get("value", 0))
            chain_id, kind = fields.get("chainId"), 2
            max_fee, tip = fields.get("maxFeePerGas", 0), fields.get("maxPriorityFeePerGas", 0)
        else:
            nonce_b, gp_b, gas_b, to_b, value_b, data, v_b, _r, _s = rlp.decode(raw)
            nonce, gas, value, gas_price = (int.from_bytes(x, "big") for x in (nonce_b, gas_b, value_b, gp_b))
            to, v, kind = to_b, int.from_bytes(v_b, "big"), 0
            chain_id = (v - 35) // 2 if v >= 35 else C.CHAIN_ID
            max_fee = tip = gas_price
    except Exception as exc:
        raise RpcError(f"rlp: {exc}") from None
    if chain_id != C.CHAIN_ID:
        raise RpcError(f"invalid chain id for signer: have {chain_id} want {C.CHAIN_ID}")
    to_hex = to_checksum_address(to) if to else None
    data_hex = data if isinstance(data, str) else "0x" + bytes(data).hex()
    return Tx("0x" + keccak(raw).hex(), sender, to_hex, nonce, gas, data_hex, value, type=kind,
              max_fee=max_fee, tip=tip)
