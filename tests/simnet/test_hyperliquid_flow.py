"""Background taker flow on the simulated Hyperliquid book (tools/simnet/hyperliquid/flow.py): simulated takers
fill users' resting Alo/Gtc orders as makers.

Every net here ticks by hand (autotick off); pushes are awaited with a ws ping barrier, never a sleep. The flow is
drawn from the venue's seeded RNG, so each test is the same on every run.
"""
from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterator

import pytest
from hyperliquid.utils.signing import get_timestamp_ms
from hyperliquid.utils.types import Cloid

from tests.simnet.hyperliquid_helpers import ALO, BOB_KEY, GTC, HL, make_hl, only_status, position
from tests.simnet.hyperliquid_ws_helpers import RawWs
from tools.simnet.core import SimConfig, SimNet
from tools.simnet.hyperliquid.assets import BY_COIN, round_price
from tools.simnet.hyperliquid.flow import TAKER, FlowParams
from tools.simnet.pricepath import PathParams

MAKER_FEE = Decimal("0.00015")      # the venue's default maker_fee_bps 1.5
FLAT = PathParams(annual_vol=0.0)   # a still price: nothing fills because the book moved
CLOID = "0x" + "ab" * 16


@contextmanager
def flow_net(seed: int = 11, path: PathParams | None = None, **options: Any) -> Iterator[HL]:
    """A hand-ticked Hyperliquid-only net with a 10 bp inside spread (room to quote inside it), funding off."""
    cfg = SimConfig(seed=seed, venues=("hyperliquid",), autotick=False, path=path or PathParams())
    cfg.options("hyperliquid").update({"spread_bps": 10, "funding": False, **options})
    net = SimNet(cfg)
    net.start()
    try:
        yield make_hl(net)
    finally:
        net.stop()


@contextmanager
def watching(hl: HL, *subs: dict[str, Any]) -> Iterator[RawWs]:
    ws = RawWs(hl.url)
    try:
        for sub in subs:
            ws.subscribe(sub)
        yield ws
    finally:
        ws.close()


def step(hl: HL, ws: RawWs | None = None) -> dict[str, float]:
    """One path step; with ``ws``, every push of that tick has arrived when this returns."""
    prices = hl.step()["prices"]
    if ws is not None:
        ws.barrier()
    return prices


def inside(hl: HL, coin: str, bps: int) -> tuple[Decimal, Decimal]:
    """A bid and an ask ``bps`` from the mid, on the tick (inside the 10 bp spread for bps < 5)."""
    bids, asks = hl.info.l2_snapshot(coin)["levels"]
    mid = (Decimal(bids[0]["px"]) + Decimal(asks[0]["px"])) / 2
    asset, off = BY_COIN[coin], Decimal(bps) / 10000
    return round_price(asset, mid * (1 - off), up=False), round_price(asset, mid * (1 + off), up=True)


def fills_of(ws: RawWs) -> list[dict[str, Any]]:
    return [f for m in ws.of("userFills") if not m["data"].get("isSnapshot") for f in m["data"]["fills"]]


def updates_of(ws: RawWs) -> list[dict[str, Any]]:
    return [u for m in ws.of("orderUpdates") for u in m["data"]]


def flow_trades(ws: RawWs) -> list[dict[str, Any]]:
    return [t for m in ws.of("trades") for t in m["data"] if TAKER in t["users"]]


def user_subs(hl: HL, coin: str = "ETH") -> list[dict[str, Any]]:
    return [{"type": "userFills", "user": hl.address}, {"type": "orderUpdates", "user": hl.address},
            {"type": "trades", "coin": coin}]


# ---- fills by takers ------------------------------------------------------------------------
def test_alo_bid_at_the_top_is_filled_by_takers_as_a_maker() -> None:
    with flow_net(path=FLAT, taker_rate=20) as hl, watching(hl, *user_subs(hl)) as ws:
        bid, _ = inside(hl, "ETH", 2)
        oid = only_status(hl.exchange.order("ETH", True, 0.5, float(bid), ALO, cloid=Cloid.from_str(CLOID)))[
            "resting"]["oid"]
        top = hl.info.l2_snapshot("ETH")["levels"][0][0]
        assert Decimal(top["px"]) == bid and top["sz"] == "0.5"          # the published book shows it on top
        for _ in range(100):
            step(hl, ws)
            if any(u["status"] == "filled" for u in updates_of(ws) if u["order"]["oid"] == oid):
                break
        fills = fills_of(ws)
        assert fills and sum(Decimal(f["sz"]) for f in fills) == Decimal("0.5")
        for fill in fills:
            assert fill["oid"] == oid and fill["cloid"] == CLOID and fill["crossed"] is False
            assert fill["side"] == "B" and Decimal(fill["px"]) == bid
            expected_fee = (bid * Decimal(fill["sz"]) * MAKER_FEE).quantize(Decimal("1e-6"))
            assert Decimal(fill["fee"]) == expected_fee
        assert fills[0]["dir"] == "Open Long" and fills[0]["startPosition"] == "0.0"
        trades = {t["tid"]: t for t in flow_trades(ws)}
        for fill in fills:                                  # each fill is a public trade a taker sold into
            trade = trades[fill["tid"]]
            assert trade["side"] == "A" and trade["users"] == [hl.address.lower(), TAKER]
        pos = position(hl, "ETH")
        assert pos is not None and pos["szi"] == "0.5" and Decimal(pos["entryPx"]) == bid
        assert hl.info.open_orders(hl.address) == []
        assert hl.info.query_order_by_cloid(hl.address, Cloid.from_str(CLOID))["order"]["status"] == "filled"


