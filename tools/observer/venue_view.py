"""Samples of the venues taken inside the simulator's own event loop, never through the bot.

Everything in one sample is read in one turn of simnet's loop, so the
positions, the resting quotes and the books belong to the same instant. The
reads go around the venues' HTTP APIs on purpose: Hyperliquid and Binance
meter request weight per IP and the bot shares 127.0.0.1 with the observer, so
polling them over HTTP once a second would spend the bot's budget.

The maker venue (where the bot quotes) gives the resting quotes, its position
and its mid; the hedge venue its position and its book.

- Hubble quotes: the control action ``orders`` (every order of the trader that
  can still match). Hubble position: the chain's head state (the node's RPC
  moves positions only when a block is accepted, ``accept_delay_s`` later,
  which would show a phantom net delta after every hedge). Hubble mid: the
  best bid and ask of the simulated node's book.
- Hyperliquid quotes: the account's open orders in the coin (what ``openOrders``
  answers). Its book: the ``l2Book`` answer (20 levels a side, users' orders
  included); its position: ``szi``.
- Binance quotes: the account's open orders in the symbol (what GET
  /fapi/v1/openOrders answers). As the hedge venue its book is the futures
  book's synthetic levels (20 a side: no user rests there then) and, as the maker
  venue, its mid is the touch its clients read (users' resting orders included);
  its position: the
  ``BOTH`` position of the one account simnet has.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tools.observer.records import HedgeBook, Sample
from tools.simnet.binance.specs import FUTURES
from tools.simnet.core import SimNet
from tools.simnet.hyperliquid.assets import BY_COIN
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
    def __init__(self, net: SimNet, market: str, hedge: str, accounts: Accounts, maker: str = "hubble"):
        self.net, self.maker, self.hedge, self.accounts = net, maker, hedge, accounts
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
            book = self._book(self.hedge)
            if not books or books[-1][1] != book:
                books.append((time.time(), book))

        venue.on_tick = on_tick_then_log       # the loop thread is the only caller; set before the bot starts
        return books

    def chain_heights(self) -> tuple[int, int]:
        """(head, last accepted) Hubble block: the RPC's logs hold a fill once its block is accepted."""
        return self.net.call(self._heights)

    def placements(self) -> dict[str, float]:
        """Order id (as the maker venue's fills name it) -> wall-clock second the order entered the venue, for
        every order the bot placed there (simnet's ``placements`` control action on each venue)."""
        if self.maker == "hyperliquid":
            rows = self.net.control("hyperliquid", "placements", user=self.accounts.hyperliquid_user,
                                    coin=self.spec.hyperliquid_coin)["placements"]
            return {str(row["oid"]): float(row["placed_at"]) for row in rows}
        if self.maker == "binance":
            rows = self.net.control("binance", "placements", api_key=self.accounts.binance_api_key,
                                    symbol=self.spec.binance_symbol)["placements"]
            return {str(row["orderId"]): float(row["placed_at"]) for row in rows}
        rows = self.net.control("hubble", "placements", trader=self.accounts.hubble_trader,
                                market=self.spec.hubble_id)["placements"]
        return {row["id"]: float(row["placed_at"]) for row in rows}

    def hedge_lot(self) -> Decimal:
        """The hedge venue's size step (Binance LOT_SIZE stepSize, Hyperliquid 10^-szDecimals), from simnet's
        market rules as exchangeInfo and meta answer them: a residual below it is one the bot cannot hedge."""
        if self.hedge == "hyperliquid":
            return Decimal(1).scaleb(-BY_COIN[self.spec.hyperliquid_coin].sz_decimals)
        return FUTURES[self.spec.binance_symbol].step

    async def _heights(self) -> tuple[int, int]:
        chain = self.net.venues["hubble"].chain
        return chain.head.number, chain.accepted

    async def _sample(self) -> Sample:
        sizes = await self._quotes()
        bids, asks = [s for s in sizes if s > 0], [-s for s in sizes if s < 0]
        return Sample(t=time.time(), bids=len(bids), asks=len(asks), bid_size=sum(bids, ZERO),
                      ask_size=sum(asks, ZERO), maker_position=self._position(self.maker),
                      hedge_position=self._position(self.hedge), maker_mid=self._maker_mid(),
                      book=self._book(self.hedge))

    async def _quotes(self) -> list[Decimal]:
        """Signed sizes (+ bid, - ask) of the bot's quotes resting on the maker venue now."""
        if self.maker == "hyperliquid":
            account = self.net.venues["hyperliquid"].engine.accounts.get(self.accounts.hyperliquid_user.lower())
            orders = account.orders.values() if account else ()
            return [o.sz if o.is_buy else -o.sz for o in orders if o.asset.coin == self.spec.hyperliquid_coin]
        if self.maker == "binance":
            venue = self.net.venues["binance"]
            account = venue.accounts.get(self.accounts.binance_api_key)
            orders = venue.engine.open_orders(account, self.spec.binance_symbol) if account else []
            return [o.remaining if o.side == "BUY" else -o.remaining for o in orders]
        quotes = (await self.net.control_async("hubble", "orders", {
            "trader": self.accounts.hubble_trader, "market": self.spec.hubble_id}))["orders"]
        return [Decimal(q["size"]) for q in quotes]

    def _position(self, venue: str) -> Decimal:
        if venue == "hubble":
            return self._hubble_position()
        if venue == "hyperliquid":
            account = self.net.venues["hyperliquid"].engine.accounts.get(self.accounts.hyperliquid_user.lower())
            position = account.positions.get(self.spec.hyperliquid_coin) if account else None
            return position.szi if position else ZERO
        account: Any = self.net.venues["binance"].accounts.get(self.accounts.binance_api_key)
        if account is None:
            return ZERO
        return sum((p.amount for p in account.positions.values() if p.symbol == self.spec.binance_symbol), ZERO)

    def _maker_mid(self) -> Decimal | None:
        if self.maker == "hubble":
            return self._hubble_mid()
        if self.maker == "binance":
            return self._binance_touch_mid()
        return self._book("hyperliquid").mid

    def _binance_touch_mid(self) -> Decimal | None:
        """The futures touch its clients read (synthetic levels and users' resting orders), computed here
        rather than by Book.top(), which would note the overlay's changes in the depth streams' journal."""
        venue = self.net.venues["binance"]
        symbol = self.spec.binance_symbol
        bid, _, ask, _ = venue.books[symbol].synthetic_top()
        resting = venue.engine.resting_levels(symbol)
        bid = max([bid, *resting["b"]]) if bid or resting["b"] else bid
        ask = min([p for p in (ask, *resting["a"]) if p > 0], default=ZERO)
        return (bid + ask) / 2 if bid and ask else None

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

    # ---- order-book venues ------------------------------------------------------------------------------------
    def _book(self, venue: str) -> HedgeBook:
        if venue == "hyperliquid":
            levels = self.net.venues["hyperliquid"].info.l2_book(self.spec.hyperliquid_coin)["levels"]
            return HedgeBook(*(tuple((Decimal(l["px"]), Decimal(l["sz"])) for l in side) for side in levels))
        book = self.net.venues["binance"].books[self.spec.binance_symbol]
        return HedgeBook(tuple((p, q) for p, q in book.bids), tuple((p, q) for p, q in book.asks))
