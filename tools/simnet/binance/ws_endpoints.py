"""The websocket endpoints of both apps: the URL forms (ws mode, stream mode; USDⓈ-M's /public, /market and
/private routes, routes.py) and which streams each connection asks for; the hubs (streams.py) serve them."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Mapping

from aiohttp import web

from tools.simnet.binance.routes import (LEGACY, PRIVATE, ROUTES, UNSPLIT, is_listen_key, parse_private_query,
                                         private_filters)
from tools.simnet.binance.streams import StreamHub, streams_from_query

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FUTURES_PREFIXES = ("", "/public", "/market", "/private")


def route_from_path(path: str) -> str:
    """"public" for /public/ws..., "" (legacy) for /ws and /stream."""
    first = path.strip("/").split("/")[0]
    return first if first in ROUTES else LEGACY


def add_ws_routes(app: web.Application, handler: Handler, prefixes: tuple[str, ...] = ("",)) -> None:
    """ws mode ``<prefix>/ws/<a>/<b>`` and stream mode ``<prefix>/stream?streams=a/b`` (change notice)."""
    for prefix in prefixes:
        for path in ("/ws", "/ws/{streams:.+}", "/stream"):
            app.router.add_get(prefix + path, handler)


class WsEndpoints:
    def __init__(self, futures_hub: StreamHub, spot_hub: StreamHub, options: Mapping[str, Any]):
        self.futures_hub = futures_hub
        self.spot_hub = spot_hub
        self.options = options

    async def futures(self, request: web.Request) -> web.StreamResponse:
        """USDT-M streams by route: /public, /market, /private, and the retired /ws, /stream
        (still answering, but only with /public data: routes.py)."""
        route = route_from_path(request.path)
        if route == PRIVATE:
            return await self._private(request)
        streams, combined = self._ws_streams(request)
        label = "futures_user" if any(is_listen_key(s) for s in streams) else "futures_market"
        return await self.futures_hub.serve(request, streams, combined, label, route)

    async def _private(self, request: web.Request) -> web.StreamResponse:
        """``/private/ws?listenKey=<k>&events=A/B`` and ``/private/stream?listenKey=<k1>&events=..&listenKey=<k2>..``
        (change notice examples); python-binance 1.0.37 futures_user_socket builds the first without events.
        The path form ``/private/ws/<listenKey>`` is accepted and stays silent (routes.py has the sources:
        decommissioned on mainnet, although a coin-futures docs page still shows it)."""
        path_key = request.match_info.get("streams")
        keys = private_filters(parse_private_query(list(request.query.items())), path_key,
                               str(self.options.get("private_without_events", "all")))
        combined = request.path.rstrip("/").endswith("/stream")
        return await self.futures_hub.serve(request, list(keys), combined, "futures_user", PRIVATE, keys)

    async def spot(self, request: web.Request) -> web.StreamResponse:
        streams, combined = self._ws_streams(request)
        return await self.spot_hub.serve(request, streams, combined, "spot_market", UNSPLIT)

    @staticmethod
    def _ws_streams(request: web.Request) -> tuple[list[str], bool]:
        if "streams" in request.match_info:
            return [s for s in request.match_info["streams"].split("/") if s], False
        if request.path.endswith("/stream"):
            return streams_from_query(request), True
        key = request.query.get("listenKey")
        return ([key] if key else []), False
