"""The hedge venue client for a market's settings: the one place that knows every hedge venue."""
from __future__ import annotations

from typing import Any, Callable

from bot.venues.binance.hedge import BinanceHedgeClient
from bot.venues.hedge_base import HedgeClient
from bot.venues.hyperliquid.hedge import HyperliquidHedgeClient

CLIENTS: dict[str, type[HedgeClient]] = {"hyperliquid": HyperliquidHedgeClient, "binance": BinanceHedgeClient}


def create(settings: Any, credentials: Any, endpoints: dict[str, str],
           fatal: Callable[[str], None]) -> HedgeClient:
    """The hedge client for settings.hedge ("hyperliquid" | "binance")."""
    client = CLIENTS.get(settings.hedge)
    if client is None:
        raise ValueError(f"unknown hedge venue {settings.hedge!r}; expected {' or '.join(CLIENTS)}")
    return client(settings, credentials, endpoints, fatal)
