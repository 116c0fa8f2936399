"""An optional Prometheus endpoint on 127.0.0.1:<metricsPort>/metrics (prometheus-client), off by default.

prometheus-client serves it from a thread of its own. At each scrape the
collector asks the event loop to copy the engine's figures
(``metrics_reading.read_engine``) and waits for them at most
``READ_TIMEOUT``: the loop only runs one short function, never waits on the
thread, and the thread never reads the engine while the loop changes it. If
the loop does not answer in time, the scrape says so
(``hubble_mm_engine_answered 0``) instead of hanging. How long the loop took
to pick the request up is exported too (``hubble_mm_event_loop_lag_seconds``):
a busy loop delays hedges.

Latency histograms are built from the engine's own latency buffers: each
scrape takes the samples added since the one before and adds them to
cumulative buckets kept here.
"""
from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import logging
import threading
import time
from typing import Any, Iterator

from prometheus_client import start_http_server
from prometheus_client.core import (CollectorRegistry, CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.process_collector import ProcessCollector

from bot.reporting.metrics_reading import PAUSE_STATES, read_engine
from bot.reporting.performance import LATENCY_NAMES

log = logging.getLogger("metrics")
PREFIX = "hubble_mm_"
BIND_ADDRESS = "127.0.0.1"         # never another interface: the figures are the operator's alone
READ_TIMEOUT = 2.0                 # seconds a scrape waits for the event loop
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
HISTOGRAMS = {                      # engine latency name -> (metric name, help)
    "fill_to_hedge_sent": ("fill_to_hedge_sent_seconds", "Hubble fill received to its hedge order written"),
    "fill_to_hedge_confirmed": ("fill_to_hedge_confirmed_seconds", "Hubble fill received to its hedge confirmed"),
    "quote_tick_to_orders_sent": ("quote_tick_seconds", "quote tick to its signed orders written"),
    "hedge_book_age": ("hedge_book_age_seconds", "age of the hedge-venue book a hedge was priced on"),
}


class Histogram:
    """Cumulative buckets and sum of every sample given so far."""

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def add(self, samples: list[float]) -> None:
        for value in samples:
            self.counts[bisect.bisect_left(BUCKETS, value)] += 1
            self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        running, rows = 0, []
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), self.counts):
            running += count
            rows.append((bound, running))
        return rows


class EngineCollector:
    """A prometheus-client collector that copies the engine's figures on its event loop at each scrape."""

    def __init__(self, engine: Any, loop: asyncio.AbstractEventLoop, timeout: float = READ_TIMEOUT):
        self.engine = engine
        self.loop = loop
        self.timeout = timeout
        self.market = engine.s.market
        self._loop_thread = threading.get_ident()          # built on the loop
        self._seen: dict[str, int] = {}                    # latency samples taken (touched on the loop only)
        self._histograms = {name: Histogram() for name in LATENCY_NAMES}
        self._lock = threading.Lock()

    def describe(self) -> list[Metric]:
        return []                                          # registering must not read the engine

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            try:
                lag, figures = self._read()
            except Exception as exc:  # the loop is busy, closed or the engine half built
                log.debug("metrics: engine figures unavailable: %s", type(exc).__name__)
                yield _gauge("engine_answered", "1 if the event loop gave the engine's figures in time", 0,
                             self.market)
                return
            for name, histogram in self._histograms.items():
                histogram.add(figures["latencies"][name])
            yield _gauge("engine_answered", "1 if the event loop gave the engine's figures in time", 1, self.market)
            yield _gauge("event_loop_lag_seconds", "time the event loop took to take up this scrape", lag,
                         self.market)
            yield from families(self.market, figures, self._histograms)

    def _read(self) -> tuple[float, dict[str, Any]]:
        if threading.get_ident() == self._loop_thread:     # called on the loop itself: read directly
            return 0.0, read_engine(self.engine, self._seen)
        future: concurrent.futures.Future = concurrent.futures.Future()
        asked = time.perf_counter()

        def read_on_loop() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result((time.perf_counter() - asked, read_engine(self.engine, self._seen)))
            except Exception as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(read_on_loop)
        try:
            return future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise


