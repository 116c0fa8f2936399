"""Builder codes through the real SDK: ``Exchange.approve_builder_fee`` (a user-signed action), the ``maxBuilderFee``
and ``approvedBuilders`` queries, orders naming a builder refused unless approved for at least their fee, and the
fee charged on fills."""
from __future__ import annotations

from decimal import Decimal

import eth_account

from tests.simnet.hyperliquid_helpers import ALO, BOB_KEY, GTC, HL, IOC, hl, only_status, position  # noqa: F401
from tools.simnet.hyperliquid.builders import BAD_RATE

BUILDER = "0x" + "b1" * 20
OTHER = "0x" + "b2" * 20
NOT_APPROVED = {"status": "err", "response": "Builder fee has not been approved."}


def funded(hl: HL, *addresses: str) -> None:
    """simnet funds an account with 10,000 USDC when it first sees it; a builder needs >= 100 of perps value."""
    for address in addresses:
        hl.info.user_state(address)


def max_fee(hl: HL, user: str, builder: str = BUILDER) -> object:
    return hl.info.post("/info", {"type": "maxBuilderFee", "user": user, "builder": builder})


def approved_builders(hl: HL, user: str) -> object:
    return hl.info.post("/info", {"type": "approvedBuilders", "user": user})


def test_an_approval_is_recorded_per_user_and_builder(hl: HL) -> None:
    funded(hl, BUILDER)
    assert hl.exchange.approve_builder_fee(BUILDER, "0.01%") == {"status": "ok", "response": {"type": "default"}}
    assert max_fee(hl, hl.address) == 10                      # tenths of a basis point
    assert max_fee(hl, hl.address, OTHER) == 0
    bob = eth_account.Account.from_key(BOB_KEY).address
    assert max_fee(hl, bob) == 0
    assert hl.info.user_role(bob) == {"role": "missing"}      # asking creates nothing
    assert approved_builders(hl, hl.address) == [BUILDER]
    assert hl.exchange.approve_builder_fee(BUILDER, "0.05%")["status"] == "ok"
    assert max_fee(hl, hl.address) == 50                      # a new approval replaces the old one


def test_an_order_naming_an_unapproved_builder_is_refused_and_leaves_nothing(hl: HL) -> None:
    assert hl.exchange.market_open("ETH", True, 0.1, builder={"b": BUILDER, "f": 10}) == NOT_APPROVED
    # a zero fee is no way round it while the user has approved no builder at all
    assert hl.exchange.market_open("ETH", True, 0.1, builder={"b": BUILDER, "f": 0}) == NOT_APPROVED
    assert hl.exchange.order("ETH", True, 0.01, 2000.0, GTC, builder={"b": BUILDER, "f": 1}) == NOT_APPROVED
    assert hl.info.user_fills(hl.address) == [] and hl.info.open_orders(hl.address) == []
    assert position(hl, "ETH") is None


def test_a_fee_above_the_approval_is_refused_at_or_below_it_accepted(hl: HL) -> None:
    funded(hl, BUILDER)
    assert hl.exchange.approve_builder_fee(BUILDER, "0.001%")["status"] == "ok"
    assert hl.exchange.market_open("ETH", True, 0.01, builder={"b": BUILDER, "f": 2}) == NOT_APPROVED
    assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.01, builder={"b": BUILDER, "f": 1}))
    # another builder: refused with a fee, let through at f=0 once the user has approved some builder
    assert hl.exchange.market_open("ETH", True, 0.01, builder={"b": OTHER, "f": 1}) == NOT_APPROVED
    assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.01, builder={"b": OTHER, "f": 0}))


def test_the_builder_fee_is_charged_on_a_taker_fill_inside_fee(hl: HL) -> None:
    funded(hl, BUILDER)
    hl.exchange.approve_builder_fee(BUILDER, "0.01%")
    before = Decimal(hl.info.user_state(hl.address)["marginSummary"]["accountValue"])
    only_status(hl.exchange.market_open("ETH", True, 0.5, builder={"b": BUILDER, "f": 10}))
    only_status(hl.exchange.market_open("ETH", True, 0.5))                      # no builder: no builderFee
    plain, charged = hl.info.user_fills(hl.address)                            # newest first
    assert "builderFee" not in plain
    notional = Decimal(charged["px"]) * Decimal(charged["sz"])
    builder_fee = (notional * Decimal("0.0001")).quantize(Decimal("1e-6"))
    assert Decimal(charged["builderFee"]) == builder_fee
    taker_fee = (notional * Decimal("0.00045")).quantize(Decimal("1e-6"))
    assert Decimal(charged["fee"]) == taker_fee + builder_fee                  # the total, builder fee included
    state = hl.info.user_state(hl.address)
    spent = Decimal(charged["fee"]) + Decimal(plain["fee"])
    mark = Decimal(hl.info.all_mids()["ETH"])
    entry_cost = notional + Decimal(plain["px"]) * Decimal(plain["sz"])
    assert Decimal(state["marginSummary"]["accountValue"]) == before - spent + mark * 1 - entry_cost
    assert hl.control("builder_fees")["collected"] == {BUILDER: str(builder_fee)}


