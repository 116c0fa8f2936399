"""One observed run: simnet in this process, the bot in its own, samples every second, fills read after."""
from __future__ import annotations

import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from tools.observer import bot_metrics, liquidations, report, venue_fills
from tools.observer.bot_process import BotProcess, Keys, bot_environment
from tools.observer.records import Fill, HedgeBook, Sample, VenueFunding
from tools.observer.venue_view import Accounts, VenueView
from tools.simnet.core import SimConfig, SimNet
from tools.simnet.markets import MARKETS

CATCH_UP_TIMEOUT = 15.0
During = Callable[[SimNet, Accounts], None]


@dataclass
class RunOptions:
    scenario: str = "default"
    seed: int = 1
    seconds: float = 300.0
    hedge: str = "hyperliquid"
    market: str = "AVAX"
    bot_settings: list[str] = field(default_factory=list)     # main.py --set KEY=VALUE
    sim_settings: list[str] = field(default_factory=list)     # simnet VENUE.KEY=VALUE
    interval: float = 1.0

    def sim_config(self) -> SimConfig:
        options: dict[str, dict[str, Any]] = {}
        for item in self.sim_settings:
            key, _, value = item.partition("=")
            venue, _, knob = key.partition(".")
            if not value or not knob:
                raise ValueError(f"simnet setting {item!r}: expected VENUE.KEY=VALUE")
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = value
            options.setdefault(venue, {})[knob] = parsed
        return SimConfig(seed=self.seed, scenario=self.scenario, venue_options=options)


@dataclass
class Collected:
    """What a run gathered from the venues."""
    samples: list[Sample]
    hubble_fills: list[Fill]
    hedge_fills: list[Fill]
    placements: dict[str, float]
    books: list[tuple[float, HedgeBook]]    # the hedge venue's book at every change, with the samples' books
    funding: VenueFunding
    taker_rate: Decimal
    started: float
    stopped: float
    exit_code: int | None
    bot_tail: list[str]
    liquidated: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)   # venue -> None: no action
    scraped: bot_metrics.Tracker = field(default_factory=bot_metrics.Tracker)          # the bot's own metrics


def observe(options: RunOptions, during: During | None = None) -> dict[str, Any]:
    """Run the bot against a fresh simnet for ``options.seconds`` and return the report (see report.build).

    ``during``, if given, runs in a thread once the bot's first quote rests (tests use it to trade)."""
    net = SimNet(options.sim_config())
    ready = net.start()
    try:
        keys = Keys.fresh()
        accounts = Accounts(keys.hubble_trader, keys.hyperliquid_user, ready["binance_api_key"],
                            ready["binance_api_secret"])
        view = VenueView(net, options.market, options.hedge, accounts)
        settings, port = bot_metrics.with_metrics_port(options.bot_settings)
        with tempfile.TemporaryDirectory(prefix="observer-bot-") as workdir:
            bot = BotProcess(options.market, options.hedge, settings,
                             bot_environment(ready, options.market, keys), Path(workdir))
            collected = _collect(options, net, ready, view, accounts, bot, during, port)
    finally:
        net.stop()
    return report.build(options, collected)


def _collect(options: RunOptions, net: SimNet, ready: dict, view: VenueView, accounts: Accounts,
             bot: BotProcess, during: During | None, metrics_port: int) -> Collected:
    tick_books = view.log_hedge_books()
    scraper = bot_metrics.Scraper(metrics_port, options.market)
    started = time.time()
    bot.start()
    try:
        samples, failure = _sample_while_running(options, net, view, accounts, bot, started, during, scraper)
    finally:
        scraped = scraper.finish()           # the last scrape: the risk-state seconds up to the stop
        stopped = time.time()
        exit_code = bot.stop()
    if failure is not None:
        raise failure
    head, _ = view.chain_heights()
    _wait_for(lambda: view.chain_heights()[1] >= head, CATCH_UP_TIMEOUT)
    samples.append(view.sample())          # after the clean stop: the final positions
    spec = MARKETS[options.market]
    rpc = venue_fills.HubbleRpc(ready["hubble_rpc"])
    hubble = venue_fills.hubble_fills(rpc, accounts.hubble_trader, spec.hubble_id)
    account = net.control("hubble", "account", trader=accounts.hubble_trader)
    hubble_funding = venue_fills.hubble_funding(rpc, accounts.hubble_trader, spec.hubble_id, account)
    hedge, hedge_funding, taker_rate = _hedge_side(options.hedge, ready, accounts, spec, started)
    tail = bot.output_tail() if exit_code != 0 else []
    books = sorted([*tick_books, *((s.t, s.book) for s in samples)], key=lambda timed: timed[0])
    liquidated = {venue: liquidations.read(net.control, venue, accounts) for venue in ("hubble", options.hedge)}
    return Collected(samples, hubble, hedge, view.placements(), books, VenueFunding(hubble_funding, hedge_funding),
                     taker_rate, started, stopped, exit_code, tail, liquidated, scraped)


def _sample_while_running(options: RunOptions, net: SimNet, view: VenueView, accounts: Accounts, bot: BotProcess,
                          started: float, during: During | None, scraper: bot_metrics.Scraper
                          ) -> tuple[list[Sample], BaseException | None]:
    samples: list[Sample] = []
    helper: _Helper | None = None
    next_at = started
    while time.time() - started < options.seconds and bot.running():
        samples.append(view.sample())
        scraper.request()
        if during is not None and helper is None and (samples[-1].bids or samples[-1].asks):
            helper = _Helper(during, net, accounts)
        next_at += options.interval
        time.sleep(max(0.0, next_at - time.time()))
    return samples, helper.finish() if helper else None


class _Helper:
    """``during`` in a thread; its exception is handed back to the run."""

    def __init__(self, during: During, net: SimNet, accounts: Accounts):
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(during, net, accounts), daemon=True)
        self.thread.start()

    def _run(self, during: During, net: SimNet, accounts: Accounts) -> None:
        try:
            during(net, accounts)
        except BaseException as exc:   # noqa: BLE001 - handed back to the caller
            self.error = exc

    def finish(self) -> BaseException | None:
        self.thread.join(timeout=30)
        return self.error


def _hedge_side(hedge: str, ready: dict, accounts: Accounts, spec, since: float
                ) -> tuple[list[Fill], Decimal, Decimal]:
    if hedge == "hyperliquid":
        url, user, coin = ready["hyperliquid_url"], accounts.hyperliquid_user, spec.hyperliquid_coin
        return (venue_fills.hyperliquid_fills(url, user, coin), venue_fills.hyperliquid_funding(url, user, coin, since),
                venue_fills.hyperliquid_taker_rate(url, user))
    rest = venue_fills.BinanceRest(ready["binance_futures_rest"], accounts.binance_api_key,
                                   accounts.binance_api_secret)
    symbol = spec.binance_symbol
    return (venue_fills.binance_fills(rest, symbol, since), venue_fills.binance_funding(rest, symbol, since),
            venue_fills.binance_taker_rate(rest, symbol))


def _wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("Hubble blocks not accepted in time")
        time.sleep(0.1)
