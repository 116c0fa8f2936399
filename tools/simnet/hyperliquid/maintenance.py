"""The maintenance margin rule.

Docs trading/liquidations (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations): "The
maintenance margin is half of the initial margin at max leverage", i.e. a rate of 1 / (2 x maxLeverage) of the
position's notional at the mark price (1% at 50x, 16.7% at 3x). Simnet lists one margin tier per asset
(assets.meta_document), so the rate does not grow with size. The knob ``maintenance_margin_rate`` overrides it
(one rate for every coin, or ``{coin: rate}``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from tools.simnet.hyperliquid.assets import PerpAsset


@dataclass(frozen=True)
class Maintenance:
    overrides: Mapping[str, Decimal] = field(default_factory=dict)   # coin -> rate
    default: Decimal | None = None                                    # one rate for every coin

    def rate(self, asset: PerpAsset) -> Decimal:
        if asset.coin in self.overrides:
            return self.overrides[asset.coin]
        if self.default is not None:
            return self.default
        return Decimal(1) / (2 * asset.max_leverage)


DEFAULT_MAINTENANCE = Maintenance()
