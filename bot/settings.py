"""Validation of config.py: turns one market's dict into typed, checked settings.

Every rule raises ``ConfigError`` whose message is one line naming the
market, the key, the offending value and the rule, so a bad value stops the
bot before any network call. Money-like values (spreads, sizes, fractions)
become ``Decimal`` built from the literal the user wrote, so 0.1 stays 0.1.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

import config
from bot.market_specs import HEDGE_TAKER_FEE_PCT, HEDGE_VENUES, MAKER_VENUES, PRICE_FEEDS, SPECS, MarketSpec
from bot.risk.limits import RiskLimits

MAX_SECONDS = 86_400
MAX_LEVELS = 25
LEVEL_KEYS = ("spread", "qty", "refreshTolerance")


class ConfigError(ValueError):
    """A setting broke a rule. str() is the one line shown to the user."""

    def __init__(self, market: str, key: str, value: Any, rule: str):
        self.market, self.key, self.value, self.rule = market, key, value, rule
        super().__init__(f"config error: {market}.{key} = {value!r}: {rule}")


@dataclass(frozen=True)
class Level:
    number: int
    spread_pct: Decimal          # distance from mid, percent
    qty: Decimal                 # base units, a multiple of the market's min size
    refresh_tolerance_pct: Decimal


@dataclass(frozen=True)
class MarketSettings:
    market: str
    spec: MarketSpec
    name: str
    margin_share: Decimal
    leverage: int
    hedge_margin_share: Decimal
    order_frequency: float
    order_expiry: float
    defensive_skew_pct: Decimal
    price_feed: str
    avoid_crossing: bool
    levels: tuple[Level, ...]
    hedge: str
    hedge_mode: bool
    slippage: Decimal
    hedge_streams: bool
    hedge_book_max_age: float
    hedge_venue_processes: int
    hedge_netting_window: float
    hedge_orders_over_websocket: bool
    min_profit_pct: Decimal
    requote_on_move_pct: Decimal
    volatility_spread: Decimal
    inventory_skew_pct: Decimal
    futures_feed_frequency: float
    mid_price_expiry: float
    hedge_orderbook_frequency: float
    hedge_user_state_frequency: float
    order_fill_cooldown: float
    hubble_position_poll_interval: float
    position_data_expiry: float
    hubble_orderbook_frequency: str
    hubble_orderbook_seconds: float
    performance_tracking_interval: float
    alert_pause_after: float
    metrics_port: int
    log_rotation: str = "50MB"
    log_backups: int = 10
    risk: RiskLimits | None = None
    risk_poll_interval: float = 5.0
    maker: str = "hubble"
    dead_man_seconds: int = 30
    requote_by_modify: bool = True


# ---- value checkers: (market, key, value) -> converted value ----------------
Checker = Callable[[str, str, Any], Any]


def _number(market: str, key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ConfigError(market, key, value, "must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(market, key, value, "must be a number") from None
    if not number.is_finite():
        raise ConfigError(market, key, value, "must be a finite number")
    return number


def _ranged(low: Decimal | int | None, high: Decimal | int | None, *,
            low_open: bool = False, unit: str = "") -> Checker:
    """Number in [low, high] (or (low, high] when low_open)."""
    def check(market: str, key: str, value: Any) -> Decimal:
        number = _number(market, key, value)
        too_low = low is not None and (number <= low if low_open else number < low)
        if too_low or (high is not None and number > high):
            left = "(" if low_open else "["
            raise ConfigError(market, key, value, f"must be in {left}{low}, {high}]{unit}")
        return number
    return check


def _positive(market: str, key: str, value: Any) -> Decimal:
    return _ranged(0, None, low_open=True)(market, key, value)


def _seconds(*, allow_zero: bool = False) -> Checker:
    inner = _ranged(0, MAX_SECONDS, low_open=not allow_zero, unit=" seconds")
    return lambda m, k, v: float(inner(m, k, v))


def _integer(market: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(market, key, value, "must be a whole number")
    return value


def _whole(low: int, high: int) -> Checker:
    """A whole number in [low, high]."""
    def check(market: str, key: str, value: Any) -> int:
        number = _integer(market, key, value)
        if not low <= number <= high:
            raise ConfigError(market, key, value, f"must be a whole number in [{low}, {high}]")
        return number
    return check


def _port(market: str, key: str, value: Any) -> int:
    """0 (off) or a TCP port a non-root process may bind."""
    number = _integer(market, key, value)
    if number != 0 and not 1024 <= number <= 65535:
        raise ConfigError(market, key, value, "must be 0 (off) or a port in [1024, 65535]")
    return number


def _rotation(market: str, key: str, value: Any) -> str:
    """ "daily" (at UTC midnight) or a size like "50MB" (1 to 10000 MB)."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if text == "daily":
        return text
    size = text.removesuffix("mb")
    if text.endswith("mb") and size.isdigit() and 1 <= int(size) <= 10_000:
        return f"{int(size)}MB"
    raise ConfigError(market, key, value, 'must be "daily" or a size in MB like "50MB" (1 to 10000)')


