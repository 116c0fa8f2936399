"""The trader's fills, funding and fee rates, read after the run from the venues' own APIs.

Hubble: ``eth_getLogs`` of the OrderBook's ``OrderMatched`` (order id, exact
size and price, the block's timestamp) joined by transaction with the
ClearingHouse's ``PositionModified`` (signed size, fee) of the trader in the
market; ``FundingPaid`` logs plus the position's ``unrealisedFunding`` for
funding. Layouts are the SDK's ABIs (hubble_exchange/contract_abis), decoded
here independently of the bot's parser. Hyperliquid: ``/info``
userFillsByTime (paged), userFunding and userFees. Binance: signed
``/fapi/v1/userTrades``, ``income`` (FUNDING_FEE) and ``commissionRate``. Either
of the two may be the maker venue (the bot's quotes) or the hedge venue: the
reads are the same, the fees each fill carries are the venue's own.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

from eth_abi import decode
from eth_utils import keccak

from tools.observer.records import Fill

ORDER_BOOK = "0x03000000000000000000000000000000000000b0"
CLEARING_HOUSE = "0x03000000000000000000000000000000000000b2"
ORDER_MATCHED = "0x" + keccak(b"OrderMatched(address,bytes32,uint256,uint256,uint256,uint256,bool)").hex()
POSITION_MODIFIED = "0x" + keccak(
    b"PositionModified(address,uint256,int256,uint256,int256,int256,uint256,int256,uint8,uint256)").hex()
FUNDING_PAID = "0x" + keccak(b"FundingPaid(address,uint256,int256,int256)").hex()
SIZE_SCALE = Decimal(10) ** 18
PRICE_SCALE = Decimal(10) ** 6
ZERO = Decimal(0)
TIMEOUT = 30


def _post_json(url: str, body: Any) -> Any:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.loads(response.read())


def _word(value: int | str) -> str:
    number = int(value, 16) if isinstance(value, str) else int(value)
    return "0x" + format(number, "064x")


def _data(log: dict) -> bytes:
    return bytes.fromhex(str(log.get("data") or "0x")[2:])


# ---- Hubble ----------------------------------------------------------------------------------------------------
class HubbleRpc:
    def __init__(self, url: str):
        self.url, self._id = url, 0

    def call(self, method: str, *params: Any) -> Any:
        self._id += 1
        answer = _post_json(self.url, {"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)})
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def logs(self, address: str, topics: list[str]) -> list[dict]:
        last = int(self.call("eth_blockNumber"), 16)
        found = self.call("eth_getLogs", {"address": address, "fromBlock": "0x0", "toBlock": hex(last),
                                          "topics": topics})
        return [log for log in found if not log.get("removed")]


def hubble_fills(rpc: HubbleRpc, trader: str, market_id: int) -> list[Fill]:
    """One fill per matching transaction of the trader in the market, oldest first."""
    matched = {log["transactionHash"]: log for log in rpc.logs(ORDER_BOOK, [ORDER_MATCHED, _word(trader)])}
    changes = rpc.logs(CLEARING_HOUSE, [POSITION_MODIFIED, _word(trader), _word(market_id)])
    fills = []
    for change in changes:
        match = matched.get(change["transactionHash"])
        if match is None:
            continue
        base, _price, _pnl, _size, _notional, fee, _mode, _ts = decode(
            ["int256", "uint256", "int256", "int256", "uint256", "int256", "uint8", "uint256"], _data(change))
        _fill, price, _oi, timestamp, _liquidation = decode(
            ["uint256", "uint256", "uint256", "uint256", "bool"], _data(match))
        fills.append(Fill("hubble", float(timestamp), Decimal(base) / SIZE_SCALE, Decimal(price) / PRICE_SCALE,
                          Decimal(fee) / PRICE_SCALE, str(match["topics"][2]).lower(), change["transactionHash"],
                          int(str(change["blockNumber"]), 16)))
    return sorted(fills, key=lambda f: f.t)


def hubble_funding(rpc: HubbleRpc, trader: str, market_id: int, account: dict) -> Decimal:
    """Funding received on Hubble: settled payments (FundingPaid) and what is still pending, sign flipped."""
    paid = sum((Decimal(decode(["int256", "int256"], _data(log))[0]) / PRICE_SCALE
                for log in rpc.logs(CLEARING_HOUSE, [FUNDING_PAID, _word(trader), _word(market_id)])), ZERO)
    pending = sum((Decimal(str(p.get("unrealisedFunding") or 0)) for p in account.get("positions") or ()
                   if int(p["market"]) == market_id), ZERO)
    return -(paid + pending)


# ---- Hyperliquid -----------------------------------------------------------------------------------------------
def _hyperliquid(url: str, body: dict) -> Any:
    return _post_json(url.rstrip("/") + "/info", body)


HYPERLIQUID_PAGE = 2000      # docs info-endpoint userFillsByTime: at most 2000 fills an answer


def hyperliquid_fills(url: str, user: str, coin: str, since: float = 0.0) -> list[Fill]:
    """userFillsByTime from ``since``, oldest first, paged on the last fill's time (a fill at that time seen
    twice is kept once, by its tid); userFills alone would stop at the 2000 most recent."""
    seen: dict[str, dict] = {}
    start = int(since * 1000)
    while True:
        rows = _hyperliquid(url, {"type": "userFillsByTime", "user": user, "startTime": start})
        new = [row for row in rows if _tid(row) not in seen]
        seen.update((_tid(row), row) for row in new)
        if len(rows) < HYPERLIQUID_PAGE or not new:
            break
        start = max(int(row["time"]) for row in rows)
    fills = [Fill("hyperliquid", row["time"] / 1000, Decimal(row["sz"]) * (1 if row["side"] == "B" else -1),
                  Decimal(row["px"]), Decimal(row["fee"]), str(row["oid"]), str(row.get("tid", "")))
             for row in seen.values() if row["coin"] == coin]
    return sorted(fills, key=lambda f: f.t)


def _tid(row: dict) -> str:
    return f"{row.get('tid')}:{row.get('hash', '')}:{row.get('oid')}"


def hyperliquid_funding(url: str, user: str, coin: str, since: float) -> Decimal:
    rows = _hyperliquid(url, {"type": "userFunding", "user": user, "startTime": int(since * 1000)})
    return sum((Decimal(r["delta"]["usdc"]) for r in rows if r["delta"].get("coin") == coin), ZERO)


def hyperliquid_taker_rate(url: str, user: str) -> Decimal:
    return Decimal(_hyperliquid(url, {"type": "userFees", "user": user})["userCrossRate"])

# ---- Binance ---------------------------------------------------------------------------------------------------
class BinanceRest:
    def __init__(self, base: str, key: str, secret: str):
        self.base, self.key, self.secret = base.rstrip("/"), key, secret

    def signed(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({**params, "timestamp": int(time.time() * 1000)})
        signature = hmac.new(self.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        request = urllib.request.Request(f"{self.base}{path}?{query}&signature={signature}",
                                         headers={"X-MBX-APIKEY": self.key})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())


def binance_fills(rest: BinanceRest, symbol: str, since: float) -> list[Fill]:
    """userTrades from ``since``, paged by trade id (1000 a page, the documented maximum)."""
    seen: dict[int, dict] = {}
    params: dict[str, Any] = {"symbol": symbol, "startTime": int(since * 1000), "limit": 1000}
    while True:
        page = [row for row in rest.signed("/fapi/v1/userTrades", **params) if row["id"] not in seen]
        seen.update((row["id"], row) for row in page)
        if len(page) < 1000:
            break
        params = {"symbol": symbol, "fromId": max(seen) + 1, "limit": 1000}
    fills = [Fill("binance", row["time"] / 1000, Decimal(row["qty"]) * (1 if row["buyer"] else -1),
                  Decimal(row["price"]), Decimal(row["commission"]), str(row["orderId"]), str(row["id"]))
             for row in seen.values()]
    return sorted(fills, key=lambda f: f.t)


def binance_funding(rest: BinanceRest, symbol: str, since: float) -> Decimal:
    rows = rest.signed("/fapi/v1/income", symbol=symbol, incomeType="FUNDING_FEE", startTime=int(since * 1000),
                       limit=1000)
    return sum((Decimal(r["income"]) for r in rows), ZERO)


def binance_taker_rate(rest: BinanceRest, symbol: str) -> Decimal:
    return Decimal(rest.signed("/fapi/v1/commissionRate", symbol=symbol)["takerCommissionRate"])