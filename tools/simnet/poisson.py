"""A Poisson draw for the simulated taker flows (hubble/activity.py, hyperliquid/flow.py, binance/flow.py)."""
from __future__ import annotations

import math
import random


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's product-of-uniforms draw (the flows' rates per tick are small, so it stays short)."""
    if lam <= 0:
        return 0
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k
