"""Door: the hedge client, under the seed's module name.

The hedging logic every venue shares (IOC orders capped by slippage, retries,
carry, lookups before any resend) is ``bot.venues.hedge_base``; each venue's
client lives in its own package (``bot.venues.hyperliquid``,
``bot.venues.binance``), and ``create`` picks one from the settings.
"""
from bot.venues.hedge_base import HedgeClient, HedgeError, HedgeResult, HedgeSetupError
from bot.venues.hedge_venues import create

__all__ = ["HedgeClient", "HedgeError", "HedgeResult", "HedgeSetupError", "create"]
