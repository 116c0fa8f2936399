"""``POST /info`` request types (the ones the SDK uses at start-up and a hedger needs)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from tools.simnet.hyperliquid import fmt
from tools.simnet.hyperliquid.assets import ASSETS, BY_COIN, meta_document, spot_asset_ctxs, spot_meta_document
from tools.simnet.hyperliquid.auth import Registry
from tools.simnet.hyperliquid.builders import BuilderApprovals
from tools.simnet.hyperliquid.clock import VenueClock
from tools.simnet.hyperliquid.engine import Engine
from tools.simnet.hyperliquid.funding import FundingKnobs
from tools.simnet.hyperliquid.limits import AddressBudget

MAX_FILLS = 2000
MAX_TIME_RANGE_ITEMS = 500    # docs info-endpoint "Pagination": time-range answers hold at most 500 elements


class InfoError(Exception):
    """Unanswerable request: HTTP 422 with this text, as the real API does."""


class InfoApi:
    def __init__(self, engine: Engine, clock: VenueClock, registry: Registry, approvals: BuilderApprovals,
                 address_budget: AddressBudget, funding: FundingKnobs,
                 funding_history: dict[str, list[dict[str, Any]]], cloid_visibility_delay_ms: int):
        self.engine = engine
        self.clock = clock
        self.registry = registry
        self.approvals = approvals                          # builder-fee approvals (builders.py)
        self.address_budget = address_budget
        self.funding = funding                              # the rates metaAndAssetCtxs shows
        self.funding_history = funding_history              # coin -> past settlements (fundingHistory)
        self.cloid_visibility_delay_ms = cloid_visibility_delay_ms
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "meta": lambda _r: meta_document(),
            "spotMeta": lambda _r: spot_meta_document(),
            # docs info-endpoint/spot "Retrieve spot asset contexts": [spotMeta, contexts]
            "spotMetaAndAssetCtxs": lambda _r: [spot_meta_document(), spot_asset_ctxs()],
            "perpDexs": lambda _r: [None],
            "metaAndAssetCtxs": lambda _r: [meta_document(), self._asset_ctxs()],
            "allMids": lambda _r: self.all_mids(),
            "l2Book": self._l2_book,
            "clearinghouseState": self._clearinghouse_state,
            "spotClearinghouseState": self._spot_state,
            "openOrders": self._open_orders,
            "frontendOpenOrders": self._frontend_open_orders,
            "userFills": self._user_fills,
            "userFillsByTime": self._user_fills_by_time,
            "orderStatus": self._order_status,
            "userFunding": self._user_funding,
            "fundingHistory": self._funding_history,
            "maxBuilderFee": self._max_builder_fee,
            "approvedBuilders": self._approved_builders,
            "historicalOrders": self._historical_orders,
            "userFees": self._user_fees,
            "userRateLimit": self._user_rate_limit,
            "extraAgents": self._extra_agents,
            "userRole": self._user_role,
        }

    def answer(self, body: dict[str, Any]) -> Any:
        handler = self.handlers.get(body.get("type")) if isinstance(body, dict) else None
        if handler is None:
            raise InfoError("Failed to deserialize the JSON body into the target type")
        return handler(body)

    # ---- market data ------------------------------------------------------------
    def all_mids(self) -> dict[str, str]:
        return {coin: fmt.px(book.mid()) for coin, book in self.engine.books.items()}

    def l2_book(self, coin: str, levels: int = 20, now_ms: int | None = None) -> dict[str, Any]:
        """At most ``levels`` per side (docs info-endpoint l2Book: "at most 20 levels per side"; a fast
        websocket book has 5). ``now_ms``: the push clock's time, shared by every coin of one push."""
        book = self.engine.books[coin]
        bids = self._merge(book.bids, coin, True, levels)
        asks = self._merge(book.asks, coin, False, levels)
        return {"coin": coin, "time": self.clock.now_ms() if now_ms is None else now_ms, "levels": [bids, asks]}

    def bbo(self, coin: str) -> dict[str, Any]:
        levels = self.l2_book(coin, 1)["levels"]
        return {"coin": coin, "time": self.clock.now_ms(),
                "bbo": [levels[0][0] if levels[0] else None, levels[1][0] if levels[1] else None]}

    def _merge(self, levels: list[Any], coin: str, is_buy: bool, count: int = 20) -> list[dict[str, Any]]:
        """Synthetic depth plus users' resting orders, aggregated by price (the best ``count`` levels)."""
        agg: dict[Decimal, list[Any]] = {lv.px: [lv.sz, lv.n] for lv in levels}
        for acct in self.engine.accounts.values():
            for order in acct.orders.values():
                if order.asset.coin == coin and order.is_buy == is_buy:
                    entry = agg.setdefault(order.limit_px, [Decimal(0), 0])
                    entry[0] += order.sz
                    entry[1] += 1
        prices = sorted(agg, reverse=is_buy)[:count]
        return [{"px": fmt.px(p), "sz": fmt.plain(agg[p][0]), "n": agg[p][1]} for p in prices]

    def _l2_book(self, req: dict[str, Any]) -> Any:
        coin = req.get("coin")
        if coin not in BY_COIN:
            return None
        return self.l2_book(coin)

    def _asset_ctxs(self) -> list[dict[str, Any]]:
        out = []
        for asset in ASSETS:
            book = self.engine.books[asset.coin]
            mid = fmt.px(book.mid())
            out.append({"funding": fmt.plain(self.funding.rate(asset.coin)), "openInterest": "0.0", "prevDayPx": mid, "dayNtlVlm": "0.0",
                        "premium": "0.0", "oraclePx": mid, "markPx": mid, "midPx": mid,
                        "impactPxs": [fmt.px(book.best_bid()), fmt.px(book.best_ask())], "dayBaseVlm": "0.0"})
        return out

    def _funding_history(self, req: dict[str, Any]) -> Any:
        """Docs info-endpoint/perpetuals "Retrieve historical funding rates": coin and startTime required, endTime
        optional; records as the SDK cassette test_get_funding_history[*].yaml, oldest first; at most 500 per
        answer (docs "Pagination"). Bounds inclusive and an unknown coin answering [] are unconfirmed."""
        start, end = _time_range(req)
        coin = req.get("coin")
        if not isinstance(coin, str):
            raise InfoError("Failed to deserialize the JSON body into the target type")
        rows = self.funding_history.get(coin, [])
        return [r for r in rows if r["time"] >= start and (end is None or r["time"] <= end)][:MAX_TIME_RANGE_ITEMS]

    # ---- user data ------------------------------------------------------------------
    def _user(self, req: dict[str, Any]):
        user = req.get("user")
        if not isinstance(user, str) or not user.startswith("0x") or len(user) != 42:
            raise InfoError("Failed to deserialize the JSON body into the target type")
        return self.engine.account(user)

    def _clearinghouse_state(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        state = acct.state(self.engine.marks(), self.engine.maintenance)
        state["time"] = self.clock.now_ms()
        return state

    def _spot_state(self, req: dict[str, Any]) -> Any:
        self._user(req)
        return {"balances": []}

    def _open_orders(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        return [{k: v for k, v in o.wire().items()}
                for o in sorted(acct.orders.values(), key=lambda o: -o.oid)]

    def _frontend_open_orders(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        return [o.frontend() for o in sorted(acct.orders.values(), key=lambda o: -o.oid)]

    def _user_fills(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        return list(reversed(acct.fills[-MAX_FILLS:]))

    def _user_fills_by_time(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        start = int(req.get("startTime") or 0)
        end = req.get("endTime")
        end = int(end) if end is not None else None
        fills = [f for f in acct.fills if f["time"] >= start and (end is None or f["time"] <= end)]
        return fills[:MAX_FILLS]

    def _order_status(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        ref = req.get("oid")
        delay = self.cloid_visibility_delay_ms
        order = self.engine.find_order(acct, ref, delay) if isinstance(ref, (int, str)) else None
        if order is None:
            return {"status": "unknownOid"}
        return {"status": "order", "order": _status_doc(order)}

    def _historical_orders(self, req: dict[str, Any]) -> Any:
        """Docs info-endpoint "Retrieve a user's historical orders": at most 2000, newest first
        (order as unconfirmed; shape as the SDK cassette test_historical_orders.yaml)."""
        acct = self._user(req)
        return [_status_doc(o) for o in self.engine.orders_of(acct)[:MAX_FILLS]]

    def _user_funding(self, req: dict[str, Any]) -> Any:
        """Docs info-endpoint/perpetuals userFunding: startTime required, endTime optional, both inclusive
        (unconfirmed inclusivity); at most 500 records per answer (docs "Pagination"), oldest first."""
        acct = self._user(req)
        start, end = _time_range(req)
        rows = [r for r in acct.funding if r["time"] >= start and (end is None or r["time"] <= end)]
        return rows[:MAX_TIME_RANGE_ITEMS]

    def _user_fees(self, req: dict[str, Any]) -> Any:
        self._user(req)
        fees = self.engine.fees
        cross, add = fmt.plain(fees.taker), fmt.plain(fees.maker)
        return {"dailyUserVlm": [], "feeSchedule": {
                    "cross": cross, "add": add, "spotCross": "0.0007", "spotAdd": "0.0004",
                    "tiers": {"vip": [], "mm": []}, "referralDiscount": "0.04", "stakingDiscountTiers": []},
                "userCrossRate": cross, "userAddRate": add, "userSpotCrossRate": "0.0007",
                "userSpotAddRate": "0.0004", "activeReferralDiscount": "0.0", "trial": None,
                "feeTrialReward": "0.0", "nextTrialAvailableTimestamp": None, "stakingLink": None,
                "activeStakingDiscount": {"bpsOfMaxSupply": "0.0", "discount": "0.0"}}

    def _user_rate_limit(self, req: dict[str, Any]) -> Any:
        """Keys as the SDK cassette test_user_rate_limit.yaml plus nRequestsSurplus, which newer
        recorded answers carry (df-hyperliquid-core account/settings/tests/limits.rs fixtures)."""
        acct = self._user(req)
        return {"cumVlm": fmt.usd(acct.volume), "nRequestsUsed": acct.n_requests,
                "nRequestsCap": self.address_budget.cap(acct.volume), "nRequestsSurplus": 0}

    def _user_role(self, req: dict[str, Any]) -> Any:
        """Docs, info endpoint "Query a user's role": {"role": "missing" | "user" | "vault" | "subAccount"},
        or {"role": "agent", "data": {"user": <master>}} for an API wallet (the same variants in the
        @nktkas/hyperliquid SDK's UserRoleResponse; the SDK cassette test_user_role.yaml records
        {"role":"vault"}). Vaults and sub-accounts are not simulated. Does not create an account."""
        user = req.get("user")
        if not isinstance(user, str) or not user.startswith("0x") or len(user) != 42:
            raise InfoError("Failed to deserialize the JSON body into the target type")
        address = user.lower()
        master = next((m for a, m in self.registry.agents.items() if a.lower() == address), None)
        if master is not None:
            return {"role": "agent", "data": {"user": master.lower()}}
        return {"role": "user"} if address in self.engine.accounts else {"role": "missing"}

    def _max_builder_fee(self, req: dict[str, Any]) -> Any:
        """Docs trading/builder-codes "API for builders": {"type": "maxBuilderFee", "user", "builder"} answers the
        approved maximum as a bare integer in tenths of a basis point, 0 without an approval (nktkas
        MaxBuilderFeeResponse = number, schema checked live). Does not create an account."""
        return self.approvals.max_fee(_address(req.get("user")), _address(req.get("builder")))

    def _approved_builders(self, req: dict[str, Any]) -> Any:
        """Docs info-endpoint "Query approved builders for user" (as linked from nktkas approvedBuilders.ts): the
        builder addresses, lower case (unconfirmed), [] for a user with none."""
        return self.approvals.approved_builders(_address(req.get("user")))

    def _extra_agents(self, req: dict[str, Any]) -> Any:
        acct = self._user(req)
        reg = self.registry
        return [{"name": reg.agent_names.get(a, ""), "address": a, "validUntil": 4_102_444_800_000}
                for a, master in reg.agents.items() if master == acct.address]


def _address(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
        raise InfoError("Failed to deserialize the JSON body into the target type")
    return value.lower()


def _time_range(req: dict[str, Any]) -> tuple[int, int | None]:
    """(startTime, endTime or None); a missing or non-integer startTime is a schema error (HTTP 422)."""
    try:
        start = int(req["startTime"])
        end = req.get("endTime")
        return start, (int(end) if end is not None else None)
    except (KeyError, TypeError, ValueError):
        raise InfoError("Failed to deserialize the JSON body into the target type") from None


def _status_doc(order: Any) -> dict[str, Any]:
    """The {order, status, statusTimestamp} wrapper of orderStatus and historicalOrders."""
    return {"order": order.frontend(), "status": order.status, "statusTimestamp": order.status_timestamp}