# ---- families ---------------------------------------------------------------------------------------
def _gauge(name: str, doc: str, value: float | None, market: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(PREFIX + name, doc, labels=["market"])
    if value is not None:
        family.add_metric([market], value)
    return family


def _labelled(kind: type, name: str, doc: str, labels: list[str], rows: list[tuple[list[str], float | None]]):
    family = kind(PREFIX + name, doc, labels=["market", *labels])
    for values, value in rows:
        if value is not None:
            family.add_metric(values, value)
    return family


def families(market: str, f: dict[str, Any], histograms: dict[str, Histogram]) -> Iterator[Metric]:
    m = market
    yield _gauge("ready", "1 once the ordered start-up is done (fill stream, old quotes, reconciliation)",
                 int(f["ready"]), m)
    yield _gauge("run_seconds", "seconds since the engine started", f["run_seconds"], m)
    yield _gauge("mid_price_usd", "mid price from the price feed", f["mid"], m)
    yield from _position_families(m, f)
    yield _labelled(GaugeMetricFamily, "pnl_usd", "PnL of this run: net = spread - maker fees - taker fees; "
                    "slippage (inside spread) shown on its own", ["component"],
                    [([m, k], v) for k, v in f["pnl"].items()])
    yield from _count_families(m, f["counts"])
    for name, (metric, doc) in HISTOGRAMS.items():
        h = histograms[name]
        family = HistogramMetricFamily(PREFIX + metric, doc, labels=["market"])
        family.add_metric([m], h.buckets(), h.total)
        yield family
    yield from _gate_families(m, f)
    yield _labelled(GaugeMetricFamily, "feed_age_seconds", "seconds since the feed's last update (+Inf: none yet)",
                    ["feed"], [([m, feed], age) for feed, (age, _) in f["feeds"].items()])
    yield _labelled(GaugeMetricFamily, "feed_up", "1 while the feed or stream is up", ["feed"],
                    [([m, feed], int(up)) for feed, (_, up) in f["feeds"].items()])
    yield from _budget_families(m, f["hedge_venue"], f["budget"])
    yield from _risk_families(m, f.get("risk"))
    if f["alerts"] is not None:
        yield _labelled(CounterMetricFamily, "alerts", "alerts sent, failed, collapsed as repeats or dropped by the "
                        "rate limit", ["result"], [([m, k], v) for k, v in f["alerts"].items()])


def _position_families(m: str, f: dict[str, Any]) -> Iterator[Metric]:
    venue = f["hedge_venue"] or "none"
    yield _labelled(GaugeMetricFamily, "position_base", "position as the venue last reported it (base units)",
                    ["venue"], [([m, f.get("maker_venue", "hubble")], f["hubble_position"]), ([m, venue], f["hedge_position"])])
    yield _gauge("net_delta_base", "maker + hedge position as the venues report them", f["net"], m)
    yield _gauge("hedge_work_base", "hedge decided but not on the venue (pending and carried)", f["outstanding"], m)
    yield _gauge("positions_age_seconds", "age of the venues' position figures", f["positions_age"], m)


def _count_families(m: str, c: dict[str, Any]) -> Iterator[Metric]:
    yield _gauge("fills", "Hubble fills booked this run (a reorg that takes one back lowers it)", c["fills"], m)
    yield _gauge("fill_volume_base", "Hubble volume filled this run (base units)", c["fill_volume"], m)
    yield _labelled(CounterMetricFamily, "hedges", "hedge orders that filled, for fills or for reconciliation",
                    ["kind"], [([m, "fill"], c["hedges"]), ([m, "reconciliation"], c["reconciliation_hedges"])])
    yield _labelled(CounterMetricFamily, "quote_orders", "quote orders attempted, placed and failed", ["result"],
                    [([m, k], v) for k, v in c["quote_orders"].items()])


def _gate_families(m: str, f: dict[str, Any]) -> Iterator[Metric]:
    yield _gauge("quoting", "1 while every gate is open and the bot quotes", int(f["quoting"]), m)
    yield _labelled(GaugeMetricFamily, "pause_reason", "1 for why quoting waits now, 0 for every other reason "
                    "(reason quoting: it does not wait)", ["reason"],
                    [([m, state], int(state == f["pause_state"])) for state in PAUSE_STATES])


def _risk_families(m: str, r: dict | None) -> Iterator[Metric]:
    if r is None:
        return
    states = list(r["state_seconds"])
    yield _labelled(GaugeMetricFamily, "risk_state", "1 for the risk engine's trading state now (ACTIVE, "
                    "REDUCING, HALTED)", ["state"], [([m, s], int(s == r["state"])) for s in states])
    yield _labelled(CounterMetricFamily, "risk_state_seconds", "seconds spent in each trading state this run",
                    ["state"], [([m, s], v) for s, v in r["state_seconds"].items()])
    yield _labelled(GaugeMetricFamily, "liquidation_distance_pct", "price move (% of mark) to the venue's "
                    "liquidation of this position (absent: no position or no figure)", ["venue"],
                    [([m, venue], d) for venue, d in r["distances"].items() if d is not None])
    yield _labelled(GaugeMetricFamily, "risk_pnl_usd", "change of both venues' equity since the loss baselines",
                    ["since"], [([m, "utc_day"], r["pnl_day"]), ([m, "baseline"], r["pnl_total"])])
    yield _gauge("risk_refused_quotes", "quotes the pre-trade check refused this run", r["refused"], m)
    yield _labelled(GaugeMetricFamily, "expected_funding_usd_per_hour", "USD the position pays per hour at the "
                    "venue's current funding rate (negative: receives)", ["venue"],
                    [([m, venue], v) for venue, v in r["funding"].items() if v is not None])


def _budget_families(m: str, venue: str | None, budget: dict | None) -> Iterator[Metric]:
    if venue is None or budget is None:
        return
    limits = budget["limits"]
    rows = lambda key: [([m, venue, name, f"{r['per_seconds']:g}"], r[key]) for name, r in limits.items()]  # noqa: E731
    labels = ["venue", "limit", "window_seconds"]
    yield _labelled(GaugeMetricFamily, "request_weight_used", "request weight used in the venue's current window",
                    labels, rows("used_in_window"))
    yield _labelled(GaugeMetricFamily, "request_weight_share", "this process's share of the venue limit "
                    "(the limit / hedgeVenueProcesses)", labels, rows("process_share"))
    yield _labelled(GaugeMetricFamily, "request_weight_limit", "the venue's limit per window", labels,
                    rows("venue_limit"))
    yield _labelled(CounterMetricFamily, "request_weight", "request weight spent this run", labels, rows("total"))


# ---- the server ---------------------------------------------------------------------------------------
class MetricsServer:
    def __init__(self, server: Any, thread: threading.Thread, port: int):
        self._server = server
        self._thread = thread
        self.port = port

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving (blocks up to about half a second: call it from a worker thread)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)


def start_metrics(engine: Any, port: int) -> MetricsServer | None:
    """Serve the engine's metrics on 127.0.0.1:`port` (call on the event loop); None when off or the port is taken."""
    if not port:
        return None
    registry = CollectorRegistry()
    registry.register(EngineCollector(engine, asyncio.get_running_loop()))
    ProcessCollector(registry=registry)
    try:
        server, thread = start_http_server(port, addr=BIND_ADDRESS, registry=registry)
    except OSError as exc:
        log.warning("metrics endpoint not started on %s:%d (%s); trading goes on without it", BIND_ADDRESS, port,
                    exc.strerror or exc)
        return None
    log.info("metrics on http://%s:%d/metrics", BIND_ADDRESS, port)
    return MetricsServer(server, thread, port)


async def stop_metrics(server: MetricsServer | None) -> None:
    if server is not None:
        await asyncio.to_thread(server.stop)

