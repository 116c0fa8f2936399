"""Stream faults of the websocket: lost pushes, held pushes, late pushes (per channel name).

These are test devices, not venue behaviour: the real venue gives no sequence numbers or gap markers on
its user channels (docs/subscriptions defines none; the probe found none on l2Book), so a lost or late
event is only noticed by comparing with REST. Control actions (venue ``control``):

  lose_pushes    [channel, count=1]    the next ``count`` pushes of the channel are never sent
  hold_pushes    [channel, seconds=None] pushes (and answers) of the channel wait until released
  release_pushes [channel=None]        deliver what is held, in order (all channels if None)
  delay_pushes   [channel, seconds]    every message of the channel arrives ``seconds`` late (0 ends it)

The generic ``stall [stream=<channel>]`` of tools/simnet/faults.py still applies first: a stalled
channel's messages are dropped, the socket stays open.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

Deliver = Callable[[], None]


@dataclass
class StreamFaults:
    lose: dict[str, int] = field(default_factory=dict)        # channel -> pushes still to lose
    lost: dict[str, int] = field(default_factory=dict)        # channel -> pushes lost so far
    held: dict[str, list[Deliver]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)

    def take_loss(self, channel: str) -> bool:
        left = self.lose.get(channel, 0)
        if left <= 0:
            return False
        self.lose[channel] = left - 1
        self.lost[channel] = self.lost.get(channel, 0) + 1
        return True

    def route(self, channel: str, deliver: Deliver) -> None:
        """Deliver now, later, or when released."""
        if channel in self.held:
            self.held[channel].append(deliver)
        elif self.delays.get(channel, 0) > 0:
            asyncio.get_running_loop().call_later(self.delays[channel], deliver)
        else:
            deliver()

    def release(self, channel: str | None = None) -> int:
        channels = [channel] if channel is not None else list(self.held)
        count = 0
        for name in channels:
            for deliver in self.held.pop(name, []):
                deliver()
                count += 1
        return count

    # ---- control ----------------------------------------------------------------
    def control(self, action: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """The action's result, or None when the action is not a stream fault."""
        if action == "lose_pushes":
            channel = str(params["channel"])
            self.lose[channel] = self.lose.get(channel, 0) + int(params.get("count", 1))
            return {"channel": channel, "to_lose": self.lose[channel]}
        if action == "hold_pushes":
            channel = str(params["channel"])
            self.held.setdefault(channel, [])
            seconds = params.get("seconds")
            if seconds is not None:
                asyncio.get_running_loop().call_later(float(seconds), self.release, channel)
            return {"channel": channel, "held": len(self.held[channel])}
        if action == "release_pushes":
            return {"released": self.release(params.get("channel"))}
        if action == "delay_pushes":
            channel, seconds = str(params["channel"]), float(params["seconds"])
            if seconds > 0:
                self.delays[channel] = seconds
            else:
                self.delays.pop(channel, None)
            return {"channel": channel, "seconds": seconds}
        if action == "stream_faults":
            return {"to_lose": dict(self.lose), "lost": dict(self.lost),
                    "held": {c: len(v) for c, v in self.held.items()}, "delays": dict(self.delays)}
        return None

    def clear(self) -> None:
        """Forget every fault; held messages are delivered first (nothing is silently lost)."""
        self.release()
        self.lose.clear()
        self.delays.clear()
