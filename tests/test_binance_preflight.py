"""--check's Binance "fee burn" row (issue 17, item 10): what the commissions will be paid in."""
from __future__ import annotations

import pytest

from bot import preflight, settings
from bot.preflight.rows import OK, WARN
from bot.sim_launcher import endpoints_from_ready, throwaway_credentials
from tests.engine_harness import FAST, start_net


@pytest.mark.parametrize("options, status, words", [
    ({}, OK, "off: commissions are paid in USDT"),
    ({"fee_burn": True, "bnb_balance": 2}, OK, "on: commissions are paid in BNB at 90 %"),
    ({"fee_burn": True}, WARN, "holds no BNB"),
])
async def test_the_fee_burn_row_says_what_fees_are_paid_in(options, status, words):
    net, ready = start_net(binance=options)
    try:
        s = settings.load("AVAX", [*FAST, "hedge=binance"])
        rows = await preflight.run_checks(s, throwaway_credentials("AVAX", ready), endpoints_from_ready(ready))
    finally:
        net.stop()
    [row] = [r for r in rows if r.area == "binance" and r.check == "fee burn"]
    assert row.status == status and words in row.found, row
    if options.get("bnb_balance"):
        assert "1200.00 USD at 600 BNBUSDT" in row.found
