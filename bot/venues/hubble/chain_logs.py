"""Hubble's contract logs the bot reads from the chain: fills (OrderMatched) and position changes.

Event layouts are the SDK's ABIs (hubble_exchange/contract_abis: OrderBook.json
``OrderMatched``, ClearingHouse.json ``PositionModified``); the contract
addresses are the SDK's mainnet config. Logs carry exact integers (sizes
1e18, prices 1e6), unlike the trader stream's floats.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from eth_abi import decode
from eth_utils import keccak

ORDER_BOOK = "0x03000000000000000000000000000000000000b0"
CLEARING_HOUSE = "0x03000000000000000000000000000000000000b2"
ORDER_MATCHED = "0x" + keccak(b"OrderMatched(address,bytes32,uint256,uint256,uint256,uint256,bool)").hex()
POSITION_MODIFIED = "0x" + keccak(
    b"PositionModified(address,uint256,int256,uint256,int256,int256,uint256,int256,uint8,uint256)").hex()
CANCEL_ACCEPTED = "0x" + keccak(b"OrderCancelAccepted(address,bytes32,uint256)").hex()
CANCEL_REJECTED = "0x" + keccak(b"OrderCancelRejected(address,bytes32,uint256,string)").hex()
SIZE_SCALE = Decimal(10) ** 18
PRICE_SCALE = Decimal(10) ** 6


@dataclass(frozen=True)
class MatchedLog:
    order_id: str
    tx_hash: str
    block: int
    qty: Decimal            # unsigned base units
    price: Decimal
    removed: bool


@dataclass(frozen=True)
class PositionChange:
    market: int
    base: Decimal           # signed base units (+ bought)
    price: Decimal
    fee: Decimal            # USD (negative: rebate)


def topic_of(address: str) -> str:
    return "0x" + address.lower().removeprefix("0x").rjust(64, "0")


def _data(log: dict) -> bytes:
    data = log.get("data") or "0x"
    return bytes.fromhex(data[2:] if isinstance(data, str) else bytes(data).hex())


def _int(value) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def matched_logs_filter(trader: str, from_block: int, to_block: int) -> dict:
    return {"address": ORDER_BOOK, "fromBlock": hex(from_block), "toBlock": hex(to_block),
            "topics": [ORDER_MATCHED, topic_of(trader)]}


def parse_matched(log: dict) -> MatchedLog:
    fill, price, _oi, _ts, _liquidation = decode(["uint256", "uint256", "uint256", "uint256", "bool"], _data(log))
    return MatchedLog(order_id=str(log["topics"][2]).lower(), tx_hash=str(log["transactionHash"]).lower(),
                      block=_int(log["blockNumber"]), qty=Decimal(fill) / SIZE_SCALE,
                      price=Decimal(price) / PRICE_SCALE, removed=bool(log.get("removed", False)))


def matches_order(receipt: dict, order_id: str) -> bool:
    """Does a transaction receipt hold an OrderMatched log of `order_id`?"""
    wanted = order_id.lower()
    return any(str(log.get("address", "")).lower() == ORDER_BOOK
               and [str(t).lower() for t in (log.get("topics") or ())][0:1] == [ORDER_MATCHED]
               and len(log.get("topics") or ()) > 2 and str(log["topics"][2]).lower() == wanted
               for log in receipt.get("logs") or ())


def position_changes(receipt: dict, trader: str) -> list[PositionChange]:
    """The trader's PositionModified logs in a transaction receipt."""
    wanted = topic_of(trader)
    changes = []
    for log in receipt.get("logs") or ():
        topics = [str(t).lower() for t in log.get("topics") or ()]
        if (str(log.get("address", "")).lower() == CLEARING_HOUSE and topics[:1] == [POSITION_MODIFIED]
                and len(topics) > 2 and topics[1] == wanted):
            base, price, _pnl, _size, _notional, fee, _mode, _ts = decode(
                ["int256", "uint256", "int256", "int256", "uint256", "int256", "uint8", "uint256"], _data(log))
            changes.append(PositionChange(int(topics[2], 16), Decimal(base) / SIZE_SCALE,
                                          Decimal(price) / PRICE_SCALE, Decimal(fee) / PRICE_SCALE))
    return changes


def cancel_results(receipt: dict, order_ids: list[str], signed_order_book: str) -> list[dict]:
    """Per order, what a cancel transaction's receipt says (SignedOrderBook.json events of the SDK's ABIs):
    OrderCancelAccepted is a success, OrderCancelRejected carries the node's reason, an order the
    receipt does not name is unknown."""
    found: dict[str, dict] = {}
    for log in receipt.get("logs") or ():
        topics = [str(t).lower() for t in log.get("topics") or ()]
        if str(log.get("address", "")).lower() != signed_order_book.lower() or len(topics) < 3:
            continue
        order_id = "0x" + topics[2][-64:]
        if topics[0] == CANCEL_ACCEPTED:
            found[order_id] = {"order_id": order_id, "success": True}
        elif topics[0] == CANCEL_REJECTED:
            _ts, reason = decode(["uint256", "string"], _data(log))
            found[order_id] = {"order_id": order_id, "success": False, "error": reason}
    missing = {"success": False, "error": "the cancel transaction's receipt does not name it", "unknown": True}
    return [found.get(i.lower(), {"order_id": i.lower(), **missing}) for i in order_ids]


def hex_id(value) -> str:
    """An order id or hash as the 0x-prefixed lower-case hex the bot keys everything by."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    text = str(value).lower()
    return text if text.startswith("0x") else "0x" + text