def test_without_taker_rate_the_order_rests() -> None:
    with flow_net(path=FLAT) as hl, watching(hl, *user_subs(hl)) as ws:
        bid, ask = inside(hl, "ETH", 2)
        hl.exchange.bulk_orders([{"coin": "ETH", "is_buy": True, "sz": 0.5, "limit_px": float(bid),
                                  "order_type": ALO, "reduce_only": False},
                                 {"coin": "ETH", "is_buy": False, "sz": 0.5, "limit_px": float(ask),
                                  "order_type": GTC, "reduce_only": False}])
        for _ in range(50):
            step(hl, ws)
        assert fills_of(ws) == [] and ws.of("trades") == []
        assert sorted(o["sz"] for o in hl.info.open_orders(hl.address)) == ["0.5", "0.5"]
        assert hl.net.venues["hyperliquid"].flow.count == 0


def test_reduce_only_resting_orders_fill_only_while_they_reduce() -> None:
    with flow_net(path=FLAT, taker_rate=20, taker_buy_share=1.0) as hl, watching(hl, *user_subs(hl)) as ws:
        only_status(hl.exchange.market_open("ETH", True, 0.1))
        _, ask = inside(hl, "ETH", 2)
        orders = [{"coin": "ETH", "is_buy": False, "sz": 0.1, "limit_px": float(price), "order_type": ALO,
                   "reduce_only": True} for price in (ask, ask + Decimal("0.1"))]   # both ahead of the depth
        first, second = (s["resting"]["oid"] for s in hl.exchange.bulk_orders(orders)["response"]["data"]["statuses"])
        for _ in range(100):
            step(hl, ws)
            if hl.info.open_orders(hl.address) == []:
                break
        final = {u["order"]["oid"]: u["status"] for u in updates_of(ws)}
        assert final[first] == "filled" and final[second] == "reduceOnlyCanceled"
        assert position(hl, "ETH") is None
        maker_fills = [f for f in fills_of(ws) if not f["crossed"]]
        assert maker_fills and all(f["oid"] == first for f in maker_fills)
        assert sum(Decimal(f["sz"]) for f in maker_fills) == Decimal("0.1") and maker_fills[-1]["dir"] == "Close Long"


