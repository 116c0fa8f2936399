"""The single ``modify`` action (the SDK only sends batchModify; other clients send this one, signed as an L1
action): it answers {"type": "default"}, not batchModify's order statuses."""
from __future__ import annotations

from decimal import Decimal

from hyperliquid.utils.signing import order_request_to_order_wire
from hyperliquid.utils.types import Cloid

from tests.simnet.hyperliquid_helpers import ALO, GTC, HL, hl, only_status  # noqa: F401


def wire(hl: HL, px: Decimal, sz: float, cloid: Cloid | None = None) -> dict:
    return order_request_to_order_wire({"coin": "ETH", "is_buy": True, "sz": sz, "limit_px": float(px),
                                        "order_type": ALO, "reduce_only": False, "cloid": cloid}, 0)


def below_the_bid(hl: HL, ticks: int) -> Decimal:
    return Decimal(hl.info.l2_snapshot("ETH")["levels"][0][0]["px"]) - ticks


def test_modify_answers_default_and_replaces_the_order(hl: HL) -> None:
    cloid = Cloid.from_int(0x51)
    placed = hl.exchange.order("ETH", True, 0.01, float(below_the_bid(hl, 20)), GTC, cloid=cloid)
    oid = only_status(placed)["resting"]["oid"]
    px = below_the_bid(hl, 10)
    answer = hl.post_signed(hl.wallet, {"type": "modify", "oid": oid, "order": wire(hl, px, 0.02, cloid)})
    assert answer == {"status": "ok", "response": {"type": "default"}}
    (order,) = hl.info.open_orders(hl.address)
    assert order["oid"] != oid and order["sz"] == "0.02" and Decimal(order["limitPx"]) == px
    # by cloid as well
    answer = hl.post_signed(hl.wallet, {"type": "modify", "oid": cloid.to_raw(), "order": wire(hl, px, 0.03, cloid)})
    assert answer == {"status": "ok", "response": {"type": "default"}}
    assert hl.info.open_orders(hl.address)[0]["sz"] == "0.03"


def test_a_refused_modify_answers_err_with_the_order_error(hl: HL) -> None:
    order = wire(hl, below_the_bid(hl, 10), 0.02)
    answer = hl.post_signed(hl.wallet, {"type": "modify", "oid": 424242, "order": order})
    assert answer == {"status": "err", "response": "Order was never placed, already canceled, or filled. asset=0"}
