"""``POST /exchange``: authenticate a signed action, then run it on the engine.

Whole-action refusals answer ``{"status": "err", "response": <text>}`` (HTTP
200), per-order outcomes go into ``statuses`` as on the real API.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

from tools.simnet.faults import Faults
from tools.simnet.hyperliquid import builders
from tools.simnet.hyperliquid.accounts import Account
from tools.simnet.hyperliquid.auth import AuthError, NonceBook, Registry, recover_agent_approver, recover_l1_signer
from tools.simnet.hyperliquid.builders import BuilderApprovals
from tools.simnet.hyperliquid.clock import VenueClock
from tools.simnet.hyperliquid.engine import Engine, OrderFaults
from tools.simnet.hyperliquid.limits import CANCEL_ACTIONS, EXPIRED_ACTION_FACTOR, AddressBudget, address_requests

SCHEDULE_CANCEL_MIN_DELAY_MS = 5000
EXPIRED_TEXT = "Action already expired"
ORDER_ACTIONS = ("order", "cancel", "cancelByCloid", "batchModify", "modify")


def err(text: str) -> dict[str, Any]:
    return {"status": "err", "response": text}


def ok(kind: str, data: Any = None) -> dict[str, Any]:
    response: dict[str, Any] = {"type": kind}
    if data is not None:
        response["data"] = data
    return {"status": "ok", "response": response}


class ExchangeApi:
    def __init__(self, engine: Engine, registry: Registry, nonces: NonceBook, address_budget: AddressBudget,
                 approvals: BuilderApprovals, faults: Faults, options: Mapping[str, Any], clock: VenueClock,
                 account_changed: Callable[[str], None]):
        self.engine = engine
        self.registry = registry
        self.nonces = nonces
        self.address_budget = address_budget
        self.approvals = approvals                  # builder-fee approvals (builders.py)
        self.faults = faults
        self.options = options
        self.clock = clock
        self.account_changed = account_changed      # the account's feeds push again (feeds.py)

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            action, nonce, signature = body["action"], int(body["nonce"]), body["signature"]
            kind = action["type"]
        except (KeyError, TypeError, ValueError):
            raise ValueError("Failed to deserialize the JSON body into the target type") from None
        now = self.clock.now_ms()
        try:
            if kind == "approveAgent":
                return self._approve_agent(action, signature, nonce, now)
            if kind == "approveBuilderFee":
                # a user-signed action (EIP-712, SDK sign_approve_builder_fee), not an L1 one
                refusal = self._approve_builder_fee(action, signature, nonce, now)
                return err(refusal) if refusal else ok("default")
            acct = self._authenticate(body, action, signature, nonce, now)
        except AuthError as exc:
            return err(str(exc))
        handler = getattr(self, f"_do_{kind}", None)
        if handler is None:
            return err(f"Unsupported action type in simulator: {kind}")
        result = handler(acct, action)
        self.account_changed(acct.address)     # clearinghouseState / openOrders subscribers
        return result

    # ---- authentication --------------------------------------------------------
    def _authenticate(self, body: dict[str, Any], action: dict[str, Any], signature: dict[str, Any],
                      nonce: int, now: int) -> Account:
        vault = body.get("vaultAddress")
        expires = body.get("expiresAfter")
        signer = recover_l1_signer(action, signature, vault, nonce, expires)
        acting = (vault or self.registry.principal(signer)).lower()
        authorized = signer == acting or self.registry.agents.get(signer) == acting
        if not authorized or not self.account_exists(acting):
            # "L1 error: " prefix: recorded real answer over ws post (nktkas/hyperliquid issue 12) and the
            # docs error-responses example as quoted by public clients; the same text on /exchange
            raise AuthError(f"L1 error: User or API Wallet {signer} does not exist.")
        acct = self.engine.account(acting)
        self._spend_address_budget(acct, action)
        self.nonces.check_and_use(signer, nonce, now)
        if expires is not None and now > int(expires):
            # An expired action is refused after its nonce is admitted (it consumes the nonce) and uses 5x
            # the address budget (docs exchange-endpoint "Expires after"; nonce order: riftresearch
            # hypercore-simulator docs/observations.md "an expired order consumes its admitted nonce").
            # Text: "Action already expired" per riftresearch's engine (src/engine/mod.rs) and a public
            # payload linter; no first-party page quotes it.
            acct.n_requests += (EXPIRED_ACTION_FACTOR - 1) * address_requests(action)
            raise AuthError(EXPIRED_TEXT)
        return acct

    def _spend_address_budget(self, acct: Account, action: dict[str, Any]) -> None:
        """Per-address action budget (docs rate-limits "Address-based rate limits"); a refused action
        does not count. Unconfirmed: whether the refusal comes before or after nonce admission (simnet:
        before, the nonce stays unused)."""
        n = address_requests(action)
        is_cancel = action.get("type") in CANCEL_ACTIONS
        budget = self.address_budget
        refusal = budget.refusal(acct.n_requests, acct.volume, n, is_cancel, acct.last_throttled_pass)
        if refusal is not None:
            raise AuthError(refusal)
        if budget.throttled(acct.n_requests, acct.volume, n, is_cancel):
            acct.last_throttled_pass = budget.clock()
        acct.n_requests += n

    def _approve_agent(self, action: dict[str, Any], signature: dict[str, Any], nonce: int,
                       now: int) -> dict[str, Any]:
        master = recover_agent_approver(action, signature)
        if int(action.get("nonce", -1)) != nonce:
            raise AuthError("Nonce mismatch.")
        self.nonces.check_and_use(master, nonce, now)
        agent = str(action.get("agentAddress", "")).lower()
        if len(agent) != 42:
            raise AuthError("Invalid agent address.")
        self.engine.account(master)
        self.registry.approve(master, agent, str(action.get("agentName") or ""))
        return ok("default")

    def _approve_builder_fee(self, action: dict[str, Any], signature: dict[str, Any], nonce: int,
                             now_ms: int) -> str | None:
        """Run an ``approveBuilderFee``; None when recorded (answer {"type": "default"}, nktkas approveBuilderFee.ts),
        else the refusal text. Order of checks: signer, nonce, rate, builder's balance (unconfirmed beyond the signer
        coming first). Like approveAgent, it spends no address budget and ignores expiresAfter (both unconfirmed)."""
        signer = builders.recover_builder_fee_approver(action, signature)
        if int(action.get("nonce", -1)) != nonce:
            raise AuthError("Nonce mismatch.")         # as approveAgent in simnet; text unconfirmed
        # docs/builder-codes: signed by the main wallet, not an agent. An agent's key recovers the agent's own address,
        # which holds nothing: simnet answers as for any unfunded signer (that the venue does so is unconfirmed).
        if signer in self.registry.agents or not self.account_exists(signer):
            raise AuthError(builders.unfunded_signer_text(signer))
        self.nonces.check_and_use(signer, nonce, now_ms)
        tenths = builders.parse_max_fee_rate(action.get("maxFeeRate"))
        if tenths is None:
            return builders.BAD_RATE
        if tenths > builders.APPROVAL_MAX_TENTHS:
            return builders.TOO_HIGH
        builder = str(action.get("builder", "")).lower()
        if len(builder) != 42 or not builder.startswith("0x"):
            raise ValueError("builder address")
        # docs/builder-codes: the builder needs >= 100 USDC perps account value (inclusive, exp010). Checked only when
        # approving a fee: that a "0%" revocation skips it is unconfirmed.
        if tenths > 0 and self.account_value(builder) < builders.BUILDER_MIN_ACCOUNT_VALUE:
            return builders.INSUFFICIENT_BALANCE
        self.approvals.approve(signer, builder, tenths)
        return None

    def account_exists(self, address: str) -> bool:
        if address in self.engine.accounts:
            return True
        if self.options.get("fund_signers"):
            self.engine.account(address)
            return True
        return False

    def account_value(self, address: str) -> Decimal:
        """Perps account value of ``address``; 0 for an address the venue has never seen (creates nothing)."""
        acct = self.engine.accounts.get(address.lower())
        return acct.account_value(self.engine.marks()) if acct else Decimal(0)

    # ---- actions ------------------------------------------------------------------
    def _do_order(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        builder = builders.parse_builder(action.get("builder"))
        if builder is not None:
            # docs/builder-codes: an order naming a builder needs the user's approval of at least that fee
            refusal = self.approvals.refusal(acct.address, builder)
            if refusal:
                return err(refusal)
        statuses = [self.engine.place(acct, wire, self._order_faults(), builder)
                    for wire in action.get("orders", [])]
        return ok("order", {"statuses": statuses})

    def _order_faults(self) -> OrderFaults:
        faults = self.faults
        reason = None
        if faults.reject_count > 0:
            reason = faults.reject_reason or "Insufficient margin to place order."
            faults.take_reject()
        fraction = faults.flags.get("partial_fill")
        return OrderFaults(reject_reason=reason, force_min_value=faults.take("min_notional"),
                           fill_fraction=Decimal(str(fraction)) if fraction else None)

    def _do_cancel(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        statuses = [self.engine.cancel(acct, int(c["a"]), int(c["o"])) for c in action.get("cancels", [])]
        return ok("cancel", {"statuses": statuses})

    def _do_cancelByCloid(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        statuses = [self.engine.cancel_by_cloid(acct, int(c["asset"]), str(c["cloid"]))
                    for c in action.get("cancels", [])]
        return ok("cancel", {"statuses": statuses})

    def _do_batchModify(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        """Each modify replaces an open order (by oid or cloid) with a new one (new oid); a refused
        replacement leaves the old order alone."""
        statuses = []
        for modify in action.get("modifies", []):
            wire = modify.get("order") or {}
            target = self.engine.find_order(acct, modify.get("oid"))
            if target is None or target.oid not in acct.orders:
                statuses.append({"error": "Order was never placed, already canceled, or filled. "
                                          f"asset={wire.get('a')}"})
                continue
            acct.orders.pop(target.oid)       # its margin is free for the replacement
            status = self.engine.place(acct, wire, self._order_faults())
            acct.orders[target.oid] = target
            if "error" not in status:
                self.engine.cancel(acct, target.asset.asset, target.oid)
            statuses.append(status)
        return ok("order", {"statuses": statuses})

    def _do_modify(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        """The single ``modify`` action answers {"type": "default"} (nktkas modify.ts ModifyResponse, schema checked
        against live answers), not order statuses as batchModify does. A refused replacement answers
        {"status": "err"} with the order's error text (unconfirmed: no recorded refusal)."""
        answer = self._do_batchModify(acct, {"modifies": [{"oid": action.get("oid"), "order": action.get("order")}]})
        (status,) = answer["response"]["data"]["statuses"]
        return err(status["error"]) if "error" in status else ok("default")

    def _do_updateLeverage(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        error = self.engine.update_leverage(acct, int(action["asset"]), action.get("leverage"),
                                            bool(action.get("isCross", True)))
        return err(error) if error else ok("default")

    def _do_scheduleCancel(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        when = action.get("time")
        if when is None:
            acct.schedule_cancel_at = None
            return ok("default")
        required = Decimal(str(self.options.get("schedule_cancel_min_volume", 0)))
        if acct.volume < required:
            return err(f"Cannot set scheduled cancel time until enough volume traded. Required: ${required}.")
        if int(when) < self.clock.now_ms() + SCHEDULE_CANCEL_MIN_DELAY_MS:
            return err("Scheduled cancel time too early, must be at least 5 seconds from now.")
        acct.schedule_cancel_at = int(when)
        return ok("default")

    def _do_noop(self, acct: Account, action: dict[str, Any]) -> dict[str, Any]:
        return ok("default")
