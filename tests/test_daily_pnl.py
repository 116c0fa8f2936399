"""A day's PnL is the change of the run's totals since the previous UTC midnight."""
import datetime as dt
from decimal import Decimal as D

from bot.reporting.daily_pnl import DailyPnl, seconds_to_midnight


def test_seconds_to_the_next_utc_midnight():
    utc = dt.timezone.utc
    assert seconds_to_midnight(dt.datetime(2026, 11, 28, 23, 59, 30, tzinfo=utc)) == 30
    assert seconds_to_midnight(dt.datetime(2026, 11, 28, 0, 0, 0, tzinfo=utc)) == 86400
    plus2 = dt.timezone(dt.timedelta(hours=2))  # 01:00 at +02:00 is 23:00 UTC
    assert seconds_to_midnight(dt.datetime(2026, 11, 29, 1, 0, 0, tzinfo=plus2)) == 3600


def test_each_cut_reports_only_what_changed_since_the_last():
    daily = DailyPnl()
    first = daily.cut({"net": D("12.5"), "spread": D("15"), "taker_fees": D("-2.5")}, fills=10, volume=D("40"))
    assert first == {"net": D("12.5"), "spread": D("15"), "taker_fees": D("-2.5"), "fills": 10, "volume": D("40")}
    second = daily.cut({"net": D("10"), "spread": D("14"), "taker_fees": D("-4")}, fills=13, volume=D("52.5"))
    assert second == {"net": D("-2.5"), "spread": D("-1"), "taker_fees": D("-1.5"), "fills": 3, "volume": D("12.5")}
