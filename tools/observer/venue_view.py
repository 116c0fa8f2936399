"""Samples of the venues taken inside the simulator's own event loop, never through the bot.

Everything in one sample is read in one turn of simnet's loop, so the
positions, the resting quotes and the books belong to the same instant. The
reads go around the venues' HTTP APIs on purpose: Hyperliquid and Binance
meter request weight per IP and the bot shares 127.0.0.1 with the observer, so
polling them over HTTP once a second would spend the bot's budget.

- Hubble quotes: the control action ``orders`` (every order of the trader that
  can still match). Hubble position: the chain's head state (the node's RPC
  moves positions only when a block is accepted, ``accept_delay_s`` later,
  which would show a phantom net delta after every hedge). Hubble mid: the
  best bid and ask of the simulated node's book.
- Hyperliquid: the book as its ``l2Book`` answer (20 levels a side) and the
  position's ``szi``. Binance: the futures book (20 levels) and the ``BOTH``
  position of the one account simnet has.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.observer.records import HedgeBook, Sample
from tools.simnet.core import SimNet
from tools.simnet.markets import MARKETS

SIZE_SCALE = Decimal(10) ** 18
PRICE_SCALE = Decimal(10) ** 6
ZERO = Decimal(0)


@dataclass(frozen=True)
class Accounts:
    """Who trades: the bot's Hubble address, its Hyperliquid address, simnet's Binance key pair."""
    hubble_trader: str
    hyperliquid_user: str
    binance_api_key: str
    binance_api_secret: str


class VenueView:
    def __init__(self, net: SimNet, market: str, hedge: str, accounts: Accounts):
        self.net, self.hedge, self.accounts = net, hedge, accounts
        self.spec = MARKETS[market]

    def sample(self) -> Sample:
        return self.net.call(self._sample)

    def log_hedge_books(self) -> list[tuple[float, HedgeBook]]:
        """From now on, the hedge venue's book after every price tick that changed it (10 a second), as
        (wall-clock second, book): the books the bot may have priced a quote on, finer than the samples."""
        books: list[tuple[float, HedgeBook]] = []
        venue = self.net.venues[self.hedge]
        on_tick = venue.on_tick

        def on_tick_then_log(step: int, prices: dict[str, float]) -> None:
            on_tick(step, prices)
            book = self._hedge_book()
            if not books or books[-1][1] != book:
                books.append((time.time(), book))

        venue.on_tick = on_tick_then_log       # the loop thread is the only caller; set before the bot starts
        return books

    def chain_heights(self) -> tuple[int, int]:
        """(head, last accepted) Hubble block: the RPC's logs hold a fill once its block is accepted."""
        return self.net.call(self._heights)

    def placements(self) -> dict[str, float]:
        """Order id -> wall-clock second it entered Hubble's book, for every order the trader placed."""
        rows = self.net.control("hubble", "placements", trader=self.accounts.hubble_trader,
                                market=self.spec.hubble_id)["placements"]
        return {row["id"]: float(row["placed_at"]) for row in rows}

    async def _heights(self) -> tuple[int, int]:
        chain = self.net.venues["hubble"].chain
        return chain.head.number, chain.accepted

    async def _sample(self) -> Sample:
        quotes = (await self.net.control_async("hubble", "orders", {
            "trader": self.accounts.hubble_trader, "market": self.spec.hubble_id}))["orders"]
        sizes = [Decimal(q["size"]) for q in quotes]
        bids, asks = [s for s in sizes if s > 0], [-s for s in sizes if s < 0]
        return Sample(t=time.time(), bids=len(bids), asks=len(asks), bid_size=sum(bids, ZERO),
                      ask_size=sum(asks, ZERO), hubble_position=self._hubble_position(),
                      hedge_position=self._hedge_position(), hubble_mid=self._hubble_mid(), book=self._hedge_book())

    # ---- Hubble ---------------------------------------------------------------------------------------------
    def _hubble_position(self) -> Decimal:
        engine = self.net.venues["hubble"].engine
        account = next((a for address, a in engine.accounts.items()
                        if address.lower() == self.accounts.hubble_trader.lower()), None)
        position = account.positions.get(self.spec.hubble_id) if account else None
        return Decimal(position.size) / SIZE_SCALE if position else ZERO

    def _hubble_mid(self) -> Decimal | None:
        book = self.net.venues["hubble"].engine.books[self.spec.hubble_id]
        now = int(time.time())
        bid = book.bids.head(lambda o: o.live(now))
        ask = book.asks.head(lambda o: o.live(now))
        return Decimal(bid + ask) / 2 / PRICE_SCALE if bid and ask else None

    # ---- hedge venue ------------------------------------------------------------------------------------------
    def _hedge_book(self) -> HedgeBook:
        if self.hedge == "hyperliquid":
            levels = self.net.venues["hyperliquid"].info.l2_book(self.spec.hyperliquid_coin)["levels"]
            return HedgeBook(*(tuple((Decimal(l["px"]), Decimal(l["sz"])) for l in side) for side in levels))
        book = self.net.venues["binance"].books[self.spec.binance_symbol]
        return HedgeBook(tuple((p, q) for p, q in book.bids), tuple((p, q) for p, q in book.asks))

    def _hedge_position(self) -> Decimal:
        if self.hedge == "hyperliquid":
            account = self.net.venues["hyperliquid"].engine.accounts.get(self.accounts.hyperliquid_user.lower())
            position = account.positions.get(self.spec.hyperliquid_coin) if account else None
            return position.szi if position else ZERO
        account: Any = self.net.venues["binance"].accounts.get(self.accounts.binance_api_key)
        if account is None:
            return ZERO
        return sum((p.amount for p in account.positions.values() if p.symbol == self.spec.binance_symbol), ZERO)
