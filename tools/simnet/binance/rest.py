"""The request pipeline shared by the futures and spot REST apps.

Every request: latency / delay fault, request weight (429/418), the generic
error fault, parameter parsing (query string and form body), then the
endpoint's security (NONE, USER_STREAM: API key only, SIGNED: key, signature
and timestamp), then the handler. Answers carry ``X-MBX-USED-WEIGHT-1M``.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Union

from aiohttp import web

from tools.simnet.binance.accounts import Account
from tools.simnet.binance.auth import (WeightLimiter, check_timestamp, parse_params, signature_ok,
                                       split_signature)
from tools.simnet.binance.clock import ServerClock
from tools.simnet.binance.errors import BinanceError, injected_error, missing
from tools.simnet.faults import Faults

NONE, USER_STREAM, SIGNED = "NONE", "USER_STREAM", "SIGNED"


@dataclass
class Call:
    request: web.Request
    params: dict[str, str]
    now: int                       # server clock, ms
    account: Account | None = None
    headers: dict[str, str] = field(default_factory=dict)    # extra answer headers (order counts)


Handler = Callable[[Call], Awaitable[Any]]
Weight = Union[int, Callable[[dict[str, str]], int]]


class RestPipeline:
    def __init__(self, limiter: WeightLimiter, faults: Faults, options: Mapping[str, Any], clock: ServerClock,
                 account_for: Callable[[str | None], Account], api_secret: str):
        self.limiter = limiter
        self.base_limit = limiter.limit
        self.faults = faults
        self.options = options
        self.clock = clock
        self.account_for = account_for           # the API key's account (-2014 / -2015 for a bad key)
        self.api_secret = api_secret

    def route(self, handler: Handler, weight: Weight = 1, security: str = NONE) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            return await self._run(request, handler, weight, security)
        return endpoint

    async def _run(self, request: web.Request, handler: Handler, weight: Weight, security: str) -> web.StreamResponse:
        faults = self.faults
        latency = float(self.options.get("latency_ms", 0)) / 1000.0
        if latency > 0:
            await asyncio.sleep(latency)
        await faults.maybe_delay()
        ip = request.remote or "127.0.0.1"
        used = 0
        call: Call | None = None
        try:
            query = request.rel_url.raw_query_string
            body = (await request.text()) if request.can_read_body else ""
            # "If a parameter sent in both the query string and request body, the query string
            # parameter will be used." (USDⓈ-M general-info)
            params = parse_params(body)
            params.update(parse_params(query))
            now = self.clock.server_ms()
            self.limiter.limit = int(faults.flags.get("weight_limit", self.base_limit))   # the weight_limit flag
            cost = weight(params) if callable(weight) else weight
            used = self.limiter.charge(ip, cost, now)
            fault = faults.take_error()
            if fault is not None:
                raise injected_error(*fault, retry_after=int(faults.flags.get("retry_after_s", 60)))
            call = Call(request, params, now)
            if security in (USER_STREAM, SIGNED):
                call.account = self.account_for(request.headers.get("X-MBX-APIKEY"))
            if security == SIGNED:
                self._check_signed(call, query + body)
            result = await handler(call)
            if isinstance(result, web.StreamResponse):
                return result
            return web.json_response(result, headers=self._headers(used) | call.headers, dumps=_dumps)
        except BinanceError as err:
            response = err.response()
            extra = call.headers if call is not None else {}
            for key, value in (self._headers(used or self.limiter.used(ip, self.clock.server_ms())) | extra).items():
                response.headers.setdefault(key, value)
            return response

    def _check_signed(self, call: Call, total: str) -> None:
        payload, signature = split_signature(total)
        if not signature:
            raise missing("signature")
        if not signature_ok(self.api_secret, payload, signature):
            raise BinanceError(-1022)
        if self.faults.take("timestamp_error"):
            raise BinanceError(-1021)
        check_timestamp(call.params, call.now)

    @staticmethod
    def _headers(used: int) -> dict[str, str]:
        return {"X-MBX-USED-WEIGHT-1M": str(used)}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
