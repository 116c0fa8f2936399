"""Local exchange simulator: Hubble, Hyperliquid and Binance on loopback.

Run ``python3 -m tools.simnet --help``; from tests use ``SimNet`` (it runs in
a background thread).
"""
from tools.simnet.core import SimConfig, SimNet, Venue

__all__ = ["SimConfig", "SimNet", "Venue"]
