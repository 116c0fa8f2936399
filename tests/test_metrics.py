"""The Prometheus endpoint: the real engine against simnet, scraped over HTTP and parsed by prometheus-client."""
from __future__ import annotations

import asyncio
import inspect
import re
import socket
import time
from types import SimpleNamespace

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.reporting import metrics
from bot.reporting.metrics_reading import PAUSE_REASONS
from bot.tracking.reconciler import Reconciler
from bot.trading.order_manager import OrderManager
from tests.engine_harness import quoting, running_engine, venues_reach
from tests.helpers import eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels without market): value}."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics", timeout=aiohttp.ClientTimeout(total=10)) as r:
            assert r.status == 200
            text = await r.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "market"))
            samples[(s.name, labels)] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.mark.parametrize("hedge", ["hyperliquid", "binance"])
async def test_scraped_figures_match_the_venues_and_the_engine(sim, hedge):
    net, ready = sim
    port = free_port()
    async with running_engine(ready, hedge=hedge, overrides=[f"metricsPort={port}"]) as run:
        await quoting(run)
        assert run.engine.metrics._server.server_address[0] == "127.0.0.1"
        net.control("hubble", "take", market=1, side="sell", size=3)          # we buy 3, the hedge sells 3
        ledger = run.engine.ledger
        await eventually(lambda: ledger.hedge.count >= 1 and run.hedged(), what="the fill hedged")
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        deadline = time.monotonic() + 15
        while True:                       # the reconciler's next comparison brings the venues' figures in
            samples = await scrape(port)
            if value(samples, "hubble_mm_position_base", venue=hedge) == -3 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert value(samples, "hubble_mm_engine_answered") == 1
        assert value(samples, "hubble_mm_ready") == 1
        assert value(samples, "hubble_mm_position_base", venue="hubble") == 3
        assert value(samples, "hubble_mm_position_base", venue=hedge) == -3
        assert value(samples, "hubble_mm_net_delta_base") == 0
        assert value(samples, "hubble_mm_fills") == ledger.hubble.count >= 1
        assert value(samples, "hubble_mm_fill_volume_base") == 3
        assert value(samples, "hubble_mm_hedges_total", kind="fill") == ledger.hedge.count
        assert value(samples, "hubble_mm_quote_orders_total", result="placed") > 0
        confirmed = run.engine.perf.latencies.totals["fill_to_hedge_confirmed"]
        assert value(samples, "hubble_mm_fill_to_hedge_confirmed_seconds_count") == confirmed >= 1
        assert value(samples, "hubble_mm_fill_to_hedge_confirmed_seconds_bucket", le="+Inf") == confirmed
        assert 0 < value(samples, "hubble_mm_fill_to_hedge_sent_seconds_sum") < 1
        assert value(samples, "hubble_mm_quote_tick_seconds_count") >= 1
        pnl = {c: value(samples, "hubble_mm_pnl_usd", component=c)
               for c in ("spread", "maker_fees", "taker_fees", "slippage", "net")}
        assert pnl["net"] == pytest.approx(pnl["spread"] - pnl["maker_fees"] - pnl["taker_fees"])
        assert pnl["taker_fees"] > 0
        states = {dict(k[1])["reason"]: v for k, v in samples.items()
                  if k[0] == "hubble_mm_pause_reason"}
        assert sum(states.values()) == 1 and set(states) >= {"quoting", "mid price stale", "other"}
        assert value(samples, "hubble_mm_quoting") == states["quoting"]
        for feed in ("mid", "hubble_book", "hedge_book"):
            assert value(samples, "hubble_mm_feed_up", feed=feed) == 1
            assert 0 <= value(samples, "hubble_mm_feed_age_seconds", feed=feed) < 5
        limit = "request weight per IP" if hedge == "hyperliquid" else "orders per account per minute"
        budget = run.engine.hedge.budget.report()["limits"][limit]
        window = f"{budget['per_seconds']:g}"
        assert value(samples, "hubble_mm_request_weight_share", venue=hedge, limit=limit,
                     window_seconds=window) == budget["process_share"]
        assert value(samples, "hubble_mm_request_weight_total", venue=hedge, limit=limit, window_seconds=window) > 0
        assert value(samples, "hubble_mm_event_loop_lag_seconds") < 1
        assert value(samples, "process_resident_memory_bytes") > 0
        again = await scrape(port)        # counts only new samples: the histogram does not double
        assert value(again, "hubble_mm_fill_to_hedge_confirmed_seconds_count") == confirmed
        assert await run.finish() == 0
    with pytest.raises(aiohttp.ClientConnectionError):
        await scrape(port)                # stopped with the engine


async def test_a_scrape_never_waits_for_a_blocked_event_loop():
    idle_loop = asyncio.new_event_loop()             # never runs: like a loop stuck in a long step
    try:
        collector = metrics.EngineCollector(SimpleNamespace(s=SimpleNamespace(market="AVAX")), idle_loop,
                                            timeout=0.2)
        began = time.monotonic()
        families = await asyncio.to_thread(lambda: list(collector.collect()))
        assert time.monotonic() - began < 2
    finally:
        idle_loop.close()
    assert [(f.name, [s.value for s in f.samples]) for f in families] == [("hubble_mm_engine_answered", [0])]


async def test_a_taken_port_leaves_the_bot_running_without_metrics(caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = metrics.start_metrics(SimpleNamespace(s=SimpleNamespace(market="AVAX")), taken.getsockname()[1])
    assert server is None and "metrics endpoint not started" in caplog.text
    assert metrics.start_metrics(SimpleNamespace(s=SimpleNamespace(market="AVAX")), 0) is None


def test_every_reason_the_gate_gives_has_its_own_pause_state():
    source = inspect.getsource(OrderManager.gate) + inspect.getsource(Reconciler.gate)
    found = set(re.findall(r'f?"([A-Za-z{][^"]+)"\)', source)) | set(re.findall(r'return "([^"]+)"', source))
    # the maker venue's gates name it (f"{self.name} ..."): one reason per venue
    reasons = {r.replace("{self.name}", name) for r in found for name in ("Hubble", "Hyperliquid", "Binance")}
    assert len(reasons) > 20 and reasons <= set(PAUSE_REASONS), reasons - set(PAUSE_REASONS)
