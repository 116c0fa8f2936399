"""The bot's own risk figures, read from its Prometheus endpoint (``--set metricsPort=<port>``,
bot/reporting/metrics.py) once a sample and at the stop.

These are the only figures of the report the bot states about itself: how
close it thinks each venue is to liquidating it, and how long it spent in each
risk state. Every other figure still comes from the venues. A metric the bot
does not export (yet) is reported as null, never as 0.

The scrape is a plain HTTP GET in a thread of its own, so a slow answer (the
bot's collector waits up to 2 s for its event loop) never delays a sample.
"""
from __future__ import annotations

import math
import socket
import threading
import urllib.request
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

LIQUIDATION_DISTANCE = "hubble_mm_liquidation_distance_pct"     # {market, venue}
RISK_STATE_SECONDS = "hubble_mm_risk_state_seconds_total"       # {market, state}: ACTIVE, REDUCING, HALTED
SCRAPE_TIMEOUT = 3.0
PORT_SETTING = "metricsPort"


@dataclass(frozen=True)
class Reading:
    """One scrape: each venue's liquidation distance (the lowest over the market's series) and the seconds
    spent in each risk state so far; a metric absent from the scrape is an empty dict."""
    liquidation_distance: dict[str, float]
    state_seconds: dict[str, float]


def parse(text: str, market: str | None = None) -> Reading:
    """The two metrics from a scrape in Prometheus' text format (other metrics, NaN and infinite values
    ignored; series of another ``market`` label too, when ``market`` is given)."""
    distance: dict[str, float] = {}
    states: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels, value = s.labels, float(s.value)
            if not math.isfinite(value) or not _same_market(labels, market):
                continue
            if s.name == LIQUIDATION_DISTANCE and "venue" in labels:
                venue = labels["venue"]
                distance[venue] = min(value, distance.get(venue, math.inf))
            elif s.name == RISK_STATE_SECONDS and "state" in labels:
                state = labels["state"].upper()
                states[state] = states.get(state, 0.0) + value
    return Reading(distance, states)


def _same_market(labels: dict[str, str], market: str | None) -> bool:
    return market is None or "market" not in labels or labels["market"].upper() == market.upper()


@dataclass
class Tracker:
    """What the scrapes of a run add up to: the lowest liquidation distance seen per venue, the last
    risk-state seconds, and how many scrapes answered."""
    min_liquidation_distance: dict[str, float] = field(default_factory=dict)
    state_seconds: dict[str, float] | None = None
    scrapes: int = 0
    failed: int = 0

    def add(self, reading: Reading) -> None:
        self.scrapes += 1
        for venue, value in reading.liquidation_distance.items():
            self.min_liquidation_distance[venue] = min(value, self.min_liquidation_distance.get(venue, math.inf))
        if reading.state_seconds:
            self.state_seconds = dict(reading.state_seconds)

    def distances_for(self, venues: list[str]) -> dict[str, float | None]:
        """Each of ``venues`` (null where the bot gave no figure), plus any other venue the bot named."""
        return {**{v: None for v in venues}, **self.min_liquidation_distance}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def with_metrics_port(settings: list[str]) -> tuple[list[str], int]:
    """The bot's settings with a metrics port: the one given (``metricsPort=N``, N > 0) or a free one added."""
    for item in settings:
        key, _, value = item.partition("=")
        if key.strip() == PORT_SETTING and value.strip().isdigit() and int(value) > 0:
            return list(settings), int(value)
    port = free_port()
    return [*(s for s in settings if s.partition("=")[0].strip() != PORT_SETTING), f"{PORT_SETTING}={port}"], port


class Scraper:
    """Scrapes ``http://127.0.0.1:<port>/metrics`` in its own thread each time ``request`` is called (a request
    while a scrape is running is folded into the next one); ``finish`` scrapes once more and stops."""

    def __init__(self, port: int, market: str | None = None, timeout: float = SCRAPE_TIMEOUT):
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.market, self.timeout = market, timeout
        self.tracker = Tracker()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="observer-metrics", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wake.set()

    def finish(self) -> Tracker:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=self.timeout + 1)
        self.scrape()
        return self.tracker

    def scrape(self) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as response:
                reading = parse(response.read().decode("utf-8", "replace"), self.market)
        except (OSError, ValueError):       # not listening yet, gone, or not the text format
            with self._lock:
                self.tracker.failed += 1
            return
        with self._lock:
            self.tracker.add(reading)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            self.scrape()
