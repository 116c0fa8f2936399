"""Chain-wide switches a test can flip: settlement and restricted referral invites.

Sources: bibliophile/clearing_house.go IsSettledAll (SETTLED_ALL slot; GetActiveMarketsCount is
0 once set), bibliophile/referral.go HasReferrer (true unless invites are restricted and the
trader has no referrer).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChainFlags:
    settled: bool = False
    restricted_invites: bool = False          # mainnet value unconfirmed: off by default
    referred: set[str] = field(default_factory=set)   # lowercase traders with a referrer

    def has_referrer(self, trader: str) -> bool:
        return not self.restricted_invites or trader.lower() in self.referred
