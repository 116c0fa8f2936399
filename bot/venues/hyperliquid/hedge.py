"""Hyperliquid hedge client: the SDK's signing helpers, our own aiohttp transport.

The hyperliquid SDK's Exchange/Info classes use blocking ``requests``; here
only its pure helpers are used (order wire, action, action hash), exactly as
``Exchange.bulk_orders`` / ``update_leverage`` use them; the L1 signature comes
from ``hedge_hyperliquid_signing`` (byte-identical to the SDK's
``sign_l1_action``, several times faster), and the JSON goes out
with aiohttp so the event loop never blocks. ``is_mainnet`` follows the SDK:
True only when the base URL is the real ``https://api.hyperliquid.xyz``.

Fees: the order answer carries no fee. Rather than download ``userFills``
after every hedge (info weight 20 plus 1 per 20 fills returned, against 1200
per minute per IP shared by every market process: under load the hedges
themselves would get 429), the account's taker rate (``userCrossRate``) is
read once at start from ``userFees`` and each hedge's fee is filled notional
x that rate; without it, the published base taker rate
(market_specs.HEDGE_TAKER_FEE_PCT) is used and logged.

Every order action carries ``expiresAfter`` (docs: exchange endpoint,
"expiresAfter": the action is rejected once that time has passed), so an
order whose answer was lost can provably no longer execute after that time:
only then does "not found" mean it never executed.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections import deque
from decimal import Decimal
from typing import Any, Callable

import aiohttp
from eth_account import Account as EthAccount
from hyperliquid.utils.constants import MAINNET_API_URL
from hyperliquid.utils.signing import (
    get_timestamp_ms,
    order_request_to_order_wire,
    order_wires_to_order_action,
)
from hyperliquid.utils.types import Cloid

from bot.errors import ConfigurationProblem
from bot.maths import hedging as hm
from bot.venues.hedge_base import (
    BOOK_STALL_SECONDS, AccountState, HedgeClient, MarginState, HedgeSetupError, OrderOutcome, OrderRejected, PreparedOrder,
    TransientError, VenueRequestError, VenueRules,
)
from bot.venues.hyperliquid.signing import L1Signer
from bot.venues.hyperliquid.stream import HyperliquidStream, PostNotSent, StreamFill
from bot.venues.request_budget import Limit
from bot.venues.venue_clock import VenueClock
from bot.market_specs import HEDGE_TAKER_FEE_PCT

log = logging.getLogger("hedge.hyperliquid")

MIN_ORDER_VALUE = Decimal(10)      # USD, Hyperliquid's minimum order value
NO_MATCH = "could not immediately match"
ORDER_TTL_MS = 3000                # expiresAfter = nonce + this: the venue refuses the order after that
CLOCK_MARGIN = 2.0                 # seconds past expiresAfter (plus the venue clock's measured lag) before "not
                                   # found" proves anything
USER_PUSH_WAIT = 3.0               # seconds for the userFills push of a filled order before the socket is silent
UNKNOWN_SIGNER = "does not exist"  # "User or API Wallet 0x... does not exist." (a key the venue does not know)
ADDRESS_BUDGET = "Too many cumulative requests"   # docs "Rate limits and user limits": the address budget is spent
ADDRESS_THROTTLE_SECONDS = 10.0    # then one request per 10 seconds is allowed (same page)


IP_WEIGHT = "request weight per IP"
# docs "Rate limits and user limits": 1200 weight per minute per IP; exchange actions weigh 1 + floor(batch / 40);
# info l2Book, allMids, clearinghouseState, orderStatus, spotClearinghouseState, exchangeStatus weigh 2, userRole 60,
# every other info request 20 (userFills-like answers add 1 per 20 items returned: not counted here)
LIGHT_INFO = frozenset({"l2Book", "allMids", "clearinghouseState", "orderStatus", "spotClearinghouseState",
                        "exchangeStatus"})


def request_weight(payload: dict[str, Any]) -> int:
    if "action" in payload:
        return 1 + len(payload["action"].get("orders", ())) // 40
    kind = payload.get("type")
    return 2 if kind in LIGHT_INFO else 60 if kind == "userRole" else 20


class HyperliquidHedgeClient(HedgeClient):
    venue = "hyperliquid"
    limits = (Limit(IP_WEIGHT, 60, 1200),)
    account_weight = {IP_WEIGHT: 2}
    # The $10 minimum is valued at the price the order would first execute at, not its limit: measured on
    # the venue by a third party (riftresearch, testnet spot); no Hyperliquid document states it.
    min_notional_at = "touch"

    def __init__(self, settings: Any, credentials: Any, endpoints: dict[str, str],
                 fatal: Callable[[str], None]):
        super().__init__(settings, fatal)
        self.base_url = endpoints["HYPERLIQUID_API_URL"].rstrip("/")
        self.is_mainnet = self.base_url == MAINNET_API_URL
        self.coin = settings.spec.hyperliquid_coin
        if not credentials.hyperliquid_trader or credentials.hyperliquid_private_key is None:
            raise HedgeSetupError("hyperliquid: HYPERLIQUID_TRADER and HYPERLIQUID_PRIVATE_KEY are required")
        self.trader = credentials.hyperliquid_trader
        self._key = credentials.hyperliquid_private_key     # Secret; revealed only to build the wallet
        self._signer: L1Signer | None = None
        self._session: aiohttp.ClientSession | None = None
        self._asset: int | None = None
        self._sz_decimals = 0
        self._last_nonce = 0
        self.taker_rate = HEDGE_TAKER_FEE_PCT["hyperliquid"] / 100   # replaced by the account's rate at start
        self._cloid_counter = itertools.count(int.from_bytes(os.urandom(8), "big") << 32)
        self.clock = VenueClock("hyperliquid")
        self._pushed_oids: deque[int] = deque(maxlen=1000)      # our orders whose userFills push has arrived
        self._push_waiters: dict[int, asyncio.Event] = {}
        self._push_checks: set[asyncio.Task] = set()
        self.stream = HyperliquidStream(self.base_url, self.coin, self.trader, self.on_stream_book,
                                        self._on_stream_fill, self.on_stream_account, self.clock)

    @property
    def symbol(self) -> str:
        return self.coin

    # ---- transport -------------------------------------------------------------------
    async def _open(self) -> None:
        self._signer = L1Signer(self._key.reveal())
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.request_timeout))

    async def _close(self) -> None:
        for task in list(self._push_checks):
            task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, path: str, payload: dict[str, Any], *, order: bool = False) -> Any:
        """POST JSON; TransientError for network/5xx/429 (ambiguous if `order` may have executed)."""
        assert self._session is not None, "start() first"
        what = payload.get("type") or payload.get("action", {}).get("type")
        self.budget.charge({IP_WEIGHT: request_weight(payload)})
        try:
            async with self._session.post(self.base_url + path, json=payload) as resp:
                status, text = resp.status, await resp.text()
        except aiohttp.ClientConnectorError as exc:   # no connection was made: the request never left
            raise TransientError(f"{what}: {type(exc).__name__}: {exc}") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"{what}: {type(exc).__name__}: {exc}", ambiguous=order) from None
        if status == 429:
            raise TransientError(f"{what}: HTTP 429 rate limited: {text[:200]}",
                                 retry_after=_retry_after(resp.headers))
        if status >= 500:
            raise TransientError(f"{what}: HTTP {status}: {text[:200]}", ambiguous=order)
        if status >= 400:
            raise VenueRequestError(f"hyperliquid {what}: HTTP {status}: {text[:200]}")
        try:
            return json.loads(text)
        except ValueError:
            raise TransientError(f"{what}: unparsable answer {text[:200]!r}", ambiguous=order) from None

    async def _info(self, request: dict[str, Any]) -> Any:
        return await self._post("/info", request)

    async def _post_on_socket(self, payload: dict[str, Any]) -> Any:
        """The order as a post request on the websocket: the same action, the same answer as /exchange
        (docs, "Post requests"); an error answer mirrors the HTTP status ("<status> <reason>[: body]")."""
        try:
            response = await self.stream.post_action(payload, self.request_timeout)
        except PostNotSent as exc:
            raise TransientError(f"order: {exc}") from None
        except (ConnectionError, asyncio.TimeoutError) as exc:
            raise TransientError(f"order: {type(exc).__name__}: {exc}", ambiguous=True) from None
        if response.get("type") != "error":
            return response.get("payload") or {}
        text = str(response.get("payload"))
        status = int(text[:3]) if text[:3].isdigit() else 500
        if status == 429:
            raise TransientError(f"order: {text[:200]}")
        if status >= 500:
            raise TransientError(f"order: {text[:200]}", ambiguous=True)
        raise VenueRequestError(f"hyperliquid order: {text[:200]}")

    def _streams(self):
        # one socket carries the books (resent every 0.5 to 5 s) and the account: silent that long, it is down
        return [("websocket", self.stream.run, self.position_stream_up, BOOK_STALL_SECONDS)]

    @property
    def funding_reported(self) -> Decimal | None:
        """The position's funding since it opened, as the venue pushes it (cumFunding.sinceOpen; its sign
        convention is not confirmed by a source here: reported as the venue sends it)."""
        return self.stream.funding_since_open

    def _on_stream_fill(self, fill: StreamFill) -> None:
        self.on_stream_position(fill.position_after, fill.time_ms)
        self._pushed_oids.append(fill.oid)
        waiter = self._push_waiters.get(fill.oid)
        if waiter is not None:
            waiter.set()

    def _expect_fill_push(self, oid: Any) -> None:
        """Our order filled (the HTTP answer says so): its userFills push must follow. A stream that does not
        deliver it within USER_PUSH_WAIT is open but silent, and is reconnected (REST stands in meanwhile)."""
        if oid is None or not self.settings.hedge_streams or not self.position_stream_up.is_set():
            return
        waiter = self._push_waiters.setdefault(int(oid), asyncio.Event())
        if int(oid) in self._pushed_oids:
            waiter.set()
        task = asyncio.ensure_future(self._await_fill_push(int(oid), waiter))
        self._push_checks.add(task)
        task.add_done_callback(self._push_checks.discard)

    async def _await_fill_push(self, oid: int, waiter: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(waiter.wait(), USER_PUSH_WAIT)
        except asyncio.TimeoutError:
            reason = f"no userFills push for our filled order {oid} within {USER_PUSH_WAIT:.0f}s"
            if self.stream.restart(reason):
                log.warning("hyperliquid: the websocket is open but silent (%s): reconnecting it; REST reads stand "
                            "in meanwhile", reason)
        finally:
            self._push_waiters.pop(oid, None)

    def _next_nonce(self) -> int:
        """Millisecond timestamp, strictly increasing even for two actions in one millisecond."""
        self._last_nonce = max(get_timestamp_ms(), self._last_nonce + 1)
        return self._last_nonce

    def _signed(self, action: dict[str, Any], ttl_ms: int | None = None) -> dict[str, Any]:
        nonce = self._next_nonce()
        expires_after = nonce + ttl_ms if ttl_ms is not None else None
        signature = self._signer.sign(action, None, nonce, expires_after, self.is_mainnet)   # = sign_l1_action
        return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None,
                "expiresAfter": expires_after}

    # ---- account setup -----------------------------------------------------------------------
    async def _check_account_setup(self) -> None:
        await self._check_signer()
        await self._load_taker_rate()

    async def _check_signer(self) -> None:
        """The key must be HYPERLIQUID_TRADER's own or an API wallet (agent) it approved."""
        signer = EthAccount.from_key(self._key.reveal()).address
        if signer.lower() == self.trader.lower():
            return
        try:
            role = await self._info({"type": "userRole", "user": signer})
        except (TransientError, VenueRequestError) as exc:
            log.warning("hyperliquid: could not check that %s is an API wallet of %s (%s)", signer, self.trader, exc)
            return
        master = str((role.get("data") or {}).get("user", "")) if isinstance(role, dict) else ""
        if not isinstance(role, dict) or role.get("role") != "agent" or master.lower() != self.trader.lower():
            raise ConfigurationProblem(
                f"hyperliquid: HYPERLIQUID_PRIVATE_KEY belongs to {signer}, which is not an API wallet approved by "
                f"HYPERLIQUID_TRADER {self.trader} (the venue says {role}): approve it in Hyperliquid's API page "
                "or put the trader's own key")

    # ---- rules, book, account ------------------------------------------------------------
    async def _load_rules(self) -> VenueRules:
        meta = await self._info({"type": "meta"})
        for index, asset in enumerate(meta.get("universe", [])):
            if asset.get("name") == self.coin:
                if asset.get("isDelisted"):
                    raise HedgeSetupError(f"hyperliquid: {self.coin} is delisted")
                self._asset, self._sz_decimals = index, int(asset["szDecimals"])
                step = Decimal(1).scaleb(-self._sz_decimals)
                szd = self._sz_decimals
                return VenueRules(size_step=step, min_size=step, min_notional=MIN_ORDER_VALUE,
                                  max_leverage=int(asset["maxLeverage"]),
                                  price_rounder=lambda px, is_buy: hm.hyperliquid_price(px, szd, is_buy))
        raise HedgeSetupError(f"hyperliquid: coin {self.coin!r} is not listed in meta")

    async def _fetch_book(self) -> hm.Book:
        answer = await self._info({"type": "l2Book", "coin": self.coin})
        if not answer or "levels" not in answer:
            raise TransientError(f"l2Book for {self.coin}: empty answer")
        self.clock.observe(answer.get("time") or 0)
        bids, asks = answer["levels"]
        return hm.Book(bids=tuple((Decimal(lv["px"]), Decimal(lv["sz"])) for lv in bids),
                       asks=tuple((Decimal(lv["px"]), Decimal(lv["sz"])) for lv in asks))

    async def _fetch_account(self) -> AccountState:
        state = await self._info({"type": "clearinghouseState", "user": self.trader})
        position, leverage = hm.ZERO, None
        for item in state.get("assetPositions", []):
            pos = item.get("position", {})
            if pos.get("coin") == self.coin:
                position = Decimal(pos["szi"])
                leverage = int(pos.get("leverage", {}).get("value", 0)) or None
        return AccountState(position=position, free_margin=Decimal(state["withdrawable"]), leverage=leverage)

    async def _fetch_margin(self) -> MarginState:
        """clearinghouseState: marginSummary.accountValue, the position's liquidationPx (null when the account
        cannot be liquidated at any price) and its mark as positionValue / |szi| (docs, info endpoint
        "Retrieve a user's perpetuals account summary"; SDK cassettes test_user_state)."""
        state = await self._info({"type": "clearinghouseState", "user": self.trader})
        equity = _decimal((state.get("marginSummary") or {}).get("accountValue"))
        for item in state.get("assetPositions", []):
            pos = item.get("position", {})
            if pos.get("coin") == self.coin and Decimal(pos.get("szi") or 0):
                size = Decimal(pos["szi"])
                value = _decimal(pos.get("positionValue"))
                mark = value / abs(size) if value else None
                return MarginState(equity, _decimal(pos.get("liquidationPx")), mark, size)
        return MarginState(equity, None, None, hm.ZERO)

    async def _fetch_funding(self) -> Decimal | None:
        """metaAndAssetCtxs: the asset context's ``funding``, Hyperliquid's hourly rate (docs "Funding":
        funding is paid every hour; positive rates: longs pay shorts). Weight 20: read once a minute."""
        meta, contexts = await self._info({"type": "metaAndAssetCtxs"})
        if self._asset is None or self._asset >= len(contexts):
            return None
        return _decimal(contexts[self._asset].get("funding"))

    async def _set_leverage(self, leverage: int) -> None:
        action = {"type": "updateLeverage", "asset": self._asset, "isCross": True, "leverage": leverage}
        answer = await self._post("/exchange", self._signed(action))
        if answer.get("status") != "ok":
            refusal = str(answer.get("response"))
            if UNKNOWN_SIGNER in refusal:
                raise ConfigurationProblem(f"hyperliquid: the venue does not accept HYPERLIQUID_PRIVATE_KEY for "
                                           f"{self.trader} ({refusal}): check both credentials")
            raise HedgeSetupError(f"hyperliquid: setting leverage {leverage}x refused: {refusal}")

    # ---- orders ------------------------------------------------------------------------------
    async def _prepare_order(self, is_buy: bool, size: Decimal, limit: Decimal) -> PreparedOrder:
        cloid = f"{next(self._cloid_counter) & ((1 << 128) - 1):#034x}"
        request = {"coin": self.coin, "is_buy": is_buy, "sz": float(size), "limit_px": float(limit),
                   "order_type": {"limit": {"tif": "Ioc"}}, "reduce_only": False, "cloid": Cloid(cloid)}
        wire = order_request_to_order_wire(request, self._asset)
        if Decimal(wire["s"]) != size or Decimal(wire["p"]) != limit:   # float round trip must be exact
            raise OrderRejected(f"size {size} / price {limit} do not survive the wire format "
                                f"({wire['s']} / {wire['p']})")
        payload = self._signed(order_wires_to_order_action([wire]), ORDER_TTL_MS)
        # expiresAfter is the venue's time: provably dead once the venue's clock, which may be behind ours by
        # what its own stamps show (venue_clock.py), has passed it
        dead_after = payload["expiresAfter"] / 1000 + CLOCK_MARGIN + self.clock.behind()
        return PreparedOrder(payload, cloid, is_buy, size, limit, dead_after)

    async def _submit_order(self, prepared: PreparedOrder) -> OrderOutcome:
        try:
            if self.settings.hedge_orders_over_websocket and self.position_stream_up.is_set():
                answer = await self._post_on_socket(prepared.request)
            else:
                answer = await self._post("/exchange", prepared.request, order=True)
        except VenueRequestError as exc:
            raise OrderRejected(str(exc)) from None
        if answer.get("status") != "ok":
            refusal = str(answer.get("response"))
            if UNKNOWN_SIGNER in refusal:
                raise ConfigurationProblem(f"hyperliquid: the venue does not accept HYPERLIQUID_PRIVATE_KEY for "
                                           f"{self.trader} ({refusal}): check both credentials")
            if ADDRESS_BUDGET in refusal:     # over the per-address budget: one request per 10 s gets through
                raise TransientError(f"order refused: {refusal}", retry_after=ADDRESS_THROTTLE_SECONDS)
            raise OrderRejected(refusal)
        status = answer["response"]["data"]["statuses"][0]
        if "filled" in status:
            f = status["filled"]
            self._expect_fill_push(f.get("oid"))
            return OrderOutcome(Decimal(f["totalSz"]), Decimal(f["avgPx"]), order_id=f.get("oid"), status="filled")
        error = str(status.get("error", status))
        if NO_MATCH in error:
            return OrderOutcome(hm.ZERO, None, status=error)
        if "resting" in status:   # cannot happen for IOC; report rather than guess
            log.error("hyperliquid: IOC order rests?! %s", status)
            return OrderOutcome(hm.ZERO, None, order_id=status["resting"].get("oid"), status="resting")
        raise OrderRejected(error)

    async def _lookup_order(self, prepared: PreparedOrder) -> OrderOutcome | None:
        answer = await self._info({"type": "orderStatus", "user": self.trader, "oid": prepared.client_id})
        if answer.get("status") != "order":
            return None
        order = answer["order"]
        oid = order["order"]["oid"]
        if order.get("status") in ("open", "triggered"):   # still being processed: ask again
            raise TransientError(f"order {prepared.client_id} is still {order.get('status')}")
        fills = await self._fills_of(oid, order["order"].get("timestamp"))
        size = sum((Decimal(f["sz"]) for f in fills), hm.ZERO)
        price = hm.vwap([(Decimal(f["px"]), Decimal(f["sz"])) for f in fills])
        fee = sum((Decimal(f["fee"]) for f in fills), hm.ZERO)
        return OrderOutcome(size, price, order_id=oid, fee=fee, status=order.get("status", ""))

    async def _fills_of(self, oid: Any, since_ms: Any) -> list[dict[str, Any]]:
        """Fills of one order, from a short ``userFillsByTime`` window (few items: little weight)."""
        start = int(since_ms or 0) - 1000
        fills = await self._info({"type": "userFillsByTime", "user": self.trader, "startTime": max(0, start)})
        return [f for f in fills if f.get("oid") == oid]

    async def _load_taker_rate(self) -> None:
        try:
            answer = await self._info({"type": "userFees", "user": self.trader})
            self.taker_rate = Decimal(str(answer["userCrossRate"]))
        except (TransientError, VenueRequestError, KeyError, TypeError, ArithmeticError) as exc:
            log.warning("hyperliquid: fee rate unavailable (%s); fees use the base taker rate %s%%",
                        exc, HEDGE_TAKER_FEE_PCT["hyperliquid"])

    async def _fees(self, outcome: OrderOutcome) -> Decimal:
        return outcome.filled * (outcome.avg_price or hm.ZERO) * self.taker_rate


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header, if the venue sent one."""
    try:
        return float(headers.get("Retry-After")) if headers and headers.get("Retry-After") else None
    except (TypeError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None
