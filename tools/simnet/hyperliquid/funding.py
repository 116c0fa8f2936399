"""Hourly funding: payments between position holders, cumFunding and userFunding records.

Sources: docs "Funding" (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/funding): paid every hour;
positive rate = longs pay shorts; payment = size x oracle price x rate (oracle, not mark); settled into the
USDC balance. With a zero premium the hourly rate is the interest component, 0.01% per 8 h paid hourly at
1/8, i.e. 0.0000125 (also the "funding" value the docs' metaAndAssetCtxs example shows).
userFunding record shape: SDK cassette tests/cassettes/info_test/test_user_funding_history_*.yaml
({time, hash, delta: {type: "funding", coin, usdc, szi, fundingRate, nSamples}}); usdc is negative when paid.
Simnet has no separate oracle: the venue's reference price (the book mid) stands in for it.
fundingHistory record shape: SDK cassette tests/cassettes/info_test/test_get_funding_history[*].yaml
({coin, fundingRate, premium, time}, oldest first).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Mapping

from tools.simnet.hyperliquid import fmt
from tools.simnet.hyperliquid.accounts import Account

DEFAULT_HOURLY_RATE = Decimal("0.0000125")
DEFAULT_INTERVAL_S = 3600.0
USDC_QUANTUM = Decimal("0.000001")


@dataclass
class FundingKnobs:
    """The funding knobs (knobs.py reads them): on/off, the hourly rate (per coin or one for all), the interval."""
    enabled: bool = True
    default_rate: Decimal = DEFAULT_HOURLY_RATE
    rates: dict[str, Decimal] = field(default_factory=dict)    # per-coin overrides
    interval_s: float = DEFAULT_INTERVAL_S

    def rate(self, coin: str) -> Decimal:
        """The rate ``coin`` pays now (metaAndAssetCtxs ``funding``)."""
        return rate_for(self.rates, self.default_rate, coin)


@dataclass
class FundingSchedule:
    """When the next automatic payment is due (aligned to multiples of the interval, i.e. on the hour)."""
    interval_ms: int
    enabled: bool = True
    next_ms: int | None = None

    def due(self, now_ms: int) -> bool:
        if not self.enabled or self.interval_ms <= 0:
            return False
        if self.next_ms is None:
            self.next_ms = (now_ms // self.interval_ms + 1) * self.interval_ms
            return False
        if now_ms < self.next_ms:
            return False
        self.next_ms = (now_ms // self.interval_ms + 1) * self.interval_ms
        return True


def rate_for(rates: Mapping[str, Decimal], default: Decimal, coin: str) -> Decimal:
    return rates.get(coin, default)


def pay(acct: Account, marks: Mapping[str, Decimal], rates: Mapping[str, Decimal], default: Decimal,
        now_ms: int, only: str | None = None) -> list[dict[str, Any]]:
    """Settle one funding interval on the open positions of ``acct`` (all, or only coin ``only``);
    returns the userFunding records."""
    records = []
    for coin, pos in sorted(acct.positions.items()):
        if not pos.szi or (only is not None and coin != only):
            continue
        rate = rate_for(rates, default, coin)
        paid = (pos.szi * marks[coin] * rate).quantize(USDC_QUANTUM, rounding=ROUND_HALF_EVEN)
        acct.cash -= paid
        pos.add_funding(paid)
        record = {"time": now_ms, "hash": _hash(acct.address, coin, now_ms),
                  "delta": {"type": "funding", "coin": coin, "usdc": fmt.usd(-paid), "szi": fmt.plain(pos.szi),
                            "fundingRate": fmt.plain(rate),
                            # docs example shows null; 2023 recordings show an int. Unconfirmed which now.
                            "nSamples": None}}
        acct.funding.append(record)
        records.append(record)
    return records


def rate_record(coin: str, rate: Decimal, now_ms: int) -> dict[str, Any]:
    """One ``fundingHistory`` record: the rate applied to ``coin`` at ``now_ms`` (paid on every position or none).

    ``premium``: simnet has no premium index (docs/funding: the rate is the sampled premium plus the interest
    component clamped towards it). It reports the rate's excess over the interest component, 0 at the default
    rate, where the docs' formula with a zero premium gives exactly the interest rate. For other rates the
    venue's premium would differ: unconfirmed, not modelled."""
    return {"coin": coin, "fundingRate": fmt.plain(rate), "premium": fmt.plain(rate - DEFAULT_HOURLY_RATE),
            "time": now_ms}


def _hash(*parts: object) -> str:
    return "0x" + hashlib.sha256(":".join(map(str, ("funding",) + parts)).encode()).hexdigest()
