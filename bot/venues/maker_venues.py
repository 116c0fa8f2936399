"""The maker venue for a market's settings: the one place that knows every maker venue."""
from __future__ import annotations

from typing import Any, Callable

from bot.venues.maker_venue import MakerVenue


async def connect(settings: Any, credentials: Any, endpoints: dict[str, str],
                  fatal: Callable[[str], None]) -> MakerVenue:
    """The maker venue for settings.maker ("hubble" | "hyperliquid" | "binance"), not yet started."""
    if settings.maker == "hubble":
        from bot.venues.hubble.maker import HubbleMaker

        maker = await HubbleMaker.connect(credentials.hubble_private_key, endpoints)
        return maker.configure(settings, fatal)
    if settings.maker == "hyperliquid":
        from bot.venues.hyperliquid.maker import HyperliquidMaker

        return HyperliquidMaker(settings, credentials, endpoints, fatal)
    if settings.maker == "binance":
        from bot.venues.binance.maker import BinanceMaker

        return BinanceMaker(settings, credentials, endpoints, fatal)
    raise ValueError(f"unknown maker venue {settings.maker!r}; expected hubble, hyperliquid or binance")
