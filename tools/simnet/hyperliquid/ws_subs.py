"""What a websocket ``subscribe`` asks for, normalized the way the venue echoes it.

Sources (short names as in docs/simnet/hyperliquid.md):

* docs/subscriptions: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/websocket/subscriptions
  (types, their parameters, ``l2Book`` optional ``nSigFigs``/``mantissa``/``fast``, ``userFills``
  optional ``aggregateByTime``).
* probe: nemanull/arbitrage-observatory docs/profiles/hyperliquid/websocket.md (commit 132aa99, a wire
  probe of the real venue on 2026-09-24): the acknowledgement echoes the subscription "with defaults
  filled" (``"nSigFigs":null,"mantissa":null,"fast":false`` for l2Book); a second subscribe answers
  ``Already subscribed: <echo>``, an unsubscribe of nothing ``Already unsubscribed: <echo>``; an unknown
  ``type``, a missing ``subscription`` or a malformed field answers ``Error parsing JSON into valid
  websocket request: <frame>``; an unknown or mis-spelled coin, ``nSigFigs`` 6 or a ``mantissa`` without
  ``nSigFigs`` 5 closes the socket at once (code 1006, no close frame, no message).
* nktkas: nktkas/hyperliquid src/api/subscription/_methods/*.ts (schemas checked against live traffic by
  its tests): ``clearinghouseState``/``openOrders`` take an optional ``dex`` and their events carry
  ``dex: ""`` for the main dex; the SDK fills ``aggregateByTime: false`` and ``dex: ""`` in so that its
  request is a subset of the server's echo.

Unconfirmed: the echo of ``userFills`` (``aggregateByTime`` filled with false) and of the account feeds
(``dex`` filled with ""), inferred from nktkas' matching; the echoed address is lower case here.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

COIN_TYPES = ("l2Book", "bbo", "trades")
USER_TYPES = ("userFills", "orderUpdates", "userEvents", "clearinghouseState", "openOrders")
ALL_TYPES = ("allMids",) + COIN_TYPES + USER_TYPES
N_SIG_FIGS = (2, 3, 4, 5)
MANTISSAS = (1, 2, 5)           # only with nSigFigs 5 (docs info-endpoint l2Book; probe)
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
PARSE_ERROR = "Error parsing JSON into valid websocket request: "


class ParseError(Exception):
    """Answered on channel "error" with PARSE_ERROR + the frame; the socket stays open."""


class CloseConnection(Exception):
    """The venue drops the socket without a close frame (probe: unknown coin, bad nSigFigs)."""


@dataclass(frozen=True)
class Sub:
    kind: str                 # the subscription type
    target: str               # coin, lower-case user, or "" (allMids)
    echo_text: str            # compact JSON the venue echoes; also the subscription's identity
    echo: dict[str, Any] = field(compare=False, hash=False, repr=False, default_factory=dict)

    @property
    def is_user(self) -> bool:
        return self.kind in USER_TYPES

    @property
    def fast(self) -> bool:
        return self.kind == "l2Book" and self.echo.get("fast") is True


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def parse(raw: Any, known_coins: Iterable[str]) -> Sub:
    """The normalized subscription; ParseError or CloseConnection when the venue refuses it."""
    if not isinstance(raw, dict) or raw.get("type") not in ALL_TYPES:
        raise ParseError()
    kind = raw["type"]
    if kind == "allMids":
        echo: dict[str, Any] = {"type": kind}
        if "dex" in raw:
            echo["dex"] = _text(raw["dex"])
            if echo["dex"]:
                raise ParseError()             # simnet has only the main dex (unconfirmed reaction)
        return _sub(kind, "", echo)
    if kind in COIN_TYPES:
        coin = _text(raw.get("coin"))
        if coin not in set(known_coins):
            raise CloseConnection()
        echo = {"type": kind, "coin": coin}
        if kind == "l2Book":
            echo.update(_book_options(raw))
        return _sub(kind, coin, echo)
    user = _text(raw.get("user"))
    if not ADDRESS.match(user):
        raise ParseError()
    echo = {"type": kind, "user": user.lower()}
    if kind == "userFills":
        echo["aggregateByTime"] = _flag(raw.get("aggregateByTime", False))
    elif kind in ("clearinghouseState", "openOrders"):
        echo["dex"] = _text(raw.get("dex", ""))
        if echo["dex"]:
            raise ParseError()             # simnet has only the main dex (unconfirmed reaction)
    return _sub(kind, user.lower(), echo)


def _book_options(raw: dict[str, Any]) -> dict[str, Any]:
    n_sig, mantissa = raw.get("nSigFigs"), raw.get("mantissa")
    if n_sig is not None and n_sig not in N_SIG_FIGS:
        raise CloseConnection()
    if mantissa is not None and (n_sig != 5 or mantissa not in MANTISSAS):
        raise CloseConnection()
    return {"nSigFigs": n_sig, "mantissa": mantissa, "fast": _flag(raw.get("fast", False))}


def _sub(kind: str, target: str, echo: dict[str, Any]) -> Sub:
    return Sub(kind, target, compact(echo), echo)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ParseError()
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParseError()
    return value