def _of_type(kind: type, rule: str) -> Checker:
    def check(market: str, key: str, value: Any) -> Any:
        if not isinstance(value, kind):
            raise ConfigError(market, key, value, rule)
        return value
    return check


_boolean = _of_type(bool, "must be True or False")
_text = _of_type(str, "must be text")


def _choice(*choices: str) -> Checker:
    def check(market: str, key: str, value: Any) -> str:
        if value not in choices:
            raise ConfigError(market, key, value, f"must be one of {', '.join(choices)}")
        return value
    return check


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")
_DURATION_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0}


def duration_seconds(text: str) -> float | None:
    """Seconds in a Go-style duration such as "500ms" or "1s"; None if malformed."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    return float(match.group(1)) * _DURATION_SCALE[match.group(2)] if match else None


def _duration(market: str, key: str, value: Any) -> str:
    seconds = duration_seconds(value)
    if seconds is None:
        raise ConfigError(market, key, value, 'must be a duration such as "500ms" or "1s"')
    if not 0.02 <= seconds <= 60:
        raise ConfigError(market, key, value, "must be between 20ms and 60s")
    return value


# key -> (checker, unit, meaning); the order is the order of docs/configuration.md's reference.
FIELDS: dict[str, tuple[Checker, str, str]] = {
    "name": (_text, "text", "Hubble market name; must match the market (AVAX-Perp, ETH-Perp, SOL-Perp)"),
    "marginShare": (_ranged(0, 1, low_open=True), "fraction (0, 1]", "share of Hubble free margin this bot may commit to quotes"),
    "leverage": (_integer, "x, whole number", "leverage set on the hedge venue; 1 to the venue's maximum for the asset"),
    "hedgeMarginShare": (_ranged(0, 1, low_open=True), "fraction (0, 1]", "share of the hedge account's free margin this market may use; 1/n when n market processes share one hedge account"),
    "orderFrequency": (_seconds(), "seconds", "time between quote refreshes"),
    "orderExpiry": (_seconds(), "seconds", "lifetime of each signed quote on Hubble; at least orderFrequency"),
    "defensiveSkew": (_ranged(0, 10, unit=" %"), "%", "extra spread on the side that would grow the position, times 10 x position margin / free margin"),
    "priceFeed": (_choice(*PRICE_FEEDS), "choice", "mid-price source: binance-futures bookTicker or binance-spot trades"),
    "avoidCrossing": (_boolean, "bool", "never quote through the opposite side of the live Hubble book"),
    "minProfit": (_ranged(0, 1, unit=" %"), "%", "every level is priced so that, hedged at once at the hedge venue's book (walked for the level's size) after both fees, it still earns this; 0 = break even"),
    "requoteOnMove": (_ranged(0, 5, unit=" %"), "%", "requote at once (not at the next tick) when the mid moves this far from the quotes' mid; 0 = off"),
    "volatilitySpread": (_ranged(0, 100), "x", "widen every level by this many times the mid's realised volatility over the quote's life (last 2 minutes of 1 s returns); 0 = off"),
    "inventorySkew": (_ranged(0, 10, unit=" %"), "%", "shift both sides this much per lot of residual carried unhedged, so fills work it off; 0 = off"),
    "orderLevels": (lambda m, k, v: v, "table", 'levels "1".."n", each {spread %, qty base units, refreshTolerance %: a live quote that close to the new price is kept}; spreads non-decreasing'),
    "maker": (_choice(*MAKER_VENUES), "choice", "maker venue, where the quotes rest: hubble, hyperliquid (ALO orders) or binance (USDT-M futures, GTX orders); must differ from hedge; hubble when left out"),
    "requoteByModify": (_boolean, "bool", "Hyperliquid as the maker venue: a level's new quote replaces its resting one in one batchModify action (never both resting; one action instead of an order and a cancel); False places and cancels"),
    "deadManSeconds": (_whole(5, 300), "seconds, whole number", "maker venues other than Hubble: the venue cancels every resting quote this long after the bot's last heartbeat (Hyperliquid scheduleCancel, at least 5; Binance countdownCancelAll), so a killed bot leaves nothing resting for longer"),
    "hedge": (_choice(*HEDGE_VENUES), "choice", "hedge venue: hyperliquid or binance (USDT-M futures)"),
    "hedgeMode": (_boolean, "bool", "hedge every fill at once; False quotes without hedging (you carry the risk)"),
    "slippage": (_ranged(0, Decimal("0.1"), low_open=True), "fraction (0, 0.1]", "worst hedge price allowed vs the hedge book (IOC limit)"),
    "hedgeStreams": (_boolean, "bool", "hedge venue book, fills and position pushed by its websockets (REST takes over while a stream is down); False polls as the seed did"),
    "hedgeBookMaxAge": (_seconds(), "seconds", "a hedge-venue book older than this pauses quoting and is re-read before a hedge is priced"),
    "hedgeVenueProcesses": (_whole(1, 10), "processes, whole number", "market processes sharing this machine's IP and the hedge account: each uses 1/n of the venue's request limits"),
    "hedgeOrdersOverWebsocket": (_boolean, "bool", "Hyperliquid only: send hedge orders as post requests on the websocket instead of HTTP (same answers; the benchmark measures both)"),
    "hedgeNettingWindow": (_ranged(0, 1, unit=" seconds"), "seconds", "a hedge waits this long after the fill that starts it, so fills arriving together go out as one order (fewer orders against the venue's limits, each hedge that much later); 0 = at once"),
    "futures_feed_frequency": (_seconds(), "seconds", "time between mid-price updates from the price feed"),
    "mid_price_expiry": (_seconds(), "seconds", "mid price older than this pauses quoting; > futures_feed_frequency"),
    "hedgeClient_orderbook_frequency": (_seconds(), "seconds", "time between REST reads of the hedge-venue book (with hedgeStreams, only while its stream is silent)"),
    "hedgeClient_user_state_frequency": (_seconds(), "seconds", "time between REST reads of the hedge-venue account (with hedgeStreams they heal the pushed position)"),
    "orderFillCooldown": (_seconds(allow_zero=True), "seconds", "after a fill, that side waits for its hedge and then this long before it quotes again (the other side goes on)"),
    "hubblePositionPollInterval": (_seconds(), "seconds", "time between Hubble margin and position polls"),
    "position_data_expiry": (_seconds(), "seconds", "position data older than this pauses quoting; > hubblePositionPollInterval"),
    "hubble_orderbook_frequency": (_duration, "duration", 'Hubble depth stream period, "100ms" to "60s"'),
    "performance_tracking_interval": (_seconds(), "seconds", "time between rows of performance/<market>.csv"),
    "alertPauseAfter": (_seconds(allow_zero=True), "seconds", "with an alert webhook (ALERT_WEBHOOK_URL), quoting paused this long sends an alert (and its resumption another); 0 = off"),
    "metricsPort": (_port, "port, whole number", "Prometheus metrics on http://127.0.0.1:<port>/metrics (one port per market process); 0 = off"),
    "logRotation": (_rotation, "size or daily", 'logs/<market>.log and the event journal move aside at this size ("50MB") or at each UTC midnight ("daily")'),
    "logBackups": (_whole(1, 1000), "files, whole number", "rotated files kept of each (the oldest is deleted)"),
    # ---- risk (bot/risk): every quote is checked against these; a hedge never is
    "maxOrderSize": (_positive, "base units", "a quote larger than this is not placed"),
    "maxOrderNotional": (_positive, "USD", "a quote whose size x price is above this is not placed"),
    "maxRestingPerSide": (_positive, "base units", "quotes resting on one side never add up past this"),
    "maxPosition": (_positive, "base units", "the Hubble position never grows past this through our quotes: a quote is placed only if the position stays within it when every resting quote of that side fills too (one that would pass it is cut to the room left, down to the hedge venue's smallest order); at the limit the state is REDUCING"),
    "maxPositionUsd": (_positive, "USD", "the same bound on |Hubble position| x mark"),
    "maxHedgePosition": (_positive, "base units", "a hedge-venue position past this turns the state to REDUCING; the hedge itself always goes out"),
    "maxOrderRate": (_whole(1, 100_000), "quotes per minute, whole number", "quotes placed in any minute never pass this (the rest wait for the next tick)"),
    "inventoryTarget": (_ranged(0, None), "base units", "above this |Hubble position| both sides shift by positionSkew per lot, and the growing side rests at most half the room left to maxPosition, so fills work the position (and its hedge) back"),
    "positionSkew": (_ranged(0, 1, unit=" %"), "%", "price shift of both sides per lot of Hubble position above inventoryTarget; 0 = off"),
    "liquidationWarn": (_ranged(0, 100, low_open=True, unit=" %"), "%", "a venue's distance to liquidation (price move, % of mark) under this sends an alert"),
    "liquidationReduce": (_ranged(0, 100, low_open=True, unit=" %"), "%", "under this the state is REDUCING (only the side that shrinks the position quotes); at most liquidationWarn"),
    "liquidationUnwind": (_ranged(0, 100, low_open=True, unit=" %"), "%", "under this both legs are closed, unwindSize per step (Hubble IOC, hedged back as any fill), until the distance is back above it; at most liquidationReduce"),
    "unwindSize": (_positive, "base units", "size closed on both legs per unwind or flatten step; a multiple of the Hubble minimum size"),
    "maxDailyLoss": (_ranged(0, None), "USD", "a fall of both venues' equity since UTC midnight past this trips the kill switch (onKill); 0 = off"),
    "maxTotalLoss": (_ranged(0, None), "USD", "a fall of both venues' equity since the risk baseline past this trips the kill switch; 0 = off"),
    "onKill": (_choice("halt", "flatten"), "choice", '"halt": no quotes, resting ones cancelled, hedges go on; "flatten": close both legs, then halt. Kept in state/<market>-risk.json across restarts until --clear-kill'),
    "riskPollInterval": (_seconds(), "seconds", "time between REST reads of the hedge account's equity and liquidation price (read again after every change of the position; the distance in between is taken against the live book); Hubble's come with the positions watcher's reads"),
}


def _levels(market: str, raw: Any, spec: MarketSpec) -> tuple[Level, ...]:
    key = "orderLevels"
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(market, key, raw, 'must be a non-empty table like {"1": {"spread": 0.1, "qty": 1, "refreshTolerance": 0}}')
    numbers = sorted(raw, key=lambda n: int(n) if str(n).isdigit() else -1)
    expected = [str(i) for i in range(1, len(raw) + 1)]
    if [str(n) for n in numbers] != expected:
        raise ConfigError(market, key, sorted(map(str, raw)), f"levels must be numbered 1..{len(raw)} with no gaps")
    if len(raw) > MAX_LEVELS:
        raise ConfigError(market, key, len(raw), f"at most {MAX_LEVELS} levels")
    levels = [_level(market, str(n), raw[n], spec) for n in numbers]
    for lower, upper in zip(levels, levels[1:]):
        if upper.spread_pct < lower.spread_pct:
            raise ConfigError(market, f"{key}.{upper.number}.spread", float(upper.spread_pct),
                              f"must be >= level {lower.number}'s spread {lower.spread_pct} (spreads non-decreasing)")
    return tuple(levels)


def _level(market: str, number: str, raw: Any, spec: MarketSpec) -> Level:
    prefix = f"orderLevels.{number}"
    if not isinstance(raw, Mapping):
        raise ConfigError(market, prefix, raw, "must be a table {spread, qty, refreshTolerance}")
    unknown = sorted(set(raw) - set(LEVEL_KEYS))
    if unknown:
        raise ConfigError(market, f"{prefix}.{unknown[0]}", raw[unknown[0]], f"unknown key; a level has {', '.join(LEVEL_KEYS)}")
    missing = [k for k in LEVEL_KEYS if k not in raw]
    if missing:
        raise ConfigError(market, f"{prefix}.{missing[0]}", None, "missing; every level needs spread, qty, refreshTolerance")
    spread = _ranged(0, 10, low_open=True, unit=" %")(market, f"{prefix}.spread", raw["spread"])
    qty = _ranged(0, None, low_open=True)(market, f"{prefix}.qty", raw["qty"])
    if qty % spec.min_size != 0:
        raise ConfigError(market, f"{prefix}.qty", raw["qty"],
                          f"must be a multiple of {spec.hubble_name}'s minimum size {spec.min_size}")
    tolerance = _ranged(0, 10, unit=" %")(market, f"{prefix}.refreshTolerance", raw["refreshTolerance"])
    return Level(int(number), spread, qty, tolerance)


def _cross_checks(market: str, v: dict[str, Any], spec: MarketSpec) -> None:
    if v["name"] != spec.hubble_name:
        raise ConfigError(market, "name", v["name"], f"must be {spec.hubble_name!r} for market {market}")
    if v["maker"] == v["hedge"]:
        raise ConfigError(market, "maker", v["maker"], f"is also the hedge venue: a fill cannot be hedged on the venue "
                                                       f"it filled on; set hedge to the other of {', '.join(HEDGE_VENUES)}")
    for venue in {v["hedge"], v["maker"]} - {"hubble"}:
        ceiling = spec.max_leverage[venue]
        if not 1 <= v["leverage"] <= ceiling:
            raise ConfigError(market, "leverage", v["leverage"], f"must be 1..{ceiling} on {venue} for {market}")
    pairs = [("mid_price_expiry", "futures_feed_frequency", "must be greater than"),
             ("position_data_expiry", "hubblePositionPollInterval", "must be greater than"),
             ("orderExpiry", "orderFrequency", "must be at least")]
    for key, other, relation in pairs:
        ok = v[key] > v[other] if relation == "must be greater than" else v[key] >= v[other]
        if not ok:
            raise ConfigError(market, key, v[key], f"{relation} {other} ({v[other]:g})")
    for key, other in (("liquidationReduce", "liquidationWarn"), ("liquidationUnwind", "liquidationReduce")):
        if v[key] > v[other]:
            raise ConfigError(market, key, float(v[key]), f"must be at most {other} ({v[other]:g})")
    if v["unwindSize"] % spec.min_size:
        raise ConfigError(market, "unwindSize", v["unwindSize"],
                          f"must be a multiple of {spec.hubble_name}'s minimum size {spec.min_size}")


def _risk(v: dict[str, Any]) -> RiskLimits:
    return RiskLimits(
        max_order_size=v["maxOrderSize"], max_order_notional=v["maxOrderNotional"],
        max_resting_per_side=v["maxRestingPerSide"], max_position=v["maxPosition"],
        max_position_usd=v["maxPositionUsd"], max_hedge_position=v["maxHedgePosition"],
        max_order_rate=v["maxOrderRate"], inventory_target=v["inventoryTarget"], position_skew_pct=v["positionSkew"],
        liquidation_warn_pct=v["liquidationWarn"], liquidation_reduce_pct=v["liquidationReduce"],
        liquidation_unwind_pct=v["liquidationUnwind"], unwind_size=v["unwindSize"],
        max_daily_loss=v["maxDailyLoss"], max_total_loss=v["maxTotalLoss"], on_kill=v["onKill"])


def fee_warnings(s: MarketSettings) -> list[str]:
    """Settings that are legal but lose money on every fill, or leave the book empty between quote sets."""
    warnings = gap_warnings(s)
    if not s.hedge_mode:
        warnings.append(f"{s.market}: hedgeMode is False: fills are NOT hedged and you carry the position risk")
        return warnings
    fee = HEDGE_TAKER_FEE_PCT[s.hedge]
    for level in s.levels:
        if level.spread_pct < fee:
            warnings.append(f"{s.market}: orderLevels.{level.number}.spread {level.spread_pct}% is below "
                            f"{s.hedge}'s taker fee {fee}%: every hedged fill of that level loses money")
    return warnings


def gap_warnings(s: MarketSettings) -> list[str]:
    """Quotes are signed on ticks at whole multiples of orderFrequency and their expiry is rounded up to the
    node's whole seconds, so with a whole-second orderFrequency each set lives until about a second after the
    next tick: the book is never empty between sets. A fractional orderFrequency can lose most of that second."""
    if float(s.order_frequency).is_integer() or s.order_expiry >= s.order_frequency + 1:
        return []
    return [f"{s.market}: orderFrequency {s.order_frequency:g} s is not whole seconds and orderExpiry "
            f"{s.order_expiry:g} s is under orderFrequency + 1: some quote sets may expire just as the next is "
            "placed (no quotes for a moment); use whole seconds or orderExpiry >= orderFrequency + 1"]


def validate(market: str, raw: Mapping[str, Any]) -> MarketSettings:
    """Check every key of one market's dict; return typed settings or raise ConfigError."""
    spec = SPECS[market]
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ConfigError(market, unknown[0], raw[unknown[0]], "unknown setting (a typo?); known: " + ", ".join(FIELDS))
    raw = {"maker": "hubble", "deadManSeconds": 30, "requoteByModify": True, **raw}   # defaults for configurations written before them
    missing = [k for k in FIELDS if k not in raw]
    if missing:
        raise ConfigError(market, missing[0], None, "missing; every market needs all settings listed in docs/configuration.md")
    v = {key: checker(market, key, raw[key]) for key, (checker, _, _) in FIELDS.items()}
    _cross_checks(market, v, spec)
    return MarketSettings(
        market=market, spec=spec, name=v["name"], margin_share=v["marginShare"], leverage=v["leverage"],
        hedge_margin_share=v["hedgeMarginShare"],
        order_frequency=v["orderFrequency"], order_expiry=v["orderExpiry"],
        defensive_skew_pct=v["defensiveSkew"], price_feed=v["priceFeed"], avoid_crossing=v["avoidCrossing"],
        levels=_levels(market, raw["orderLevels"], spec), hedge=v["hedge"], hedge_mode=v["hedgeMode"],
        slippage=v["slippage"], hedge_streams=v["hedgeStreams"], hedge_book_max_age=v["hedgeBookMaxAge"],
        hedge_venue_processes=v["hedgeVenueProcesses"], hedge_netting_window=float(v["hedgeNettingWindow"]),
        hedge_orders_over_websocket=v["hedgeOrdersOverWebsocket"], min_profit_pct=v["minProfit"],
        requote_on_move_pct=v["requoteOnMove"], volatility_spread=v["volatilitySpread"],
        inventory_skew_pct=v["inventorySkew"],
        futures_feed_frequency=v["futures_feed_frequency"],
        mid_price_expiry=v["mid_price_expiry"], hedge_orderbook_frequency=v["hedgeClient_orderbook_frequency"],
        hedge_user_state_frequency=v["hedgeClient_user_state_frequency"],
        order_fill_cooldown=v["orderFillCooldown"], hubble_position_poll_interval=v["hubblePositionPollInterval"],
        position_data_expiry=v["position_data_expiry"], hubble_orderbook_frequency=v["hubble_orderbook_frequency"],
        hubble_orderbook_seconds=duration_seconds(v["hubble_orderbook_frequency"]) or 1.0,
        performance_tracking_interval=v["performance_tracking_interval"],
        alert_pause_after=v["alertPauseAfter"], metrics_port=v["metricsPort"],
        log_rotation=v["logRotation"], log_backups=v["logBackups"],
        risk=_risk(v), risk_poll_interval=v["riskPollInterval"], maker=v["maker"],
        dead_man_seconds=v["deadManSeconds"], requote_by_modify=v["requoteByModify"],
    )


# ---- --set key=value ----------------------------------------------------------
def parse_value(text: str) -> Any:
    """A --set value: JSON when it parses (numbers, true/false, tables), Python's True/False, else text."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(market: str, raw: Mapping[str, Any], overrides: list[str]) -> dict[str, Any]:
    """A copy of `raw` with each "key=value" (dotted keys reach into orderLevels) applied."""
    result = copy.deepcopy(dict(raw))
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(market, item, None, "--set expects key=value, e.g. --set orderFrequency=3")
        path = key.split(".")
        if path[0] not in FIELDS:
            raise ConfigError(market, key, text, "unknown setting (a typo?); known: " + ", ".join(FIELDS))
        target = result
        for part in path[:-1]:
            child = target.get(part) if isinstance(target, dict) else None
            if not isinstance(child, dict):
                child = {}
                target[part] = child
            target = child
        target[path[-1]] = parse_value(text.strip())
    return result


def load(market: str, overrides: list[str] | None = None) -> MarketSettings:
    """Validated settings for `market` from config.py plus command-line overrides."""
    raw = config.MARKETS[market]
    return validate(market, apply_overrides(market, raw, overrides or []))
