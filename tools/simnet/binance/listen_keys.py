"""listenKeys of the USDⓈ-M user data stream: one live key per API key.

USDⓈ-M "User Data Streams" (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams):
"A User Data Stream listenKey is valid for 60 minutes after creation. Doing a PUT on a listenKey will
extend its validity for 60 minutes, if response -1125 error "This listenKey does not exist." Please use
POST /fapi/v1/listenKey to recreate listenKey. Doing a DELETE on a listenKey will close the stream and
invalidate the listenKey. Doing a POST on an account with an active listenKey will return the currently
active listenKey and extend its validity for 60 minutes."

PUT and DELETE take no parameter (the official SDK's ``keepalive_user_data_stream()`` and
``close_user_data_stream()`` send none: binance-connector-python, clients/derivatives_trading_usds_futures,
rest_api/api/user_data_streams_api.py): they act on the account's live key. python-binance still sends
``listenKey``; simnet then insists that it names the live key (-1125 otherwise).
unconfirmed: what Binance does with a ``listenKey`` parameter naming another key.

When a key's validity runs out (no PUT/POST for ``ttl`` seconds) ``on_expire(key)`` is called at once
(the venue pushes ``listenKeyExpired``, user_stream.py). A POST after that creates a new key.
unconfirmed: whether Binance hands out a new string or the old one again (simnet: a new one).
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Callable

from tools.simnet.binance.errors import BinanceError


class ListenKeys:
    def __init__(self, seed: int, ttl: float = 3600.0, on_expire: Callable[[str], None] | None = None):
        self.seed = seed
        self.ttl = ttl
        self.on_expire = on_expire
        self.count = 0
        self.keys: dict[str, tuple[str, float]] = {}       # listenKey -> (api key, expires monotonic)
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def owner(self, listen_key: str) -> str | None:
        entry = self.keys.get(listen_key)
        if entry is None or time.monotonic() >= entry[1]:
            return None
        return entry[0]

    def live_keys(self, api_key: str) -> list[str]:
        return [k for k, (owner, _) in self.keys.items() if owner == api_key and self.owner(k)]

    def open(self, api_key: str) -> str:
        """POST: the live key, extended; else a new one."""
        live = self.live_keys(api_key)
        if live:
            self._extend(live[0], api_key)
            return live[0]
        self.count += 1
        digest = hashlib.sha256(f"simnet-listen-key:{self.seed}:{api_key}:{self.count}".encode()).hexdigest()
        key = (digest + hashlib.sha256(digest.encode()).hexdigest())[:64]
        self._extend(key, api_key)
        return key

    def keepalive(self, api_key: str, listen_key: str | None) -> str:
        """PUT: extend the account's live key; -1125 when there is none (or `listen_key` names another)."""
        key = self._live_one(api_key, listen_key)
        self._extend(key, api_key)
        return key

    def close(self, api_key: str, listen_key: str | None) -> None:
        """DELETE: invalidate the account's live key. unconfirmed: Binance's answer when there is none
        (simnet: ``{}`` as when there is one) and whether the key's connections get any event (simnet: none)."""
        for key in self.live_keys(api_key):
            if listen_key in (None, "", key):
                self._cancel(key)
                del self.keys[key]

    def expire_now(self) -> list[str]:
        """Expire every live key at once (the ``expire_listen_keys`` fault); each gets ``on_expire``."""
        expired = [k for k in self.keys if self.owner(k)]
        for key in expired:
            self._expire(key)
        return expired

    # ---- internals --------------------------------------------------------------------
    def _live_one(self, api_key: str, listen_key: str | None) -> str:
        live = self.live_keys(api_key)
        if not live or listen_key not in (None, "", live[0]):
            raise BinanceError(-1125)
        return live[0]

    def _extend(self, key: str, api_key: str) -> None:
        self.keys[key] = (api_key, time.monotonic() + self.ttl)
        self._cancel(key)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:            # used outside the simulator's loop (unit use): no push on expiry
            return
        self._timers[key] = loop.call_later(self.ttl, self._expire, key)

    def _expire(self, key: str) -> None:
        self._cancel(key)
        owner, _ = self.keys[key]
        self.keys[key] = (owner, 0.0)
        if self.on_expire is not None:
            self.on_expire(key)

    def _cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def cancel_all(self) -> None:
        for key in list(self._timers):
            self._cancel(key)
