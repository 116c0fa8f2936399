"""A local HTTP server standing in for a chat webhook: records what it is sent; can fail or hang."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Received:
    path: str
    content_type: str
    body: dict
    raw: str


@dataclass
class WebhookSink:
    mode: str = "ok"                    # "ok" (200), "fail" (500) or "hang" (never answers)
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    server: TestServer | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        raw = await request.text()
        if self.mode == "hang":
            await self._release.wait()
        if self.mode == "fail":
            return web.Response(status=500, text="broken")
        self.received.append(Received(request.path, request.headers.get("Content-Type", ""), json.loads(raw), raw))
        return web.json_response({"ok": True})

    async def __aenter__(self) -> "WebhookSink":
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc) -> None:
        self._release.set()
        await self.server.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    def texts(self) -> list[str]:
        return [r.body.get("text") or r.body.get("content") or "" for r in self.received]
