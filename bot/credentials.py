"""Secrets: loaded from .env.secret (python-dotenv) or the environment, checked, never shown.

Only the variables the chosen market and hedge venue need are required. A
missing or malformed one is a ``CredentialError`` naming the variable, never
its value. Values are wrapped in ``Secret``, whose str/repr are masked, and
registered with ``logs.redact`` so that even an accidental log line or
traceback that contains one prints ``***`` instead.

The alert webhook (ALERT_WEBHOOK_URL) is optional and secret too: its URL
carries the token that lets anyone post to the channel. Besides the whole
URL, its path and each long path segment or query value are registered, so a
token quoted on its own is masked as well.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from dotenv import dotenv_values

SECRET_FILE = Path(".env.secret")
SIM_HINT = "To try the bot without keys, run: python3 main.py {market} --sim"


class CredentialError(ValueError):
    """A required secret is missing or malformed. The message never holds a secret."""


class Secret:
    """A string that refuses to print itself. Call .reveal() where the value is used."""

    __slots__ = ("_value", "name")

    def __init__(self, name: str, value: str):
        self.name = name
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name}=***)"

    __str__ = __repr__

    def __reduce__(self):  # never pickle the value into a file
        raise TypeError(f"{self.name} is a secret and cannot be serialised")


@dataclass(frozen=True)
class Credentials:
    hubble_private_key: Secret | None              # None when the maker venue is not Hubble
    hyperliquid_trader: str | None = None          # public address, not secret
    hyperliquid_private_key: Secret | None = None
    binance_api_key: Secret | None = None
    binance_secret_key: Secret | None = None
    alert_webhook_url: Secret | None = None        # optional: alerts are off without it
    alert_telegram_chat_id: str | None = None      # the chat a Telegram bot posts to (not secret)
    alert_webhook_format: str | None = None        # telegram, slack, discord or json; None: from the URL's host

    def secrets(self) -> list[Secret]:
        keys = [s for s in (self.hubble_private_key, self.hyperliquid_private_key,
                            self.binance_api_key, self.binance_secret_key) if s is not None]
        if self.alert_webhook_url is not None:
            keys += [Secret("ALERT_WEBHOOK_URL", part) for part in webhook_secret_parts(self.alert_webhook_url.reveal())]
        return keys


ALERT_NAMES = ("ALERT_WEBHOOK_URL", "ALERT_TELEGRAM_CHAT_ID", "ALERT_WEBHOOK_FORMAT")
MIN_TOKEN_PART = 16          # a path segment or query value this long is treated as a token


def webhook_secret_parts(url: str) -> list[str]:
    """The URL, its path and query, and every part of them long enough to be a token."""
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    pieces = [p for p in parts.path.split("/") if p] + [v for _, v in parse_qsl(parts.query)]
    tokens = [p.removeprefix("bot") if p.startswith("bot") else p for p in pieces]
    return list(dict.fromkeys([url, *(p for p in [tail, *pieces, *tokens] if len(p) >= MIN_TOKEN_PART)]))


_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_API_TOKEN = re.compile(r"^[A-Za-z0-9]{16,128}$")


def _check_private_key(name: str, value: str) -> None:
    if not _HEX_KEY.match(value):
        raise CredentialError(f"{name} is not a private key: expected 32 bytes as 64 hex characters (optionally 0x-prefixed)")
    if int(value.removeprefix("0x"), 16) == 0:
        raise CredentialError(f"{name} is not a usable private key (it is zero)")


def _check_address(name: str, value: str) -> None:
    if not _ADDRESS.match(value):
        raise CredentialError(f"{name} is not an address: expected 0x followed by 40 hex characters")
    from eth_utils import is_checksum_address  # imported here: only live runs need it
    if value != value.lower() and value[2:] != value[2:].upper() and not is_checksum_address(value):
        raise CredentialError(f"{name} has a wrong checksum (mixed-case address with a typo?)")


def _check_api_token(name: str, value: str) -> None:
    if not _API_TOKEN.match(value):
        raise CredentialError(f"{name} does not look like a Binance API credential: expected 16-128 letters and digits")


VENUE_NAMES = {"hyperliquid": ["HYPERLIQUID_TRADER", "HYPERLIQUID_PRIVATE_KEY"],
               "binance": ["BINANCE_API_KEY", "BINANCE_SECRET_KEY"]}


def required_names(market: str, hedge: str | None, maker: str = "hubble") -> list[str]:
    """Variables a live run of `market` quoting on `maker` and hedging on `hedge` (None: not hedging) needs."""
    names = [f"{market}_PRIVATE_KEY"] if maker == "hubble" else list(VENUE_NAMES[maker])
    return names + [n for n in VENUE_NAMES.get(hedge or "", []) if n not in names]


_CHECKS: dict[str, Callable[[str, str], None]] = {
    "HYPERLIQUID_TRADER": _check_address,
    "HYPERLIQUID_PRIVATE_KEY": _check_private_key,
    "BINANCE_API_KEY": _check_api_token,
    "BINANCE_SECRET_KEY": _check_api_token,
}


def _alert_settings(env: dict[str, str]) -> dict:
    """The optional alert webhook: checked when set, never shown. Raises CredentialError naming the variable."""
    from bot.reporting.webhook_formats import STYLES, detect_style

    url = (env.get("ALERT_WEBHOOK_URL") or "").strip()
    chat_id = (env.get("ALERT_TELEGRAM_CHAT_ID") or "").strip() or None
    style = (env.get("ALERT_WEBHOOK_FORMAT") or "").strip().lower() or None
    if not url:
        return {}
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CredentialError("ALERT_WEBHOOK_URL is not a web address: expected https://host/path")
    if style is not None and style not in STYLES:
        raise CredentialError(f"ALERT_WEBHOOK_FORMAT must be one of {', '.join(STYLES)} (or unset: chosen from the URL)")
    if (style or detect_style(url)) == "telegram" and not chat_id:
        raise CredentialError("ALERT_TELEGRAM_CHAT_ID is not set: a Telegram bot needs the chat to post to "
                              "(a number such as -1001234567890, or @channelname)")
    return {"alert_webhook_url": Secret("ALERT_WEBHOOK_URL", url), "alert_telegram_chat_id": chat_id,
            "alert_webhook_format": style}


def read_env(path: Path = SECRET_FILE) -> dict[str, str]:
    """The secret file's variables (if the file exists), overridden by the process environment."""
    values: dict[str, str] = {}
    if path.exists():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ)
    return values


