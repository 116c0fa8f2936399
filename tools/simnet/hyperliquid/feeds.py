"""What the venue pushes on ``/ws`` and when: snapshots on subscribe, the market clocks, account feeds and
the engine's events (the engine's ``Sink``).

Sources (short names as in docs/simnet/hyperliquid.md):

* docs/subscriptions (https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/subscriptions):
  WsBook "Snapshot feed, pushed on each block that is at least 0.5 since last push"; WsBbo "sent only if
  the bbo changes on a block"; WsUserFills "Fills snapshot followed by streaming fills", the first message
  ``isSnapshot: true``; WsOrder[] for orderUpdates; clearinghouseState and openOrders subscriptions.
* probe (nemanull/arbitrage-observatory docs/profiles/hyperliquid/websocket.md, 2026-09-24): the default
  l2Book is now pushed on one clock for every coin about every 5 s (p50 5.36 s; a June 2026 change, its
  source S9) with 20 levels, ``fast: true`` every ~0.54 s with 5 levels; an unchanged book is resent with a
  new ``time``; the first snapshot follows the acknowledgement; allMids about every 5 s; bbo per block and
  only on a change; the trades subscription starts with recent trades.
* nktkas (nktkas/hyperliquid src/api/subscription/_methods/*.ts, schemas checked against live traffic):
  l2Book events carry ``fast: true`` when subscribed fast; clearinghouseState events are
  ``{dex, user, clearinghouseState}`` (the /info answer, with ``time``); openOrders events are
  ``{dex, user, orders}`` (frontendOpenOrders); streaming userFills carry no ``isSnapshot`` key.

Unconfirmed (simnet's choice, listed in the docs page): the userFills snapshot size and order (simnet: the
REST userFills answer, newest first, at most 2000); no snapshot on orderUpdates; when account feeds push
(simnet: after every event of the account, coalesced per loop turn, and every ``account_interval_s``);
a bbo snapshot on subscribe.
"""
from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from tools.simnet.hyperliquid.assets import ASSETS
from tools.simnet.hyperliquid.clock import VenueClock
from tools.simnet.hyperliquid.engine import Engine
from tools.simnet.hyperliquid.info import InfoApi
from tools.simnet.hyperliquid.ws import Hub
from tools.simnet.hyperliquid.ws_subs import Sub

DEFAULT_LEVELS = 20
FAST_LEVELS = 5
SNAPSHOT_FILLS = 2000
RECENT_TRADES = 50


@dataclass
class FeedClock:
    """Seconds between pushes (0 turns a clock off). Defaults: the probe's measurements (l2Book 5 s,
    fast 0.5 s, allMids 5 s); account_interval_s is unconfirmed."""
    l2book_s: float = 5.0
    l2book_fast_s: float = 0.5
    all_mids_s: float = 5.0
    account_s: float = 5.0


class FeedSources(Protocol):
    """What the feeds read of the venue (venue.HyperliquidVenue is one). The feeds are the engine's sink, so they
    are built before the engine and /info: they read them here, once they exist."""
    hub: Hub
    engine: Engine
    info: InfoApi
    clock: VenueClock


