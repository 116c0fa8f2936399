"""USDT-M futures account endpoints: account / balance / positionRisk, leverage, fee rates,
position mode, Multi-Assets mode and income history.

Answer shapes follow the docs examples as carried by the official SDK
(binance/binance-connector-python, clients/derivatives_trading_usds_futures, REST models
and unit-test fixtures); weights from the same SDK's endpoint docstrings ("Weight(IP)").
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.simnet.binance import brackets as bk
from tools.simnet.binance import maintenance as mm
from tools.simnet.binance.accounts import ZERO, Account, Position
from tools.simnet.binance.errors import BinanceError, missing
from tools.simnet.binance.params import futures_symbol
from tools.simnet.binance.rest import SIGNED, Call
from tools.simnet.binance.specs import FUTURES
from tools.simnet.binance.trading import FuturesEngine

INCOME_LIMIT, INCOME_MAX = 100, 1000
SEVEN_DAYS_MS = 7 * 86_400_000
SUCCESS = {"code": 200, "msg": "success"}


def bool_param(params: dict[str, str], name: str) -> bool:
    raw = params.get(name, "")
    if raw.lower() not in ("true", "false"):
        raise missing(name) if not raw else BinanceError(-1130, name=name)
    return raw.lower() == "true"


class AccountApi:
    def __init__(self, engine: FuturesEngine, brackets: dict[str, bk.Ladder]):
        self.engine = engine
        self.brackets = brackets          # symbol -> leverage brackets (brackets.py)

    def routes(self) -> list[tuple[str, str, Any, Any, str]]:
        return [
            ("GET", "/fapi/v2/account", self.account_v2, 5, SIGNED),
            ("GET", "/fapi/v3/account", self.account_v3, 5, SIGNED),
            ("GET", "/fapi/v2/balance", self.balance, 5, SIGNED),
            ("GET", "/fapi/v3/balance", self.balance, 5, SIGNED),
            ("GET", "/fapi/v2/positionRisk", self.position_risk_v2, 5, SIGNED),
            ("GET", "/fapi/v3/positionRisk", self.position_risk_v3, 5, SIGNED),
            ("POST", "/fapi/v1/leverage", self.leverage, 1, SIGNED),
            ("GET", "/fapi/v1/leverageBracket", self.leverage_bracket, 1, SIGNED),
            ("GET", "/fapi/v1/commissionRate", self.commission_rate, 20, SIGNED),
            ("GET", "/fapi/v1/positionSide/dual", self.position_mode, 30, SIGNED),
            ("POST", "/fapi/v1/positionSide/dual", self.set_position_mode, 1, SIGNED),
            ("GET", "/fapi/v1/multiAssetsMargin", self.multi_assets, 30, SIGNED),
            ("POST", "/fapi/v1/multiAssetsMargin", self.set_multi_assets, 1, SIGNED),
            ("GET", "/fapi/v1/income", self.income, 30, SIGNED),
            # bnb.py: GET weight 30 (USER_DATA), POST weight 1 (TRADE), per the official SDK's docstrings
            ("GET", "/fapi/v1/feeBurn", self.fee_burn, 30, SIGNED),
            ("POST", "/fapi/v1/feeBurn", self.set_fee_burn, 1, SIGNED),
            # SDK change_margin_type (weight 1, TRADE) and symbol_configuration (weight 5, USER_DATA)
            ("POST", "/fapi/v1/marginType", self.set_margin_type, 1, SIGNED),
            ("GET", "/fapi/v1/symbolConfig", self.symbol_config, 5, SIGNED),
        ]

    # ---- figures ---------------------------------------------------------------
    def _totals(self, account: Account) -> dict[str, Decimal]:
        marks = self.engine.marks()
        upnl = account.unrealized(marks)
        pos_im = account.position_margin(marks)
        ord_im = self.engine.order_margin(account)
        maint = mm.account_maint(account, marks, self.brackets)
        avail = account.wallet + upnl - pos_im - ord_im
        return {"wallet": account.wallet, "upnl": upnl, "margin": account.wallet + upnl, "pos_im": pos_im,
                "ord_im": ord_im, "im": pos_im + ord_im, "maint": maint, "avail": avail,
                "max_withdraw": max(ZERO, min(avail, account.wallet))}

    def _liquidation_price(self, account: Account, position: Position, marks: dict[str, Decimal]) -> str:
        """The cross-margin liquidation price of the position's symbol (maintenance.py); "0" without one.
        unconfirmed: its decimals [8, as markPrice]."""
        price = mm.liquidation_price(account, position.symbol, marks, self.brackets) if position.amount else None
        return "0" if price is None else f"{price:.8f}"

    def _position_row(self, account: Account, position: Position) -> dict[str, Any]:
        symbol = position.symbol
        spec = FUTURES[symbol]
        marks = self.engine.marks()
        mark = marks[symbol]
        lev = account.leverage_of(symbol)
        orders = [o for o in self.engine.open_orders(account, symbol) if o.position_side == position.side]
        upnl = position.amount * (mark - position.entry) if position.amount else ZERO
        pos_im = abs(position.amount) * mark / lev
        ord_im = sum((o.remaining * o.price / lev for o in orders), ZERO)
        bid = sum((o.remaining * o.price for o in orders if o.side == "BUY"), ZERO)
        ask = sum((o.remaining * o.price for o in orders if o.side == "SELL"), ZERO)
        return {"symbol": symbol, "positionSide": position.side, "positionAmt": spec.fmt_qty(position.amount),
                "entryPrice": f"{position.entry:f}", "breakEvenPrice": f"{position.entry:f}",
                "markPrice": f"{mark:.8f}", "unRealizedProfit": f"{upnl:.8f}",
                "liquidationPrice": self._liquidation_price(account, position, marks),
                "isolatedMargin": "0", "notional": f"{position.amount * mark:.8f}", "marginAsset": "USDT",
                "isolatedWallet": "0", "initialMargin": f"{pos_im + ord_im:.8f}",
                "maintMargin": f"{mm.position_maint(self.brackets, position, mark):.8f}",
                "positionInitialMargin": f"{pos_im:.8f}", "openOrderInitialMargin": f"{ord_im:.8f}",
                "adl": 0, "bidNotional": f"{bid:f}", "askNotional": f"{ask:f}",
                "updateTime": position.update_time, "leverage": str(lev)}

    def _active(self, account: Account, position: Position) -> bool:
        return bool(position.amount) or any(o.position_side == position.side
                                            for o in self.engine.open_orders(account, position.symbol))

    def _rows(self, account: Account, symbol: str | None, active_only: bool) -> list[dict[str, Any]]:
        rows = []
        for s in ([symbol] if symbol else list(FUTURES)):
            for position in account.symbol_positions(s):
                if not active_only or self._active(account, position):
                    rows.append(self._position_row(account, position))
        return rows

    # ---- account, balance, positions ---------------------------------------------
    def _account(self, account: Account, now: int, all_positions: bool) -> dict[str, Any]:
        t = {k: f"{v:.8f}" for k, v in self._totals(account).items()}
        asset = {"asset": "USDT", "walletBalance": t["wallet"], "unrealizedProfit": t["upnl"],
                 "marginBalance": t["margin"], "maintMargin": t["maint"], "initialMargin": t["im"],
                 "positionInitialMargin": t["pos_im"], "openOrderInitialMargin": t["ord_im"],
                 "maxWithdrawAmount": t["max_withdraw"], "crossWalletBalance": t["wallet"],
                 "crossUnPnl": t["upnl"], "availableBalance": t["avail"], "marginAvailable": True,
                 "updateTime": now}
        positions = []
        for row in self._rows(account, None, active_only=not all_positions):
            lev = int(row["leverage"])
            positions.append({
                "symbol": row["symbol"], "initialMargin": row["initialMargin"], "maintMargin": row["maintMargin"],
                "unrealizedProfit": row["unRealizedProfit"], "positionInitialMargin": row["positionInitialMargin"],
                "openOrderInitialMargin": row["openOrderInitialMargin"], "leverage": row["leverage"],
                "isolated": account.margin_type(row["symbol"]) == "ISOLATED", "entryPrice": row["entryPrice"],
                "breakEvenPrice": row["breakEvenPrice"],
                "maxNotional": str(self._max_notional(row["symbol"], lev)), "bidNotional": row["bidNotional"],
                "askNotional": row["askNotional"], "positionSide": row["positionSide"],
                "positionAmt": row["positionAmt"], "notional": row["notional"], "isolatedWallet": "0",
                "updateTime": row["updateTime"]})
        assets = [asset, self._bnb_asset(account, now)]
        return {"feeTier": 0, "feeBurn": account.fee_burn, "canTrade": True, "canDeposit": True, "canWithdraw": True,
                "updateTime": 0, "multiAssetsMargin": account.multi_assets, "tradeGroupId": -1,
                "totalInitialMargin": t["im"], "totalMaintMargin": t["maint"], "totalWalletBalance": t["wallet"],
                "totalUnrealizedProfit": t["upnl"], "totalMarginBalance": t["margin"],
                "totalPositionInitialMargin": t["pos_im"], "totalOpenOrderInitialMargin": t["ord_im"],
                "totalCrossWalletBalance": t["wallet"], "totalCrossUnPnl": t["upnl"],
                "availableBalance": t["avail"], "maxWithdrawAmount": t["max_withdraw"],
                "assets": assets, "positions": positions}

    @staticmethod
    def _bnb_asset(account: Account, now: int) -> dict[str, Any]:
        """The BNB row of ``assets``: its wallet pays commissions under fee burn and is no margin in single-asset
        mode (exchangeInfo asset row "BNB", "marginAvailable": false; bnb.py)."""
        held, zero = f"{account.bnb:.8f}", "0.00000000"
        return {"asset": "BNB", "walletBalance": held, "unrealizedProfit": zero, "marginBalance": held,
                "maintMargin": zero, "initialMargin": zero, "positionInitialMargin": zero,
                "openOrderInitialMargin": zero, "maxWithdrawAmount": held, "crossWalletBalance": held,
                "crossUnPnl": zero, "availableBalance": held, "marginAvailable": False, "updateTime": now}

    async def account_v2(self, call: Call) -> Any:
        assert call.account is not None
        return self._account(call.account, call.now, all_positions=True)

    async def account_v3(self, call: Call) -> Any:
        """v3: the docs example's slimmer shape (no feeTier/canTrade/...; assets without marginAvailable;
        positions with symbol, positionSide, positionAmt, unrealizedProfit, isolatedMargin, notional,
        isolatedWallet, initialMargin, maintMargin, updateTime), listing only positions that are open or
        have open orders."""
        assert call.account is not None
        full = self._account(call.account, call.now, all_positions=False)
        out = {k: v for k, v in full.items() if k.startswith("total") or k in ("availableBalance",
                                                                              "maxWithdrawAmount")}
        out["assets"] = [{k: v for k, v in a.items() if k != "marginAvailable"} for a in full["assets"]]
        out["positions"] = [{"symbol": r["symbol"], "positionSide": r["positionSide"], "positionAmt": r["positionAmt"],
                             "unrealizedProfit": r["unRealizedProfit"], "isolatedMargin": "0.00000000",
                             "notional": r["notional"], "isolatedWallet": "0", "initialMargin": r["initialMargin"],
                             "maintMargin": r["maintMargin"], "updateTime": r["updateTime"]}
                            for r in self._rows(call.account, None, active_only=True)]
        return out

    async def balance(self, call: Call) -> Any:
        assert call.account is not None
        t = {k: f"{v:.8f}" for k, v in self._totals(call.account).items()}
        held = f"{call.account.bnb:.8f}"
        return [{"accountAlias": "SgsR", "asset": "USDT", "balance": t["wallet"],
                 "crossWalletBalance": t["wallet"], "crossUnPnl": t["upnl"], "availableBalance": t["avail"],
                 "maxWithdrawAmount": t["max_withdraw"], "marginAvailable": True, "updateTime": call.now},
                {"accountAlias": "SgsR", "asset": "BNB", "balance": held, "crossWalletBalance": held,
                 "crossUnPnl": "0.00000000", "availableBalance": held, "maxWithdrawAmount": held,
                 "marginAvailable": False, "updateTime": call.now}]

    async def position_risk_v2(self, call: Call) -> Any:
        """v2: every position (LONG and SHORT rows in Hedge Mode), with leverage and marginType."""
        assert call.account is not None
        rows = []
        for row in self._rows(call.account, futures_symbol(call.params, required=False), active_only=False):
            lev = int(row["leverage"])
            rows.append({k: row[k] for k in ("entryPrice", "breakEvenPrice", "leverage", "liquidationPrice",
                                              "markPrice", "positionAmt", "notional", "isolatedWallet",
                                              "symbol", "unRealizedProfit", "positionSide", "updateTime")}
                        | {"marginType": call.account.margin_type(row["symbol"]).lower().replace("crossed", "cross"),
                           "isAutoAddMargin": "false", "isolatedMargin": "0.00000000",
                           "maxNotionalValue": str(self._max_notional(row["symbol"], lev))})
        return rows

    async def position_risk_v3(self, call: Call) -> Any:
        """v3 lists only positions that are open or have open orders, and has no leverage field."""
        assert call.account is not None
        rows = self._rows(call.account, futures_symbol(call.params, required=False), active_only=True)
        for row in rows:
            row.pop("leverage")
        return rows

    # ---- leverage and fees -----------------------------------------------------------
    def _max_notional(self, symbol: str, leverage: int) -> int:
        return bk.max_notional(self.brackets[symbol], leverage)

    async def leverage(self, call: Call) -> Any:
        """POST /fapi/v1/leverage: 1 up to the symbol's first bracket's initialLeverage, else -4028."""
        assert call.account is not None
        symbol = futures_symbol(call.params)
        assert symbol is not None
        raw = call.params.get("leverage", "")
        if not raw:
            raise missing("leverage")
        if not raw.isdigit() or not 1 <= int(raw) <= bk.max_leverage(self.brackets[symbol]):
            raise BinanceError(-4028, leverage=raw)
        call.account.leverage[symbol] = int(raw)
        return {"leverage": int(raw), "maxNotionalValue": str(self._max_notional(symbol, int(raw))), "symbol": symbol}

    async def leverage_bracket(self, call: Call) -> Any:
        """GET /fapi/v1/leverageBracket [symbol]: one row for a symbol, else a list (brackets.py)."""
        symbol = futures_symbol(call.params, required=False)
        if symbol:
            return bk.answer(symbol, self.brackets[symbol])
        return [bk.answer(s, self.brackets[s]) for s in FUTURES]

    async def commission_rate(self, call: Call) -> Any:
        """The account's fee rates for a symbol, as fractions in strings; ``rpiCommissionRate`` is in the docs
        example since the RPI order type (unconfirmed: its value for these symbols; simnet: the maker rate)."""
        symbol = futures_symbol(call.params, required=True)
        maker, taker = self.engine.maker_fee.normalize(), self.engine.taker_fee.normalize()
        return {"symbol": symbol, "makerCommissionRate": f"{maker:f}", "takerCommissionRate": f"{taker:f}",
                "rpiCommissionRate": f"{maker:f}"}

    # ---- position mode and Multi-Assets mode ------------------------------------------
    async def position_mode(self, call: Call) -> Any:
        """GET /fapi/v1/positionSide/dual: ``{"dualSidePosition": true}`` in Hedge Mode."""
        assert call.account is not None
        return {"dualSidePosition": call.account.dual_side}

    async def set_position_mode(self, call: Call) -> Any:
        """POST /fapi/v1/positionSide/dual: -4059 if already so, -4067 with open orders, -4068 with a position
        (error-code page); ``{"code": 200, "msg": "success"}`` (docs example).
        unconfirmed: the order in which Binance makes these checks."""
        account = call.account
        assert account is not None
        dual = bool_param(call.params, "dualSidePosition")
        if dual == account.dual_side:
            raise BinanceError(-4059)
        if self.engine.open_orders(account):
            raise BinanceError(-4067)
        if account.has_position():
            raise BinanceError(-4068)
        account.dual_side = dual
        for symbol in FUTURES:
            account.symbol_positions(symbol)
        return dict(SUCCESS)

    async def multi_assets(self, call: Call) -> Any:
        assert call.account is not None
        return {"multiAssetsMargin": call.account.multi_assets}

    async def set_multi_assets(self, call: Call) -> Any:
        """POST /fapi/v1/multiAssetsMargin: -4171 when already so (error-code page). simnet has only USDT
        margin, so the mode changes nothing else (unconfirmed: -4167..-4172 preconditions not modelled)."""
        assert call.account is not None
        on = bool_param(call.params, "multiAssetsMargin")
        if on == call.account.multi_assets:
            raise BinanceError(-4171)
        call.account.multi_assets = on
        return dict(SUCCESS)

    # ---- BNB fee deduction (bnb.py) ------------------------------------------------------
    async def fee_burn(self, call: Call) -> Any:
        assert call.account is not None
        return {"feeBurn": call.account.fee_burn}

    async def set_fee_burn(self, call: Call) -> Any:
        """POST /fapi/v1/feeBurn feeBurn=true|false, on every symbol. unconfirmed: an error for an unchanged
        setting (simnet: success, as no error code for it is documented)."""
        assert call.account is not None
        call.account.fee_burn = bool_param(call.params, "feeBurn")
        return dict(SUCCESS)

    # ---- margin type and symbol configuration ------------------------------------------------
    async def set_margin_type(self, call: Call) -> Any:
        """POST /fapi/v1/marginType marginType=ISOLATED|CROSSED: -4046 when unchanged, -4047 with open orders,
        -4048 with a position (error-code page); ``{"code": 200, "msg": "success"}`` (SDK fixture).
        unconfirmed: the order of those checks. Not modelled: isolated margin itself (simnet keeps computing the
        symbol's margin as cross; the type is only recorded and reported)."""
        account = call.account
        assert account is not None
        symbol = futures_symbol(call.params)
        wanted = call.params.get("marginType", "").upper()
        if not wanted:
            raise missing("marginType")
        if wanted not in ("ISOLATED", "CROSSED"):
            raise BinanceError(-1130, name="marginType")
        if wanted == account.margin_type(symbol):
            raise BinanceError(-4046)
        if self.engine.open_orders(account, symbol):
            raise BinanceError(-4047)
        if any(p.amount for p in account.symbol_positions(symbol)):
            raise BinanceError(-4048)
        account.margin_types[symbol] = wanted
        return dict(SUCCESS)

    async def symbol_config(self, call: Call) -> Any:
        """GET /fapi/v1/symbolConfig [symbol]: marginType, isAutoAddMargin, leverage, maxNotionalValue per symbol
        (SDK fixture of symbol_configuration)."""
        account = call.account
        assert account is not None
        symbol = futures_symbol(call.params, required=False)
        return [{"symbol": s, "marginType": account.margin_type(s), "isAutoAddMargin": False,
                 "leverage": account.leverage_of(s),
                 "maxNotionalValue": str(self._max_notional(s, account.leverage_of(s)))}
                for s in ([symbol] if symbol else FUTURES)]

    # ---- income ----------------------------------------------------------------------
    async def income(self, call: Call) -> Any:
        """GET /fapi/v1/income: FUNDING_FEE, COMMISSION and REALIZED_PNL rows. "If neither startTime nor endTime
        is sent, the recent 7-day data will be returned"; limit default 100, max 1000 (docs).
        unconfirmed: which end of the window a truncating limit keeps (simnet: the oldest rows)."""
        assert call.account is not None
        params = call.params
        symbol = params.get("symbol")
        kind = params.get("incomeType")
        start = int(params["startTime"]) if params.get("startTime", "").isdigit() else None
        end = int(params["endTime"]) if params.get("endTime", "").isdigit() else None
        if start is None and end is None:
            start = call.now - SEVEN_DAYS_MS
        raw_limit = params.get("limit", str(INCOME_LIMIT))
        limit = min(int(raw_limit), INCOME_MAX) if raw_limit.isdigit() and int(raw_limit) > 0 else INCOME_LIMIT
        rows = [r for r in call.account.income
                if symbol in (None, r["symbol"]) and kind in (None, r["incomeType"])
                and (start is None or r["time"] >= start) and (end is None or r["time"] <= end)]
        return rows[:limit]
