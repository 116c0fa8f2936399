"""Builder codes: ``approveBuilderFee`` approvals per (user, builder), the order-time check and the fee rate
(the action itself runs in exchange.py).

Sources (short names as in docs/simnet/hyperliquid.md):
* docs/builder-codes (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/builder-codes): the user approves a
  maximum fee per builder with ApproveBuilderFee, signed by the main wallet (not an agent); the builder needs at
  least 100 USDC of perps account value; an order may carry ``builder: {"b": address, "f": fee}`` with f in tenths
  of a basis point; builder fees are at most 0.1% on perps; approvals can be revoked; ``maxBuilderFee`` answers
  the approved maximum.
* SDK 0.24 ``sign_approve_builder_fee``: EIP-712 type HyperliquidTransaction:ApproveBuilderFee with fields
  hyperliquidChain, maxFeeRate (string), builder (address), nonce (uint64); ``maxFeeRate`` is a percent string
  ("0.001%" in the SDK example goes with f=1).
* exp010: a third-party testnet checklist (EXP-010, 2026-09-04; found by text search, its repository not named by
  the index): "0.05%" reads back as 50; the 100 USDC minimum is inclusive (99.0 refused, 100.0 accepted); "0%"
  revokes; an order over the approved fee and one naming an unapproved builder get the same text.
* nautilus#3610: nautechsystems/nautilus_trader issue 3610, a recorded refusal of an approval ({"status": "err",
  "response": "Builder has insufficient balance to be approved."}).
* nautilus#4241, hummingbot#8449: an order naming a builder with f=0 is still refused while the user has approved
  no builder at all; approving any builder lets f=0 orders through (nautilus#4241, one user's observation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tools.simnet.hyperliquid.auth import IS_MAINNET, AuthError

APPROVE_BUILDER_FEE_TYPES = [
    {"name": "hyperliquidChain", "type": "string"},
    {"name": "maxFeeRate", "type": "string"},
    {"name": "builder", "type": "address"},
    {"name": "nonce", "type": "uint64"},
]
APPROVE_BUILDER_FEE_PRIMARY = "HyperliquidTransaction:ApproveBuilderFee"

TENTHS_PER_UNIT = Decimal(100_000)       # f=10 is 1 basis point, i.e. 0.0001 of the notional
TENTHS_PER_PERCENT = Decimal(1000)       # "0.001%" is f=1
PERP_MAX_TENTHS = 100                    # docs/builder-codes: at most 0.1% on perps
APPROVAL_MAX_TENTHS = 1000               # docs/builder-codes: at most 1% on spot; simnet caps approvals there
#                                          (the venue's cap on approvals is unconfirmed)
BUILDER_MIN_ACCOUNT_VALUE = Decimal(100)  # docs/builder-codes; inclusive per exp010

# exp010, nautilus#4241, hummingbot#8449 and several public clients quote this text. Whether the venue refuses the
# whole action ({"status": "err"}) or puts it in the order's status is unconfirmed: simnet refuses the action.
NOT_APPROVED = "Builder fee has not been approved."
# nautilus#3610 (recorded answer) and exp010
INSUFFICIENT_BALANCE = "Builder has insufficient balance to be approved."
# Quoted as a venue text by one third-party client (a Rust builder-fee module); that it answers an order over the
# 0.1% perp cap, and an approval over 1%, is unconfirmed.
TOO_HIGH = "Builder fee is too high."
# No source gives the venue's text for a maxFeeRate that is not a percent string: simnet's own, clearly marked.
BAD_RATE = "simnet: maxFeeRate must be a percent string such as \"0.01%\" (venue text unconfirmed)"


def parse_max_fee_rate(text: Any) -> int | None:
    """``maxFeeRate`` ("0.05%") in tenths of a basis point (50); None when it is not a whole number of tenths."""
    if not isinstance(text, str) or not text.endswith("%"):
        return None
    try:
        tenths = Decimal(text[:-1]) * TENTHS_PER_PERCENT
    except InvalidOperation:
        return None
    if not tenths.is_finite() or tenths < 0 or tenths != tenths.to_integral_value():
        return None
    return int(tenths)


def fee_rate(tenths: int) -> Decimal:
    """The share of a fill's notional a builder fee of ``tenths`` charges."""
    return Decimal(tenths) / TENTHS_PER_UNIT


