"""Throughput of the simulated Hubble node: signed-order placements/s and fills/s.

    python3 -m tools.simnet.bench_hubble [--orders 6000] [--batch 20] [--fills 3000]

Orders are signed before the clock starts (client cost is not the node's),
then sent over the websocket with order_placeSignedOrders like the SDK does.
Fills: resting orders are swept by simulated takers (control action "take"),
each fill producing OrderMatched and PositionModified logs and feed events.
Client and node share the process (one core); the figures are lower bounds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time

import websockets
from coincurve import PrivateKey
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from tools.simnet.core import SimConfig, SimNet
from tools.simnet.hubble.signing import SignedOrderMsg, signed_order_hash

KEY = keccak(b"simnet-hubble-bench")
# the simulator's own speed: no block gap, no gossip tick and no cap on blocks awaiting acceptance
NODE_SPEED = {"block_time_s": 0.0, "tx_gossip_s": 0.0, "max_processing": 0}
TRADER = Account.from_key(KEY).address


def signed_order(price: int, qty: int, salt: int, expire_at: int, market: int = 0) -> str:
    msg = SignedOrderMsg(2, expire_at, market, TRADER, qty, price, salt, False, True, b"")
    sig = PrivateKey(KEY).sign_recoverable(signed_order_hash(msg), hasher=None)
    sig = sig[:64] + bytes([sig[64] + 27])
    return "0x" + encode(["uint8", "uint256", "uint256", "address", "int256", "uint256", "uint256", "bool", "bool", "bytes"],
                         [2, expire_at, market, TRADER, qty, price, salt, False, True, sig]).hex()


def make_orders(count: int, start_salt: int = 0) -> list[str]:
    """Small bids far below the ETH book (they never cross), distinct prices and salts."""
    expire = int(time.time()) + 3600
    return [signed_order(2_000_000_000 - (i % 5000) * 10_000, 10 ** 16, start_salt + i, expire) for i in range(count)]


async def place(ws_url: str, orders: list[str], batch: int) -> tuple[float, int]:
    ok = 0
    async with websockets.connect(ws_url, max_size=None) as ws:
        started = time.perf_counter()
        for i in range(0, len(orders), batch):
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "order_placeSignedOrders",
                                      "params": [json.dumps(orders[i:i + batch])]}))
            reply = json.loads(await ws.recv())
            ok += sum(1 for o in reply["result"]["orders"] if o["success"])
        return time.perf_counter() - started, ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--fills", type=int, default=3000)
    args = parser.parse_args(argv)
    net = SimNet(SimConfig(seed=1, venues=("hubble",), autotick=False, scenario="quiet",
                           initial_margin=1e12, venue_options={"hubble": NODE_SPEED}))
    ready = net.start()
    try:
        orders = make_orders(args.orders)
        seconds, ok = asyncio.run(place(ready["hubble_ws"], orders, args.batch))
        print(f"signed-order placements: {ok}/{len(orders)} accepted in {seconds:.2f}s "
              f"= {ok / seconds:,.0f}/s (batches of {args.batch}, over the websocket)")
        net.control("hubble", "clear")
        # fills: the resting bids are swept by simulated sellers, one fill per resting order
        per_take = 50
        fills, started = 0, time.perf_counter()
        while fills < args.fills:
            result = net.control("hubble", "take", market=0, side="sell", size=0.01 * per_take, price=1950.0)
            if not result["filled"]:
                break
            fills += len(result["txs"])   # one matching transaction per fill
        seconds = time.perf_counter() - started
        print(f"fills: {fills} in {seconds:.2f}s = {fills / seconds:,.0f}/s "
              f"(takers of {per_take} fills each, one block per taker, with logs, receipts and feeds)")
    finally:
        net.stop()


if __name__ == "__main__":
    main()
