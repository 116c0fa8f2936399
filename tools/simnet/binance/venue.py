"""The simulated Binance venue: USDT-M futures (REST, market streams, user
data stream) on role "binance_futures" and spot (REST price feed, streams) on
role "binance_spot".

Venue-specific faults (``set_flag name=... value=...``):
  timestamp_error=<n>     next n SIGNED requests fail with -1021
  clock_skew_ms=<ms>      server clock offset (also option ``clock_skew_ms``)
  partial_fill=<n>        next n MARKET/IOC orders fill only ``partial_fill_ratio`` (default 0.5)
  slow_ack=<n>            next n orders execute at once, answer after ``slow_ack_seconds`` (default 2)
  unknown_status=<n>      next n orders execute, then answer 503 (execution status unknown)
  weight_limit=<w>        request-weight limit per minute (429, then 418 ban)
  min_notional=<usd>      raise every symbol's MIN_NOTIONAL (-4164 on orders below it)
  late_execution=<n>      next n accepted orders get no answer, stay unknown (-2013) for
                          ``late_execution_seconds`` (default 2), then execute or are refused
                          with -5028 past timestamp + recvWindow; ``late_execution_answer``
                          "timeout" (held ``late_execution_hold_seconds``, default delay + 1) or "reset"
  user_stream_delay=<s>   hold every user-data push back s seconds (also option ``user_stream_delay``)
Venue-specific actions: ``expire_listen_keys`` (sends listenKeyExpired); ``depth_gap`` [symbol=None,
stream=None, count=1] skips the next `count` events of matching depth streams (a pu gap);
``stale_depth_snapshot`` [symbol=None, count=1] makes the next `count` REST depth answers show the book as it
is now (older than the stream by the time they are asked); ``lose_user_events`` [count=1, event=None] drops the
next account events; ``mute_ws`` [stream=<label,
stream name or listenKey>] silences the connections open now (new ones are not affected);
``ws_connections`` [stream=None] lists the open futures connections and their filters; ``drop_ws``
[stream=<label, stream name or listenKey>] closes those connections; ``set_mark``
[symbol, price=None, offset_bps=None] pins a mark price (neither: unpin); ``fund_now``
[symbol=None, rate=None] pays one funding now; ``set_bnb_price`` [price] moves the BNBUSDT mark;
``set_bnb_balance`` [amount, api_key=None] sets the futures wallet's BNB; ``set_position_mode`` [mode, api_key=None];
``set_multi_assets`` [on, api_key=None]; ``liquidations`` lists every liquidation (liquidation.py; options
``leverage_brackets``, ``liquidation_fee``, ``margin_call_ratio``); ``placements`` [api_key=None, symbol=None]
lists every futures order of the account with its wall-clock creation second (a test device for tools/observer,
not a venue behaviour).
Background takers (flow.py, a model of other traders): ``taker_rate`` (0: off), ``taker_size_usd``,
``taker_buy_share``, ``informed_takers``, ``maker_spread_bps``.
Stream options: ``listen_key_ttl``, ``user_stream_delay``, ``user_event_order``, ``private_without_events``,
``fee_burn``, ``bnb_balance``, ``bnb_price``, ``ws_lifetime``, ``ws_ping_interval``, ``ws_pong_timeout``,
``ws_max_incoming``.
Options and sources: docs/simnet/binance.md.
Generic ``error`` takes code=None (503/-1001), 429, 418, 5xx or a negative Binance code.
"""
from __future__ import annotations

import itertools
import random
from collections import deque
from decimal import Decimal
from typing import Any

from aiohttp import web

from tools.simnet.binance import bnb
from tools.simnet.binance import brackets as bk
from tools.simnet.binance.accounts import Account, new_account
from tools.simnet.binance.auth import WeightLimiter, derive_keys
from tools.simnet.binance.book import Book, BookParams
from tools.simnet.binance.clock import ServerClock
from tools.simnet.binance.depth_streams import DepthFeeds, StaleSnapshots
from tools.simnet.binance.errors import BinanceError
from tools.simnet.binance.flow import FlowParams, NextMoves, TakerFlow, futures_book_params
from tools.simnet.binance.funding import Funding, settle
from tools.simnet.binance.futures_api import FuturesApi
from tools.simnet.binance.listen_keys import ListenKeys
from tools.simnet.binance.liquidation import Liquidator
from tools.simnet.binance.marks import Marks
from tools.simnet.binance.orders import Order
from tools.simnet.binance import payloads
from tools.simnet.binance.rest import RestPipeline
from tools.simnet.binance.spot_api import SpotApi
from tools.simnet.binance.specs import FUTURES, SPOT, percent_price_from_options
from tools.simnet.binance.streams import StreamHub
from tools.simnet.binance.tickers import TradeStats, ticker_event
from tools.simnet.binance.trading import FuturesEngine
from tools.simnet.binance.user_stream import UserStream
from tools.simnet.binance.ws_endpoints import FUTURES_PREFIXES, WsEndpoints, add_ws_routes
from tools.simnet.binance.ws_limits import WsLimits
from tools.simnet.core import Venue

