"""The venue's clock in ms, which the engine, /info, /exchange, the feeds and funding all read."""
from __future__ import annotations

import time
from typing import Any, Mapping

from tools.simnet.faults import Faults


class VenueClock:
    def __init__(self, faults: Faults, options: Mapping[str, Any]):
        self.faults = faults
        self.options = options

    def now_ms(self) -> int:
        """The venue's clock in ms. ``set_flag clock_skew_ms=<n>`` (or the option) shifts it from this machine's:
        a fault standing for the bot's host clock being off (no venue behaviour to pin): every venue time
        (expiresAfter and nonce checks, pushed and answered ``time`` fields, funding) follows it."""
        skew = self.faults.flags.get("clock_skew_ms", self.options.get("clock_skew_ms", 0))
        return int(time.time() * 1000) + int(skew)
