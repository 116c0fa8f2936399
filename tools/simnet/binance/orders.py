"""Futures order records and their REST / user-data-stream renderings.

Field sets follow the current USDⓈ-M docs examples, as carried by the official SDK
(binance/binance-connector-python, clients/derivatives_trading_usds_futures, REST models
new_order_response.py, cancel_order_response.py, query_order_response.py):
``avgPrice`` and ``cumQuote`` were removed from the POST and DELETE /fapi/v1/order answers
(SDK CHANGELOG 14.0.0, 2026-07-15; DELETE lost avgPrice already in 8.0.0, 2026-03-09) and
stay in GET /fapi/v1/order. Measured live 2026-09-19 (jabdori/maxt docs): a placement answer
carries ``cumQty`` and neither ``avgPrice`` nor ``cumQuote``; the same order read back has both.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tools.simnet.binance.specs import SymbolSpec

ZERO = Decimal(0)
FINAL = ("FILLED", "CANCELED", "EXPIRED", "REJECTED")


@dataclass
class Order:
    order_id: int
    spec: SymbolSpec
    client_id: str
    side: str                    # BUY / SELL
    type: str                    # LIMIT / MARKET
    tif: str                     # GTC / IOC / FOK / GTX
    qty: Decimal
    price: Decimal               # 0 for MARKET
    reduce_only: bool
    time: int
    position_side: str = "BOTH"
    status: str = "NEW"
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_time: int = 0
    fills: list[dict[str, Any]] = field(default_factory=list)
    amendments: int = 0          # PUT /fapi/v1/order (amend.py)
    autoclose: bool = False      # a liquidation order (liquidation.py): "LIQUIDATION" on the user stream
    queue: int = 0               # time priority among resting orders (trading.py requeue)
    # wall-clock second the order was created: an inspection figure for tools/observer (control action
    # placements), not a venue field (the venue's own ``time`` is on the server clock); an amendment keeps it
    placed_at: float = field(default_factory=time.time, compare=False, repr=False)

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.executed

    @property
    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed if self.executed else ZERO

    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    def rest(self, with_time: bool = True) -> dict[str, Any]:
        spec = self.spec
        out: dict[str, Any] = {
            "orderId": self.order_id, "symbol": self.symbol, "status": self.status,
            "clientOrderId": self.client_id, "price": spec.fmt_price(self.price),
            "avgPrice": f"{self.avg_price:.8f}" if self.executed else "0.00",
            "origQty": spec.fmt_qty(self.qty), "executedQty": spec.fmt_qty(self.executed),
            "cumQuote": f"{self.cum_quote:.8f}", "timeInForce": self.tif, "type": self.type,
            "reduceOnly": self.reduce_only, "closePosition": False, "side": self.side,
            "positionSide": self.position_side, "stopPrice": "0", "workingType": "CONTRACT_PRICE",
            "priceProtect": False, "origType": self.type, "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER", "goodTillDate": 0,
            "updateTime": self.update_time or self.time,
        }
        if with_time:
            out["time"] = self.time
        return out

    def placement(self, final: bool) -> dict[str, Any]:
        """POST /fapi/v1/order answer: newOrderRespType=ACK (the futures default) shows the order as
        accepted (NEW, nothing executed); RESULT shows its final state. No avgPrice, no cumQuote."""
        out = self.rest(with_time=False)
        for gone in ("avgPrice", "cumQuote"):
            del out[gone]
        if not final:
            out.update(status="NEW", executedQty=self.spec.fmt_qty(ZERO), updateTime=self.time)
        out["cumQty"] = out["executedQty"]
        return out

    def cancelled(self) -> dict[str, Any]:
        """DELETE /fapi/v1/order answer: the same field set as a placement answer."""
        return self.placement(final=True)

    def trade_event(self, now: int, execution: str, last_qty: Decimal = ZERO, last_price: Decimal = ZERO,
                    fee: Decimal = ZERO, maker: bool = False, trade_id: int = 0,
                    realized: Decimal = ZERO, notional: tuple[Decimal, Decimal] = (ZERO, ZERO),
                    fee_asset: str = "USDT", expiry_reason: str = "0") -> dict[str, Any]:
        """ORDER_TRADE_UPDATE with Binance's field letters (USDⓈ-M Event: Order Update page; SDK model
        websocket_streams/models/order_trade_update_o.py). Recorded live on 2026-05-21 (NEW event quoted in
        oliver-zehentleitner/unicorn-binance-websocket-api#445): "N"/"n" are sent on events without a
        commission too ("n":"0","N":"USDT"), although the docs say "will not push if no commission".
        ``b``/``a`` ("Bids Notional"/"Ask Notional"): the account's open LIMIT orders on the symbol, price x
        remaining quantity per side, after this event (derived from captures in metacodi/binance
        test/results/exemple-8-75_leverage.ts, 2022: a resting SELL 2.61 @ 384.5 shows "a" 1003.545 on its NEW
        event and 0 once EXPIRED; MARKET orders add nothing). unconfirmed: that formula beyond those captures.
        ``N``/``n`` are the commission asset and amount: BNB when fee burn paid it (bnb.py).
        A liquidation order is ``o``/``ot`` "LIQUIDATION" (the page's Order Type list; liquidation.py);
        ``er`` "5": "Order has expired when the account was liquidated" (the page's Expiry Reason list)."""
        spec = self.spec
        bids, asks = notional
        kind = "LIQUIDATION" if self.autoclose else self.type
        return {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": {
            "s": self.symbol, "c": self.client_id, "S": self.side, "o": kind, "f": self.tif,
            "q": spec.fmt_qty(self.qty), "p": spec.fmt_price(self.price),
            "ap": f"{self.avg_price:f}" if self.executed else "0", "sp": "0",
            "x": execution, "X": self.status, "i": self.order_id,
            "l": spec.fmt_qty(last_qty), "z": spec.fmt_qty(self.executed),
            "L": spec.fmt_price(last_price) if last_price else "0",
            "N": fee_asset, "n": f"{fee:f}", "T": now, "t": trade_id,
            "b": _notional(bids), "a": _notional(asks), "m": maker, "R": self.reduce_only, "wt": "CONTRACT_PRICE",
            "ot": kind, "ps": self.position_side, "cp": False, "rp": f"{realized:f}", "pP": False,
            "si": 0, "ss": 0, "V": "EXPIRE_MAKER", "pm": "NONE", "gtd": 0,
            "er": expiry_reason,  # expiry reason (SDK model order_trade_update_o.py; the page lists 0..7)
        }}

    def trade_lite(self, now: int, last_qty: Decimal, last_price: Decimal, maker: bool, trade_id: int) -> dict[str, Any]:
        """TRADE_LITE (USDⓈ-M Event: Trade Lite, https://developers.binance.com/docs/derivatives/usds-margined-futures/
        user-data-streams/Event-Trade-Lite): "Fast trade stream reduces data latency compared original
        ORDER_TRADE_UPDATE stream. However, it only pushes TRADE Execution Type, and fewer data fields."
        ``q``/``p`` are the order's original quantity and price ("0" for a MARKET order, docs example); a live
        capture (nautechsystems/nautilus_trader#2008, 2024-09-30) has the same field set."""
        spec = self.spec
        return {"e": "TRADE_LITE", "E": now, "T": now, "s": self.symbol, "q": spec.fmt_qty(self.qty),
                "p": spec.fmt_price(self.price) if self.price else "0", "m": maker, "c": self.client_id,
                "S": self.side, "L": spec.fmt_price(last_price), "l": spec.fmt_qty(last_qty), "t": trade_id,
                "i": self.order_id}


def _notional(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"
