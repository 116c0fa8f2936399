"""What the maker-venue tests ask of simnet's Hyperliquid and Binance, the way any client would."""
from __future__ import annotations

import json
import urllib.request
from decimal import ROUND_CEILING, Decimal

from tests.venue_positions import _binance_get, _hyperliquid_info, binance_position, hyperliquid_position

# (maker, hedge, market): the two pairs of the "done" commands
PAIRS = [("hyperliquid", "binance", "AVAX"), ("binance", "hyperliquid", "ETH")]
MAKER_SPREAD_BPS = 30        # the maker venue's simulated book: wide enough that the bot's quotes are its touch


SPREAD_OPTION = {"hyperliquid": "spread_bps", "binance": "maker_spread_bps"}   # each venue's inside-spread knob


def flow_options(maker: str, taker_rate: float = 2.0, **extra) -> dict:
    """simnet venue options that put simulated takers (and a wider book) on the maker venue."""
    return {maker: {"taker_rate": taker_rate, SPREAD_OPTION[maker]: MAKER_SPREAD_BPS, **extra}}


def maker_position(ready: dict, maker: str, credentials, market: str) -> Decimal:
    if maker == "hyperliquid":
        return hyperliquid_position(ready, credentials.hyperliquid_trader, market)
    return binance_position(ready, f"{market}USDT")


def maker_volume(ready: dict, maker: str, credentials, market: str) -> Decimal:
    """Everything the maker account traded in the coin (unsigned), from the venue's own fill list."""
    if maker == "hyperliquid":
        fills = _hyperliquid_info(ready, {"type": "userFills", "user": credentials.hyperliquid_trader})
        return sum((Decimal(f["sz"]) for f in fills if f["coin"] == market), Decimal(0))
    trades = _binance_get(ready, "/fapi/v1/userTrades", symbol=f"{market}USDT")
    return sum((Decimal(t["qty"]) for t in trades), Decimal(0))


def resting_quotes(ready: dict, maker: str, credentials, market: str) -> list:
    """The account's open orders in the coin, as the venue lists them."""
    if maker == "hyperliquid":
        orders = _hyperliquid_info(ready, {"type": "openOrders", "user": credentials.hyperliquid_trader})
        return [o for o in orders if o["coin"] == market]
    return list(_binance_get(ready, "/fapi/v1/openOrders", symbol=f"{market}USDT"))


def venue_lot(ready: dict, venue: str, market: str) -> Decimal:
    """The smallest order `venue` takes in the coin now (its size step, or its minimum notional at the mid):
    a residual below it is carried by the hedger, so two venues may differ by less than this."""
    if venue == "hyperliquid":
        meta = _hyperliquid_info(ready, {"type": "meta"})
        decimals = next(a["szDecimals"] for a in meta["universe"] if a["name"] == market)
        step, minimum = Decimal(1).scaleb(-decimals), Decimal(10)
        book = _hyperliquid_info(ready, {"type": "l2Book", "coin": market})
        price = Decimal(book["levels"][0][0]["px"])
    else:
        url = ready["binance_futures_rest"].rstrip("/") + "/fapi/v1/exchangeInfo"
        with urllib.request.urlopen(url, timeout=10) as response:
            info = json.loads(response.read())
        spec = next(s for s in info["symbols"] if s["symbol"] == f"{market}USDT")
        filters = {f["filterType"]: f for f in spec["filters"]}
        step = max(Decimal(filters["LOT_SIZE"]["stepSize"]), Decimal(filters["LOT_SIZE"]["minQty"]))
        minimum = Decimal(filters.get("MIN_NOTIONAL", {}).get("notional", "0"))
        with urllib.request.urlopen(ready["binance_futures_rest"].rstrip("/")
                                    + f"/fapi/v1/ticker/price?symbol={market}USDT", timeout=10) as response:
            price = Decimal(json.loads(response.read())["price"])
    by_notional = (minimum / price / step).to_integral_value(ROUND_CEILING) * step
    return max(step, by_notional)


def lose_fill_pushes(net, maker: str, count: int = 10_000) -> None:
    """The venue stops pushing the account's fills (to every connection), silently: a stream that looks open."""
    if maker == "hyperliquid":
        net.control("hyperliquid", "lose_pushes", channel="userFills", count=count)
    else:
        net.control("binance", "lose_user_events", count=count, event="ORDER_TRADE_UPDATE")


def restore_and_drop_fill_stream(net, maker: str) -> None:
    """Pushes flow again, and the connections that carried the fills are dropped (the bot reconnects and
    reads the gap back)."""
    if maker == "hyperliquid":
        net.control("hyperliquid", "clear")
        net.control("hyperliquid", "drop_ws", subscription="userFills", abrupt=True)
    else:
        net.control("binance", "lose_user_events", count=0)
        net.control("binance", "expire_listen_keys")