def test_a_resting_order_pays_its_builder_fee_when_filled_as_maker(hl: HL) -> None:
    funded(hl, BUILDER)
    hl.exchange.approve_builder_fee(BUILDER, "0.02%")
    bob = hl.exchange_for(BOB_KEY)
    funded(hl, bob.wallet.address)
    bids, asks = hl.info.l2_snapshot("ETH")["levels"]
    inside = (Decimal(bids[0]["px"]) + Decimal(asks[0]["px"])) / 2
    oid = only_status(hl.exchange.order("ETH", False, 0.05, float(inside), ALO,
                                        builder={"b": BUILDER, "f": 20}))["resting"]["oid"]
    only_status(bob.order("ETH", True, 0.05, float(asks[0]["px"]), IOC))
    (fill,) = hl.info.user_fills(hl.address)
    assert fill["oid"] == oid and fill["crossed"] is False
    builder_fee = (inside * Decimal("0.05") * Decimal("0.0002")).quantize(Decimal("1e-6"))
    maker_fee = (inside * Decimal("0.05") * Decimal("0.00015")).quantize(Decimal("1e-6"))
    assert Decimal(fill["builderFee"]) == builder_fee and Decimal(fill["fee"]) == maker_fee + builder_fee
    (bob_fill,) = hl.info.user_fills(bob.wallet.address)
    assert "builderFee" not in bob_fill                                        # the taker named no builder


def test_a_builder_without_100_usdc_cannot_be_approved(hl: HL) -> None:
    answer = hl.exchange.approve_builder_fee(BUILDER, "0.01%")                 # never seen: no account value
    assert answer == {"status": "err", "response": "Builder has insufficient balance to be approved."}
    assert max_fee(hl, hl.address) == 0


def test_an_api_wallet_cannot_approve_for_its_master(hl: HL) -> None:
    funded(hl, BUILDER)
    result, agent_key = hl.exchange.approve_agent("bot")
    assert result["status"] == "ok"
    agent = hl.exchange_for(agent_key, account_address=hl.address)
    answer = agent.approve_builder_fee(BUILDER, "0.01%")
    agent_address = eth_account.Account.from_key(agent_key).address.lower()
    assert answer == {"status": "err", "response": f"Must deposit before performing actions. User: {agent_address}"}
    assert max_fee(hl, hl.address) == 0


def test_zero_percent_revokes_an_approval(hl: HL) -> None:
    funded(hl, BUILDER)
    hl.exchange.approve_builder_fee(BUILDER, "0.01%")
    assert hl.exchange.approve_builder_fee(BUILDER, "0%")["status"] == "ok"
    assert max_fee(hl, hl.address) == 0 and approved_builders(hl, hl.address) == []
    assert hl.exchange.market_open("ETH", True, 0.01, builder={"b": BUILDER, "f": 10}) == NOT_APPROVED


def test_fees_over_the_caps_are_refused(hl: HL) -> None:
    funded(hl, BUILDER)
    assert hl.exchange.approve_builder_fee(BUILDER, "1%")["status"] == "ok"    # the spot cap
    too_high = {"status": "err", "response": "Builder fee is too high."}
    assert hl.exchange.approve_builder_fee(BUILDER, "1.1%") == too_high
    assert hl.exchange.market_open("ETH", True, 0.01, builder={"b": BUILDER, "f": 101}) == too_high   # perps: 0.1%
    assert "filled" in only_status(hl.exchange.market_open("ETH", True, 0.01, builder={"b": BUILDER, "f": 100}))


def test_a_max_fee_rate_that_is_not_a_percent_is_refused(hl: HL) -> None:
    funded(hl, BUILDER)
    assert hl.exchange.approve_builder_fee(BUILDER, "0.01") == {"status": "err", "response": BAD_RATE}
    assert max_fee(hl, hl.address) == 0
