"""Trading rules of the simulated symbols and the exchangeInfo answers.

Values mirror Binance's USDT-M futures and spot listings for these symbols
(tick and step sizes, the futures pricePrecision quirk of 4 decimals on
AVAX/SOL while the tick has 3/2, MIN_NOTIONAL 20 on ETHUSDT and 5 elsewhere).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from tools.simnet.markets import MARKETS


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str              # "ETHUSDT"
    ref: str                 # reference-path symbol "ETH"
    base: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    price_precision: int
    quantity_precision: int
    min_price: Decimal | None = None     # PRICE_FILTER minPrice (None: the tick)
    max_price: Decimal = Decimal("1000000")

    def floor_price(self, value: Decimal) -> Decimal:
        return (value / self.tick).to_integral_value(ROUND_FLOOR) * self.tick

    def ceil_price(self, value: Decimal) -> Decimal:
        return (value / self.tick).to_integral_value(ROUND_CEILING) * self.tick

    def floor_qty(self, value: Decimal) -> Decimal:
        return (value / self.step).to_integral_value(ROUND_FLOOR) * self.step

    def fmt_price(self, value: Decimal) -> str:
        return f"{value.quantize(self.tick):f}"

    def fmt_qty(self, value: Decimal) -> str:
        return f"{value.quantize(self.step):f}"


def _d(text: str) -> Decimal:
    return Decimal(text)


FUTURES: dict[str, SymbolSpec] = {
    # ETHUSDT as in a recorded live exchangeInfo (serverTime 1715054406944, embedded in a public Rust
    # client's tests): tick 0.01, minPrice 39.86, maxPrice 306177, LOT 0.001..10000, MARKET_LOT ..2000,
    # MIN_NOTIONAL 20, PERCENT_PRICE 1.0500 / 0.9500
    "ETHUSDT": SymbolSpec("ETHUSDT", "ETH", "ETH", _d("0.01"), _d("0.001"), _d("0.001"), _d("10000"),
                          _d("2000"), _d("20"), 2, 3, _d("39.86"), _d("306177")),
    "AVAXUSDT": SymbolSpec("AVAXUSDT", "AVAX", "AVAX", _d("0.001"), _d("1"), _d("1"), _d("1000000"),
                           _d("100000"), _d("5"), 4, 0),
    "SOLUSDT": SymbolSpec("SOLUSDT", "SOL", "SOL", _d("0.01"), _d("1"), _d("1"), _d("1000000"),
                          _d("5000"), _d("5"), 4, 0),
}

SPOT: dict[str, SymbolSpec] = {
    "ETHUSDT": SymbolSpec("ETHUSDT", "ETH", "ETH", _d("0.01"), _d("0.0001"), _d("0.0001"), _d("9000"),
                          _d("3000"), _d("5"), 2, 4),
    "AVAXUSDT": SymbolSpec("AVAXUSDT", "AVAX", "AVAX", _d("0.01"), _d("0.01"), _d("0.01"), _d("900000"),
                           _d("90000"), _d("5"), 2, 2),
    "SOLUSDT": SymbolSpec("SOLUSDT", "SOL", "SOL", _d("0.01"), _d("0.001"), _d("0.001"), _d("90000"),
                          _d("9000"), _d("5"), 2, 3),
}

assert {m.binance_symbol for m in MARKETS.values()} == set(FUTURES) == set(SPOT)

MARKET_TAKE_BOUND = Decimal("0.05")     # exchangeInfo "marketTakeBound" (recorded BTCUSDT listings: "0.05")
DEFAULT_LEVERAGE = 20


@dataclass(frozen=True)
class PercentPrice:
    """The PERCENT_PRICE filter: BUY price <= markPrice * up, SELL price >= markPrice * down.

    Source: USDⓈ-M docs, common-definition "PERCENT_PRICE ... defines valid range for a price
    based on the mark price" (one bound per side: a buy has no floor, a sell no ceiling).
    """
    up: Decimal
    down: Decimal
    decimals: int = 4

    def row(self) -> dict[str, Any]:
        q = Decimal(1).scaleb(-self.decimals)
        return {"filterType": "PERCENT_PRICE", "multiplierUp": f"{self.up.quantize(q):f}",
                "multiplierDown": f"{self.down.quantize(q):f}", "multiplierDecimal": str(self.decimals)}


# Per symbol. ETHUSDT 1.0500 / 0.9500 is recorded (see FUTURES), as are BTCUSDT and DOTUSDT; a live
# census (jabdori/maxt docs, 2026-09-21) found 1.1500 / 0.8500 the most common pair.
# unconfirmed: AVAXUSDT and SOLUSDT (no recorded listing found; 1.0500 / 0.9500 assumed); the option
# ``percent_price`` ({"SOLUSDT": ["1.15", "0.85"]} or ["1.15", "0.85"] for all) sets other values.
PERCENT_PRICE: dict[str, PercentPrice] = {
    "ETHUSDT": PercentPrice(Decimal("1.05"), Decimal("0.95")),
    "AVAXUSDT": PercentPrice(Decimal("1.05"), Decimal("0.95")),
    "SOLUSDT": PercentPrice(Decimal("1.05"), Decimal("0.95")),
}


def percent_price_from_options(option: Any) -> dict[str, PercentPrice]:
    """PERCENT_PRICE per symbol with the ``percent_price`` option applied."""
    table = dict(PERCENT_PRICE)
    if option is None:
        return table
    items = option.items() if isinstance(option, dict) else ((s, option) for s in table)
    for symbol, (up, down) in items:
        table[symbol] = PercentPrice(Decimal(str(up)), Decimal(str(down)))
    return table

def _rate_limits(weight: int) -> list[dict[str, Any]]:
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
    ]


def futures_symbol_info(spec: SymbolSpec, percent: PercentPrice, liquidation_fee: Decimal) -> dict[str, Any]:
    return {
        "symbol": spec.symbol, "pair": spec.symbol, "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
        "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base, "quoteAsset": "USDT", "marginAsset": "USDT",
        "pricePrecision": spec.price_precision, "quantityPrecision": spec.quantity_precision,
        "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
        "underlyingSubType": ["Layer-1"], "settlePlan": 0, "triggerProtect": "0.0500",
        "liquidationFee": f"{liquidation_fee:.6f}", "marketTakeBound": f"{MARKET_TAKE_BOUND:f}",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": f"{spec.min_price or spec.tick:f}",
             "maxPrice": f"{spec.max_price:f}", "tickSize": f"{spec.tick:f}"},
            {"filterType": "LOT_SIZE", "minQty": f"{spec.min_qty:f}", "maxQty": f"{spec.max_qty:f}",
             "stepSize": f"{spec.step:f}"},
            {"filterType": "MARKET_LOT_SIZE", "minQty": f"{spec.min_qty:f}",
             "maxQty": f"{spec.market_max_qty:f}", "stepSize": f"{spec.step:f}"},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MIN_NOTIONAL", "notional": f"{spec.min_notional:f}"},
            percent.row(),
            # A live listing (jabdori/maxt docs, 2026-09-19) carries POSITION_RISK_CONTROL and no longer
            # MAX_NUM_ALGO_ORDERS (USDⓈ-M change log 2025-12-29: removed from exchangeInfo).
            {"filterType": "POSITION_RISK_CONTROL", "positionControlSide": "NONE"},
        ],
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                       "TRAILING_STOP_MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": ["GRID", "COPY"],
    }


def futures_exchange_info(server_time: int, weight_limit: int, percent: dict[str, PercentPrice],
                          liquidation_fee: dict[str, Decimal]) -> dict[str, Any]:
    """``liquidationFee`` per symbol: the clearance fee rate of a liquidation (brackets.py)."""
    return {
        "timezone": "UTC", "serverTime": server_time, "futuresType": "U_MARGINED",
        "rateLimits": _rate_limits(weight_limit), "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": [futures_symbol_info(spec, percent[spec.symbol], liquidation_fee[spec.symbol])
                    for spec in FUTURES.values()],
    }


def spot_symbol_info(spec: SymbolSpec) -> dict[str, Any]:
    return {
        "symbol": spec.symbol, "status": "TRADING", "baseAsset": spec.base, "baseAssetPrecision": 8,
        "quoteAsset": "USDT", "quotePrecision": 8, "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
                       "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True, "cancelReplaceAllowed": True, "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": f"{spec.tick:f}", "maxPrice": "1000000.00",
             "tickSize": f"{spec.tick:f}"},
            {"filterType": "LOT_SIZE", "minQty": f"{spec.min_qty:f}", "maxQty": f"{spec.max_qty:f}",
             "stepSize": f"{spec.step:f}"},
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0", "maxQty": f"{spec.market_max_qty:f}",
             "stepSize": "0"},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000,
             "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
             "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": f"{spec.min_notional:f}", "applyMinToMarket": True,
             "maxNotional": "9000000", "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
    }


def spot_exchange_info(server_time: int, weight_limit: int) -> dict[str, Any]:
    return {
        "timezone": "UTC", "serverTime": server_time,
        "rateLimits": _rate_limits(weight_limit)[:1] + [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}],
        "exchangeFilters": [],
        "symbols": [spot_symbol_info(spec) for spec in SPOT.values()],
    }
