"""What every request passes before /info or /exchange answers it (HTTP and ws posts alike): latency, the IP
weight budget and the request-level faults."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tools.simnet.faults import Faults
from tools.simnet.hyperliquid.limits import IpLimits


@dataclass
class Failure:
    """A request refused before it reaches /info or /exchange: HTTP status and body text."""
    status: int
    body: str


class RequestGate:
    def __init__(self, latency_s: float, faults: Faults, ip_limits: IpLimits):
        self.latency = latency_s
        self.faults = faults
        self.ip_limits = ip_limits

    async def admit(self, ip: str, weight: int) -> Failure | None:
        """Latency, the IP weight budget and the request-level faults, for /info, /exchange and ws posts
        (``weight`` 0: no weight is spent or checked).

        Over the weight budget (or with the rate_limit flag) the answer is HTTP 429 with the JSON body
        ``null``: recorded on the real API (riftresearch observations.md "A real rate limit returned
        HTTP429 with JSON null"; the SDK's ClientError then reads (429, None, 'null', None, headers))."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        await self.faults.maybe_delay()
        meter = self.ip_limits.of(ip)
        if self.faults.take("rate_limit") or (weight > 0 and not meter.admits(weight)):
            return Failure(429, "null")
        meter.charge(weight)
        failure = self.faults.take_error()
        if failure is not None:
            code, message = failure
            status = int(code or 500)
            return Failure(status, message or ("Internal error" if status == 200 else "null"))
        return None
