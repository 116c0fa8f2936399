"""Fixed facts about each market on each venue (not user settings).

Hubble's minimum sizes and price precision mirror hubble_exchange's mainnet
config (a test keeps them equal). Leverage ceilings are the venues' published
maxima for the first position bracket; the hedge client re-reads the live
figure at start-up and refuses to run if the venue allows less.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class MarketSpec:
    symbol: str               # "AVAX"
    hubble_name: str          # "AVAX-Perp"
    hubble_id: int            # Hubble market (AMM) index
    min_size: Decimal         # Hubble minimum order size and size step, base units
    price_decimals: int       # Hubble price precision (decimal places)
    binance_symbol: str       # Binance USDT-M symbol
    hyperliquid_coin: str     # Hyperliquid coin name
    max_leverage: dict[str, int]  # hedge venue -> maximum leverage

    @property
    def price_tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.price_decimals)


SPECS: dict[str, MarketSpec] = {
    "ETH": MarketSpec("ETH", "ETH-Perp", 0, Decimal("0.01"), 2, "ETHUSDT", "ETH",
                      {"hyperliquid": 25, "binance": 125}),
    "AVAX": MarketSpec("AVAX", "AVAX-Perp", 1, Decimal("1"), 3, "AVAXUSDT", "AVAX",
                       {"hyperliquid": 10, "binance": 75}),
    "SOL": MarketSpec("SOL", "SOL-Perp", 2, Decimal("0.1"), 3, "SOLUSDT", "SOL",
                      {"hyperliquid": 20, "binance": 100}),
}

HEDGE_VENUES = ("hyperliquid", "binance")
MAKER_VENUES = ("hubble", "hyperliquid", "binance")
PRICE_FEEDS = ("binance-futures", "binance-spot")

# Taker fee of each hedge venue at the base tier, percent. Used only to warn
# when a level's spread cannot cover the cost of its hedge.
HEDGE_TAKER_FEE_PCT = {"hyperliquid": Decimal("0.045"), "binance": Decimal("0.05")}
