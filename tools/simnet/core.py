"""SimNet: runs the simulated venues on loopback in one background event loop.

The loop lives in its own thread (or is the main loop of ``python -m
tools.simnet``), never inside the bot's loop: the Hubble SDK makes a blocking
HTTP call while it is constructed, which would deadlock a same-loop server.

Each venue is a ``Venue`` subclass in its own package (``tools.simnet.hubble``,
``.hyperliquid``, ``.binance``) exposing ``create(net) -> Venue``. A venue
serves one or more aiohttp applications ("roles"), each on its own port, and
is told of every step of the shared reference price path.
"""
from __future__ import annotations

import asyncio
import importlib
import json
import logging
import random
import threading
from typing import Any

from aiohttp import web

from tools.simnet import scenarios
from tools.simnet.config import ALL_VENUES, SimConfig
from tools.simnet.faults import Faults
from tools.simnet.markets import MARKETS
from tools.simnet.pricepath import PricePath

log = logging.getLogger("simnet")
# ALL_VENUES and SimConfig live in config.py; importable from here as before
__all__ = ["ALL_VENUES", "SimConfig", "SimNet", "Venue", "ready_line"]


class Venue:
    """Base class of a simulated venue. Subclasses fill in the hooks."""

    name = "venue"

    def __init__(self, net: "SimNet"):
        self.net = net
        self.faults = Faults()
        self.rng = random.Random(f"{net.config.seed}:{self.name}")
        self.options = net.config.options(self.name)

    def build_apps(self) -> dict[str, web.Application]:
        """role -> aiohttp application; each role gets its own port."""
        raise NotImplementedError

    def ready_keys(self, bases: dict[str, str]) -> dict[str, Any]:
        """Keys for the ready line, given role -> "host:port"."""
        raise NotImplementedError

    async def on_start(self) -> None:
        """Called once the venue's sites listen (start background tasks here)."""

    async def on_stop(self) -> None:
        """Called before the sites close."""

    def on_tick(self, step: int, prices: dict[str, float]) -> None:
        """A new step of the reference price path (symbol -> USD)."""

    async def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Venue-specific actions first, then the generic fault knobs."""
        return await self.faults.apply(action, params)


class SimNet:
    """Owns the venues, their sites, the price path and the control API."""

    def __init__(self, config: SimConfig | None = None):
        self.config = config or SimConfig()
        starts = {symbol: m.start_price for symbol, m in MARKETS.items()}
        self.path = PricePath(self.config.seed, starts, self.config.path)
        self.venues: dict[str, Venue] = {}
        self.ready: dict[str, Any] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._sites: dict[str, tuple[Venue, web.AppRunner, web.TCPSite]] = {}
        self._tasks: list[asyncio.Task] = []
        self._thread: threading.Thread | None = None
        self._stopped = asyncio.Event()

    # ---- lifecycle (inside the loop) -------------------------------------
    async def start_async(self) -> dict[str, Any]:
        self.loop = asyncio.get_running_loop()
        scenarios.apply(self.config.scenario, self)
        for name in self.config.venues:
            module = importlib.import_module(f"tools.simnet.{name}")
            self.venues[name] = module.create(self)
        ready: dict[str, Any] = {}
        for venue in self.venues.values():
            bases = {role: await self._serve(venue, role, app)
                     for role, app in venue.build_apps().items()}
            ready.update(venue.ready_keys(bases))
        control_base = await self._serve(None, "control", self._control_app())
        ready["control_url"] = f"http://{control_base}/control"
        ready["seed"] = self.config.seed
        ready["scenario"] = self.config.scenario
        for venue in self.venues.values():
            await venue.on_start()
        if self.config.autotick:
            self._tasks.append(asyncio.create_task(self._tick_forever()))
        self._tasks.extend(asyncio.create_task(c) for c in scenarios.timeline(self.config.scenario, self))
        self.ready = ready
        return ready

    async def stop_async(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for venue in self.venues.values():
            await venue.on_stop()
            await venue.faults.drop()
        for _, runner, _site in self._sites.values():
            await runner.cleanup()
        self._sites.clear()
        self._stopped.set()

    async def _serve(self, venue: Venue | None, role: str, app: web.Application) -> str:
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.ports.get(role, 0), reuse_address=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.config.ports[role] = port
        if venue is not None:
            self._sites[role] = (venue, runner, site)
        else:
            self._control_runner = runner
        return f"{self.config.host}:{port}"

    async def _tick_forever(self) -> None:
        dt = self.config.path.dt
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += dt
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            self.step()

    def step(self, count: int = 1) -> dict[str, float]:
        """Advance the reference path `count` steps and tell every venue (loop thread only)."""
        prices = self.path.prices()
        for _ in range(count):
            prices = self.path.step()
            for venue in self.venues.values():
                venue.on_tick(self.path.step_index, prices)
        return prices

    # ---- control ----------------------------------------------------------
    async def control_async(self, venue: str, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        params = dict(params or {})
        if venue == "net":
            return await self._net_control(action, params)
        target = self.venues.get(venue)
        if target is None:
            raise KeyError(f"unknown venue {venue!r}; running: {sorted(self.venues)}")
        if action == "refuse":
            return await self._refuse(target, float(params["seconds"]))
        return await target.control(action, params)

    async def _net_control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if action == "step":
            return {"prices": self.step(int(params.get("count", 1))), "step": self.path.step_index}
        if action == "shock":
            self.path.shock(params["symbol"], float(params["relative"]))
            return {}
        if action == "prices":
            return {"prices": self.path.prices(), "step": self.path.step_index}
        raise KeyError(f"unknown net action {action!r}")

    async def _refuse(self, venue: Venue, seconds: float) -> dict[str, Any]:
        """Close the venue's listening sockets for `seconds`, then reopen them."""
        roles = [role for role, (v, _, _) in self._sites.items() if v is venue]
        for role in roles:
            _, runner, site = self._sites[role]
            await site.stop()
            # a real outage also breaks kept-alive connections, not only new ones
            for handler in list(runner.server.connections if runner.server else ()):
                handler.force_close()
        await venue.faults.drop()

        async def reopen() -> None:
            await asyncio.sleep(seconds)
            for role in roles:
                _, runner, _old = self._sites[role]
                site = web.TCPSite(runner, self.config.host, self.config.ports[role], reuse_address=True)
                await site.start()
                self._sites[role] = (venue, runner, site)

        self._tasks.append(asyncio.create_task(reopen()))
        return {"refused": roles, "seconds": seconds}

    def _control_app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json()
                result = await self.control_async(body["venue"], body["action"], body.get("params"))
                return web.json_response({"ok": True, "result": result})
            except (KeyError, TypeError, ValueError) as exc:
                return web.json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, status=400)

        app = web.Application()
        app.router.add_post("/control", handle)
        return app

    # ---- thread mode (tests, --sim in-process helpers) ---------------------
    def start(self, timeout: float = 30.0) -> dict[str, Any]:
        """Run the venues in a background thread; return the ready-line dict."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # report to the starting thread
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_until_complete(self._stopped.wait())
            loop.close()

        self._stopped = asyncio.Event()
        self._thread = threading.Thread(target=run, name="simnet", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError("simnet did not start in time")
        if failure:
            raise failure[0]
        return self.ready

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop and self._thread and self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.stop_async(), self.loop).result(timeout)
            self._thread.join(timeout)

    def call(self, coro_fn, *args, timeout: float = 10.0) -> Any:
        """Run ``coro_fn(*args)`` on the simnet loop from another thread."""
        assert self.loop is not None, "simnet not started"
        return asyncio.run_coroutine_threadsafe(coro_fn(*args), self.loop).result(timeout)

    def control(self, venue: str, action: str, **params: Any) -> dict[str, Any]:
        """Thread-safe control entry point for tests."""
        return self.call(self.control_async, venue, action, params)

    def __enter__(self) -> "SimNet":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ready_line(ready: dict[str, Any]) -> str:
    return json.dumps(ready, sort_keys=True)
