"""Authentication and request-weight limits, the way Binance does them.

* API key in the ``X-MBX-APIKEY`` header (-2014 when absent/malformed, -2015
  when unknown).
* SIGNED endpoints: HMAC-SHA256 (hex) of the request's total parameters
  (query string, then body) without the trailing ``signature`` (-1022), a
  ``timestamp`` within ``recvWindow`` of the server clock (-1021), server clock
  skewable with the ``clock_skew_ms`` option / flag.
* Request weight per IP per minute (header ``X-MBX-USED-WEIGHT-1M``); over the
  limit: 429 / -1003 with ``Retry-After``; a client that keeps going while
  limited (more than ``ban_after`` further requests) gets 418 and is banned for
  ``ban_seconds``, doubling for repeat offenders (see ``WeightLimiter``).
"""
from __future__ import annotations

import hashlib
import hmac
import math
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
    # general-info "Timing Security": processed if timestamp < serverTime + 1000 and
    # serverTime - timestamp <= recvWindow
    if stamp >= server_ms + 1000:
        raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server_ms - stamp > window:
        raise BinanceError(-1021)


@dataclass
class WeightLimiter:
    """Request weight per client IP, per minute of the server clock.

    Sources (USDⓈ-M general-info, "LIMITS" / "IP Limits"): every answer carries
    ``X-MBX-USED-WEIGHT-1M``; over the limit the answer is 429 (-1003 "Too many requests;
    current limit is %s requests per minute..."); "Repeatedly violating rate limits and/or
    failing to back off after receiving 429s will result in an automated IP ban (HTTP status
    418)"; "IP bans are tracked and scale in duration for repeat offenders, from 2 minutes to
    3 days". ``Retry-After`` on 429/418 is documented for spot ("the number of seconds required
    to wait, in the case of a 429, to prevent a ban, or, in the case of a 418, until the ban is
    over"); unconfirmed for USDⓈ-M (its Limits page does not name the header; clients such as
    nautilus_trader read it from futures answers).
    unconfirmed: the counter resets at each calendar minute (what third-party clients observe,
    e.g. polyoxide-binance "until the next UTC minute"); option ``weight_window=sliding`` keeps a
    sliding 60 s window instead. unconfirmed: how many requests after a 429 trigger the ban
    (``ban_after``) and how the ban grows (simnet: doubles from ``ban_seconds``, capped at 3 days).
    """

    limit: int
    ban_after: int = 3
    ban_seconds: float = 120.0
    window: str = "minute"
    max_ban_seconds: float = 3 * 86_400.0
    _log: dict[str, deque] = field(default_factory=dict)          # ip -> (t, weight)
    _over: dict[str, int] = field(default_factory=dict)           # ip -> requests while limited
    _banned_until: dict[str, float] = field(default_factory=dict)
    _bans: dict[str, int] = field(default_factory=dict)           # ip -> bans so far

    def _window_start(self, now: float) -> float:
        return now // 60.0 * 60.0 if self.window == "minute" else now - 60.0

    def used(self, ip: str, server_ms: int) -> int:
        now = server_ms / 1000.0
        log = self._log.setdefault(ip, deque())
        start = self._window_start(now)
        while log and log[0][0] < start:
            log.popleft()
        return sum(w for _, w in log)

    def charge(self, ip: str, weight: int, server_ms: int) -> int:
        """Count the request; raise 429/418 if over; return used weight."""
        now = server_ms / 1000.0
        banned = self._banned_until.get(ip, 0.0)
        if now < banned:
            raise self._ban_error(ip, banned, now)
        used = self.used(ip, server_ms) + weight
        self._log[ip].append((now, weight))
        if used <= self.limit:
            self._over.pop(ip, None)
            return used
        over = self._over.get(ip, -1) + 1
        self._over[ip] = over
        if over > self.ban_after:
            return self._ban(ip, now)
        err = BinanceError(-1003, limit=self.limit, status=429)
        err.headers.update({"Retry-After": str(self._seconds_to_free(ip, now)), "X-MBX-USED-WEIGHT-1M": str(used)})
        raise err

    def _seconds_to_free(self, ip: str, now: float) -> int:
        if self.window == "minute":
            return max(1, math.ceil(60.0 - now % 60.0))
        return max(1, math.ceil(60.0 - (now - self._log[ip][0][0])))

    def _ban(self, ip: str, now: float) -> int:
        seconds = min(self.ban_seconds * 2 ** self._bans.get(ip, 0), self.max_ban_seconds)
        self._bans[ip] = self._bans.get(ip, 0) + 1
        self._banned_until[ip] = now + seconds
        self._over.pop(ip, None)
        raise self._ban_error(ip, now + seconds, now)

    @staticmethod
    def _ban_error(ip: str, until: float, now: float) -> BinanceError:
        text = MESSAGES_418.format(until=int(until * 1000))
        err = BinanceError(-1003, text, status=418)
        err.headers["Retry-After"] = str(max(1, math.ceil(until - now)))
        return err

    def reset(self) -> None:
        self._log.clear()
        self._over.clear()
        self._banned_until.clear()
        self._bans.clear()


# the error-code page's second -1003 text
MESSAGES_418 = "Way too many requests; IP banned until {until}. Please use the websocket for live updates to avoid bans."
