"""The venues' own positions, asked of simnet the way any client would: the evidence money tests use.

Never the bot's own books: a test that a fill was hedged or that a restart
ends flat reads both venues here.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from decimal import Decimal

HUBBLE_MARKETS = {"ETH": 0, "AVAX": 1, "SOL": 2}


def hubble_position(net, trader: str, market: str = "AVAX") -> Decimal:
    account = net.control("hubble", "account", trader=trader)
    return sum((Decimal(str(p["size"])) for p in account.get("positions") or []
                if int(p["market"]) == HUBBLE_MARKETS[market]), Decimal(0))


def hyperliquid_position(ready: dict, user: str, coin: str = "AVAX") -> Decimal:
    body = json.dumps({"type": "clearinghouseState", "user": user}).encode()
    request = urllib.request.Request(ready["hyperliquid_url"].rstrip("/") + "/info", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        state = json.loads(response.read())
    return sum((Decimal(p["position"]["szi"]) for p in state.get("assetPositions", [])
                if p["position"]["coin"] == coin), Decimal(0))


def _binance_get(ready: dict, path: str, **params) -> object:
    query = urllib.parse.urlencode({**params, "timestamp": int(time.time() * 1000)})
    signature = hmac.new(ready["binance_api_secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
    url = f"{ready['binance_futures_rest'].rstrip('/')}{path}?{query}&signature={signature}"
    request = urllib.request.Request(url, headers={"X-MBX-APIKEY": ready["binance_api_key"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def binance_position(ready: dict, symbol: str = "AVAXUSDT") -> Decimal:
    account = _binance_get(ready, "/fapi/v2/account")
    return sum((Decimal(p["positionAmt"]) for p in account.get("positions", []) if p["symbol"] == symbol),
               Decimal(0))


def _hyperliquid_info(ready: dict, body: dict) -> object:
    request = urllib.request.Request(ready["hyperliquid_url"].rstrip("/") + "/info", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def hedge_volume(ready: dict, hedge: str, credentials, market: str = "AVAX") -> Decimal:
    """Everything the hedge account traded in the coin (unsigned), from the venue's own fill list: a fill
    hedged twice and bought back later still shows here."""
    if hedge == "hyperliquid":
        fills = _hyperliquid_info(ready, {"type": "userFills", "user": credentials.hyperliquid_trader})
        return sum((Decimal(f["sz"]) for f in fills if f["coin"] == market), Decimal(0))
    trades = _binance_get(ready, "/fapi/v1/userTrades", symbol=f"{market}USDT")
    return sum((Decimal(t["qty"]) for t in trades), Decimal(0))


def hedge_position(ready: dict, hedge: str, credentials, market: str = "AVAX") -> Decimal:
    if hedge == "hyperliquid":
        return hyperliquid_position(ready, credentials.hyperliquid_trader, market)
    return binance_position(ready, f"{market}USDT")


def net_exposure(net, ready: dict, hedge: str, credentials, trader: str, market: str = "AVAX") -> Decimal:
    """Hubble position + hedge position, both as the venues report them."""
    return hubble_position(net, trader, market) + hedge_position(ready, hedge, credentials, market)
