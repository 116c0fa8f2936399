"""One observed run: simnet in this process, the bot in its own, samples every second, fills read after.

The bot quotes on the maker venue (``RunOptions.maker``: hubble, hyperliquid or binance) and hedges on the
hedge venue; every figure of the run comes from those two venues."""
from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from tools.observer import bot_metrics, liquidations, report, venue_fills
from tools.observer.bot_process import BotProcess, Keys, bot_environment
from tools.observer.options import RunOptions
from tools.observer.records import Collected, Fill, Sample, VenueFunding
from tools.observer.venue_view import Accounts, VenueView
from tools.simnet.core import SimNet
from tools.simnet.markets import MARKETS

CATCH_UP_TIMEOUT = 15.0
During = Callable[[SimNet, Accounts], None]


def observe(options: RunOptions, during: During | None = None) -> dict[str, Any]:
    """Run the bot against a fresh simnet for ``options.seconds`` and return the report (see report.build).

    ``during``, if given, runs in a thread once the bot's first quote rests (tests use it to trade)."""
    net = SimNet(options.sim_config())
    ready = net.start()
    try:
        keys = Keys.fresh()
        accounts = Accounts(keys.hubble_trader, keys.hyperliquid_user, ready["binance_api_key"],
                            ready["binance_api_secret"])
        view = VenueView(net, options.market, options.hedge, accounts, options.maker)
        settings, port = bot_metrics.with_metrics_port(options.bot_settings)
        with tempfile.TemporaryDirectory(prefix="observer-bot-") as workdir:
            bot = BotProcess(options.market, options.hedge, settings,
                             bot_environment(ready, options.market, keys), Path(workdir), options.maker)
            try:
                collected = _collect(options, net, ready, view, accounts, bot, during, port)
            finally:
                _keep(bot.output, options.bot_log)
    finally:
        net.stop()
    return report.build(options, collected)


def _keep(output: Path, destination: Path | None) -> None:
    if destination is not None and output.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(output, destination)


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
    if options.maker == "hubble":
        head, _ = view.chain_heights()
        _wait_for(lambda: view.chain_heights()[1] >= head, CATCH_UP_TIMEOUT)
    samples.append(view.sample())          # after the clean stop: the final positions
    spec = MARKETS[options.market]
    maker, maker_funding, _ = _venue_side(options.maker, net, ready, accounts, spec, started)
    hedge, hedge_funding, taker_rate = _venue_side(options.hedge, net, ready, accounts, spec, started)
    tail = bot.output_tail() if exit_code != 0 else []
    books = sorted([*tick_books, *((s.t, s.book) for s in samples)], key=lambda timed: timed[0])
    liquidated = {venue: liquidations.read(net.control, venue, accounts) for venue in (options.maker, options.hedge)}
    return Collected(samples, maker, hedge, view.placements(), books, VenueFunding(maker_funding, hedge_funding),
                     taker_rate, started, stopped, exit_code, tail, liquidated, scraped, view.hedge_lot())


def _sample_while_running(options: RunOptions, net: SimNet, view: VenueView, accounts: Accounts, bot: BotProcess,
                          started: float, during: During | None, scraper: bot_metrics.Scraper
                          ) -> tuple[list[Sample], BaseException | None]:
    """One sample per ``interval`` at a random moment of it (seeded): simnet's price ticks (and with them its
    takers) come on a fixed period, and samples in step with them would each land at the same phase, e.g.
    always just after a taker and before the bot's answer. Returns at ``seconds`` after ``started``."""
    samples: list[Sample] = []
    helper: _Helper | None = None
    phase = random.Random(options.seed)
    end, slot = started + options.seconds, started
    while bot.running():
        at = slot + phase.random() * options.interval
        time.sleep(max(0.0, min(at, end) - time.time()))
        if at >= end or not bot.running():
            break
        samples.append(view.sample())
        scraper.request()
        if during is not None and helper is None and (samples[-1].bids or samples[-1].asks):
            helper = _Helper(during, net, accounts)
        slot += options.interval
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


def _venue_side(venue: str, net: SimNet, ready: dict, accounts: Accounts, spec, since: float
                ) -> tuple[list[Fill], Decimal, Decimal | None]:
    """The bot's fills at ``venue``, the funding it received there and the account's taker rate (None for
    Hubble, which the bot never takes on), each from the venue's own API."""
    if venue == "hubble":
        rpc = venue_fills.HubbleRpc(ready["hubble_rpc"])
        fills = venue_fills.hubble_fills(rpc, accounts.hubble_trader, spec.hubble_id)
        account = net.control("hubble", "account", trader=accounts.hubble_trader)
        return fills, venue_fills.hubble_funding(rpc, accounts.hubble_trader, spec.hubble_id, account), None
    if venue == "hyperliquid":
        url, user, coin = ready["hyperliquid_url"], accounts.hyperliquid_user, spec.hyperliquid_coin
        return (venue_fills.hyperliquid_fills(url, user, coin, since),
                venue_fills.hyperliquid_funding(url, user, coin, since), venue_fills.hyperliquid_taker_rate(url, user))
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