class Feeds:
    def __init__(self, venue: FeedSources, clock: FeedClock):
        self.venue = venue
        self.clock = clock
        self.recent_trades: dict[str, deque[dict[str, Any]]] = {a.coin: deque(maxlen=RECENT_TRADES) for a in ASSETS}
        self.last_bbo: dict[str, str] = {}
        self.dirty: set[str] = set()
        self._flush_pending = False
        self.tasks: list[asyncio.Task] = []

    @property
    def hub(self) -> Hub:
        return self.venue.hub

    # ---- the engine's sink ---------------------------------------------------------------
    def on_fills(self, user: str, fills: list[dict[str, Any]]) -> None:
        self.hub.push(self.hub.subscribers("userFills", user), "userFills", {"user": user, "fills": fills})
        self.touch(user)

    def on_order_updates(self, user: str, updates: list[dict[str, Any]]) -> None:
        self.hub.push(self.hub.subscribers("orderUpdates", user), "orderUpdates", updates)
        self.touch(user)

    def on_trades(self, coin: str, trades: list[dict[str, Any]]) -> None:
        self.recent_trades[coin].extend(trades)
        self.hub.push(self.hub.subscribers("trades", coin), "trades", trades)

    # ---- account feeds: pushed once per loop turn after the account's events ----------------
    def touch(self, *users: str) -> None:
        self.dirty.update(u.lower() for u in users)
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_pending = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_pending = False
        users, self.dirty = self.dirty, set()
        for user in users:
            self._push_account(user, "clearinghouseState", self.account_state)
            self._push_account(user, "openOrders", self.open_orders)
        self.push_bbo_changes()

    def _push_account(self, user: str, kind: str, build: Callable[[str], dict[str, Any]]) -> None:
        targets = self.hub.subscribers(kind, user)
        if targets:
            self.hub.push(targets, kind, build(user))

    def account_state(self, user: str) -> dict[str, Any]:
        return {"dex": "", "user": user, "clearinghouseState": self.venue.info.answer(
            {"type": "clearinghouseState", "user": user})}

    def open_orders(self, user: str) -> dict[str, Any]:
        return {"dex": "", "user": user, "orders": self.venue.info.answer({"type": "frontendOpenOrders", "user": user})}

    # ---- snapshots on subscribe ---------------------------------------------------------------
    def snapshot(self, sub: Sub) -> list[tuple[str, Any]]:
        info = self.venue.info
        kind, target = sub.kind, sub.target
        if kind == "l2Book":
            return [("l2Book", self.book(target, sub.fast, self.venue.clock.now_ms()))]
        if kind == "bbo":
            return [("bbo", info.bbo(target))]
        if kind == "trades":
            recent = list(self.recent_trades[target])
            return [("trades", recent)] if recent else []
        if kind == "allMids":
            return [("allMids", {"mids": info.all_mids()})]
        if kind == "userFills":
            acct = self.venue.engine.accounts.get(target)
            fills = list(reversed(acct.fills[-SNAPSHOT_FILLS:])) if acct else []
            return [("userFills", {"isSnapshot": True, "user": target, "fills": fills})]
        if kind == "clearinghouseState":
            return [(kind, self.account_state(target))]
        if kind == "openOrders":
            return [(kind, self.open_orders(target))]
        return []

    def book(self, coin: str, fast: bool, now_ms: int) -> dict[str, Any]:
        data = self.venue.info.l2_book(coin, FAST_LEVELS if fast else DEFAULT_LEVELS, now_ms)
        if fast:
            data["fast"] = True
        return data

    # ---- clocks ------------------------------------------------------------------------------
    def start(self) -> None:
        c = self.clock
        clocks = ((c.l2book_s, lambda: self.push_books(False)), (c.l2book_fast_s, lambda: self.push_books(True)),
                  (c.all_mids_s, self.push_mids), (c.account_s, self.push_accounts))
        for seconds, push in clocks:
            if seconds > 0:
                self.tasks.append(asyncio.create_task(_every(seconds, push)))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()

    def push_books(self, fast: bool) -> None:
        """One push of every subscribed coin, all with the same ``time`` (probe: "one push clock")."""
        now = self.venue.clock.now_ms()
        for asset in ASSETS:
            targets = [(c, s) for c, s in self.hub.subscribers("l2Book", asset.coin) if s.fast == fast]
            if targets:
                self.hub.push(targets, "l2Book", self.book(asset.coin, fast, now))

    def push_mids(self) -> None:
        targets = self.hub.subscribers("allMids")
        if targets:
            self.hub.push(targets, "allMids", {"mids": self.venue.info.all_mids()})

    def push_accounts(self) -> None:
        for user in {s.target for _, s in self.hub.subscribers("clearinghouseState")}:
            self._push_account(user, "clearinghouseState", self.account_state)

    def push_bbo_changes(self) -> None:
        """bbo only when it changed since the last check (docs: "sent only if the bbo changes on a
        block"); the venue's bbo is followed whether or not anyone listens."""
        for asset in ASSETS:
            data = self.venue.info.bbo(asset.coin)
            key = json.dumps(data["bbo"])
            if self.last_bbo.get(asset.coin) != key:
                self.last_bbo[asset.coin] = key
                self.hub.push(self.hub.subscribers("bbo", asset.coin), "bbo", data)

    def on_tick(self) -> None:
        self.push_bbo_changes()


async def _every(seconds: float, push: Callable[[], None]) -> None:
    """At least ``seconds`` between pushes (docs: "at least 0.5 since last push"); a late push does not
    make the next one come sooner."""
    while True:
        await asyncio.sleep(seconds)
        push()
