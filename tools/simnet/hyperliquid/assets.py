"""Hyperliquid perp asset table, meta/spotMeta documents and price/size rules.

Asset ids are indices into ``meta.universe`` (the SDK derives them the same
way), so the order below is the contract. It follows Hyperliquid's own
relative listing order (ETH before SOL before AVAX).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from tools.simnet.markets import MARKETS

MIN_ORDER_VALUE = Decimal(10)
MAX_PRICE_DECIMALS = 6  # perps: at most 6 - szDecimals decimals
MAX_SIG_FIGS = 5
TICK_ERROR = "Price must be divisible by tick size."   # docs error-responses, error type Tick


@dataclass(frozen=True)
class PerpAsset:
    asset: int          # index in meta.universe
    coin: str           # Hyperliquid coin name
    symbol: str         # simnet reference-path symbol
    sz_decimals: int
    max_leverage: int
    margin_table_id: int

    @property
    def max_price_decimals(self) -> int:
        return MAX_PRICE_DECIMALS - self.sz_decimals

    @property
    def default_leverage(self) -> int:
        """New users start at 20x cross, capped by the asset's maximum."""
        return min(20, self.max_leverage)


def _build_assets() -> list[PerpAsset]:
    specs = [("ETH", 4, 25, 52), ("SOL", 2, 20, 51), ("AVAX", 2, 10, 50)]
    by_coin = {m.hyperliquid_coin: m for m in MARKETS.values()}
    return [PerpAsset(i, coin, by_coin[coin].symbol, szd, lev, table)
            for i, (coin, szd, lev, table) in enumerate(specs)]


ASSETS: list[PerpAsset] = _build_assets()
BY_COIN: dict[str, PerpAsset] = {a.coin: a for a in ASSETS}


def meta_document() -> dict[str, Any]:
    """Answer to ``{"type": "meta"}``."""
    tables = sorted({a.margin_table_id: a.max_leverage for a in ASSETS}.items())
    return {
        "universe": [{"szDecimals": a.sz_decimals, "name": a.coin, "maxLeverage": a.max_leverage,
                      "marginTableId": a.margin_table_id} for a in ASSETS],
        "marginTables": [[tid, {"description": "", "marginTiers": [
            {"lowerBound": "0.0", "maxLeverage": lev}]}] for tid, lev in tables],
        "collateralToken": 0,
    }


def spot_meta_document() -> dict[str, Any]:
    """Answer to ``{"type": "spotMeta"}``: USDC plus one canonical pair, as on mainnet."""
    return {
        "universe": [{"tokens": [1, 0], "name": "PURR/USDC", "index": 0, "isCanonical": True}],
        "tokens": [
            {"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0,
             "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054", "isCanonical": True,
             "evmContract": None, "fullName": None, "deployerTradingFeeShare": "0.0"},
            {"name": "PURR", "szDecimals": 0, "weiDecimals": 5, "index": 1,
             "tokenId": "0xc1fb593aeffbeb02f85e0308e9956a90", "isCanonical": True,
             "evmContract": None, "fullName": None, "deployerTradingFeeShare": "0.0"},
        ],
    }


def spot_asset_ctxs() -> list[dict[str, Any]]:
    """The contexts half of ``spotMetaAndAssetCtxs``: one per pair of spot_meta_document, indexed like it.

    Simnet trades no spot: its PURR/USDC has no book, no trades and no supply. It answers what the recorded mainnet
    answer (SDK cassette tests/cassettes/info_test/test_spot_asset_ctx.yaml, commit d9fefc2, 2025-11-09) shows for
    pairs in that state (e.g. "@71", "@98"): midPx null, markPx "1.0", every volume, price and supply "0.0". That
    "1.0" is read off the recording (no document explains it); a real PURR/USDC has a market and real figures."""
    return [{"prevDayPx": "0.0", "dayNtlVlm": "0.0", "markPx": "1.0", "midPx": None, "circulatingSupply": "0.0",
             "coin": pair["name"], "totalSupply": "0.0", "dayBaseVlm": "0.0"}
            for pair in spot_meta_document()["universe"]]


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def sig_figs(value: Decimal) -> int:
    digits = value.normalize().as_tuple().digits
    return len(digits)


def size_ok(asset: PerpAsset, size: Decimal) -> bool:
    return size > 0 and decimals_of(size) <= asset.sz_decimals


def price_error(asset: PerpAsset, price: Decimal) -> str | None:
    """None if the price is valid; else the Hyperliquid error text (without asset suffix)."""
    if price <= 0:
        return "Order has invalid price."
    if price == price.to_integral_value():
        return None  # integer prices are always allowed
    if decimals_of(price) > asset.max_price_decimals:
        return "Order has invalid price."
    if sig_figs(price) > MAX_SIG_FIGS:
        return TICK_ERROR
    return None


def tick_size(asset: PerpAsset, price: Decimal) -> Decimal:
    """Smallest valid price increment around ``price``."""
    if price <= 0:
        return Decimal(1).scaleb(-asset.max_price_decimals)
    int_digits = price.adjusted() + 1
    places = min(asset.max_price_decimals, max(0, MAX_SIG_FIGS - int_digits))
    return Decimal(1).scaleb(-places)


def round_price(asset: PerpAsset, price: Decimal, up: bool) -> Decimal:
    """Round to a valid price, up (asks) or down (bids)."""
    tick = tick_size(asset, price)
    rounding = ROUND_CEILING if up else ROUND_FLOOR
    return (price / tick).to_integral_value(rounding=rounding) * tick


def round_size(asset: PerpAsset, size: Decimal) -> Decimal:
    quantum = Decimal(1).scaleb(-asset.sz_decimals)
    return size.quantize(quantum, rounding=ROUND_FLOOR)
