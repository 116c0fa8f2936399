"""CSV periods are cut on the event loop from ledger snapshots: no fill falls between two rows."""
from __future__ import annotations

import csv
from decimal import Decimal as D

from bot.reporting.performance import Performance
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderTracker


def test_rows_split_the_fills_between_periods_without_losing_any(tmp_path):
    ledger, tracker = FillLedger(1, D(0)), OrderTracker("AVAX", 2)
    perf = Performance("AVAX", ledger, tracker, tmp_path)
    ledger.record_hubble("0xa", "0xt1", 1, 1, D(3), D(35), False, 1)
    first = perf.cut_row()                       # cut on the loop ...
    ledger.record_hubble("0xb", "0xt2", 1, -1, D(2), D(36), False, 2)   # ... a fill while the file is written
    perf.append_row(first)
    perf.append_row(perf.cut_row())
    rows = list(csv.DictReader(open(perf.path)))
    assert [r["trade_volume_in_period"] for r in rows] == ["3", "2"]
    assert [r["orders_filled"] for r in rows] == ["1", "1"]
    assert rows[1]["cumulative_trade_volume"] == "5"
