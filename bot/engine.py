"""The engine: wires feeds, hedge client and OrderManager on one event loop, runs, stops cleanly.

Start order follows the seed: mid-price feed, hedge client, Hubble book feed,
OrderManager (fill stream, positions poller), start-up reconciliation, then
the quote loop. Any component that gives up calls ``fatal``: the engine then
runs the same clean shutdown as for Ctrl-C and returns exit status 1, so pm2
restarts the process.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bot.credentials import Credentials
from bot.reporting.performance import Performance, write_summary
from bot.settings import MarketSettings

log = logging.getLogger("engine")
STATUS_PERIOD = 5.0
START_TIMEOUT = 60.0


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
        self.perf = Performance(self.s.market, hubble_maker_fee_pct())
        self.started = time.monotonic()
        self.first_quote_at: float | None = None
        self._tasks: list[asyncio.Task] = []
        self.hubble = self.hedge = self.mid_feed = self.book_feed = self.orders = None

    def fatal(self, message: str) -> None:
        if not self.failures:
            log.error("FATAL: %s", message)
        self.failures.append(message)
        self.stop.set()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.append(task)
        return task

    async def start(self) -> None:
        from bot.venues import hedge_venues
        from bot.venues.hubble.gateway import HubbleGateway
        from bot.trading.order_manager import OrderManager
        from bot.venues.binance.mid_price_feed import MidPriceFeed
        from bot.venues.hubble.book_feed import HubbleBookFeed

        opts, s = self.opts, self.s
        self.mid_feed = MidPriceFeed(s, opts.endpoints, self.fatal)
        self._spawn(self.mid_feed.run())
        if s.hedge_mode:
            self.hedge = hedge_venues.create(s, opts.credentials, opts.endpoints, self.fatal)
            await self.hedge.start()
        self.hubble = await HubbleGateway.connect(opts.credentials.hubble_private_key, opts.endpoints)
        log.info("Hubble trader %s, market %s (%s), hedging on %s", self.hubble.trader, s.spec.hubble_id, s.name,
                 s.hedge if s.hedge_mode else "nothing (hedgeMode off)")
        self.book_feed = HubbleBookFeed(s, self.hubble.client, self.fatal)
        self._spawn(self.book_feed.run())
        self.orders = OrderManager(s, self.hubble, self.hedge, self.mid_feed, self.book_feed, self.perf, self.fatal)
        self.orders.start()
        await self.orders.reconcile()
        self._spawn(self._quote_loop())
        self._spawn(self._status_line())

    async def _quote_loop(self) -> None:
        await self.orders.quote_loop()

    async def run(self) -> int:
        try:
            await asyncio.wait_for(self._start_or_stop(), START_TIMEOUT)
        except asyncio.TimeoutError:
            self.fatal(f"start-up took longer than {START_TIMEOUT:.0f}s (venues unreachable?)")
        except Exception as exc:
            self.fatal(f"start-up failed: {type(exc).__name__}: {exc}")
        if not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), self.opts.duration)
            except asyncio.TimeoutError:
                log.info("--duration %.0fs reached: stopping", self.opts.duration)
        await self.shutdown()
        return 1 if self.failures else 0

    async def _start_or_stop(self) -> None:
        start = asyncio.create_task(self.start())
        stopped = asyncio.create_task(self.stop.wait())
        done, _ = await asyncio.wait({start, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if start not in done:
            start.cancel()
            await asyncio.gather(start, return_exceptions=True)
        else:
            stopped.cancel()
            start.result()

    async def shutdown(self) -> None:
        log.info("stopping: no new quotes; finishing hedges; cancelling resting quotes")
        if self.orders is not None:
            try:
                await self.orders.shutdown()
            except Exception as exc:
                log.error("clean stop incomplete: %s: %s", type(exc).__name__, exc)
        summary = await self._summary()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.orders is not None:
            await self.orders.stop_tasks()
        for closer in (self.hedge and self.hedge.stop, self.hubble and self.hubble.close):
            if closer:
                try:
                    await closer()
                except Exception as exc:
                    log.warning("closing a client: %s", exc)
        if self.opts.summary_json:
            write_summary(self.opts.summary_json, summary)
            log.info("summary written to %s", self.opts.summary_json)
        self._log_summary(summary)

    async def _summary(self) -> dict:
        hubble_position = hedge_position = None
        try:
            if self.hubble is not None:
                hubble_position = await asyncio.wait_for(self.hubble.position(self.s.spec.hubble_id), 10)
            if self.hedge is not None:
                hedge_position = await asyncio.wait_for(self.hedge.fetch_position(), 10)
        except Exception as exc:
            log.warning("final positions unavailable: %s: %s", type(exc).__name__, exc)
        mid = self.mid_feed.mid if self.mid_feed else None
        self.first_quote_at = self.orders.first_quote_at if self.orders is not None else None
        extra = {"sim": self.opts.sim, "startup": self._startup_figures(),
                 "feed_updates": {"mid": self.mid_feed.updates if self.mid_feed else 0,
                                  "hubble_book": self.book_feed.updates if self.book_feed else 0}, "exit_status": 1 if self.failures else 0, "failures": self.failures,
                 "run_seconds": round(time.monotonic() - self.started, 3),
                 "carried_hedge_residual": float(self.hedge.carried) if self.hedge else None}
        return self.perf.summary(mid, hubble_position, hedge_position, extra)

    def _startup_figures(self) -> dict:
        """Seconds to the first quotes, from process start (incl. imports, --sim's simulator) and from engine start."""
        if self.first_quote_at is None:
            return {"process_to_first_quote_s": None, "engine_to_first_quote_s": None}
        age_now = process_age()
        since = time.monotonic() - self.first_quote_at
        return {"process_to_first_quote_s": round(age_now - since, 3) if age_now is not None else None,
                "engine_to_first_quote_s": round(self.first_quote_at - self.started, 3)}

    def _log_summary(self, summary: dict) -> None:
        log.info("run summary: %d fills (%.6g base), %d hedges, coverage %s, net delta %s, net PnL %.4f USD",
                 summary["fills"]["count"], summary["fills"]["base_volume"], summary["hedges"]["count"],
                 summary["hedge_coverage"], summary["final_net_delta"]["base"], summary["net_pnl_usd"])

    async def _status_line(self) -> None:
        while True:
            await asyncio.sleep(STATUS_PERIOD)
            log.info(self.status())

    def status(self) -> str:
        o, mid = self.orders, self.mid_feed.mid
        bids = [q.price for q in o.last_quotes if q.side == 1]
        asks = [q.price for q in o.last_quotes if q.side == -1]
        hubble_pos, hedge_pos = o.positions_now()
        net = (hubble_pos or 0) + (hedge_pos or 0)
        health = " ".join(f"{name}:{'up' if ev.is_set() else 'DOWN'}" for name, ev in (
            ("mid", self.mid_feed.event), ("book", self.book_feed.event), ("fills", o.fill_feed_event),
            ("positions", o.positions_event)) + ((("hedge", self.hedge.uptime),) if self.hedge else ()))
        return (f"mid {mid} | hubble {self.book_feed.best_bid}/{self.book_feed.best_ask} | "
                f"quotes {max(bids) if bids else '-'}/{min(asks) if asks else '-'} | "
                f"pos hubble {hubble_pos} {self.s.hedge} {hedge_pos} net {net} | "
                f"pnl {self.perf.spread_pnl(mid) - self.perf.maker_fees - self.perf.taker_fees:.4f} | "
                f"{health} | {'quoting' if o.pause_reason is None else 'paused: ' + o.pause_reason}")


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
