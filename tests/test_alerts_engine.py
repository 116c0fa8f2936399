"""The engine's alert hooks: start, a long pause and its end, a hedge failure, the fatal exit and the stop
reach a local webhook from the real engine against simnet; the reconciler reports drift."""
from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal as D


from bot import supervision
from bot.credentials import Secret
from bot.sim_launcher import throwaway_credentials
from bot.tracking.fills import FillLedger
from bot.tracking.reconciler import HubbleReading, Reconciler
from tests.engine_harness import quoting, running_engine
from tests.helpers import eventually
from tests.webhook_sink import WebhookSink


def in_order(events: list[str], expected: list[str]) -> bool:
    """`expected` appears in `events` in this order (other alerts may come between)."""
    left = iter(events)
    return all(any(e == want for e in left) for want in expected)


async def test_the_engine_alerts_start_pause_resume_hedge_failure_fatal_and_stop(sim, monkeypatch):
    from bot.venues import hedge_base

    monkeypatch.setattr(hedge_base, "REFUSAL_BASE_DELAY", 0.01)      # every refusal, quickly
    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.2)
    async with WebhookSink() as sink:
        creds = dataclasses.replace(throwaway_credentials("AVAX", ready),
                                    alert_webhook_url=Secret("ALERT_WEBHOOK_URL", sink.url("/hooks/mm")),
                                    alert_webhook_format="json")
        events = lambda: [r.body["event"] for r in sink.received]  # noqa: E731
        async with running_engine(ready, hedge="hyperliquid", credentials=creds,
                                  overrides=["alertPauseAfter=0.5"]) as run:
            await quoting(run)
            await eventually(lambda: "started" in events(), what="the start alert")
            net.control("binance", "refuse", seconds=2.0)                  # the mid-price feed goes down
            await eventually(lambda: "paused" in events(), 15, "the pause alert")
            await eventually(lambda: "resumed" in events(), 20, "the resume alert")
            net.control("hyperliquid", "reject_orders", count=50)
            net.control("hubble", "take", market=1, side="sell", size=3)
            assert await asyncio.wait_for(run.task, 60) == 1
        assert in_order(events(), ["started", "paused", "resumed", "hedge_failed", "fatal", "stopped"]), events()
    bodies = {r.body["event"]: r.body for r in reversed(sink.received)}   # the first of each event
    assert "mid-price feed down" in bodies["paused"]["text"]
    assert bodies["hedge_failed"]["fields"]["size"] == -3 and bodies["hedge_failed"]["fields"]["venue"] == "hyperliquid"
    assert bodies["fatal"]["fields"]["exit_status"] == 1 and "hedge of -3" in bodies["fatal"]["text"]
    assert bodies["stopped"]["fields"]["exit_status"] == 1 and bodies["stopped"]["fields"]["hubble_position"] == 3
    for r in sink.received:                      # the sim keys never travel
        for secret in (creds.hubble_private_key, creds.hyperliquid_private_key):
            assert secret.reveal().removeprefix("0x").lower() not in r.raw.lower()


class RecordingAlerts:
    def __init__(self) -> None:
        self.drifts: list[tuple] = []

    def drift(self, *figures) -> None:
        self.drifts.append(figures)


class _Venues:
    """Both venues' own figures: 3 on the maker venue, none on Binance (reconciler.MakerPositions and
    HedgePositions)."""
    venue = "binance"

    async def read_maker_position(self) -> HubbleReading:
        return HubbleReading(D(3), 10, True)

    async def venue_position(self) -> D:
        return D(0)


class _QuietFills:
    def quiet(self) -> bool:
        return True


async def test_the_reconciler_alerts_the_drift_it_hedges():
    alerts = RecordingAlerts()
    hedger = type("Hedger", (), {})()
    hedger.idle, hedger.sends, hedger.orders = asyncio.Event(), 0, []
    hedger.idle.set()
    hedger.outstanding = lambda: D(0)
    hedger.add_reconciliation = hedger.orders.append
    venues = _Venues()
    r = Reconciler(maker_positions=venues, hedge_positions=venues, hedger=hedger, ledger=FillLedger(1, D(0)),
                   fills=_QuietFills(), confirm_seconds=0.0, alerts=alerts)
    await r.check()
    assert alerts.drifts == []                   # seen once: not yet confirmed
    await r.check()
    assert hedger.orders == [D(-3)]
    assert alerts.drifts == [(D(3), D(0), D(0), D(3), "binance")]



async def test_the_daily_pnl_alert_reports_the_days_fills_and_the_venues_net(sim, monkeypatch):
    net, ready = sim
    from bot import engine as engine_module
    midnights: asyncio.Queue[str] = asyncio.Queue()
    monkeypatch.setattr(engine_module, "until_midnight", midnights.get)   # midnight comes when the test says
    async with WebhookSink() as sink:
        creds = dataclasses.replace(throwaway_credentials("AVAX", ready),
                                    alert_webhook_url=Secret("ALERT_WEBHOOK_URL", sink.url("/hooks/mm")),
                                    alert_webhook_format="json")
        daily = lambda: [r.body["fields"] for r in sink.received if r.body["event"] == "daily_pnl"]  # noqa: E731
        async with running_engine(ready, hedge="binance", credentials=creds) as run:
            await quoting(run)
            net.control("hubble", "take", market=1, side="sell", size=2)
            clean = lambda: run.engine.orders.reconciler.last_clean  # noqa: E731
            await eventually(lambda: run.engine.ledger.snapshot().hedge.count >= 1 and clean() is not None
                             and clean().net == 0 and clean().hubble != 0, 30, "the fill hedged and reconciled")
            fills = run.engine.ledger.snapshot().hubble.count
            midnights.put_nowait("2026-11-28")
            await eventually(lambda: len(daily()) == 1, 10, "the first daily PnL alert")
            midnights.put_nowait("2026-11-29")
            await eventually(lambda: len(daily()) == 2, 10, "the second daily PnL alert")
    first, second = daily()
    assert first["day"] == "2026-11-28" and first["fills"] == fills >= 1 and first["volume"] >= 2
    assert first["net_delta"] == 0
    assert second["day"] == "2026-11-29" and second["fills"] == 0 and second["volume"] == 0
