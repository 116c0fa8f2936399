"""The local book follows Binance's "How to manage a local order book correctly" (USDⓈ-M) to the letter."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.venues.binance.stream import LocalBook, SequenceGap

SNAPSHOT = {"lastUpdateId": 100, "bids": [["35.0", "5"], ["34.9", "7"]], "asks": [["35.1", "4"], ["35.2", "6"]]}


def event(first: int, last: int, previous: int, bids=(), asks=()) -> dict:
    return {"e": "depthUpdate", "U": first, "u": last, "pu": previous, "b": list(bids), "a": list(asks)}


def test_events_before_the_snapshot_are_dropped_and_the_first_one_must_straddle_it():
    book = LocalBook(SNAPSHOT)
    assert not book.apply(event(90, 99, 89, bids=[["35.0", "1"]]))          # u < lastUpdateId: dropped
    assert book.apply(event(98, 103, 97, bids=[["35.0", "0"], ["35.05", "2"]]))   # U <= 100 <= u: the first
    top = book.top()
    assert top.bids[0] == (D("35.05"), D("2")) and (D("35.0"), D("5")) not in top.bids
    assert book.apply(event(104, 106, 103, asks=[["35.1", "0"]]))           # pu == previous u
    assert book.top().asks[0] == (D("35.2"), D("6"))


def test_a_first_event_past_the_snapshot_means_events_were_missed():
    with pytest.raises(SequenceGap):
        LocalBook(SNAPSHOT).apply(event(105, 110, 104))


def test_a_gap_in_the_chain_means_resync():
    book = LocalBook(SNAPSHOT)
    book.apply(event(99, 101, 98))
    with pytest.raises(SequenceGap, match="pu=105 does not follow u=101"):
        book.apply(event(106, 108, 105))


def test_levels_are_sorted_best_first_and_cut_to_the_top():
    book = LocalBook({"lastUpdateId": 1, "bids": [[str(30 + i / 10), "1"] for i in range(80)],
                      "asks": [[str(40 + i / 10), "1"] for i in range(80)]})
    top = book.top(levels=50)
    assert len(top.bids) == 50 and top.bids[0][0] == D("37.9") and top.bids[1][0] < top.bids[0][0]
    assert len(top.asks) == 50 and top.asks[0][0] == D("40") and top.asks[1][0] > top.asks[0][0]


def test_a_book_ticker_newer_than_the_diffs_gives_the_top_until_a_newer_diff():
    book = LocalBook(SNAPSHOT)
    book.apply(event(99, 101, 98))
    book.apply_ticker({"e": "bookTicker", "u": 103, "b": "35.05", "B": "3", "a": "35.2", "A": "1"})
    top = book.top()
    assert top.bids[:2] == ((D("35.05"), D("3")), (D("35.0"), D("5")))
    assert top.asks[0] == (D("35.2"), D("1")) and (D("35.1"), D("4")) not in top.asks   # 35.1 was taken
    book.apply_ticker({"e": "bookTicker", "u": 100, "b": "1", "B": "1", "a": "99", "A": "1"})   # older: ignored
    assert book.top().bids[0] == (D("35.05"), D("3"))
    book.apply(event(102, 104, 101, bids=[["35.05", "2"]], asks=[["35.1", "0"], ["35.2", "1"]]))
    assert book.top().bids[0] == (D("35.05"), D("2")) and book.top().asks[0] == (D("35.2"), D("1"))


async def test_a_snapshot_that_stays_older_than_the_stream_is_given_up_after_max_snapshots(sim):
    """Against simnet: each stale REST snapshot is fetched again (the stream kept), at most MAX_SNAPSHOTS times."""
    import asyncio

    import aiohttp

    from bot.supervision import Health
    from bot.venues.binance.stream import MAX_SNAPSHOTS, BinanceBookStream

    net, ready = sim
    net.control("binance", "stale_depth_snapshot", symbol="ETHUSDT", count=MAX_SNAPSHOTS)

    async def snapshot() -> dict:
        async with aiohttp.ClientSession() as session:
            url = f"{ready['binance_futures_rest']}/fapi/v1/depth?symbol=ETHUSDT&limit=1000"
            async with session.get(url) as response:
                return await response.json()

    stream = BinanceBookStream(ready["binance_futures_ws"], "ETHUSDT", snapshot, lambda build: None)
    with pytest.raises(SequenceGap, match=f"still after {MAX_SNAPSHOTS} snapshots"):
        await asyncio.wait_for(stream.run(Health(asyncio.Event())), 20)
    assert stream.resyncs == MAX_SNAPSHOTS
    net.control("binance", "stale_depth_snapshot", symbol="ETHUSDT", count=MAX_SNAPSHOTS - 1)
    synced = asyncio.Event()
    stream = BinanceBookStream(ready["binance_futures_ws"], "ETHUSDT", snapshot, lambda build: synced.set())
    task = asyncio.create_task(stream.run(Health(asyncio.Event())))
    try:
        await asyncio.wait_for(synced.wait(), 20)        # the last allowed snapshot is a fresh one
        assert stream.resyncs == MAX_SNAPSHOTS and not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
