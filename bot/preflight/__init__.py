"""``python3 main.py MARKET --check``: everything that can be known before the first quote, nothing changed.

One table of rows (OK / WARN / FAIL, what was found, what to do) over Hubble, the hedge venue, the price feed
and the positions on both venues; exit 0 when no row fails, 78 otherwise.
"""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

from bot.preflight.hedge_checks import hedge_rows
from bot.preflight.hubble_checks import hubble_rows
from bot.preflight.rows import FAIL, Row, fail, ok, table, warn
from bot.settings import MarketSettings

FEED_WAIT = 5.0


async def run_checks(s: MarketSettings, credentials: Any, endpoints: dict[str, str]) -> list[Row]:
    maker_position = None
    if s.maker == "hubble":
        rows = list(await hubble_rows(s, credentials.hubble_private_key.reveal(), endpoints))
    else:
        rows, maker_position = await hedge_rows(s, credentials, endpoints, venue=s.maker)
        rows.append(ok(s.maker, "maker quotes", f"{POST_ONLY[s.maker]}; the venue's dead-man switch cancels "
                       f"them {s.dead_man_seconds} s after the bot's last heartbeat", None))
    hedge_position = None
    if s.hedge_mode:
        hedge, hedge_position = await hedge_rows(s, credentials, endpoints)
        rows += hedge
    rows.append(await feed_row(s, endpoints))
    if s.maker == "hubble":
        rows.append(await positions_row(s, credentials, endpoints, hedge_position))
    else:
        rows.append(net_row(s, s.maker, maker_position, hedge_position))
    return rows


POST_ONLY = {"hyperliquid": "ALO (post-only) limit orders with cloids", "binance": "GTX (post-only) limit orders"}


def net_row(s: MarketSettings, maker: str, maker_position: Decimal | None, hedge_position: Decimal | None) -> Row:
    if maker_position is None or (s.hedge_mode and hedge_position is None):
        return warn("positions", "both venues", f"{maker} {maker_position}, {s.hedge} {hedge_position}",
                    "see the rows above")
    if not s.hedge_mode:
        return ok("positions", "both venues", f"{maker} {maker_position} (no hedge venue)")
    net = maker_position + hedge_position
    if net != 0:
        return warn("positions", "both venues", f"{maker} {maker_position}, {s.hedge} {hedge_position}: net {net}",
                    f"start-up will hedge {-net} on {s.hedge} before quoting")
    return ok("positions", "both venues", f"{maker} {maker_position}, {s.hedge} {hedge_position}: net 0")


async def feed_row(s: MarketSettings, endpoints: dict[str, str]) -> Row:
    """The mid-price feed delivering on its route (bookTicker on Binance's /public, or spot trades)."""
    from bot.venues.binance.mid_price_feed import MidPriceFeed

    feed = MidPriceFeed(s, endpoints, lambda message, status=1: None)
    task = asyncio.create_task(feed.run())
    started = time.perf_counter()
    try:
        await asyncio.wait_for(feed.event.wait(), FEED_WAIT)
    except asyncio.TimeoutError:
        return fail("feed", "mid price", f"no {s.price_feed} data in {FEED_WAIT:.0f} s on its route",
                    "check BINANCE_FUTURES_WS / BINANCE_SPOT_WS (bookTicker is served on /public only)")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return ok("feed", "mid price", f"{s.price_feed}: mid {feed.mid}", round((time.perf_counter() - started) * 1000, 1))


async def positions_row(s: MarketSettings, credentials: Any, endpoints: dict[str, str],
                        hedge_position: Decimal | None) -> Row:
    import aiohttp
    from eth_account import Account as EthAccount

    from bot.preflight.hubble_checks import Rpc

    trader = EthAccount.from_key(credentials.hubble_private_key.reveal()).address
    async with aiohttp.ClientSession() as session:
        try:
            answer = await Rpc(session, endpoints["HUBBLE_RPC"])("trading_getMarginAndPositions", trader)
        except Exception as exc:  # noqa: BLE001 - reported in the account row already
            return warn("positions", "both venues", f"Hubble position unknown ({exc})", "see the rows above")
    hubble = sum((Decimal(p["size"]) for p in answer.get("positions") or () if int(p["market"]) == s.spec.hubble_id),
                 Decimal(0))
    if not s.hedge_mode:
        return ok("positions", "both venues", f"Hubble {hubble} (no hedge venue)")
    if hedge_position is None:
        return warn("positions", "both venues", f"Hubble {hubble}, hedge venue unknown", "see the rows above")
    net = hubble + hedge_position
    if net != 0:
        return warn("positions", "both venues", f"Hubble {hubble}, {s.hedge} {hedge_position}: net {net}",
                    f"start-up will hedge {-net} on {s.hedge} before quoting")
    return ok("positions", "both venues", f"Hubble {hubble}, {s.hedge} {hedge_position}: net 0")


def report(rows: list[Row]) -> tuple[str, int]:
    """The table and the exit status (0: nothing failed, 78: something did)."""
    return table(rows), 78 if any(r.status == FAIL for r in rows) else 0
