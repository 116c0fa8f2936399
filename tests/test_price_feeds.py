"""Feed bookkeeping: the Hubble best bid/ask under incremental updates; the Binance mid."""
from __future__ import annotations

from decimal import Decimal as D

from bot import settings
from price_feeds import HubbleBookFeed, MidPriceFeed


def book() -> HubbleBookFeed:
    return HubbleBookFeed(settings.load("AVAX"), hubble_client=None, fatal=lambda message: None)


def test_levels_appear_change_and_vanish_and_best_can_get_worse():
    feed = book()
    feed.apply([["34.9", "10"], ["34.95", "2"]], [["35.1", "5"], ["35.05", "1"]])
    assert (feed.best_bid, feed.best_ask) == (D("34.95"), D("35.05"))
    feed.apply([["34.95", "0"]], [["35.05", "0"]])          # the best levels vanish: best gets worse
    assert (feed.best_bid, feed.best_ask) == (D("34.9"), D("35.1"))
    feed.apply([["34.9", "3"], ["34.97", "1"]], [])          # size change, and a better bid appears
    assert feed.best_bid == D("34.97") and feed.bids[D("34.9")] == D("3")
    feed.apply([["34.97", "0"], ["34.9", "0"]], [["35.1", "0"]])
    assert feed.best_bid is None and feed.best_ask is None


def test_unordered_levels_are_fine():
    feed = book()
    feed.apply([["34.1", "1"], ["34.9", "1"], ["34.5", "1"]], [["36", "1"], ["35.2", "1"], ["35.5", "1"]])
    assert (feed.best_bid, feed.best_ask) == (D("34.9"), D("35.2"))


def mid_feed(price_feed: str) -> MidPriceFeed:
    return MidPriceFeed(settings.load("AVAX", [f"priceFeed={price_feed}"]), {}, fatal=lambda message: None)


def test_mid_is_the_average_of_book_ticker_bid_and_ask_stamped_with_local_time():
    feed = mid_feed("binance-futures")
    assert feed._apply({"e": "bookTicker", "b": "34.99", "a": "35.01", "T": 1})
    assert feed.mid == D("35.00") and feed.age() < 1


def test_bad_ticks_are_ignored_not_trusted():
    feed = mid_feed("binance-futures")
    assert not feed._apply({"b": "35.02", "a": "35.01"})      # crossed
    assert not feed._apply({"b": "0", "a": "35.01"})
    assert not feed._apply({"e": "somethingElse"})
    assert feed.mid is None


def test_spot_trade_price_is_the_mid_for_binance_spot():
    feed = mid_feed("binance-spot")
    assert feed._apply({"e": "trade", "p": "35.123"})
    assert feed.mid == D("35.123")


def test_events_start_cleared():
    assert not book().event.is_set() and not mid_feed("binance-futures").event.is_set()


def test_negative_ask_sizes_from_the_node_are_kept():
    # hubblenet service.go aggregateOrdersByPrice sums signed unfilled sizes: shorts are negative
    feed = book()
    feed.apply([["34.9", "10"]], [["35.1", "-5"], ["35.05", "-1.5"]])
    assert feed.best_ask == D("35.05") and feed.asks[D("35.1")] == D("5")
    feed.apply([], [["35.05", "0.00000000"]])
    assert feed.best_ask == D("35.1")


async def test_the_book_ticker_socket_asks_binances_public_route():
    # since 2026-04-23 bookTicker is served only under /public (Binance change notice of 2026-03-06)
    from binance import AsyncClient, BinanceSocketManager

    feed = MidPriceFeed(settings.load("AVAX"), {"BINANCE_FUTURES_WS": "wss://fstream.binance.com"},
                        fatal=lambda message: None)
    client = AsyncClient()
    try:
        socket = feed._socket(BinanceSocketManager(client))
    finally:
        await client.close_connection()
    assert socket._url + socket._prefix + socket._path == \
        "wss://fstream.binance.com/public/stream?streams=avaxusdt@bookTicker"
