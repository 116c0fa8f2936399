"""USDⓈ-M depth streams against "How to manage a local order book correctly": the update-id chain
(U, u, pu; REST lastUpdateId), absolute quantities, one sequence for REST and every connection,
the depth_gap fault, and REST depth weights."""
import asyncio
import json
import random
import time
from decimal import Decimal

import websockets

from tests.simnet.binance_helpers import client, sim  # noqa: F401
from tools.simnet.binance.book import Book, BookParams
from tools.simnet.binance.depth_streams import DepthFeeds
from tools.simnet.binance.specs import FUTURES


def url(sim, tail: str) -> str:
    return sim.ready["binance_futures_ws"] + tail


async def step_and_read(sim, ws, steps: int = 1) -> list[dict]:
    """Step the path; a @100ms stream of a book that changed sends exactly one event per step."""
    events = []
    for _ in range(steps):
        await asyncio.to_thread(sim.control, "net", "step")
        events.append(json.loads(await asyncio.wait_for(ws.recv(), 2)))
    return events


def unwrap(frame: dict) -> dict:
    return frame.get("data", frame)


def apply(book: dict[str, dict[str, str]], event: dict) -> None:
    """The docs' rule: absolute quantities; quantity 0 removes the level."""
    for side, levels in (("bids", event["b"]), ("asks", event["a"])):
        for price, qty in levels:
            if Decimal(qty) == 0:
                book[side].pop(price, None)
            else:
                book[side][price] = qty


def as_book(snapshot: dict) -> dict[str, dict[str, str]]:
    return {side: {p: q for p, q in snapshot[side]} for side in ("bids", "asks")}


async def test_local_book_built_as_the_docs_say_matches_rest(sim, client):
    async with websockets.connect(url(sim, "public/ws/ethusdt@depth@100ms")) as ws:
        buffered = await step_and_read(sim, ws, 2)
        await client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="3")
        snapshot = await client.futures_order_book(symbol="ETHUSDT", limit=1000)     # between two events
        await client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="2")
        buffered += await step_and_read(sim, ws, 3)
        final = await client.futures_order_book(symbol="ETHUSDT", limit=1000)
    last = snapshot["lastUpdateId"]
    events = [e for e in buffered if e["u"] >= last]                         # drop u < lastUpdateId
    assert events[0]["U"] <= last <= events[0]["u"] and events[0]["u"] > last
    for before, after in zip(events, events[1:]):
        assert after["pu"] == before["u"]
    book = as_book(snapshot)
    for event in events:
        apply(book, event)
    assert final["lastUpdateId"] == events[-1]["u"]
    assert book == as_book(final)


async def test_update_ids_are_one_sequence_not_contiguous_per_symbol(sim, client):
    async with websockets.connect(url(sim, "public/stream?streams=ethusdt@depth@100ms/ethusdt@bookTicker")) as ws:
        await asyncio.to_thread(sim.control, "net", "step")
        frames = {}
        while len(frames) < 2:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 2))
            frames[frame["stream"]] = frame["data"]
        depth = await client.futures_order_book(symbol="ETHUSDT", limit=5)
        events = [unwrap(f) for f in await step_and_read(sim, ws, 4) if f["stream"] == "ethusdt@depth@100ms"]
    diff, ticker = frames["ethusdt@depth@100ms"], frames["ethusdt@bookTicker"]
    assert diff["u"] == ticker["u"] == depth["lastUpdateId"]
    assert all(e["U"] > e["pu"] + 1 for e in events)          # other symbols' updates sit in between


async def test_connections_share_the_chain(sim):
    async with websockets.connect(url(sim, "public/ws/solusdt@depth@100ms")) as first:
        early = await step_and_read(sim, first)
        async with websockets.connect(url(sim, "public/ws/solusdt@depth@100ms")) as second:
            await asyncio.to_thread(sim.control, "net", "step")
            a = json.loads(await asyncio.wait_for(first.recv(), 2))
            b = json.loads(await asyncio.wait_for(second.recv(), 2))
    assert a == b and b["pu"] == early[-1]["u"]                # the late joiner's pu is an event it never saw


async def test_partial_depth_chain(sim):
    async with websockets.connect(url(sim, "public/ws/avaxusdt@depth5@100ms")) as ws:
        events = await step_and_read(sim, ws, 3)
    for before, after in zip(events, events[1:]):
        assert after["pu"] == before["u"] and after["U"] > after["pu"]
    assert all(len(e["b"]) == len(e["a"]) == 5 for e in events)


async def test_depth_gap_breaks_the_chain_once(sim, client):
    async with websockets.connect(url(sim, "public/ws/ethusdt@depth@100ms")) as ws:
        before = await step_and_read(sim, ws)
        answer = await asyncio.to_thread(sim.control, "binance", "depth_gap", symbol="ETHUSDT")
        assert answer == {"streams": ["ethusdt@depth@100ms"], "count": 1}
        await asyncio.to_thread(sim.control, "net", "step")                  # this event is not sent
        after = await step_and_read(sim, ws, 2)
        snapshot = await client.futures_order_book(symbol="ETHUSDT", limit=1000)
    assert after[0]["pu"] != before[-1]["u"] and after[0]["pu"] > before[-1]["u"]
    assert after[1]["pu"] == after[0]["u"]
    assert snapshot["lastUpdateId"] == after[-1]["u"]         # a resync from REST finds the chain again


