"""Market activity: seeded taker flow is deterministic, informed takers trade with the next move."""
from __future__ import annotations

from typing import Any

import requests

from tests.simnet.hubble_helpers import hubble_net
from tools.simnet.hubble.abi import Contracts
from tools.simnet.hubble.constants import CLEARING_HOUSE


def _rpc(url: str, method: str, *params: Any) -> Any:
    reply = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=5)
    return reply.json()["result"]


def _trades(seed: int, steps: int, **options: Any) -> tuple[list[tuple[str, str]], list[Any]]:
    topic = "0x" + Contracts().event(CLEARING_HOUSE, "PositionModified").topic.hex()
    with hubble_net(seed=seed, scenario="default", taker_rate=5.0, auto_mine=False, **options) as (net, ready):
        net.control("net", "step", count=steps)     # takers wait in the pool for the next block
        net.control("hubble", "mine")
        net.control("hubble", "accept")
        logs = _rpc(ready["hubble_rpc"], "eth_getLogs",
                    {"fromBlock": "0x0", "toBlock": "latest", "address": CLEARING_HOUSE, "topics": [topic]})
        book = _rpc(ready["hubble_rpc"], "trading_getTradingOrderBookDepth", 0)
    return ([(log["topics"][2], log["data"][2 + 64 * 0: 2 + 64 * 2]) for log in logs],
            [sorted(book["bids"]), sorted(book["asks"])])


def test_same_seed_same_trades_and_book() -> None:
    first, book_a = _trades(3, 60)
    second, book_b = _trades(3, 60)
    other, _ = _trades(4, 60)
    assert first and first == second and book_a == book_b
    assert first != other


def test_quiet_scenario_has_no_taker_flow() -> None:
    with hubble_net(seed=3, scenario="quiet") as (net, ready):
        net.control("net", "step", count=60)
        assert _rpc(ready["hubble_rpc"], "eth_blockNumber") == "0x0"


def test_informed_takers_trade_with_the_next_move() -> None:
    with hubble_net(seed=9, scenario="default", taker_rate=20.0, informed_takers=1.0, auto_mine=False) as (net, ready):
        venue = net.venues["hubble"]
        topic = "0x" + Contracts().event(CLEARING_HOUSE, "PositionModified").topic.hex()
        agree = total = 0
        for _ in range(40):
            before = net.path.prices()["ETH"]
            net.control("net", "step")
            # the takers of this step were drawn knowing the move of the next step
            after_next = venue._peeked.get("ETH")
            number = net.control("hubble", "mine")["block"]
            if number is None:
                continue
            block = venue.chain.blocks[number]
            logs = [log for i in range(len(block.txs)) for log in venue.chain.logs_of(block, i)]
            taker = [log for log in logs if log["topics"][0] == topic and log["topics"][1].endswith("0b0b")]
            for log in taker:
                if int(log["topics"][2], 16) != 0 or after_next is None:
                    continue
                base = int.from_bytes(bytes.fromhex(log["data"][2:66]), "big", signed=True)
                total += 1
                agree += (base > 0) == (after_next > 0)
            assert before > 0
        assert total > 5 and agree == total
