"""The USDⓈ-M order path shared by ``POST /fapi/v1/order`` (futures_api.py) and the batch endpoints
(maker_api.py): the ORDERS rate limits, the checks every placement makes (with the reject fault and a raised
MIN_NOTIONAL), and the match.
"""
from __future__ import annotations

import time
from collections import deque
from decimal import Decimal
from typing import Any, Callable, Mapping

from tools.simnet.binance.accounts import Account
from tools.simnet.binance.errors import BinanceError
from tools.simnet.binance.orders import Order
from tools.simnet.binance.rest import Call
from tools.simnet.binance.trading import FuturesEngine
from tools.simnet.faults import Faults

ORDERS_PER_10S, ORDERS_PER_MIN = 300, 1200


def reject_error(reason: str) -> BinanceError:
    """The ``reject_orders`` fault: reason "-2019" etc. picks a Binance code; other text is the
    message of -2010 NEW_ORDER_REJECTED (a clean rejection, not an unknown execution status)."""
    try:
        return BinanceError(int(reason))
    except ValueError:
        return BinanceError(-2010, reason)


class OrderEntry:
    def __init__(self, engine: FuturesEngine, faults: Faults, options: Mapping[str, Any],
                 book_changed: Callable[[str], None]):
        self.engine = engine
        self.faults = faults
        self.options = options
        self.book_changed = book_changed          # our own fill took liquidity (the venue's bookTicker push)
        self._order_log: dict[str, deque] = {}

    def min_notional_floor(self) -> Decimal | None:
        """A raised MIN_NOTIONAL (flag or option ``min_notional``), as when Binance lifts it mid-session."""
        value = self.faults.flags.get("min_notional", self.options.get("min_notional"))
        return None if value is None else Decimal(str(value))

    def count(self, call: Call, ten: int = 1, minute: int = 1) -> None:
        """ORDERS limits (300 per 10 s, 1200 per minute per account) and their answer headers; a request counts
        `ten` on the 10 s limit and `minute` on the minute limit (a batch of orders: 5 and 1, SDK docstrings)."""
        assert call.account is not None
        now = time.monotonic()
        log = self._order_log.setdefault(call.account.api_key, deque())
        while log and now - log[0][0] >= 60.0:
            log.popleft()
        log.append((now, ten, minute))
        last_10s = sum(t for at, t, _ in log if now - at < 10.0)
        last_1m = sum(m for _, _, m in log)
        call.headers.update({"X-MBX-ORDER-COUNT-10S": str(last_10s), "X-MBX-ORDER-COUNT-1M": str(last_1m)})
        for count, limit, interval in ((last_10s, ORDERS_PER_10S, "10 seconds"), (last_1m, ORDERS_PER_MIN, "minute")):
            if count > limit:
                raise BinanceError(-1015, f"Too many new orders; current limit is {limit} orders per {interval}.",
                                   status=429)

    def place(self, account: Account, params: dict[str, str], now: int) -> Order:
        """One order through the checks and the book, without the answer-level faults (batch orders)."""
        return self.match(account, self.checked(account, params), now)

    def checked(self, account: Account, params: dict[str, str]) -> dict[str, Any]:
        """An order's fields once it has passed every check a placement makes (and the reject fault)."""
        engine = self.engine
        fields = engine.validate(account, params)
        reason = self.faults.take_reject()
        if reason is not None:
            raise reject_error(reason)
        engine.min_notional_floor = self.min_notional_floor()
        engine.check_prices(fields)
        engine.check_account(account, fields)
        return fields

    def match(self, account: Account, fields: dict[str, Any], now: int) -> Order:
        engine = self.engine
        if self.faults.take("partial_fill"):
            engine.partial_ratio = Decimal(str(self.faults.flags.get("partial_fill_ratio", 0.5)))
        order = engine.create(account, fields, now)
        engine.execute(account, order, now)
        self.book_changed(order.symbol)
        return order
