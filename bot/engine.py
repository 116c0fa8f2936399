"""The engine: wires feeds, hedge client and OrderManager on one event loop, runs, stops within budget.

Start order: mid-price feed, hedge client (rules, account, book), Hubble
(trader account checked), Hubble book feed, then OrderManager's ordered
start-up (fill stream confirmed, earlier quotes cleared, positions
reconciled) and only then the quote loop. Any component that gives up calls
``fatal``: the engine runs the same clean shutdown as for Ctrl-C and returns
1 (pm2 restarts), or 78 when the problem is the operator's to fix (a venue
refused the account or its setup: pm2 does not restart into the same wall).
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot import supervision
from bot.credentials import Credentials
from bot.errors import ConfigurationProblem
from bot.reporting.alerts import Alerts
from bot.reporting.daily_pnl import DailyPnl, until_midnight
from bot.reporting.metrics import start_metrics, stop_metrics
from bot.reporting.performance import Performance, write_summary
from bot.reporting.status import status_line, status_record
from bot.settings import MarketSettings
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderTracker
from bot.venues.maker_venue import display_name

log = logging.getLogger("engine")
STATUS_PERIOD = 5.0
START_TIMEOUT = 90.0
STOP_BUDGET = 25.0          # seconds for a clean stop: inside pm2's kill_timeout of 30 s (ecosystem.config.js)
ALERT_FLUSH = 2.0           # at most this long for queued alerts at exit (after the stop budget: still inside 30 s)
TEARDOWN_RESERVE = 8.0      # seconds of the stop budget kept for what follows the orders' shutdown
SUMMARY_TIMEOUT = 5.0       # seconds for the venues' final positions
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 78


@dataclass
class RunOptions:
    settings: MarketSettings
    credentials: Credentials
    endpoints: dict[str, str]
    duration: float | None
    summary_json: Path | None
    sim: bool = False


def hubble_maker_fee_pct() -> Decimal:
    """Hubble's maker fee in percent, for PnL accounting only (the fill stream does not carry fees).

    Set HUBBLE_MAKER_FEE_PCT to your tier (negative for a rebate); 0 when unset.
    """
    return Decimal(os.environ.get("HUBBLE_MAKER_FEE_PCT", "0"))


class Engine:
    def __init__(self, opts: RunOptions, stop: asyncio.Event):
        self.opts = opts
        self.s = opts.settings
        self.stop = stop
        self.failures: list[str] = []
        self.exit_status = EXIT_OK
        self.ledger = FillLedger(self.s.spec.hubble_id if self.s.maker == "hubble" else 0, hubble_maker_fee_pct())
        self.tracker = OrderTracker(self.s.market, self.s.order_expiry)
        self.perf = Performance(self.s.market, self.ledger, self.tracker, rotation=self.s.log_rotation,
                                backups=self.s.log_backups)
        self.started = time.monotonic()
        self.alerts = Alerts.from_credentials(self.s.market, opts.credentials, pause_after=self.s.alert_pause_after,
                                              sim=opts.sim, maker=display_name(self.s.maker))
        self.metrics = None
        self._tasks: list[asyncio.Task] = []
        self.hubble = self.maker = self.hedge = self.mid_feed = self.book_feed = self.orders = None

    def fatal(self, message: str, status: int = EXIT_FAILURE) -> None:
        if not self.failures:
            log.error("FATAL: %s", message)
            self.alerts.fatal(message, status)
        self.failures.append(message)
        self.exit_status = max(self.exit_status, status)
        self.stop.set()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.append(task)
        return task

    async def start(self) -> None:
        from bot.trading.order_manager import OrderManager
        from bot.venues import hedge_venues, maker_venues
        from bot.venues.binance.mid_price_feed import MidPriceFeed

        opts, s = self.opts, self.s
        self.mid_feed = MidPriceFeed(s, opts.endpoints, self.fatal)
        self._spawn(self.mid_feed.run())
        if s.hedge_mode:
            self.hedge = hedge_venues.create(s, opts.credentials, opts.endpoints, self.fatal)
            self.hedge.order_listener = self.tracker
            await self.hedge.start()
        self.hubble = self.maker = await maker_venues.connect(s, opts.credentials, opts.endpoints, self.fatal)
        await self.maker.start()
        log.info("%s trader %s, market %s (%s), hedging on %s", s.maker, self.maker.trader, s.market, s.name,
                 s.hedge if s.hedge_mode else "nothing (hedgeMode off)")
        self.book_feed = self.maker.book_feed()
        self._spawn(self.book_feed.run())
        self.orders = OrderManager(s, self.hubble, self.hedge, self.mid_feed, self.book_feed, self.ledger,
                                   self.tracker, self.perf, self.fatal, self.alerts)
        await self.orders.start()
        self._spawn(self.orders.run_quoting())
        self._spawn(supervision.keep_running("status line", self._status_line, self.fatal))
        if self.alerts.enabled:
            self._spawn(supervision.keep_running("daily PnL alert", self._daily_pnl, self.fatal))

    async def run(self) -> int:
        self.perf.journal.write("start", market=self.s.market, hedge=self.s.hedge if self.s.hedge_mode else None,
                                sim=self.opts.sim)
        self.alerts.start()
        self.metrics = start_metrics(self, self.s.metrics_port)
        try:
            await asyncio.wait_for(self._start_or_stop(), START_TIMEOUT)
        except asyncio.TimeoutError:
            self.fatal(f"start-up took longer than {START_TIMEOUT:.0f}s (venues unreachable?)")
        except ConfigurationProblem as exc:
            self.fatal(f"{exc}", EXIT_CONFIG)
        except Exception as exc:
            self.fatal(f"start-up failed: {type(exc).__name__}: {exc}")
        if not self.stop.is_set():
            self.alerts.started(self.s.hedge if self.s.hedge_mode else None)
            try:
                await asyncio.wait_for(self.stop.wait(), self.opts.duration)
            except asyncio.TimeoutError:
                log.info("--duration %.0fs reached: stopping", self.opts.duration)
                self.stop.set()
        await self.shutdown()
        return self.exit_status

    async def _start_or_stop(self) -> None:
        """The start-up, unless a stop comes first. Whatever ends this (a stop, the START_TIMEOUT of the
        caller's wait_for cancelling it), the start-up task ends with it: none runs on into the stop."""
        start = asyncio.create_task(self.start(), name="engine start-up")
        stopped = asyncio.create_task(self.stop.wait())
        try:
            done, _ = await asyncio.wait({start, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if start in done:
                start.result()
        finally:
            stopped.cancel()
            if not start.done():
                await supervision.cancel_and_wait([start], timeout=3.0)

    async def shutdown(self, budget: float = STOP_BUDGET) -> None:
        """Everything inside `budget` seconds (then at most ALERT_FLUSH for queued alerts): quotes cancelled and
        confirmed, hedges finished, the venues' final positions read, CSV row and summary written. Every
        step takes its time from one deadline, so no step can push the stop past pm2's kill timeout."""
        deadline = time.monotonic() + budget

        def left(reserve: float = 0.0) -> float:
            return max(0.1, deadline - time.monotonic() - reserve)

        if self.hedge is not None:
            self.hedge.budget.mark_end()
        log.info("stopping: no new quotes; cancelling resting quotes; finishing hedges (within %.0fs)", budget)
        if self.orders is not None:
            try:
                await supervision.bounded(self.orders.shutdown(left(TEARDOWN_RESERVE)), left(TEARDOWN_RESERVE - 1),
                                          "the orders' shutdown")
            except Exception as exc:  # noqa: BLE001 - a stop goes on whatever one step did
                log.error("clean stop incomplete: %s: %s", type(exc).__name__, exc)
        summary = await self._summary(min(SUMMARY_TIMEOUT, left(4.0)))
        await supervision.cancel_and_wait(self._tasks, timeout=min(2.0, left(3.0)))
        if self.orders is not None:
            await self.orders.stop_tasks(timeout=min(2.0, left(1.5)))
        for closer in (self.hedge and self.hedge.stop, self.hubble and self.hubble.close):
            if closer:
                try:
                    await supervision.bounded(closer(), min(1.0, left(0.5)), "closing a client")
                except Exception as exc:  # noqa: BLE001 - closing is best effort at this point
                    log.warning("closing a client: %s: %s", type(exc).__name__, exc)
        if self.opts.summary_json:
            write_summary(self.opts.summary_json, summary)
            log.info("summary written to %s", self.opts.summary_json)
        self.perf.journal.write("stop", exit_status=self.exit_status, failures=self.failures,
                                hubble_position=summary["final_net_delta"]["hubble_position"],
                                hedge_position=summary["final_net_delta"]["hedge_position"])
        await self._flush_journal()
        self._log_summary(summary)
        final = summary["final_net_delta"]
        self.alerts.stopped(self.exit_status, final["hubble_position"], final["hedge_position"], summary["net_pnl_usd"],
                            summary["fills"]["count"])
        await self.alerts.close(max(0.5, min(ALERT_FLUSH, left() + ALERT_FLUSH)))
        await stop_metrics(self.metrics)

    async def _final_positions(self) -> tuple[Decimal | None, Decimal | None]:
        """The venues' own answers (never the bot's books)."""
        hubble = self.orders.settled_hubble_position() if self.orders else (
            self.maker.position(self.maker.market) if self.maker else _none())
        reads = [hubble, self.hedge.fetch_position() if self.hedge else _none()]
        results = await asyncio.gather(*reads, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.warning("final position unavailable: %s: %s", type(result).__name__, result)
        return tuple(None if isinstance(r, Exception) else r for r in results)  # type: ignore[return-value]

    async def _summary(self, timeout: float) -> dict:
        try:
            hubble_position, hedge_position = await supervision.bounded(self._final_positions(), timeout,
                                                                         "reading the final positions")
        except (asyncio.TimeoutError, TimeoutError):
            log.warning("final positions unavailable: the venues did not answer in %.0fs", timeout)
            hubble_position = hedge_position = None
        mid = self.mid_feed.mid if self.mid_feed else None
        reconciler = self.orders.reconciler if self.orders else None
        extra = {"sim": self.opts.sim, "startup": self._startup_figures(),
                 "feed_updates": {"mid": self.mid_feed.updates if self.mid_feed else 0,
                                  "hubble_book": self.book_feed.updates if self.book_feed else 0},
                 "exit_status": self.exit_status, "failures": self.failures,
                 "run_seconds": round(time.monotonic() - self.started, 3),
                 "carried_hedge_residual": float(self.hedge.carried) if self.hedge else None,
                 "reconciler_hedged": float(reconciler.hedged_total) if reconciler else None,
                 "hedge_venue": self._hedge_venue_figures()}
        return self.perf.summary(mid, hubble_position, hedge_position, extra)

    def _hedge_venue_figures(self) -> dict | None:
        """Request budget use and where the hedge book came from (for the benchmark and the operator)."""
        if self.hedge is None:
            return None
        return {"request_budget": self.hedge.budget.report(), "book_source": self.hedge.book_source,
                "venue_reported_weight_1m": getattr(self.hedge, "venue_used_weight", None)}

    @property
    def first_quote_at(self) -> float | None:
        return self.orders.quoter.first_quote_at if self.orders is not None else None

    def _startup_figures(self) -> dict:
        """Seconds to the first quotes, from process start (incl. imports, --sim's simulator) and from engine start."""
        first = self.first_quote_at
        if first is None:
            return {"process_to_first_quote_s": None, "engine_to_first_quote_s": None}
        age_now = process_age()
        since = time.monotonic() - first
        return {"process_to_first_quote_s": round(age_now - since, 3) if age_now is not None else None,
                "engine_to_first_quote_s": round(first - self.started, 3)}

    def _log_summary(self, summary: dict) -> None:
        log.info("run summary: %d fills (%.6g base), %d hedges, coverage %s, net delta %s, net PnL %.4f USD",
                 summary["fills"]["count"], summary["fills"]["base_volume"], summary["hedges"]["count"],
                 summary["hedge_coverage"], summary["final_net_delta"]["base"], summary["net_pnl_usd"])

    async def _status_line(self) -> None:
        while True:
            await asyncio.sleep(STATUS_PERIOD)
            log.info(self.status())
            self.perf.journal.write("status", **status_record(self))
            await self._flush_journal()

    async def _daily_pnl(self) -> None:
        """At each UTC midnight: the day's PnL parts, fills and volume, and the venues' net delta."""
        daily = DailyPnl()
        while True:
            day = await until_midnight()
            snap = self.ledger.snapshot()
            change = daily.cut(self.perf.pnl_parts(self.mid_feed.mid), snap.hubble.count, snap.hubble.volume)
            net = status_record(self)["net"]
            self.alerts.daily_pnl(day, net=change["net"], spread=change["spread"], maker_fees=change["maker_fees"],
                                  taker_fees=change["taker_fees"], slippage=change["slippage"],
                                  fills=change["fills"], volume=change["volume"], net_delta=net)

    async def _flush_journal(self) -> None:
        journal = self.perf.journal
        await asyncio.to_thread(journal.append, journal.take())

    def status(self) -> str:
        return status_line(self)


async def _none() -> None:
    return None


def process_age() -> float | None:
    """Seconds since this process started (Linux /proc; 10 ms resolution), None elsewhere."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])            # field 22 of stat: starttime, in clock ticks since boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def run(opts: RunOptions, stop: asyncio.Event) -> int:
    return await Engine(opts, stop).run()
