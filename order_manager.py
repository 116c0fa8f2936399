"""Door: OrderManager, under the seed's module name.

It lives in ``bot.trading.order_manager``; the parts it coordinates are in
``bot.tracking`` (order tracker, fill ledger, reconciler) and ``bot.trading``.
"""
from bot.trading.order_manager import OrderManager

__all__ = ["OrderManager"]
