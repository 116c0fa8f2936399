"""Preflight rows for the hedge venue: reachable, the credentials and account mode it accepts, margin,
leverage limits, fees, the symbol's rules against the config, clock skew. Only reads: the client is opened
but never started (start sets leverage)."""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from bot.errors import ConfigurationProblem
from bot.market_specs import HEDGE_TAKER_FEE_PCT
from bot.preflight.rows import Row, fail, ok, timed, warn
from bot.settings import MarketSettings
from bot.venues import hedge_venues
from bot.venues.binance.hedge import RECV_WINDOW_MS
from bot.venues.hedge_base import HedgeClient

SKEW_WARN_MS = 500
MAINNET_URL, TESTNET_URL = "https://api.hyperliquid.xyz", "https://api.hyperliquid-testnet.xyz"


async def hedge_rows(s: MarketSettings, credentials: Any, endpoints: dict[str, str],
                     venue: str | None = None) -> tuple[list[Row], Decimal | None]:
    """The rows, and the venue's position (None when it could not be read). `venue`: the hedge venue by default;
    a maker venue other than Hubble is read with the same client class, so it gets the same rows."""
    venue = venue or s.hedge
    area = venue
    try:
        client = hedge_venues.CLIENTS[venue](s, credentials, endpoints, lambda message, status=1: None)
    except Exception as exc:  # noqa: BLE001 - a refused setup is this row's finding
        return [fail(area, "credentials", str(exc), f"set {venue}'s credentials in .env.secret")], None
    rows: list[Row] = []
    if venue == "hyperliquid":
        rows.append(_signing_domain_row(client))
    try:
        await client._open()
        rules, ms = await timed(client._load_rules)
        client.rules = rules
        rows.append(ok(area, "reachable", f"{client.symbol} listed", ms))
        rows.append(await _setup_row(client))
        state = await client._fetch_account()
        client.book = await client._fetch_book()
        rows += _account_rows(client, s, state)
        if client.venue == "binance":
            rows.append(_fee_burn_row(client))
        rows += _rules_rows(client, s)
        rows.append(await _skew_row(client))
        return rows, state.position
    except ConfigurationProblem as exc:
        return rows + [fail(area, "credentials", str(exc), "fix the account or the credentials")], None
    except Exception as exc:  # noqa: BLE001
        return rows + [fail(area, "reachable", f"{type(exc).__name__}: {exc}", "check the endpoint and network")], None
    finally:
        await client._close()


def _signing_domain_row(client: Any) -> Row:
    """The SDK signs for mainnet only when the URL is exactly MAINNET_API_URL: a look-alike signs for testnet."""
    url = client.base_url
    if "hyperliquid" in url and url not in (MAINNET_URL, TESTNET_URL):
        return fail("hyperliquid", "signing domain", f"{url} is neither {MAINNET_URL} nor {TESTNET_URL}: orders "
                    "would be signed for the wrong network", f"set HYPERLIQUID_API_URL={MAINNET_URL}")
    return ok("hyperliquid", "signing domain", "mainnet" if client.is_mainnet else f"not mainnet ({url})")


async def _setup_row(client: HedgeClient) -> Row:
    await client._check_account_setup()          # raises ConfigurationProblem on a refused key or Hedge Mode
    if client.venue == "binance":
        multi = await client._call(client.client.futures_get_multi_assets_mode)
        if multi.get("multiAssetsMargin") in (True, "true"):
            return warn("binance", "account mode", "One-way, Multi-Assets margin on: available balance counts "
                        "other assets", "prefer single-asset margin (USDT) for a hedge account")
        return ok("binance", "account mode", "One-way position mode, single-asset margin")
    return ok("hyperliquid", "API wallet", "the key may trade for HYPERLIQUID_TRADER")