def permission_warning(path: Path = SECRET_FILE) -> str | None:
    """A warning line when the secret file is readable by group or others."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} is readable by other users (mode {stat.filemode(mode)}); run: chmod 600 {path}"
    return None


def load(market: str, hedge: str | None, env: dict[str, str] | None = None, maker: str = "hubble") -> Credentials:
    """Check and wrap the secrets a live run needs. Raises CredentialError naming the variable."""
    env = read_env() if env is None else env
    values: dict[str, str] = {}
    for name in required_names(market, hedge, maker):
        value = (env.get(name) or "").strip()
        if not value:
            raise CredentialError(f"{name} is not set: add it to {SECRET_FILE} (see .env.secret.example). {SIM_HINT.format(market=market)}")
        _CHECKS.get(name, _check_private_key)(name, value)
        values[name] = value
    secret = lambda n: Secret(n, values[n]) if n in values else None  # noqa: E731
    return Credentials(
        hubble_private_key=secret(f"{market}_PRIVATE_KEY"),
        hyperliquid_trader=values.get("HYPERLIQUID_TRADER"),
        hyperliquid_private_key=secret("HYPERLIQUID_PRIVATE_KEY"),
        binance_api_key=secret("BINANCE_API_KEY"),
        binance_secret_key=secret("BINANCE_SECRET_KEY"),
        **_alert_settings(env),
    )
