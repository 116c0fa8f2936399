"""Which USDT-M futures websocket route serves which stream.

Since the base-URL split (announced 2026-03-06, legacy URLs retired
2026-04-23) fstream.binance.com serves three routed entry points:

* ``/public``  high-frequency book data: ``<s>@bookTicker``, ``!bookTicker``,
  ``<s>@depth<n>[@speed]``, ``<s>@depth[@speed]``, ``<s>@rpiDepth@500ms``;
* ``/market``  everything else that is market data: ``@aggTrade``,
  ``@markPrice``, ``!markPrice@arr``, ``@kline_*``, ``@continuousKline_*``,
  ``@miniTicker``, ``@ticker``, ``@forceOrder``, ``@compositeIndex``,
  ``!contractInfo``, ``@assetIndex`` ...;
* ``/private`` user data, by listenKey (``?listenKey=<k>&events=A/B``).

Sources: the change notice
https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice
("Endpoint & Stream Mapping"), and the official SDK's stream classes
(binance/binance-connector-python, clients/derivatives_trading_usds_futures,
websocket_streams/streams/public_api.py vs market_api.py).

Behaviour of a stream asked on the wrong route: the notice says unmigrated
connections "will ONLY be able to receive data from /public. Channels under
/market and /private will stop pushing data" (e.g. ``/ws/btcusdt@depth`` works,
``/ws/btcusdt@markPrice`` does not). Measured behaviour (jabdori/maxt,
docs/providers/binance.md, 2026-07-30/31, and developers.binance.com
docs/products/caas/market-data-streams): the handshake succeeds, a SUBSCRIBE
naming the other route's stream is acknowledged with ``{"result": null, "id": n}``
and then nothing is ever sent for it -- no error frame, no close. The legacy
``/ws/<listenKey>`` path carries no user data.

``/private`` (user data), docs/simnet/binance.md "The /private route" has the whole evidence:

* ``/private/ws?listenKey=<k>&events=A/B`` delivers the named event types only (an allow list:
  jabdori/maxt efa6a71, 2026-07-31, measured on four sockets sharing one key: ``listenKeyExpired``
  arrived with no ``events``, with itself named and with all three named, not with
  ``ORDER_TRADE_UPDATE/ACCOUNT_UPDATE``).
* without ``events``: every event (the same measurement; ccxt/go-binance#812, 2026-04-28 "the new
  URL works for me" for ``?listenKey=`` alone). unicorn-binance-websocket-api (connection_settings.py,
  2026-05-21) says production "silently delivers nothing" without ``events``, but its only test
  (PR #445) changed the path form and added ``events`` at once; option ``private_without_events``
  = "none" models that claim.
* the path form ``/private/ws/<listenKey>``: the handshake succeeds and nothing is ever pushed
  (unicorn-binance-websocket-api PR #445 and CHANGELOG 2.14.0, 2026-05-21: "The path form has been
  decommissioned by Binance on the mainnet fstream host"; ccxt/go-binance#812, 2026-04-23: "The legacy
  pattern no longer receives user data").
"""
from __future__ import annotations

PUBLIC, MARKET, PRIVATE = "public", "market", "private"
LEGACY = ""                                       # /ws, /stream: served as /public (change notice)
UNSPLIT = "*"                                     # spot streams: not split (no spot notice; measured, maxt)
ROUTES = (PUBLIC, MARKET, PRIVATE)

# stream kinds (the part after the first "@", without levels/speed) served on /public
PUBLIC_KINDS = ("bookTicker", "depth", "rpiDepth",
                # unconfirmed: futures <s>@trade is in no route table of the notice; measured
                # delivering on /public and not on /market (jabdori/maxt docs/providers/binance.md)
                "trade")


def is_listen_key(stream: str) -> bool:
    """A listenKey is a long alphanumeric token with no "@" (Binance's are 64 characters)."""
    return "@" not in stream and not stream.startswith("!") and len(stream) >= 32 and stream.isalnum()


def route_of(stream: str) -> str:
    """The route that serves `stream`."""
    if is_listen_key(stream):
        return PRIVATE
    head, _, tail = stream.partition("@")
    if head == "!bookTicker":
        return PUBLIC
    kind = tail.split("@")[0]
    for public in PUBLIC_KINDS:
        if kind == public or (public == "depth" and kind[5:].isdigit() and kind.startswith("depth")):
            return PUBLIC
    return MARKET


def delivers(connection_route: str, stream: str) -> bool:
    """Whether a connection on `connection_route` ever receives `stream`."""
    if connection_route == UNSPLIT:
        return True
    served_as = PUBLIC if connection_route == LEGACY else connection_route
    return route_of(stream) == served_as


def parse_private_query(pairs: list[tuple[str, str]]) -> dict[str, set[str] | None]:
    """listenKey -> allowed event types (None: all) from ``listenKey=k&events=A/B&listenKey=k2...``.

    Each ``events`` applies to the listenKey before it (change notice, stream mode
    example ``?listenKey=<k1>&events=ORDER_TRADE_UPDATE&listenKey=<k2>&events=ACCOUNT_UPDATE``).
    ``events`` is an allow list; a key without it gets None here (the venue decides: every event,
    or with option ``private_without_events="none"`` nothing; module docstring).
    """
    keys: dict[str, set[str] | None] = {}
    last: str | None = None
    for name, value in pairs:
        if name == "listenKey" and value:
            keys[value] = None
            last = value
        elif name == "events" and last is not None:
            keys[last] = {e for e in value.split("/") if e}
    return keys


def private_filters(keys: dict[str, set[str] | None], path_key: str | None,
                    without_events: str = "all") -> dict[str, set[str] | None]:
    """The event filter of each listenKey of a ``/private`` connection: a key named without ``events``
    gets everything (None), or nothing (an empty set) when ``without_events`` is "none"; a key given in
    the path (``/private/ws/<key>``) gets nothing (module docstring has the sources)."""
    filters = {k: (set() if v is None and without_events == "none" else v) for k, v in keys.items()}
    if path_key and path_key not in filters:
        filters[path_key] = set()
    return filters
