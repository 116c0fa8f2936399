"""Signature recovery, API wallets (agents) and nonce rules of /exchange.

The SDK is built against a non-mainnet base URL here, so it signs with the
testnet phantom-agent source ("b") and hyperliquidChain "Testnet"; the venue
verifies with the same setting. Nonces follow Hyperliquid's rule: per signer,
unique, inside (now - 2 days, now + 1 day), and above the smallest of the 100
highest nonces already used.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from hyperliquid.utils.signing import (
    recover_agent_or_user_from_l1_action,
    recover_user_from_user_signed_action,
)

NONCE_WINDOW_BEFORE_MS = 2 * 24 * 3600 * 1000
NONCE_WINDOW_AFTER_MS = 24 * 3600 * 1000
NONCE_SET_SIZE = 100
IS_MAINNET = False

APPROVE_AGENT_TYPES = [
    {"name": "hyperliquidChain", "type": "string"},
    {"name": "agentAddress", "type": "address"},
    {"name": "agentName", "type": "string"},
    {"name": "nonce", "type": "uint64"},
]


class AuthError(Exception):
    """Action refused as a whole: ``{"status": "err", "response": str(exc)}``."""


def recover_l1_signer(action: dict[str, Any], signature: dict[str, Any], vault: str | None,
                      nonce: int, expires_after: int | None) -> str:
    try:
        return recover_agent_or_user_from_l1_action(action, signature, vault, nonce, expires_after,
                                                    IS_MAINNET).lower()
    except Exception as exc:  # malformed signature or action
        raise AuthError("Unable to recover signer.") from exc


def recover_agent_approver(action: dict[str, Any], signature: dict[str, Any]) -> str:
    payload = dict(action)
    payload.setdefault("agentName", "")
    payload.pop("type", None)
    try:
        return recover_user_from_user_signed_action(payload, signature, APPROVE_AGENT_TYPES,
                                                    "HyperliquidTransaction:ApproveAgent", IS_MAINNET).lower()
    except Exception as exc:
        raise AuthError("Unable to recover signer.") from exc


@dataclass
class NonceBook:
    """The 100 highest nonces of each signer."""
    used: dict[str, list[int]] = field(default_factory=dict)

    def check_and_use(self, signer: str, nonce: int, now_ms: int) -> None:
        if nonce <= now_ms - NONCE_WINDOW_BEFORE_MS:
            raise AuthError(f"Invalid nonce: nonce too low {nonce} < {now_ms - NONCE_WINDOW_BEFORE_MS}")
        if nonce >= now_ms + NONCE_WINDOW_AFTER_MS:
            raise AuthError(f"Invalid nonce: nonce too high {nonce} > {now_ms + NONCE_WINDOW_AFTER_MS}")
        seen = self.used.setdefault(signer, [])
        index = bisect.bisect_left(seen, nonce)
        if index < len(seen) and seen[index] == nonce:
            raise AuthError(f"Invalid nonce: duplicate nonce {nonce}")
        if len(seen) >= NONCE_SET_SIZE and nonce < seen[0]:
            raise AuthError(f"Invalid nonce: nonce too low {nonce} < {seen[0]}")
        seen.insert(index, nonce)
        if len(seen) > NONCE_SET_SIZE:
            del seen[0]


@dataclass
class Registry:
    """Known users and their API wallets (agent address -> master address)."""
    agents: dict[str, str] = field(default_factory=dict)
    agent_names: dict[str, str] = field(default_factory=dict)

    def approve(self, master: str, agent: str, name: str) -> None:
        # a named agent replaces the master's previous agent of that name
        for addr, n in list(self.agent_names.items()):
            if n == name and self.agents.get(addr) == master and addr != agent:
                self.agents.pop(addr, None)
                self.agent_names.pop(addr, None)
        self.agents[agent] = master
        self.agent_names[agent] = name

    def principal(self, signer: str) -> str:
        """The account a signer acts for (itself unless it is an agent)."""
        return self.agents.get(signer, signer)