async def test_slower_streams_aggregate_steps(sim):
    """@500ms is due every 5th step (0.1 s steps) and covers all of them; @100ms every step."""
    async with websockets.connect(url(sim, "public/stream?streams=ethusdt@depth@100ms/ethusdt@depth@500ms")) as ws:
        got: dict[str, list[dict]] = {"ethusdt@depth@100ms": [], "ethusdt@depth@500ms": []}
        for _ in range(10):
            step = (await asyncio.to_thread(sim.control, "net", "step"))["step"]
            for _ in range(2 if step % 5 == 0 else 1):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 2))
                got[frame["stream"]].append(frame["data"])
    fast, slow = got["ethusdt@depth@100ms"], got["ethusdt@depth@500ms"]
    assert len(fast) == 10 and len(slow) == 2
    j = [e["u"] for e in fast].index(slow[0]["u"])             # both follow the same book sequence
    assert slow[1]["pu"] == slow[0]["u"]
    assert (slow[1]["U"], slow[1]["u"]) == (fast[j + 1]["U"], fast[j + 5]["u"])     # five steps in one event


def test_no_event_when_nothing_changed():
    """'pushed every 100 ms ... (if existing)': a stream whose book did not change sends nothing."""
    spec = FUTURES["ETHUSDT"]
    book = Book(spec, BookParams(), journaled=True)
    book.rebuild(3000.0, random.Random(1))
    feeds = DepthFeeds({"ETHUSDT": book})
    feeds.start("ethusdt@depth", "ETHUSDT")
    assert feeds.event("ethusdt@depth", "ETHUSDT", 0, 0) is None
    book.take("BUY", Decimal("1"), None)
    event = feeds.event("ethusdt@depth", "ETHUSDT", 0, 0)
    assert event is not None and event["b"] == [] and len(event["a"]) >= 1
    assert feeds.event("ethusdt@depth", "ETHUSDT", 0, 0) is None


async def test_rest_depth_weight_by_limit(sim, client):
    now = int(time.time() * 1000)
    await asyncio.to_thread(sim.control, "binance", "set_flag", name="clock_skew_ms",
                            value=(now // 60_000 + 2) * 60_000 + 1000 - now)    # 1 s into a fresh minute
    used = []
    for limit in (5, 50, 100, 500, 1000):
        await client.futures_order_book(symbol="ETHUSDT", limit=limit)
        used.append(int(client.response.headers["X-MBX-USED-WEIGHT-1M"]))
    assert [b - a for a, b in zip(used, used[1:])] == [2, 5, 10, 20]   # docs: 2 up to 50, 5, 10, 20


async def test_drop_ws_by_stream_name_spares_other_connections(sim):
    async with websockets.connect(url(sim, "public/ws/ethusdt@depth@100ms")) as depth, \
            websockets.connect(url(sim, "public/ws/ethusdt@bookTicker")) as ticker:
        assert await asyncio.to_thread(sim.control, "binance", "drop_ws", stream="ethusdt@depth@100ms") == \
            {"dropped": 1}
        await asyncio.wait_for(depth.wait_closed(), 2)
        assert depth.close_code == 1011
        assert (await step_and_read(sim, ticker))[0]["e"] == "bookTicker"


async def test_stalled_depth_stream_resumes_with_a_gap(sim):
    async with websockets.connect(url(sim, "public/ws/avaxusdt@depth@100ms")) as ws:
        before = await step_and_read(sim, ws)
        await asyncio.to_thread(sim.control, "binance", "stall", stream="avaxusdt@depth@100ms")
        await asyncio.to_thread(sim.control, "net", "step", count=3)
        await asyncio.to_thread(sim.control, "binance", "unstall")
        after = await step_and_read(sim, ws)
    assert after[0]["pu"] > before[-1]["u"]


async def test_stale_depth_snapshot_fault_serves_a_snapshot_older_than_the_stream(sim, client):
    """The REST snapshot predates the first buffered event (cryptostore#57): lastUpdateId < U; count answers."""
    armed = sim.control("binance", "stale_depth_snapshot", symbol="ETHUSDT", count=2)["ETHUSDT"]
    async with websockets.connect(url(sim, "public/ws/ethusdt@depth@100ms")) as ws:
        [first] = await step_and_read(sim, ws, 1)
        stale = [await client.futures_order_book(symbol="ETHUSDT", limit=5) for _ in range(2)]
        fresh = await client.futures_order_book(symbol="ETHUSDT", limit=1000)
    assert [s["lastUpdateId"] for s in stale] == [armed, armed] and armed < first["U"]
    assert all(len(s["bids"]) == len(s["asks"]) == 5 for s in stale)
    assert fresh["lastUpdateId"] >= first["u"]
    assert (await client.futures_order_book(symbol="SOLUSDT", limit=5))["lastUpdateId"] > armed   # other symbols
