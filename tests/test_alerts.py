"""Alerts: every event reaches a local webhook in each service's shape, limited, collapsed, secret-free,
and a failing or hanging webhook changes nothing for the caller."""
from __future__ import annotations

import logging
import time
from decimal import Decimal as D

import pytest

from bot import logs
from bot.reporting import webhook_formats
from bot.reporting.alerts import Alerts
from tests.helpers import eventually
from tests.webhook_sink import WebhookSink

TOKEN = "123456789:AAHfakeTokenForTests0123456789abcdefgh"
HUBBLE_KEY = "5e" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def every_event(alerts: Alerts) -> None:
    alerts.started("hyperliquid")
    alerts.hedge_failed(D("-3"), "hyperliquid", "order rejected: insufficient margin")
    alerts.drift(D("5"), D("-3"), D("0"), D("2"), "hyperliquid")
    alerts.gate("mid price stale")
    alerts.clock.now += 61
    alerts.gate("mid price stale")
    alerts.gate(None)
    alerts.daily_pnl("2024-05-01", net=D("12.5"), spread=D("20"), maker_fees=D("-1"), taker_fees=D("8.5"),
                     slippage=D("0.25"), fills=120, volume=D("340"), net_delta=D("0"))
    alerts.fatal("hedge of -3 on hyperliquid failed: timeout", 1)
    alerts.stopped(1, D("3"), D("-3"), D("1.25"), 120)


KINDS = ("started", "hedge_failed", "drift", "paused", "resumed", "daily_pnl", "fatal", "stopped")
WORDS = ("started: quoting AVAX", "HEDGE FAILED: -3 on hyperliquid", "POSITION DRIFT", "quoting paused for 61 s",
         "quoting resumed after 61 s", "PnL 2024-05-01: net 12.50 USD", "FATAL (exit 1)", "stopped with exit status 1")


def make(url: str | None, style: str | None = None, **options) -> Alerts:
    options.setdefault("clock", Clock())
    options.setdefault("burst", 20)
    return Alerts("AVAX", url, style=style, chat_id="-1001234567890" if style == "telegram" else None,
                  pause_after=60, **options)


@pytest.mark.parametrize("style, path", [("telegram", f"/bot{TOKEN}"), ("slack", "/services/T0/B0/slacktoken0123456789"),
                                         ("discord", "/api/webhooks/1234/discordtoken0123456789"),
                                         ("json", "/hooks/mm")])
async def test_every_event_arrives_in_the_services_shape(style, path):
    async with WebhookSink() as sink:
        alerts = make(sink.url(path), style)
        alerts.start()
        every_event(alerts)
        await eventually(lambda: len(sink.received) == len(KINDS), 10, "every alert")
        await alerts.close(2.0)
    for got in sink.received:
        assert got.content_type == "application/json"
    texts = sink.texts()
    for words, text in zip(WORDS, texts):
        assert text.startswith("[AVAX] ") and words in text, (words, text)
    bodies = [r.body for r in sink.received]
    if style == "telegram":
        assert sink.received[0].path == f"/bot{TOKEN}/sendMessage"
        assert all(set(b) == {"chat_id", "text"} and b["chat_id"] == "-1001234567890" for b in bodies)
    elif style == "slack":
        assert all(set(b) == {"text"} for b in bodies)
    elif style == "discord":
        assert all(set(b) == {"content", "allowed_mentions"} and b["allowed_mentions"] == {"parse": []}
                   for b in bodies)
    else:
        assert [b["event"] for b in bodies] == list(KINDS)
        assert all(b["market"] == "AVAX" and b["time"] > 0 for b in bodies)
        pnl = bodies[KINDS.index("daily_pnl")]["fields"]
        assert pnl["net"] == 12.5 and pnl["fills"] == 120 and pnl["day"] == "2024-05-01"
        assert bodies[KINDS.index("fatal")]["severity"] == "critical"
    assert alerts.figures()["sent"] == len(KINDS)


def test_style_follows_the_host():
    assert webhook_formats.detect_style(f"https://api.telegram.org/bot{TOKEN}/sendMessage") == "telegram"
    assert webhook_formats.detect_style("https://hooks.slack.com/services/T/B/x") == "slack"
    assert webhook_formats.detect_style("https://discord.com/api/webhooks/1/x") == "discord"
    assert webhook_formats.detect_style("https://example.org/api/webhooks/1/x") == "json"
    assert webhook_formats.request_url("telegram", f"https://api.telegram.org/bot{TOKEN}/sendMessage").count(
        "sendMessage") == 1


def test_slack_text_is_escaped_and_every_text_fits_the_service():
    assert webhook_formats.body("slack", "a < b & c", event="e", market="AVAX", severity="info") == {
        "text": "a &lt; b &amp; c"}
    long = "x" * 5000
    for style, limit in webhook_formats.MAX_CHARS.items():
        payload = webhook_formats.body(style, long, event="e", market="AVAX", severity="info", chat_id="1")
        assert len(payload.get("text") or payload.get("content")) == limit


async def test_a_burst_then_the_rate_and_the_next_alert_tells_what_was_dropped():
    clock = Clock()
    async with WebhookSink() as sink:
        alerts = make(sink.url("/hook"), "json", burst=3, per_minute=6, clock=clock)
        alerts.start()
        for i in range(5):
            alerts.drift(D(i), D(0), D(0), D(i), "binance")
        await eventually(lambda: len(sink.received) == 3, 10, "the burst")
        assert alerts.dropped == 2
        alerts.drift(D(9), D(0), D(0), D(9), "binance")              # no token yet: dropped too
        clock.now += 10                                              # 6 a minute: one token every 10 s
        alerts.drift(D(10), D(0), D(0), D(10), "binance")
        alerts.fatal("the hedge venue refused the account", 78)     # urgent: not held by the bucket
        await eventually(lambda: len(sink.received) == 5, 10, "the paced alert and the fatal one")
        await alerts.close(2.0)
    texts = sink.texts()
    assert "3 alerts dropped by the rate limit" in texts[3] and "dropped" not in texts[4]
    assert "pm2 does not restart it" in texts[4]