@dataclass(frozen=True)
class BuilderRef:
    """An order action's ``builder`` field, validated."""
    address: str      # lower case
    tenths: int

    @property
    def rate(self) -> Decimal:
        return fee_rate(self.tenths)


def parse_builder(raw: Any) -> BuilderRef | None:
    """The action's ``builder`` {b, f}; ValueError (HTTP 422, like any schema error) when malformed."""
    if raw is None:
        return None
    try:
        address, tenths = raw["b"], raw["f"]
    except (KeyError, TypeError):
        raise ValueError("builder must be {b, f}") from None
    if not isinstance(address, str) or len(address) != 42 or not address.startswith("0x"):
        raise ValueError("builder address")
    if isinstance(tenths, bool) or not isinstance(tenths, int) or tenths < 0:
        raise ValueError("builder fee")
    return BuilderRef(address.lower(), tenths)


@dataclass
class BuilderApprovals:
    """Approved maximum fee (tenths of a basis point) per user and builder."""
    approved: dict[str, dict[str, int]] = field(default_factory=dict)    # user -> builder -> tenths

    def approve(self, user: str, builder: str, tenths: int) -> None:
        self.approved.setdefault(user.lower(), {})[builder.lower()] = tenths

    def max_fee(self, user: str, builder: str) -> int:
        """``maxBuilderFee``: 0 when the user never approved the builder (docs/builder-codes, exp010)."""
        return self.approved.get(user.lower(), {}).get(builder.lower(), 0)

    def approved_builders(self, user: str) -> list[str]:
        """``approvedBuilders``: builders with a non-zero approval (whether a revoked, "0%", one is listed is
        unconfirmed)."""
        return [b for b, tenths in self.approved.get(user.lower(), {}).items() if tenths > 0]

    def refusal(self, user: str, ref: BuilderRef) -> str | None:
        """The venue's text refusing an order action of ``user`` that names ``ref``, or None."""
        if ref.tenths > PERP_MAX_TENTHS:
            return TOO_HIGH
        approvals = self.approved.get(user.lower(), {})
        if not approvals:
            return NOT_APPROVED        # even with f=0 (hummingbot#8449, nautilus#4241)
        if ref.tenths > approvals.get(ref.address, 0):
            return NOT_APPROVED        # over the approval: the same text (exp010)
        return None

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {user: dict(approved) for user, approved in self.approved.items()}


def recover_builder_fee_approver(action: dict[str, Any], signature: dict[str, Any]) -> str:
    """The user who signed an ``approveBuilderFee`` (a user-signed EIP-712 action, SDK 0.24 signing.py)."""
    from hyperliquid.utils.signing import recover_user_from_user_signed_action

    payload = {k: v for k, v in action.items() if k != "type"}
    try:
        return recover_user_from_user_signed_action(payload, signature, APPROVE_BUILDER_FEE_TYPES,
                                                    APPROVE_BUILDER_FEE_PRIMARY, IS_MAINNET).lower()
    except Exception as exc:
        raise AuthError("Unable to recover signer.") from exc


def unfunded_signer_text(signer: str) -> str:
    """A user-signed action whose signer has no account: measured on testnet for a tampered usdSend, whose
    signature recovered an unfunded address (riftresearch hypercore-simulator docs/observations.md "Signatures and
    nonces": "Must deposit before performing actions. User: {recoveredAddress}")."""
    return f"Must deposit before performing actions. User: {signer}"
