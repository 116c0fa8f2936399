"""Venue endpoints (not secret): mainnet defaults from config.ENDPOINTS, overridable by environment."""
from __future__ import annotations

import os
from typing import Mapping
from urllib.parse import urlparse

import config

HUBBLE_ENVS = ("mainnet", "hubblenext", "aylin", "local")
_SCHEMES = {"HUBBLE_RPC": ("http", "https"), "HUBBLE_WS_RPC": ("ws", "wss"),
            "HUBBLE_INDEXER_API_URL": ("http", "https"), "HYPERLIQUID_API_URL": ("http", "https"),
            "BINANCE_FUTURES_REST": ("http", "https"), "BINANCE_FUTURES_WS": ("ws", "wss"),
            "BINANCE_SPOT_REST": ("http", "https"), "BINANCE_SPOT_WS": ("ws", "wss")}


class EndpointError(ValueError):
    """An endpoint override is malformed."""


def resolve(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every endpoint: the environment's value where set, else config.ENDPOINTS' default."""
    env = os.environ if env is None else env
    result = {name: (env.get(name) or default).strip() for name, default in config.ENDPOINTS.items()}
    if result["HUBBLE_ENV"] not in HUBBLE_ENVS:
        raise EndpointError(f"HUBBLE_ENV = {result['HUBBLE_ENV']!r}: must be one of {', '.join(HUBBLE_ENVS)}")
    for name, schemes in _SCHEMES.items():
        parsed = urlparse(result[name])
        if parsed.scheme not in schemes or not parsed.netloc:
            raise EndpointError(f"{name} = {result[name]!r}: must be a {'/'.join(schemes)}:// URL")
    return result


def export_for_hubble_sdk(endpoints: Mapping[str, str]) -> None:
    """The Hubble SDK reads its endpoints from the environment; set them before importing it."""
    for name in ("HUBBLE_ENV", "HUBBLE_RPC", "HUBBLE_WS_RPC", "HUBBLE_INDEXER_API_URL"):
        os.environ[name] = endpoints[name]