async def test_identical_alerts_within_the_window_are_sent_once_then_counted():
    clock = Clock()
    async with WebhookSink() as sink:
        alerts = make(sink.url("/hook"), "slack", repeat_window=600, clock=clock)
        alerts.start()
        for _ in range(4):
            alerts.hedge_failed(D("1"), "binance", "timeout")
        alerts.hedge_failed(D("2"), "binance", "timeout")            # different figures: not a repeat
        await eventually(lambda: len(sink.received) == 2, 10, "two distinct alerts")
        assert alerts.collapsed == 3
        clock.now += 601
        alerts.hedge_failed(D("1"), "binance", "timeout")
        await eventually(lambda: len(sink.received) == 3, 10, "the repeat after the window")
        await alerts.close(2.0)
    assert "same alert 3 more times since the last one" in sink.texts()[2]


async def test_a_pause_alerts_once_after_the_setting_and_resuming_alerts_once():
    clock = Clock()
    async with WebhookSink() as sink:
        alerts = make(sink.url("/hook"), "json", clock=clock)
        alerts.start()
        for step, reason in ((0, "mid price stale"), (30, "mid price stale"), (29, "hedge venue down")):
            clock.now += step
            alerts.gate(reason)
        assert alerts.sent == 0 and alerts._queue.empty()
        clock.now += 1                                               # 60 s paused, whatever the reasons
        alerts.gate("hedge venue down")
        clock.now += 100
        alerts.gate("hedge venue down")
        alerts.gate(None)
        alerts.gate(None)
        clock.now += 10
        alerts.gate("fill cooldown")                                 # a short pause: nothing
        alerts.gate(None)
        await eventually(lambda: len(sink.received) == 2, 10, "paused and resumed")
        await alerts.close(2.0)
    assert [r.body["event"] for r in sink.received] == ["paused", "resumed"]
    assert "quoting paused for 60 s: hedge venue down" in sink.texts()[0]
    assert "resumed after 160 s" in sink.texts()[1]


async def test_pause_alerts_are_off_at_zero():
    async with WebhookSink() as sink:
        alerts = Alerts("AVAX", sink.url("/hook"), pause_after=0, clock=Clock())
        alerts.gate("mid price stale")
        alerts.clock.now += 10_000
        alerts.gate("mid price stale")
        assert alerts._queue.empty()


async def test_a_failing_webhook_is_logged_once_then_counted(caplog):
    async with WebhookSink(mode="fail") as sink:
        alerts = make(sink.url("/hook"), "json")
        alerts.start()
        with caplog.at_level(logging.WARNING, logger="alerts"):
            for i in range(4):
                alerts.drift(D(i), D(0), D(0), D(i), "binance")
            await eventually(lambda: alerts.failed == 4, 10, "four failed posts")
        await alerts.close(1.0)
    warnings = [r for r in caplog.records if r.name == "alerts"]
    assert len(warnings) == 1 and "HTTP 500" in warnings[0].getMessage()
    assert "127.0.0.1" not in warnings[0].getMessage()


async def test_an_unreachable_webhook_is_harmless(caplog):
    async with WebhookSink() as sink:
        url = sink.url("/hook")
    alerts = make(url, "json")                                       # the server is gone: connection refused
    alerts.start()
    alerts.started("binance")
    await eventually(lambda: alerts.failed == 1, 10, "a refused connection")
    await alerts.close(1.0)


async def test_a_hanging_webhook_never_blocks_the_caller_and_the_exit_waits_only_its_deadline():
    async with WebhookSink(mode="hang") as sink:
        alerts = make(sink.url("/hook"), "json", queue_size=8, timeout=30.0)
        alerts.start()
        began = time.perf_counter()
        for i in range(200):
            alerts.hedge_failed(D(i), "binance", "timeout")
        assert time.perf_counter() - began < 0.5                     # queued or dropped, never awaited
        assert alerts.dropped > 0                                    # a bounded queue
        await eventually(lambda: sink.requests == 1, 10, "the first post to hang")
        began = time.monotonic()
        await alerts.close(0.3)
        assert time.monotonic() - began < 2.0


async def test_no_secret_in_any_payload():
    logs.redact(HUBBLE_KEY)
    async with WebhookSink() as sink:
        alerts = make(sink.url(f"/bot{TOKEN}"), "telegram")
        alerts.start()
        leaky = f"signing failed for key 0x{HUBBLE_KEY} while posting to https://api.telegram.org/bot{TOKEN}"
        alerts.hedge_failed(D("1"), "hyperliquid", leaky)
        alerts.fatal(leaky.upper(), 1)
        every_event(alerts)
        await eventually(lambda: len(sink.received) == 2 + len(KINDS), 10, "every alert")
        await alerts.close(2.0)
    for got in sink.received:
        for secret in (HUBBLE_KEY, TOKEN, TOKEN.split(":")[1]):
            assert secret.lower() not in got.raw.lower()
    assert "***" in sink.texts()[0]


async def test_alerts_without_a_webhook_do_nothing():
    alerts = Alerts("AVAX", None, pause_after=1)
    alerts.start()
    every_event_clockless = (alerts.started("binance"), alerts.gate("x"), alerts.fatal("boom", 1))
    assert every_event_clockless == (None, None, None) and alerts._queue.empty() and not alerts.enabled
    await alerts.close(1.0)
