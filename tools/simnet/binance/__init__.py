"""Simulated Binance (USDT-M futures + spot price feed) for simnet."""
from __future__ import annotations

from tools.simnet.binance.venue import BinanceVenue


def create(net) -> BinanceVenue:
    return BinanceVenue(net)
