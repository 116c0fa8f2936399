"""Markets the simulated venues list, and how each venue names them.

One table so that the three venues agree on what "AVAX" is. Prices are the
reference path's starting points; each venue adds its own basis on top.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimMarket:
    symbol: str            # our name: "AVAX"
    start_price: float     # USD, first point of the reference path
    hubble_id: int         # Hubble market id (SDK mainnet config)
    hubble_name: str       # AMM.name() on Hubble
    binance_symbol: str    # Binance USDT-M and spot symbol
    hyperliquid_coin: str  # Hyperliquid coin name


MARKETS: dict[str, SimMarket] = {
    "ETH": SimMarket("ETH", 3000.0, 0, "ETH-Perp", "ETHUSDT", "ETH"),
    "AVAX": SimMarket("AVAX", 35.0, 1, "AVAX-Perp", "AVAXUSDT", "AVAX"),
    "SOL": SimMarket("SOL", 150.0, 2, "SOL-Perp", "SOLUSDT", "SOL"),
}


def by_hubble_id(market_id: int) -> SimMarket:
    """The market with this Hubble id; KeyError if none."""
    for market in MARKETS.values():
        if market.hubble_id == market_id:
            return market
    raise KeyError(market_id)
