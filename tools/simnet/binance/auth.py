"""Authentication and request-weight limits, the way Binance does them.

* API key in the ``X-MBX-APIKEY`` header (-2014 when absent/malformed, -2015
  when unknown).
* SIGNED endpoints: HMAC-SHA256 (hex) of the request's total parameters
  (query string, then body) without the trailing ``signature`` (-1022), a
  ``timestamp`` within ``recvWindow`` of the server clock (-1021), server clock
  skewable with the ``clock_skew_ms`` option / flag.
* Request weight per IP in a sliding 60 s window (header
  ``X-MBX-USED-WEIGHT-1M``); over the limit: 429 / -1003; a client that keeps
  going while limited (more than ``ban_after`` further requests) gets 418 and
  is banned for ``ban_seconds``.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus

from tools.simnet.binance.errors import BinanceError, missing

MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = 5_000


def derive_keys(seed: int) -> tuple[str, str]:
    """Deterministic API key / secret pair (64 alphanumerics each, like Binance's)."""
    key = hashlib.sha256(f"simnet-binance-api-key:{seed}".encode()).hexdigest()
    secret = hashlib.sha256(f"simnet-binance-api-secret:{seed}".encode()).hexdigest()
    return key, secret


def split_signature(total: str) -> tuple[str, str | None]:
    """(payload that was signed, signature) from the raw total-params string."""
    marker = "signature="
    if total.startswith(marker):
        return "", total[len(marker):].split("&")[0]
    index = total.rfind("&" + marker)
    if index < 0:
        return total, None
    rest = total[index + 1 + len(marker):]
    return total[:index], rest.split("&")[0]


def signature_ok(secret: str, payload: str, signature: str) -> bool:
    """Accept the signature over the raw payload or over its percent-decoded form.

    python-binance signs the values before aiohttp form-encodes the body, so
    a value with reserved characters reaches us encoded; Binance's own check
    is over the bytes as sent, which is the first candidate.
    """
    signature = unquote_plus(signature).lower()
    for candidate in (payload, unquote_plus(payload)):
        digest = hmac.new(secret.encode(), candidate.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(digest, signature):
            return True
    return False


def parse_params(total: str) -> dict[str, str]:
    return dict(parse_qsl(total, keep_blank_values=True))


def check_timestamp(params: dict[str, str], server_ms: int) -> None:
    raw = params.get("timestamp")
    if not raw or not raw.isdigit():
        raise missing("timestamp")
    stamp = int(raw)
    window_raw = params.get("recvWindow", str(DEFAULT_RECV_WINDOW))
    try:
        window = int(window_raw)
    except ValueError:
        raise missing("recvWindow") from None
    if window > MAX_RECV_WINDOW or window <= 0:
        raise BinanceError(-1130, name="recvWindow")
    if stamp > server_ms + 1000:
        raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server_ms - stamp > window:
        raise BinanceError(-1021)


@dataclass
class WeightLimiter:
    """Sliding-window request weight per client IP."""

    limit: int
    ban_after: int = 3
    ban_seconds: float = 120.0
    _log: dict[str, deque] = field(default_factory=dict)          # ip -> (t, weight)
    _over: dict[str, int] = field(default_factory=dict)           # ip -> requests while limited
    _banned_until: dict[str, float] = field(default_factory=dict)

    def used(self, ip: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        log = self._log.setdefault(ip, deque())
        while log and now - log[0][0] >= 60.0:
            log.popleft()
        return sum(w for _, w in log)

    def charge(self, ip: str, weight: int, server_ms: int) -> int:
        """Count the request; raise 429/418 if over; return used weight."""
        now = time.monotonic()
        banned = self._banned_until.get(ip, 0.0)
        if now < banned:
            raise self._ban_error(ip, banned, now, server_ms)
        used = self.used(ip, now) + weight
        self._log[ip].append((now, weight))
        if used <= self.limit:
            self._over.pop(ip, None)
            return used
        over = self._over.get(ip, -1) + 1
        self._over[ip] = over
        if over > self.ban_after:
            self._banned_until[ip] = now + self.ban_seconds
            raise self._ban_error(ip, now + self.ban_seconds, now, server_ms)
        err = BinanceError(-1003, f"Too many requests; current limit of IP({ip}) request weight is "
                                  f"{self.limit} per minute. Please use WebSocket Streams for live "
                                  f"updates to avoid polling the API.", status=429)
        err.headers.update({"Retry-After": str(int(60 - (now - self._log[ip][0][0])) + 1),
                            "X-MBX-USED-WEIGHT-1M": str(used)})
        raise err

    def _ban_error(self, ip: str, until: float, now: float, server_ms: int) -> BinanceError:
        until_ms = server_ms + int((until - now) * 1000)
        err = BinanceError(-1003, f"Way too many requests; IP({ip}) banned until {until_ms}. "
                                  f"Please use the websocket for live updates to avoid bans.", status=418)
        err.headers["Retry-After"] = str(int(until - now) + 1)
        return err

    def reset(self) -> None:
        self._log.clear()
        self._over.clear()
        self._banned_until.clear()
