"""Alerts to a chat (Telegram, Slack, Discord or any JSON webhook), off unless ALERT_WEBHOOK_URL is set.

Every event method is synchronous, cheap and never raises: it builds one line
of text from plain figures, masks any known secret in it, applies the limits
and puts it on a bounded queue. A background task posts the queue, one
request at a time with a short timeout. So trading never waits on a chat
service, and a slow, failing or hanging webhook costs nothing but the alert:
its first failure is logged once (with the reason, never the URL), later ones
are only counted until it works again.

Limits: a token bucket (``BURST`` at once, then ``PER_MINUTE``) and identical
alerts within ``REPEAT_WINDOW`` seconds collapsed into one (the next one that
goes out says how many were held back). Start, stop and fatal alerts skip the
bucket (never the repeat filter). An alert dropped by the bucket or a full
queue is counted and mentioned by the next one sent.

Events (the caller passes plain figures; Decimals are fine):

- ``started(hedge)``: the bot quotes (after its ordered start-up)
- ``stopped(exit_status, hubble_position, hedge_position, net_pnl, fills)``: at the end of every stop
- ``fatal(reason, exit_status)``: the first fatal error (sent at once, before the stop's cleanup)
- ``hedge_failed(size, venue, error)``: a hedge that failed for good
- ``drift(hubble, hedge, outstanding, difference, venue)``: the reconciler found exposure the bot did not see
- ``gate(reason)``: call at every quote tick with why quoting waits (None: quoting); after
  ``alertPauseAfter`` seconds paused one alert goes out, and another when quoting resumes
- ``daily_pnl(day, ...)``: a PnL summary from the figures given (the caller schedules it)

``start()`` (on the event loop) starts the sender; ``close(timeout)`` flushes
what is queued until the deadline, then stops it.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from decimal import Decimal
from typing import Any

import aiohttp

from bot import logs
from bot.credentials import Credentials, webhook_secret_parts
from bot.reporting import webhook_formats
from bot.reporting.alert_limits import Clock, RepeatFilter, TokenBucket

log = logging.getLogger("alerts")
BURST = 5                    # alerts at once
PER_MINUTE = 6               # then this many a minute
REPEAT_WINDOW = 600.0        # seconds in which an identical alert is sent once
QUEUE_SIZE = 64
SEND_TIMEOUT = 5.0           # seconds for one request, connection included
URGENT = frozenset({"started", "stopped", "fatal"})     # not held back by the token bucket
MAX_ERROR_CHARS = 300


class Alerts:
    def __init__(self, market: str, url: str | None = None, *, style: str | None = None,
                 chat_id: str | None = None, pause_after: float = 0.0, sim: bool = False,
                 burst: int = BURST, per_minute: float = PER_MINUTE, repeat_window: float = REPEAT_WINDOW,
                 queue_size: int = QUEUE_SIZE, timeout: float = SEND_TIMEOUT, clock: Clock = time.monotonic,
                 maker: str = "Hubble"):
        self.market = market
        self.maker = maker                  # the maker venue's name, as the messages show it
        self.enabled = bool(url)
        self.style = style or (webhook_formats.detect_style(url) if url else "json")
        self._url = webhook_formats.request_url(self.style, url) if url else ""
        self._chat_id = chat_id
        self._secrets = _pattern(webhook_secret_parts(url)) if url else None
        self.pause_after = pause_after
        self.prefix = f"[{market}{' sim' if sim else ''}]"
        self.timeout = timeout
        self.clock = clock
        self._bucket = TokenBucket(burst, per_minute, clock)
        self._repeats = RepeatFilter(repeat_window, clock)
        self._queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self._worker: asyncio.Task | None = None
        self._paused_since: float | None = None
        self._pause_alerted = False
        self.sent = self.failed = self.collapsed = self.dropped = 0
        self._dropped_unreported = 0
        self._failing = False

    @classmethod
    def from_credentials(cls, market: str, credentials: Credentials | None, **options: Any) -> "Alerts":
        """Alerts to the webhook in `credentials`, or disabled ones when there is none."""
        url = credentials.alert_webhook_url if credentials is not None else None
        if url is None:
            return cls(market, None, **options)
        return cls(market, url.reveal(), style=credentials.alert_webhook_format,
                   chat_id=credentials.alert_telegram_chat_id, **options)

    # ---- events ---------------------------------------------------------------------------------
    def started(self, hedge: str | None) -> None:
        self._emit("started", "info", f"started: quoting {self.market} on {self.maker}, "
                   + (f"hedging on {hedge}" if hedge else "NOT hedging (hedgeMode off)"), {"hedge": hedge})

    def stopped(self, exit_status: int, hubble_position: Any = None, hedge_position: Any = None,
                net_pnl: Any = None, fills: int | None = None) -> None:
        how = "stopped cleanly" if exit_status == 0 else f"stopped with exit status {exit_status}"
        net = _sum(hubble_position, hedge_position)
        self._emit("stopped", "info" if exit_status == 0 else "error",
                   f"{how}: final positions {self.maker} {_n(hubble_position)}, hedge {_n(hedge_position)}, "
                   f"net {_n(net)}; net PnL {_usd(net_pnl)}, {_n(fills)} fills",
                   {"exit_status": exit_status, "hubble_position": hubble_position, "hedge_position": hedge_position,
                    "net": net, "net_pnl_usd": net_pnl, "fills": fills})

    def fatal(self, reason: str, exit_status: int) -> None:
        restart = "pm2 does not restart it: fix this first" if exit_status == 78 else "pm2 restarts it"
        self._emit("fatal", "critical", f"FATAL (exit {exit_status}): {_clip(reason)}; stopping ({restart})",
                   {"exit_status": exit_status, "reason": _clip(reason)})

    def hedge_failed(self, size: Any, venue: str, error: str) -> None:
        self._emit("hedge_failed", "critical", f"HEDGE FAILED: {_n(size)} on {venue}: {_clip(error)}",
                   {"size": size, "venue": venue, "error": _clip(error)})

    def drift(self, hubble: Any, hedge: Any, outstanding: Any, difference: Any, venue: str) -> None:
        self._emit("drift", "warning",
                   f"POSITION DRIFT: the venues hold {self.maker} {_n(hubble)} and {venue} {_n(hedge)} "
                   f"(hedge work in hand {_n(outstanding)}): {_n(difference)} the bot did not see; hedging it",
                   {"hubble": hubble, "hedge": hedge, "outstanding": outstanding, "difference": difference,
                    "venue": venue})

    def risk_state(self, state: str, before: str, reason: str) -> None:
        severity = {"ACTIVE": "info", "REDUCING": "warning", "HALTED": "critical"}.get(state, "warning")
        self._emit("risk_state", severity, f"RISK {before} -> {state}: {_clip(reason)}",
                   {"state": state, "before": before, "reason": _clip(reason)})

    def liquidation_near(self, venue: str, distance_pct: Any, liquidation_price: Any, mark: Any) -> None:
        self._emit("liquidation_near", "warning",
                   f"LIQUIDATION NEAR on {venue}: {_n(distance_pct)} % away (liquidation {_n(liquidation_price)}, "
                   f"mark {_n(mark)})",
                   {"venue": venue, "distance_pct": distance_pct, "liquidation_price": liquidation_price,
                    "mark": mark})

    def gate(self, reason: str | None) -> None:
        """Why quoting waits now (None: quoting). Alerts once a pause outlasts ``pause_after``."""
        if not self.enabled or self.pause_after <= 0:
            return
        now = self.clock()
        if reason is None:
            if self._pause_alerted:
                paused = now - (self._paused_since or now)
                self._emit("resumed", "info", f"quoting resumed after {_duration(paused)} paused",
                           {"paused_s": round(paused, 1)})
            self._paused_since, self._pause_alerted = None, False
            return
        if self._paused_since is None:
            self._paused_since = now
        paused = now - self._paused_since
        if not self._pause_alerted and paused >= self.pause_after:
            self._pause_alerted = True
            self._emit("paused", "warning", f"quoting paused for {_duration(paused)}: {_clip(reason)}",
                       {"paused_s": round(paused, 1), "reason": _clip(reason)})

    def daily_pnl(self, day: str, *, net: Any, spread: Any, maker_fees: Any, taker_fees: Any,
                  slippage: Any = None, fills: int | None = None, volume: Any = None,
                  net_delta: Any = None) -> None:
        self._emit("daily_pnl", "info",
                   f"PnL {day}: net {_usd(net)} (spread {_usd(spread)}, maker fees {_usd(maker_fees)}, "
                   f"taker fees {_usd(taker_fees)}, slippage {_usd(slippage)}); {_n(fills)} fills, "
                   f"volume {_n(volume)} {self.market}, net delta {_n(net_delta)}",
                   {"day": day, "net": net, "spread": spread, "maker_fees": maker_fees, "taker_fees": taker_fees,
                    "slippage": slippage, "fills": fills, "volume": volume, "net_delta": net_delta})

    # ---- limits and queue -----------------------------------------------------------------------
    def _emit(self, event: str, severity: str, text: str, fields: dict[str, Any]) -> None:
        if not self.enabled:
            return
        try:
            self._admit(event, severity, text, fields)
        except Exception as exc:  # an alert must never disturb its caller
            log.debug("alert %s not queued: %s", event, type(exc).__name__)

    def _admit(self, event: str, severity: str, text: str, fields: dict[str, Any]) -> None:
        text = self.scrub(text)
        repeats = self._repeats.admit(f"{event}|{text}")
        if repeats is None:
            self.collapsed += 1
            return
        if event not in URGENT and not self._bucket.take():
            self._drop()
            return
        notes = ([f"same alert {repeats} more times since the last one"] if repeats else []) + (
            [f"{self._dropped_unreported} alerts dropped by the rate limit"] if self._dropped_unreported else [])
        line = f"{self.prefix} {text}" + (f" ({'; '.join(notes)})" if notes else "")
        payload = webhook_formats.body(self.style, line, event=event, market=self.market, severity=severity,
                                       fields=fields, chat_id=self._chat_id)
        try:
            self._queue.put_nowait(self.scrub(webhook_formats.encoded(payload)))
        except asyncio.QueueFull:
            self._drop()
            return
        self._dropped_unreported = 0

    def _drop(self) -> None:
        self.dropped += 1
        self._dropped_unreported += 1

    def scrub(self, text: str) -> str:
        """`text` without any secret the process knows of (registered with logs, or this webhook's)."""
        text = logs.scrub(text)
        return self._secrets.sub("***", text) if self._secrets is not None else text

    # ---- sending ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the sender (call on the event loop; does nothing when alerts are off)."""
        if self.enabled and self._worker is None:
            self._worker = asyncio.create_task(self._send_forever(), name="alerts")

    async def _send_forever(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                body = await self._queue.get()
                try:
                    await self._post(session, body)
                finally:
                    self._queue.task_done()

    async def _post(self, session: aiohttp.ClientSession, body: str) -> None:
        try:
            async with session.post(self._url, data=body.encode(),
                                    headers={"Content-Type": "application/json"}) as response:
                if response.status >= 300:
                    self._failure(f"HTTP {response.status}")
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # network errors, timeouts, anything: never beyond this task
            self._failure(type(exc).__name__ if not isinstance(exc, asyncio.TimeoutError) else "timeout")
            return
        self.sent += 1
        if self._failing:
            self._failing = False
            log.info("alert webhook delivers again (%d alerts failed meanwhile)", self.failed)

    def _failure(self, why: str) -> None:
        self.failed += 1
        if not self._failing:
            self._failing = True
            log.warning("alert webhook failed (%s); trading goes on, later failures are only counted",
                        self.scrub(why))

    async def close(self, timeout: float) -> None:
        """Send what is queued for at most `timeout` seconds, then stop the sender."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), max(0.0, timeout))
        except asyncio.TimeoutError:
            log.info("alerts: %d not sent before exit (webhook too slow)", self._queue.qsize())
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)

    def figures(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "collapsed": self.collapsed, "dropped": self.dropped}


def _pattern(values: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, sorted(values, key=len, reverse=True))), re.IGNORECASE)


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 1] + "…"


def _n(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _usd(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f} USD"


def _sum(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return a + b
    except TypeError:           # Decimal and float
        return float(a) + float(b)


def _duration(seconds: float) -> str:
    if seconds < 600:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


NO_ALERTS = Alerts("-")        # what a component uses when it is given none (every method does nothing)