MODE_ACTIONS = ("set_position_mode", "set_multi_assets")
DEFAULT_INTERVAL_MS = {"futures_depth": 250, "spot_depth": 1000, "markPrice": 3000,
                       "ticker": 2000}     # <symbol>@ticker "Update Speed: 2000ms" (SDK market_api.py)


def parse_stream(name: str) -> tuple[str, str, int, int | None] | None:
    """("ETHUSDT", kind, levels, interval ms or None) for "<symbol>@<kind>[@<n>ms|@1s]"."""
    parts = name.split("@")
    if len(parts) < 2:
        return None
    symbol, kind = parts[0].upper(), parts[1]
    interval = None
    if len(parts) > 2:
        tail = parts[2]
        interval = 1000 if tail == "1s" else int(tail[:-2]) if tail.endswith("ms") and tail[:-2].isdigit() else None
    levels = 0
    if kind.startswith("depth") and kind[5:].isdigit():
        kind, levels = "depth", int(kind[5:])
    return symbol, kind, levels, interval


class BinanceVenue(Venue):
    name = "binance"
    _LABELS = ("futures_market", "futures_user", "spot_market")      # drop_ws / stall labels (streams.py)

    def __init__(self, net):
        super().__init__(net)
        seed = net.config.seed
        self.api_key, self.api_secret = derive_keys(seed)
        self.clock = ServerClock(self.faults, self.options)      # clock_skew_ms
        futures_params = futures_book_params(self.options)       # maker_spread_bps (flow.py)
        spot_params = BookParams.from_options(self.options)
        spot_params = BookParams.from_options(self.options, "spot_", base=spot_params)
        # one update-id counter for every futures book: ids are increasing per symbol, not contiguous (book.py)
        update_ids = itertools.count(8_000_000_000 + 1_000_000 * (seed % 1000))
        self.books = {s: Book(spec, futures_params, update_ids, journaled=True) for s, spec in FUTURES.items()}
        self.spot_books = {s: Book(spec, spot_params) for s, spec in SPOT.items()}
        self.accounts: dict[str, Account] = {}
        self.depth = DepthFeeds(self.books)
        self.stale_snapshots = StaleSnapshots()
        self.futures_hub = StreamHub(self.faults, WsLimits.from_options(self.options), self._stream_started)
        self.spot_hub = StreamHub(self.faults)
        self.ws = WsEndpoints(self.futures_hub, self.spot_hub, self.options)
        self.listen_keys = ListenKeys(seed, float(self.options.get("listen_key_ttl", 3600.0)), self._key_expired)
        self.user_stream = UserStream(self.futures_hub, self.listen_keys, self.clock.server_ms, self._user_delay)
        self._tops: dict[str, tuple] = {}                 # bookTicker stream -> last top of book sent
        self.marks = Marks(self.books, self.spot_books, float(self.options.get("mark_offset_bps", 0.0)))
        self.percent_price = percent_price_from_options(self.options.get("percent_price"))
        self.engine = FuturesEngine(self.books, float(self.options.get("maker_fee_bps", 2.0)),
                                    float(self.options.get("taker_fee_bps", 5.0)),
                                    8_389_765_000_000 + 1000 * (seed % 1000), self._user_event, self._trade_event,
                                    self.marks, self.percent_price)
        self.engine.account_first = str(self.options.get("user_event_order", "account_first")) != "order_first"
        self.engine.bnb_price = bnb.BnbPrice(Decimal(str(self.options.get("bnb_price", bnb.DEFAULT_PRICE))))
        self.brackets = bk.table_from_options(self.options.get("leverage_brackets"))
        self.liquidation_fees = bk.fees_from_options(self.options.get("liquidation_fee"))
        call_ratio = self.options.get("margin_call_ratio", 0.8)
        self.liquidator = Liquidator(self.engine, self.brackets, self.liquidation_fees,
                                     None if not call_ratio else Decimal(str(call_ratio)), self._force_order)
        self.futures_limiter = self._limiter("weight_limit_1m", 2400)
        self.spot_limiter = self._limiter("spot_weight_limit_1m", 6000)
        self.funding = Funding.from_options(tuple(FUTURES), self.options, self.clock.server_ms())
        dt = net.config.path.dt
        self.lag_steps = max(0, round(float(self.options.get("lag_seconds", 0.0)) / dt))
        self.dt_ms = dt * 1000.0
        self.history: deque[dict[str, float]] = deque([net.path.prices()], maxlen=self.lag_steps + 1)
        self.step = 0
        self.agg_id = 1_000_000 + seed
        self.spot_trade_id = 2_000_000 + seed
        self.last_trade: dict[str, Decimal] = {}
        self.trade_stats = TradeStats()                   # 24 h statistics (tickers.py)
        self.trade_rng = random.Random(f"{seed}:binance:trades")
        self.next_moves = NextMoves(self.history, net.path)
        self.flow = TakerFlow(self.engine, FlowParams.from_options(self.options),
                              random.Random(f"{seed}:binance:flow"), self.next_moves.move, self._trade_event)
        self._rebuild(self.history[0])

    def _limiter(self, option: str, default: int) -> WeightLimiter:
        # 2400 / minute: exchangeInfo REQUEST_WEIGHT of USDⓈ-M; 6000: spot
        return WeightLimiter(int(self.options.get(option, default)), int(self.options.get("ban_after", 3)),
                             float(self.options.get("ban_seconds", 120.0)),
                             str(self.options.get("weight_window", "minute")))

    # ---- wiring ---------------------------------------------------------------
    def build_apps(self) -> dict[str, web.Application]:
        self.futures_api = FuturesApi(self, self._pipeline(self.futures_limiter))
        futures = self.futures_api.app()
        add_ws_routes(futures, self.ws.futures, FUTURES_PREFIXES)
        spot = SpotApi(self.spot_books, self._pipeline(self.spot_limiter)).app()
        add_ws_routes(spot, self.ws.spot)
        return {"binance_futures": futures, "binance_spot": spot}

    def _pipeline(self, limiter: WeightLimiter) -> RestPipeline:
        return RestPipeline(limiter, self.faults, self.options, self.clock, self.account_for, self.api_secret)

    def ready_keys(self, bases: dict[str, str]) -> dict[str, Any]:
        fut, spot = bases["binance_futures"], bases["binance_spot"]
        return {"binance_futures_rest": f"http://{fut}", "binance_futures_ws": f"ws://{fut}/",
                "binance_spot_rest": f"http://{spot}", "binance_spot_ws": f"ws://{spot}/",
                "binance_api_key": self.api_key, "binance_api_secret": self.api_secret}

    async def on_stop(self) -> None:
        await self.futures_api.late.cancel()
        self.futures_api.maker.cancel_timers()
        self.listen_keys.cancel_all()
        await self.user_stream.stop()
        await self.faults.drop()

    # ---- state queries used by the APIs ------------------------------------------
    def account_for(self, api_key: str | None) -> Account:
        if not api_key or not api_key.isalnum():
            raise BinanceError(-2014)
        if api_key != self.api_key:
            raise BinanceError(-2015)
        if api_key not in self.accounts:
            # option position_mode: "one-way" (Binance's default for a new account) or "hedge"
            hedge = str(self.options.get("position_mode", "one-way")).lower() == "hedge"
            self.accounts[api_key] = new_account(api_key, self.net.config.initial_margin, hedge,
                                                 bool(self.options.get("multi_assets_margin", False)),
                                                 bool(self.options.get("fee_burn", False)),
                                                 Decimal(str(self.options.get("bnb_balance", 0))))
        return self.accounts[api_key]

    def last_price(self, symbol: str) -> Decimal:
        return self.last_trade.get(symbol) or self.books[symbol].synthetic_top()[0]

    # ---- price path --------------------------------------------------------------
    def on_tick(self, step: int, prices: dict[str, float]) -> None:
        self.step = step
        self.history.append(dict(prices))
        seen = self.history[0]
        self._rebuild(seen)
        now = self.clock.server_ms()
        for symbol in FUTURES:
            self.engine.cross_resting(symbol, now)
        self.next_moves.reset()
        self.flow.run(self.dt_ms / 1000.0, now)           # background takers (flow.py; taker_rate 0: none)
        self._background_trades(now)
        for symbol in self.funding.due(now):
            self.pay_funding(symbol, now, funding_time=self.funding.last_time(symbol, now))
        self.liquidator.check(self.accounts.values(), now)
        self._publish_futures(now)
        self._publish_spot(now)

    def pay_funding(self, symbol: str, now: int, rate: Decimal | None = None,
                    funding_time: int | None = None) -> list[str]:
        """One funding settlement of `symbol` for every account; the API keys that paid or received."""
        rate = self.funding.rates[symbol] if rate is None else rate
        mark = self.marks.mark(symbol)
        self.funding.record(symbol, rate, now if funding_time is None else funding_time, mark)
        paid = []
        for account in self.accounts.values():
            event = settle(account, symbol, mark, rate, now, self.engine.tran_id)
            if event is not None:
                self._user_event(account.api_key, event)
                paid.append(account.api_key)
        return paid

    def _rebuild(self, prices: dict[str, float]) -> None:
        basis = float(self.options.get("basis_bps", 0.0)) / 10_000
        spot_basis = float(self.options.get("spot_basis_bps", 0.0)) / 10_000
        for symbol, book in self.books.items():
            book.rebuild(prices[book.spec.ref] * (1 + basis), self.rng)
        for symbol, book in self.spot_books.items():
            book.rebuild(prices[book.spec.ref] * (1 + spot_basis), self.rng)

    def _background_trades(self, now: int) -> None:
        """Seeded anonymous trades at the touch, for the aggTrade / trade streams."""
        rate = float(self.options.get("trade_rate", 0.5))
        rng = self.trade_rng
        for symbol in FUTURES:
            for spot in (False, True):
                book = (self.spot_books if spot else self.books)[symbol]
                hit, buy, size = rng.random() < rate, rng.random() < 0.5, rng.uniform(0.001, 0.02)
                if not hit:
                    continue
                top = book.synthetic_top()
                price = top[2] if buy else top[0]
                qty = max(book.spec.min_qty, book.spec.floor_qty(
                    Decimal(repr(book.params.level_size_usd * size)) / price))
                if spot:
                    self._spot_trade(symbol, price, qty, not buy, now)
                else:
                    self._trade_event(symbol, price, qty, not buy, self.engine.next_trade_id)
                    self.engine.next_trade_id += 1

    # ---- stream publishing -------------------------------------------------------
    def _due(self, interval_ms: int) -> bool:
        every = max(1, round(interval_ms / self.dt_ms))
        return self.step % every == 0

    def _publish_futures(self, now: int) -> None:
        hub = self.futures_hub
        active = hub.active()
        depth_streams: dict[str, str] = {}
        for name in active:
            parsed = parse_stream(name)
            if name == "!bookTicker":
                for book in self.books.values():
                    hub.publish(name, payloads.futures_book_ticker(book, now))
                continue
            if parsed is not None and parsed[0] == bnb.SYMBOL and parsed[1] == "markPrice":
                if self._due(parsed[3] or DEFAULT_INTERVAL_MS["markPrice"]):
                    price = self.engine.bnb_price.price
                    hub.publish(name, payloads.mark_price(bnb.SYMBOL, price, price, Decimal("0.0001"),
                                                          self.funding.next_time(next(iter(FUTURES)), now), now))
                continue
            if parsed is None or parsed[0] not in self.books:
                continue
            symbol, kind, levels, interval = parsed
            book = self.books[symbol]
            if kind == "bookTicker":
                self._book_ticker(name, book, now)
            elif kind == "depth":
                depth_streams[name] = symbol
                if self._due(interval or DEFAULT_INTERVAL_MS["futures_depth"]):
                    event = self.depth.event(name, symbol, levels, now)
                    if event is not None:
                        hub.publish(name, event)
            elif kind == "ticker" and self._due(DEFAULT_INTERVAL_MS["ticker"]):
                hub.publish(name, ticker_event(self.trade_stats.ticker(book.spec, self.last_price(symbol), now), now))
            elif kind == "markPrice" and self._due(interval or DEFAULT_INTERVAL_MS["markPrice"]):
                hub.publish(name, payloads.mark_price(symbol, self.marks.mark(symbol), self.marks.index(symbol),
                                                      self.funding.rates[symbol],
                                                      self.funding.next_time(symbol, now), now))
        self.depth.prune(set(depth_streams), depth_streams)

    def _book_ticker(self, name: str, book: Book, now: int) -> None:
        """<symbol>@bookTicker "Pushes any update to the best bid or ask's price or quantity in real-time"
        (USDⓈ-M Individual Symbol Book Ticker Streams): only when the top of the book changed."""
        top = book.top()
        if self._tops.get(name) != top:
            self._tops[name] = top
            self.futures_hub.publish(name, payloads.futures_book_ticker(book, now))

    def _stream_started(self, name: str) -> None:
        """A futures stream got its first subscriber: a depth stream's update-id chain starts now."""
        parsed = parse_stream(name)
        if parsed is not None and parsed[1] == "depth" and parsed[0] in self.books:
            self.depth.start(name, parsed[0])
        self._tops.pop(name, None)

    def _publish_spot(self, now: int) -> None:
        hub = self.spot_hub
        for name in hub.active():
            parsed = parse_stream(name)
            if parsed is None or parsed[0] not in self.spot_books:
                continue
            symbol, kind, levels, interval = parsed
            book = self.spot_books[symbol]
            if kind == "bookTicker":
                hub.publish(name, payloads.spot_book_ticker(book))
            elif kind == "depth" and levels and self._due(interval or DEFAULT_INTERVAL_MS["spot_depth"]):
                hub.publish(name, payloads.spot_partial_depth(book, levels))

    def book_changed(self, symbol: str) -> None:
        """Our own fill took liquidity: bookTicker is real time on Binance."""
        name = f"{symbol.lower()}@bookTicker"
        if self.futures_hub.has(name):
            self._book_ticker(name, self.books[symbol], self.clock.server_ms())

    def _trade_event(self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool, trade_id: int) -> None:
        self.last_trade[symbol] = price
        self.trade_stats.add(symbol, price, qty, trade_id, self.clock.server_ms())
        self.agg_id += 1
        spec = FUTURES[symbol]
        self.futures_hub.publish(f"{symbol.lower()}@aggTrade", payloads.agg_trade(
            symbol, self.agg_id, trade_id, spec.fmt_price(price), spec.fmt_qty(qty), buyer_maker,
            self.clock.server_ms(), spot=False))

    def _spot_trade(self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool, now: int) -> None:
        self.spot_trade_id += 1
        spec = SPOT[symbol]
        p, q = spec.fmt_price(price), spec.fmt_qty(qty)
        self.spot_hub.publish(f"{symbol.lower()}@trade", payloads.spot_trade(
            symbol, self.spot_trade_id, p, q, buyer_maker, now))
        self.spot_hub.publish(f"{symbol.lower()}@aggTrade", payloads.agg_trade(
            symbol, self.spot_trade_id, self.spot_trade_id, p, q, buyer_maker, now, spot=True))

    def _force_order(self, order: Order) -> None:
        """A liquidation executed: ``<symbol>@forceOrder`` and ``!forceOrder@arr`` on /market (payloads.py)."""
        event = payloads.force_order(order, self.clock.server_ms())
        self.futures_hub.publish(f"{order.symbol.lower()}@forceOrder", event)
        self.futures_hub.publish("!forceOrder@arr", event)

    def _user_event(self, api_key: str, event: dict[str, Any]) -> None:
        self.user_stream.push(api_key, event)

    def _key_expired(self, key: str) -> None:
        self.user_stream.expired(key)

    def _user_delay(self) -> float:
        """Seconds each user-data push is held back: flag, else option ``user_stream_delay`` (default 0)."""
        return float(self.faults.flags.get("user_stream_delay", self.options.get("user_stream_delay", 0.0)))

    # ---- control ------------------------------------------------------------------
    async def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if action == "expire_listen_keys":
            return {"expired": self.listen_keys.expire_now()}
        if action == "drop_ws" and params.get("stream") and params["stream"] not in self._LABELS:
            # a stream name ("ethusdt@depth@100ms") or a listenKey: only the connections receiving it
            return {"dropped": await self.futures_hub.drop_stream(params["stream"])
                    + await self.spot_hub.drop_stream(params["stream"])}
        if action == "depth_gap":
            return self._depth_gap(params)
        if action == "set_bnb_price":
            return {"BNBUSDT": f"{self.engine.bnb_price.set(params['price']):f}"}
        if action == "set_bnb_balance":
            # a transfer of BNB into (or out of) the futures wallet, as a user does it in the web UI
            account = self.account_for(params.get("api_key") or self.api_key)
            account.bnb = Decimal(str(params["amount"]))
            return {"BNB": f"{account.bnb:f}"}
        if action == "stale_depth_snapshot":
            # the next `count` REST depth answers show the book as it is now (depth_streams.py has the sources)
            symbols = [params["symbol"]] if params.get("symbol") else list(FUTURES)
            for symbol in symbols:
                self.stale_snapshots.arm(self.books[symbol], int(params.get("count", 1)))
            return {s: self.books[s].update_id for s in symbols}
        if action == "mute_ws":
            # the connections open now stop receiving (streams.py has the reports); new ones are not affected
            selector = str(params.get("stream") or "*")
            return {"muted": self.futures_hub.mute(selector) + self.spot_hub.mute(selector)}
        if action == "ws_connections":
            # inspection, not a venue behaviour: what each open futures connection asked for
            return {"connections": self.futures_hub.describe(params.get("stream"))}
        if action == "lose_user_events":
            return self.user_stream.lose(int(params.get("count", 1)), params.get("event"))
        if action in MODE_ACTIONS:
            return self._mode_action(action, params)
        if action == "set_mark":
            symbol = params["symbol"]
            mark = self.marks.pin(symbol, params.get("price"), params.get("offset_bps"))
            self.liquidator.check(self.accounts.values(), self.clock.server_ms())      # the marks moved
            return {"symbol": symbol, "markPrice": f"{mark:.8f}"}
        if action == "fund_now":
            now = self.clock.server_ms()
            rate = params.get("rate")
            symbols = [params["symbol"]] if params.get("symbol") else list(FUTURES)
            paid = {s: self.pay_funding(s, now, None if rate is None else Decimal(str(rate))) for s in symbols}
            self.liquidator.check(self.accounts.values(), now)
            return paid
        if action == "liquidations":
            # every liquidation so far (the common control action; liquidation.py)
            return {"liquidations": self.liquidator.rows()}
        if action == "placements":
            return {"placements": self._placements(params.get("api_key") or self.api_key, params.get("symbol"))}
        if action == "clear":
            self.futures_limiter.reset()
            self.spot_limiter.reset()
            self.user_stream.lose(0)
            self.depth.skips.clear()
            self.stale_snapshots.clear()
        return await self.faults.apply(action, params)

    def _placements(self, api_key: str, symbol: str | None) -> list[dict[str, Any]]:
        """Every futures order of the account (any status) with ``placed_at``, the wall-clock second it was created.
        A test device for tools/observer, not a venue behaviour (allOrders answers the venue's ms and 7 days)."""
        engine = self.engine
        return [{"orderId": oid, "clientOrderId": o.client_id, "symbol": o.symbol, "side": o.side,
                 "qty": o.spec.fmt_qty(o.qty), "price": o.spec.fmt_price(o.price), "timeInForce": o.tif,
                 "placed_at": o.placed_at}
                for oid, o in engine.orders.items()
                if engine.owner[oid].api_key == api_key and symbol in (None, o.symbol)]

    def _depth_gap(self, params: dict[str, Any]) -> dict[str, Any]:
        """Fault: the next `count` events of each matching depth stream (by `stream` name, else by `symbol`,
        else all) are not sent; the stream's chain moves on, so the next event's pu is a u no client saw."""
        stream, symbol, count = params.get("stream"), params.get("symbol"), int(params.get("count", 1))
        names = [n for n in self.depth.last_u
                 if (stream is None or n == stream) and (symbol is None or n.startswith(symbol.lower() + "@"))]
        self.depth.skip(names, count)
        return {"streams": sorted(names), "count": count}

    def _mode_action(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """``set_position_mode`` [mode="hedge"|"one-way"] / ``set_multi_assets`` [on=bool]: what a user does in
        the web UI, bypassing the API's checks (any account, default the simulator's key)."""
        account = self.account_for(params.get("api_key") or self.api_key)
        if action == "set_position_mode":
            account.dual_side = str(params["mode"]).lower() == "hedge"
            for symbol in FUTURES:
                account.symbol_positions(symbol)
            return {"dualSidePosition": account.dual_side}
        account.multi_assets = bool(params["on"])
        return {"multiAssetsMargin": account.multi_assets}
