"""Hubble as the maker venue (bot/venues/maker_venue.py): the gateway plus what only the engine needs of it.

Hubble's quotes are signed orders that expire on their own (``quotes_expire``),
so an earlier run's quotes are found in the quote journal rather than asked of
the node (it lists only on-chain Limit orders), and the chain's block numbers
are the fill marks.
"""
from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Any, Callable

from bot.venues.hubble.book_feed import HubbleBookFeed
from bot.venues.hubble.gateway import HubbleGateway
from bot.venues.maker_venue import AccountReading, QuoteRules, operator_remedy, still_open

log = logging.getLogger("orders")
# Refusals only the operator can fix (hubblenet trading_apis.go PlaceOrder and its validations): what to do
OPERATOR_REFUSALS = {
    "no referrer": "this Hubble account needs a referrer before it may trade: register one on Hubble",
    "all markets are settled now": "Hubble's markets are settled: there is nothing to quote",
    "trader not found": "this Hubble key has no margin account: deposit margin on Hubble first",
}


class HubbleMaker(HubbleGateway):
    venue = "hubble"
    quotes_expire = True
    fill_model = "chain"
    positions_lag_fills = True

    def configure(self, settings: Any, fatal: Callable[[str], None]) -> "HubbleMaker":
        self.s = settings
        self.market = settings.spec.hubble_id
        self.symbol = settings.market
        self._book = HubbleBookFeed(settings, self.client, fatal)
        return self

    async def start(self) -> None:
        await self.check_trader()

    def tasks(self) -> list[asyncio.Task]:
        return []

    def quote_rules(self) -> QuoteRules:
        return QuoteRules(self.s.spec.price_tick, self.s.spec.min_size, Decimal(0))

    def book_feed(self) -> HubbleBookFeed:
        return self._book

    def dead_after(self, order: Any) -> float:
        return float(order.expire_at)

    def operator_remedy(self, error: str) -> str | None:
        return operator_remedy(OPERATOR_REFUSALS, error)

    async def account_reading(self) -> AccountReading:
        """The account between two reads of the accepted head: equal blocks mean one accepted block."""
        before = await self.head_block()
        account = await self.account()
        after = await self.head_block()
        return AccountReading(account, before, after)

    async def clear_earlier_quotes(self, journal: Any, timeout: float = 30.0) -> None:
        """Cancel the unexpired quotes an earlier run journalled; wait out those the node still holds."""
        earlier = journal.load_unexpired()
        if not earlier:
            return
        log.warning("%d quotes of an earlier run may still rest on Hubble: cancelling them", len(earlier))
        deadline = time.monotonic() + timeout
        try:
            await asyncio.wait_for(self.cancel(earlier), timeout / 2)
        except Exception as exc:  # noqa: BLE001 - they are then waited out
            log.warning("cancelling the earlier quotes failed (%s: %s); waiting for them to expire",
                        type(exc).__name__, exc)
        left = await still_open(self, earlier, deadline)
        if left:
            raise TimeoutError(f"{len(left)} quotes of an earlier run still rest on Hubble after {timeout:.0f}s")
        log.info("no quote of an earlier run is left on Hubble")
