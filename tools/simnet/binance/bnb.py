"""BNB fee deduction ("BNB burn", "BNB fee discount") on USDⓈ-M futures, and the BNB price it needs.

* GET /fapi/v1/feeBurn answers ``{"feeBurn": true}`` (weight 30, USER_DATA); POST /fapi/v1/feeBurn with
  ``feeBurn=true|false`` changes it "on EVERY symbol" (weight 1, TRADE) and answers
  ``{"code": 200, "msg": "success"}`` (official SDK binance/binance-connector-python, account_api.py
  get_bnb_burn_status / toggle_bnb_burn_on_futures_trade and their unit-test fixtures; a live GET answer
  ``{ feeBurn: true }`` is quoted in ccxt/ccxt#22604, 2024-05-24). ``feeBurn`` is also a field of
  GET /fapi/v2/account.
* With it on, a trade's commission is paid in BNB from the USDⓈ-M futures wallet at a 10 % discount,
  "Please ensure that you have transferred a sufficient BNB balance to your USDⓈ-M Futures Wallet,
  otherwise the system will automatically deduct USDT for the fees and you will not be entitled to the
  discount" (Binance FAQ "Binance Futures Fee Structure & Fee Calculations",
  https://www.binance.com/en/support/faq/binance-futures-fee-structure-fee-calculations-360033544231, and
  the announcement "What Fees Are Generated in Binance Futures Trading"). The ORDER_TRADE_UPDATE then
  carries ``"N": "BNB"`` with ``n`` in BNB (the event's field "Commission Asset"; spot captures of the
  same letters show BNB amounts with 8 decimals, e.g. ``"n":"0.00000525","N":"BNB"``).
* unconfirmed: the BNB price Binance converts at [the BNBUSDT mark simnet shows], the rounding of the
  BNB amount [8 decimals, half up], whether the discount applies when the BNB covers part of a fee
  [no: all in USDT at the full rate]. BNB is not margin in single-asset mode (exchangeInfo asset row
  ``"BNB", "marginAvailable": false``), so the BNB balance adds nothing to the available balance.
* The price: simnet lists no BNB market to trade; ``BNBUSDT`` has a mark price only (GET
  /fapi/v1/premiumIndex, GET /fapi/v1/ticker/price, ``bnbusdt@markPrice`` on /market), option
  ``bnb_price`` (default 600, unconfirmed: a round value of the order BNB traded at in 2025-26) moved
  by the ``set_bnb_price`` action.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.simnet.binance.accounts import Account

SYMBOL = "BNBUSDT"
DISCOUNT = Decimal("0.9")                  # "a 10% discount on standard trading fees" paid in BNB
BNB_PLACES = Decimal("0.00000001")         # unconfirmed: 8 decimals, as BNB commissions show
DEFAULT_PRICE = Decimal("600")


class BnbPrice:
    """The BNBUSDT mark price (constant unless moved by ``set_bnb_price``)."""

    def __init__(self, price: Decimal = DEFAULT_PRICE):
        self.price = Decimal(str(price))

    def set(self, price: Decimal | float | str) -> Decimal:
        value = Decimal(str(price))
        if value <= 0:
            raise ValueError("the BNB price must be positive")
        self.price = value
        return self.price


def commission(account: "Account", usdt_fee: Decimal, bnb_price: Decimal) -> tuple[str, Decimal]:
    """(asset, amount) a trade's commission is charged in: BNB at 90 % of the USDT fee when fee burn is on
    and the futures wallet's BNB covers it, else USDT in full."""
    if account.fee_burn and bnb_price > 0:
        amount = (usdt_fee * DISCOUNT / bnb_price).quantize(BNB_PLACES, ROUND_HALF_UP)
        if amount <= account.bnb:
            return "BNB", amount
    return "USDT", usdt_fee