def _account_rows(client: HedgeClient, s: MarketSettings, state: Any) -> list[Row]:
    area = client.venue
    free = state.free_margin * s.hedge_margin_share
    rows = []
    if free <= 0:
        rows.append(fail(area, "margin", f"free margin {free}", f"fund the {area} account"))
    else:
        rows.append(ok(area, "margin", f"{free:.2f} USD free (hedgeMarginShare {s.hedge_margin_share})"))
    limit = client.rules.max_leverage
    rows.append((ok if s.leverage <= limit else fail)(
        area, "leverage", f"setting {s.leverage}x, venue allows {limit}x for {client.symbol}",
        *(() if s.leverage <= limit else ("lower 'leverage' in config.py",))))
    rate = getattr(client, "taker_rate", None)
    base = HEDGE_TAKER_FEE_PCT[area] / 100
    cheapest = min(level.spread_pct for level in s.levels) / 100
    if rate is not None and rate > cheapest:
        rows.append(warn(area, "fees", f"taker rate {rate:%} is above the tightest spread {cheapest:%}",
                         "widen orderLevels spreads: those fills lose money once hedged"))
    else:
        rows.append(ok(area, "fees", f"taker rate {rate if rate is not None else base}"))
    return rows


def _fee_burn_row(client: Any) -> Row:
    """BNB fee deduction (GET /fapi/v1/feeBurn, read with the rules) and the futures wallet's BNB (the account
    read): what the commissions will be paid in (bot/venues/binance/fees.py)."""
    fees, rate = client.fee_assets, client.taker_rate
    if fees.fee_burn is None:
        return warn("binance", "fee burn", "BNB fee deduction state could not be read: a BNB-paid commission is "
                    "valued at notional x the taker rate", "check that the key may read the account (USER_DATA)")
    if not fees.fee_burn:
        return ok("binance", "fee burn", f"off: commissions are paid in USDT at the taker rate {rate:%}")
    price = fees.prices.get("BNB")
    if not fees.bnb_balance:
        return warn("binance", "fee burn", f"on, but the USDⓈ-M futures wallet holds no BNB: commissions are "
                    f"paid in USDT at the full taker rate {rate:%}", "transfer BNB to the futures wallet for the "
                    "10 % discount, or turn BNB fee deduction off")
    worth = f" (~{fees.bnb_balance * price:.2f} USD at {price.normalize():f} BNBUSDT)" if price else ""
    return ok("binance", "fee burn", f"on: commissions are paid in BNB at 90 % of the taker rate {rate:%} while "
              f"the futures wallet's {fees.bnb_balance.normalize():f} BNB{worth} lasts, booked in USD at the "
              "BNBUSDT mark")


def _rules_rows(client: HedgeClient, s: MarketSettings) -> list[Row]:
    area, r, spec = client.venue, client.rules, s.spec
    rows = []
    if spec.min_size % r.size_step != 0:
        rows.append(warn(area, "size step", f"{client.symbol} trades in steps of {r.size_step}, Hubble in "
                         f"{spec.min_size}: up to {r.size_step - spec.min_size} may stay unhedged", "accept it, "
                         "or hedge on the other venue"))
    else:
        rows.append(ok(area, "size step", f"{r.size_step} (Hubble's {spec.min_size} is a multiple)"))
    touch = client.book.best_bid() or client.book.best_ask()
    smallest = min(level.qty for level in s.levels)
    if touch and smallest * touch < r.min_notional:
        rows.append(warn(area, "minimum order", f"{r.min_notional} USD; the smallest level ({smallest}) is worth "
                         f"{smallest * touch:.2f}", "its hedges go as a round trip (two orders): raise the qty"))
    else:
        rows.append(ok(area, "minimum order", f"{r.min_notional} USD, {r.min_size} {client.symbol}"))
    return rows


async def _skew_row(client: HedgeClient) -> Row:
    if client.venue != "binance":
        return ok(client.venue, "clock", "orders carry expiresAfter: keep the clock synchronised (NTP)")
    before = time.time()
    answer = await client._call(client.client.futures_time)
    skew = answer["serverTime"] - (before + time.time()) / 2 * 1000
    if abs(skew) > RECV_WINDOW_MS:
        return fail("binance", "clock", f"{skew:+.0f} ms from Binance, beyond the {RECV_WINDOW_MS} ms recvWindow",
                    "synchronise the clock (NTP)")
    if abs(skew) > SKEW_WARN_MS:
        return warn("binance", "clock", f"{skew:+.0f} ms from Binance (the bot corrects its timestamps)",
                    "synchronise the clock (NTP)")
    return ok("binance", "clock", f"{skew:+.0f} ms from Binance")
