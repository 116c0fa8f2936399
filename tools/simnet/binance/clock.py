"""The venue's server clock in ms: this machine's wall clock, shifted by ``clock_skew_ms``.

``set_flag clock_skew_ms=<ms>`` (or the option ``clock_skew_ms``) offsets it: the server time that
``/fapi/v1/time`` answers, that SIGNED timestamps are checked against and that every event carries.
"""
from __future__ import annotations

import time
from typing import Any, Mapping

from tools.simnet.faults import Faults


def wall_ms() -> int:
    return int(time.time() * 1000)


class ServerClock:
    def __init__(self, faults: Faults, options: Mapping[str, Any]):
        self.faults = faults
        self.options = options

    def server_ms(self) -> int:
        skew = self.faults.flags.get("clock_skew_ms", self.options.get("clock_skew_ms", 0))
        return wall_ms() + int(skew)
