"""Simulated Hubble node: the real ``hubble_exchange`` SDK runs against it unchanged.

Point the SDK at it with HUBBLE_RPC, HUBBLE_WS_RPC, HUBBLE_INDEXER_API_URL
(the ready line's hubble_rpc, hubble_ws, hubble_indexer) and HUBBLE_ENV=mainnet.
"""
from __future__ import annotations

from typing import Any


def create(net: Any):
    from tools.simnet.hubble.venue import HubbleVenue
    return HubbleVenue(net)
