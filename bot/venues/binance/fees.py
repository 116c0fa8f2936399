"""Binance commissions in USD, whatever asset they were charged in.

With BNB fee deduction on ("feeBurn", GET /fapi/v1/feeBurn), Binance charges a
commission in BNB at 90 % of the USDT fee while the USDⓈ-M futures wallet's
BNB covers it, else in USDT at the full rate (Binance FAQ "Binance Futures Fee
Structure & Fee Calculations"; docs/simnet/binance.md, "BNB fee deduction").
The ORDER_TRADE_UPDATE then says ``N: "BNB"`` and ``n`` is in BNB: booking
``n`` as USD would under-book the fee by the BNB price (~600x).

So a commission is converted at its asset's USD price, which the hedge client
keeps fresh with a cheap periodic read (the BNBUSDT mark, weight 1), never one
request per hedge. If the price is unknown, the fee is valued as Binance
computes it, notional x the account's rate (x 0.9 when BNB paid), and that is
logged once. USDT counts as USD, as everywhere else in the books.
"""
from __future__ import annotations

import logging
from decimal import Decimal

log = logging.getLogger("hedge.binance.fees")

BNB = "BNB"
BNB_DISCOUNT = Decimal("0.9")      # "a 10% discount on standard trading fees when you use BNB"
USD_ASSETS = ("", "USDT")          # the margin asset of the symbols the bot trades ("" : a push without N)


class FeeAssets:
    """What the bot knows about how its commissions are paid: fee burn, the BNB in the futures wallet and
    the USD price of each non-USD commission asset."""

    def __init__(self) -> None:
        self.fee_burn: bool | None = None           # None: never read
        self.bnb_balance: Decimal | None = None     # BNB in the futures wallet, as last read or pushed
        self.prices: dict[str, Decimal] = {}        # asset -> USD price
        self._warned: set[str] = set()

    def set_price(self, asset: str, price: Decimal) -> None:
        if price > 0:
            self.prices[asset] = price

    def usd(self, asset: str, amount: Decimal, notional: Decimal, rate: Decimal) -> Decimal:
        """A commission of `amount` `asset` in USD; `notional` x `rate` when the asset's price is unknown."""
        if asset in USD_ASSETS:
            return amount
        price = self.prices.get(asset)
        if price is not None:
            return amount * price
        if asset not in self._warned:
            self._warned.add(asset)
            log.warning("binance: a commission was charged in %s and its USD price is unknown (the BNBUSDT mark is "
                        "read every minute while fee burn is on); valuing %s commissions at notional x the "
                        "account's taker rate until it is known", asset, asset)
        return notional * rate * (BNB_DISCOUNT if asset == BNB else 1)

    def rate_fee(self, notional: Decimal, rate: Decimal) -> Decimal:
        """The fee of a fill read back by REST (no commission in the answer): notional x rate, at 90 % when
        fee burn is on and the futures wallet's BNB (at its price, when known) covers it."""
        fee = notional * rate
        if self.fee_burn and self._bnb_covers(fee * BNB_DISCOUNT):
            return fee * BNB_DISCOUNT
        return fee

    def _bnb_covers(self, usd: Decimal) -> bool:
        if not self.bnb_balance or self.bnb_balance <= 0:
            return False
        price = self.prices.get(BNB)
        return price is None or self.bnb_balance * price >= usd
