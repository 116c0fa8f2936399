"""Reading the venue's knobs (``--set hyperliquid.KEY=VALUE`` / SimConfig.venue_options) into typed settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from tools.simnet.hyperliquid import funding, limits
from tools.simnet.hyperliquid.book import BookParams
from tools.simnet.hyperliquid.engine import FeeRates
from tools.simnet.hyperliquid.feeds import FeedClock
from tools.simnet.hyperliquid.funding import FundingKnobs
from tools.simnet.hyperliquid.flow import FlowParams
from tools.simnet.hyperliquid.liquidation import LiquidationRules
from tools.simnet.hyperliquid.maintenance import Maintenance
from tools.simnet.hyperliquid.ws import WsIdle, WsLimits


def dec(value: Any) -> Decimal:
    return Decimal(str(value))


@dataclass
class Knobs:
    book: BookParams
    fees: FeeRates
    basis: Decimal
    latency_s: float
    lag_seconds: float
    ip_weight_limit: int
    ip_weight_window_s: float
    address: limits.AddressBudget
    ws: WsLimits
    ws_idle: WsIdle
    ws_post_ip_weight: bool
    feed_clock: FeedClock
    funding: FundingKnobs
    cloid_visibility_delay_ms: int
    maintenance: Maintenance = field(default_factory=Maintenance)
    liquidation: LiquidationRules = field(default_factory=LiquidationRules)
    flow: FlowParams = field(default_factory=FlowParams)


def read(opt: Mapping[str, Any]) -> Knobs:
    book = BookParams(spread_bps=dec(opt.get("spread_bps", 1)), depth_levels=int(opt.get("depth_levels", 20)),
                      level_size_usd=dec(opt.get("level_size_usd", 25000)),
                      level_step_bps=dec(opt.get("level_step_bps", 1)))
    fees = FeeRates(maker=dec(opt.get("maker_fee_bps", 1.5)) / 10000, taker=dec(opt.get("taker_fee_bps", 4.5)) / 10000)
    address = limits.AddressBudget(initial=int(opt.get("address_initial_requests", limits.ADDRESS_INITIAL_REQUESTS)),
                                   throttle_s=float(opt.get("address_throttle_s", limits.ADDRESS_THROTTLE_S)))
    ws = WsLimits(connections=int(opt.get("ws_max_connections", 10)),
                  new_connections_per_minute=int(opt.get("ws_max_new_connections_per_minute", 30)),
                  subscriptions=int(opt.get("ws_max_subscriptions", 1000)),
                  users=int(opt.get("ws_max_users", 10)),
                  messages_per_minute=int(opt.get("ws_max_messages_per_minute", 2000)),
                  inflight_posts=int(opt.get("ws_max_inflight_posts", 100)))
    return Knobs(book=book, fees=fees, basis=dec(opt.get("basis_bps", 0)) / 10000,
                 latency_s=float(opt.get("latency_ms", 0)) / 1000.0, lag_seconds=float(opt.get("lag_seconds", 0)),
                 ip_weight_limit=int(opt.get("ip_weight_limit", limits.IP_WEIGHT_PER_MINUTE)),
                 ip_weight_window_s=float(opt.get("ip_weight_window_s", limits.WINDOW_S)),
                 address=address, ws=ws, ws_idle=_ws_idle(opt),
                 ws_post_ip_weight=_flag(opt.get("ws_post_ip_weight", False)),
                 feed_clock=_feed_clock(opt), funding=_funding(opt),
                 cloid_visibility_delay_ms=int(opt.get("cloid_visibility_delay_ms", 0)),
                 maintenance=_maintenance(opt), liquidation=_liquidation(opt),
                 flow=FlowParams.from_options(opt))


def _maintenance(opt: Mapping[str, Any]) -> Maintenance:
    """``maintenance_margin_rate``: one rate for every coin or ``{coin: rate}``; unset, 1 / (2 x maxLeverage)."""
    rate = opt.get("maintenance_margin_rate")
    if rate is None:
        return Maintenance()
    if isinstance(rate, Mapping):
        rates = {str(coin): _rate(r) for coin, r in rate.items()}
        return Maintenance(overrides=rates)
    return Maintenance(default=_rate(rate))


def _rate(value: Any) -> Decimal:
    rate = dec(value)
    if not 0 < rate < 1:
        raise ValueError(f"maintenance_margin_rate must be between 0 and 1, got {value!r}")
    return rate


def _liquidation(opt: Mapping[str, Any]) -> LiquidationRules:
    d = LiquidationRules()
    return LiquidationRules(enabled=_flag(opt.get("liquidation", True)),
                            backstop_fraction=dec(opt.get("backstop_fraction", d.backstop_fraction)),
                            partial_usd=dec(opt.get("partial_liquidation_usd", d.partial_usd)),
                            partial_fraction=dec(opt.get("partial_liquidation_fraction", d.partial_fraction)),
                            cooldown_s=float(opt.get("partial_liquidation_cooldown_s", d.cooldown_s)))


def _ws_idle(opt: Mapping[str, Any]) -> WsIdle:
    rule = str(opt.get("ws_idle_rule", "server"))
    if rule not in ("server", "client"):
        raise ValueError(f"ws_idle_rule must be 'server' or 'client', got {rule!r}")
    return WsIdle(timeout_s=float(opt.get("ws_idle_timeout_s", 60)), rule=rule)


def _feed_clock(opt: Mapping[str, Any]) -> FeedClock:
    return FeedClock(l2book_s=float(opt.get("l2book_interval_s", 5.0)),
                     l2book_fast_s=float(opt.get("l2book_fast_interval_s", 0.5)),
                     all_mids_s=float(opt.get("all_mids_interval_s", 5.0)),
                     account_s=float(opt.get("account_push_interval_s", 5.0)))


def _funding(opt: Mapping[str, Any]) -> FundingKnobs:
    knobs = FundingKnobs(enabled=_flag(opt.get("funding", True)),
                         interval_s=float(opt.get("funding_interval_s", funding.DEFAULT_INTERVAL_S)))
    rate = opt.get("funding_rate")
    if isinstance(rate, Mapping):
        knobs.rates = {str(coin): dec(r) for coin, r in rate.items()}
    elif rate is not None:
        knobs.default_rate = dec(rate)
    return knobs


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)
