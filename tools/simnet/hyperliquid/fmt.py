"""Number rendering as the Hyperliquid API does it: decimal strings."""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

USD_PLACES = Decimal("0.000001")


def px(value: Decimal) -> str:
    """Prices: shortest exact decimal, at least one decimal place ("3000.5", "35.0")."""
    return plain(value)


def usd(value: Decimal, places: Decimal = USD_PLACES) -> str:
    """Money: at most 6 decimals, always with a decimal point ("10000.0", "-0.0134")."""
    q = value.quantize(places, rounding=ROUND_HALF_EVEN).normalize()
    if q == 0:
        return "0.0"
    text = f"{q:f}"
    return text if "." in text else text + ".0"


def plain(value: Decimal) -> str:
    """Decimal with at least one decimal place, no rounding ("0.0", "1.5", "10.0")."""
    if value == 0:
        return "0.0"
    text = f"{value.normalize():f}"
    return text if "." in text else text + ".0"
