"""The bot's liquidations, from each venue's ``liquidations`` control action after the run.

Every simulated venue answers ``control(venue, "liquidations")`` with
``{"liquidations": [{"account", "market", "size", "price", "time"}, ...]}``,
every liquidation it made. A venue without the action (a simnet from before
it) raises KeyError, the generic fault knobs' answer to an unknown action:
that is "not supported" and reported as null, never as no liquidation.

The bot's accounts: its Hubble trader address, its Hyperliquid user address,
and at Binance the API key (simnet's Binance serves one account, the key's).
"""
from __future__ import annotations

from typing import Any, Callable

from tools.observer.venue_view import Accounts

Control = Callable[..., dict[str, Any]]        # control(venue, action) as SimNet.control


def bot_accounts(venue: str, accounts: Accounts) -> set[str]:
    """The identifiers the venue may name the bot's account by, lower-cased."""
    ids = {"hubble": accounts.hubble_trader, "hyperliquid": accounts.hyperliquid_user,
           "binance": accounts.binance_api_key}
    return {ids[venue].lower()} if venue in ids else set()


def of_accounts(rows: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    return [row for row in rows if str(row.get("account", "")).lower() in ids]


def read(control: Control, venue: str, accounts: Accounts) -> list[dict[str, Any]] | None:
    """The bot's liquidations at ``venue``, or None when the venue has no ``liquidations`` action."""
    try:
        answer = control(venue, "liquidations")
    except KeyError:
        return None
    return of_accounts(list(answer.get("liquidations", [])), bot_accounts(venue, accounts))


def summary(rows: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    return None if rows is None else {"count": len(rows), "list": rows}