# ---- reproducibility ------------------------------------------------------------------------
def _run(seed: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The account's fills and the ETH trade tape of 40 ticks of flow against two resting quotes."""
    with flow_net(seed=seed, taker_rate=10, informed_takers=0.3) as hl, watching(hl, *user_subs(hl)) as ws:
        bid, ask = inside(hl, "ETH", 2)
        hl.exchange.bulk_orders([{"coin": "ETH", "is_buy": is_buy, "sz": 1.0, "limit_px": float(px),
                                  "order_type": ALO, "reduce_only": False} for is_buy, px in ((True, bid),
                                                                                             (False, ask))])
        for _ in range(40):
            step(hl, ws)
        fills = [(f["oid"], f["px"], f["sz"], f["side"], f["tid"], f["fee"], f["dir"]) for f in fills_of(ws)]
        tape = [(t["side"], t["px"], t["sz"], t["tid"], tuple(t["users"])) for m in ws.of("trades") for t in m["data"]]
        return fills, tape


def test_flow_is_a_function_of_the_seed() -> None:
    fills, tape = _run(seed=5)
    assert fills and len(tape) > len(fills)          # the takers also hit the synthetic depth
    assert _run(seed=5) == (fills, tape)
    assert _run(seed=6)[1] != tape


# ---- informed takers --------------------------------------------------------------------------
@pytest.mark.parametrize("drift, hit, spared", [(0.001, "A", "B"), (-0.001, "B", "A")])
def test_informed_takers_hit_the_side_the_path_moves_through(drift: float, hit: str, spared: str) -> None:
    """A steady path (1 bp a step up or down): fully informed takers all trade with it, so only the quote the
    path is about to run over fills."""
    path = PathParams(annual_vol=0.0, drift_per_s=drift)
    with flow_net(path=path, taker_rate=30, informed_takers=1.0) as hl, watching(hl, *user_subs(hl)) as ws:
        bid, ask = inside(hl, "ETH", 2)
        hl.exchange.bulk_orders([{"coin": "ETH", "is_buy": is_buy, "sz": 0.05, "limit_px": float(px),
                                  "order_type": ALO, "reduce_only": False} for is_buy, px in ((True, bid),
                                                                                             (False, ask))])
        for _ in range(3):
            step(hl, ws)
        sides = {t["side"] for t in flow_trades(ws)}
        assert sides == {"B" if drift > 0 else "A"}
        fills = fills_of(ws)
        assert fills and {f["side"] for f in fills} == {hit}
        (left,) = hl.info.open_orders(hl.address)
        assert left["side"] == spared and left["sz"] == "0.05"


def test_informed_takers_follow_the_random_path_step_by_step() -> None:
    """On a random path every tick's flow trades go the way the next step of the path then goes."""
    with flow_net(seed=21, taker_rate=30, informed_takers=1.0) as hl, \
            watching(hl, {"type": "trades", "coin": "ETH"}) as ws:
        before = step(hl, ws)["ETH"]
        seen = 0
        directions = set()
        for _ in range(15):
            sides = {t["side"] for t in flow_trades(ws)[seen:]}
            seen = len(flow_trades(ws))
            after = step(hl, ws)["ETH"]
            if sides:
                assert sides == {"B" if after > before else "A"}
                directions |= sides
            before = after
        assert directions == {"A", "B"}


# ---- the book a maker reads, Alo refusals ------------------------------------------------------
def test_book_and_bbo_show_resting_user_orders_and_alo_is_checked_against_them() -> None:
    with flow_net(path=FLAT, taker_rate=5) as hl, watching(hl, {"type": "bbo", "coin": "ETH"}) as ws:
        bob = hl.exchange_for(BOB_KEY)
        hl.info.user_state(bob.wallet.address)
        bid, ask = inside(hl, "ETH", 2)
        only_status(bob.order("ETH", False, 0.2, float(ask), ALO))
        ws.wait(lambda: any(m["data"]["bbo"][1] and Decimal(m["data"]["bbo"][1]["px"]) == ask
                            for m in ws.of("bbo")), what="bbo with Bob's ask")
        assert Decimal(hl.info.l2_snapshot("ETH")["levels"][1][0]["px"]) == ask
        synthetic_bid = Decimal(hl.info.l2_snapshot("ETH")["levels"][0][0]["px"])
        refused = only_status(hl.exchange.order("ETH", True, 0.01, float(ask), ALO))   # Bob's order
        assert refused == {"error": "Post only order would have immediately matched, bbo was "
                                    f"{synthetic_bid}@{ask}. asset=0"}
        refused = only_status(hl.exchange.order("ETH", False, 0.01, float(synthetic_bid), ALO))   # the depth
        assert refused["error"].startswith("Post only order would have immediately matched")
        assert "resting" in only_status(hl.exchange.order("ETH", True, 0.01, float(bid), ALO))


# ---- scheduleCancel ------------------------------------------------------------------------------
def test_schedule_cancel_cancels_every_resting_order_when_due() -> None:
    with flow_net(path=FLAT, taker_rate=5) as hl, watching(hl, *user_subs(hl)) as ws:
        eth_bid, eth_ask = inside(hl, "ETH", 2)
        sol_bid, _ = inside(hl, "SOL", 2)
        orders = [("ETH", True, 0.01, eth_bid - 10, ALO), ("ETH", False, 0.01, eth_ask + 10, GTC),
                  ("SOL", True, 1.0, sol_bid - 1, ALO)]
        oids = [only_status(hl.exchange.order(c, b, s, float(p), t))["resting"]["oid"] for c, b, s, p, t in orders]
        assert hl.exchange.schedule_cancel(get_timestamp_ms() + 5100)["status"] == "ok"
        step(hl, ws)
        assert len(hl.info.open_orders(hl.address)) == 3                  # not yet due
        hl.control("set_flag", name="clock_skew_ms", value=6000)          # the venue's clock passes the time
        step(hl, ws)
        assert hl.info.open_orders(hl.address) == []
        cancels = {u["order"]["oid"]: u["status"] for u in updates_of(ws) if u["status"] != "open"}
        assert cancels == {oid: "scheduledCancel" for oid in oids}
        for oid in oids:
            assert hl.info.query_order_by_oid(hl.address, oid)["order"]["status"] == "scheduledCancel"
        later = only_status(hl.exchange.order("ETH", True, 0.01, float(eth_bid - 10), ALO))["resting"]["oid"]
        step(hl, ws)                                                       # the schedule fired once
        assert [o["oid"] for o in hl.info.open_orders(hl.address)] == [later]


# ---- knobs ----------------------------------------------------------------------------------------
def test_flow_knobs_read_and_checked() -> None:
    assert FlowParams.from_options({}) == FlowParams()
    assert FlowParams().taker_rate == 0.0
    params = FlowParams.from_options({"taker_rate": "2", "taker_size_usd": 500, "taker_buy_share": 0.7,
                                      "informed_takers": 0.1})
    assert (params.taker_rate, params.taker_size_usd, params.taker_buy_share, params.informed_takers) == \
        (2.0, Decimal(500), 0.7, 0.1)
    for bad in ({"taker_rate": -1}, {"informed_takers": 1.5}, {"taker_buy_share": -0.1}, {"taker_size_usd": 0},
                {"maker_spread_bps": 5}):
        with pytest.raises(ValueError):
            FlowParams.from_options(bad)
