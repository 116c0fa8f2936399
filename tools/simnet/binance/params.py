"""Request parameters shared by the USDⓈ-M endpoint modules (futures_api, account_api, maker_api)."""
from __future__ import annotations

from tools.simnet.binance.errors import BinanceError, missing
from tools.simnet.binance.specs import FUTURES


def futures_symbol(params: dict[str, str], required: bool = True) -> str | None:
    """The ``symbol`` a request names: -1102 when required and absent (None when optional), -1121 when not listed."""
    symbol = params.get("symbol")
    if not symbol:
        if required:
            raise missing("symbol")
        return None
    if symbol not in FUTURES:
        raise BinanceError(-1121)
    return symbol
