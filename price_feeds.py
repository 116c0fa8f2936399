"""Door: the market-data feeds, under the seed's module name.

The Binance mid price (``MidPriceFeed``) lives with the other Binance code in
``bot.venues.binance``; the Hubble order-book feed (``HubbleBookFeed``) with
the Hubble code in ``bot.venues.hubble``.
"""
from bot.venues.binance.mid_price_feed import MidPriceFeed
from bot.venues.hubble.book_feed import HubbleBookFeed

__all__ = ["HubbleBookFeed", "MidPriceFeed"]
