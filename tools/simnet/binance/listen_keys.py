"""listenKeys of the futures user data stream: one live key per API key.

POST returns the live key when there is one (extending it), as Binance does;
PUT extends; DELETE closes. Keys expire ``ttl`` seconds after the last
POST/PUT (60 minutes by default).
"""
from __future__ import annotations

import hashlib
import time

from tools.simnet.binance.errors import BinanceError, missing


class ListenKeys:
    def __init__(self, seed: int, ttl: float = 3600.0):
        self.seed = seed
        self.ttl = ttl
        self.count = 0
        self.keys: dict[str, tuple[str, float]] = {}       # listenKey -> (api key, expires monotonic)

    def owner(self, listen_key: str) -> str | None:
        entry = self.keys.get(listen_key)
        if entry is None or time.monotonic() >= entry[1]:
            return None
        return entry[0]

    def live_keys(self, api_key: str) -> list[str]:
        return [k for k, (owner, _) in self.keys.items() if owner == api_key and self.owner(k)]

    def open(self, api_key: str) -> str:
        live = self.live_keys(api_key)
        if live:
            self.keys[live[0]] = (api_key, time.monotonic() + self.ttl)
            return live[0]
        self.count += 1
        digest = hashlib.sha256(f"simnet-listen-key:{self.seed}:{api_key}:{self.count}".encode()).hexdigest()
        key = (digest + hashlib.sha256(digest.encode()).hexdigest())[:64]
        self.keys[key] = (api_key, time.monotonic() + self.ttl)
        return key

    def keepalive(self, api_key: str, listen_key: str | None) -> str:
        if not listen_key:
            raise missing("listenKey")
        if self.owner(listen_key) != api_key:
            raise BinanceError(-1125)
        self.keys[listen_key] = (api_key, time.monotonic() + self.ttl)
        return listen_key

    def close(self, api_key: str, listen_key: str | None) -> None:
        if listen_key and self.keys.get(listen_key, ("",))[0] == api_key:
            del self.keys[listen_key]

    def expire_all(self) -> list[str]:
        expired = [k for k in self.keys if self.owner(k)]
        for key in expired:
            owner, _ = self.keys[key]
            self.keys[key] = (owner, 0.0)
        return expired
