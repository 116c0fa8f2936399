"""The risk engine: one named part between the quoter and the venues.

It reads the venues' own figures (the Hubble account the positions watcher
polls, the hedge account's equity and liquidation price through the hedge
client's ``margin_state``), and from them keeps:

* the trading state: ACTIVE; REDUCING (a position at its limit, a hedge
  position past its limit, or a venue closer to liquidation than
  liquidationReduce): only the side that shrinks the position quotes;
  HALTED (the kill switch): no quotes, the resting ones cancelled, while
  hedging and reconciliation go on;
* the pre-trade check every quote passes (limits.check_quotes);
* the liquidation guard: under liquidationUnwind both legs are closed
  unwindSize at a time (unwind.Unwinder: a Hubble IOC, hedged back by the
  hedger as any fill) until the distance is back above it;
* the loss limits: both venues' equity against its UTC-day and total
  baselines (record.RiskStore); past maxDailyLoss or maxTotalLoss the kill
  switch trips, is written to disk, and onKill=flatten closes both legs.

A hedge never passes through here: a limit can never leave a fill unhedged.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Protocol

from bot.maths.quoting import Account
from bot.risk import limits as rl
from bot.risk.liquidation import distance_pct, hubble_liquidation_price
from bot.risk.record import RiskStore, utc_day
from bot.risk.unwind import Unwinder
from bot.supervision import Health
from bot.venues.maker_venue import display_name, rules_of

log = logging.getLogger("risk")
ZERO = Decimal(0)
HALT_PREFIX = "risk HALTED"
SETTLE_WAIT = 5.0          # seconds an unwind step waits for its fill to reach the books before the next step
FLATTEN_STEPS = 100        # at most this many IOC steps per flatten
FUNDING_READ_SECONDS = 600.0  # the hedge venue's funding rate is read this often (Hyperliquid: weight 20; rates
                              # change hourly at most)
REREAD_SECONDS = 5.0          # a moved hedge position is read again at most this often (20 fills/s keep it moving)
LOSS_CONFIRMATIONS = 3        # consecutive checks a loss limit must be past before the kill switch trips
CHECK_SECONDS = 1.0           # the state is re-judged this often, on the venues' last figures and the live mid


class PositionView(Protocol):
    """What the risk engine reads of the Hubble side (OrderManager)."""
    account: Account | None

    def hubble_position_now(self) -> Decimal | None: ...

    async def cancel_side(self, side: int) -> None:
        """Cancel our resting quotes of `side` (an unwind's IOC must not trade with our own quotes)."""

    def hedging(self) -> bool:
        """A hedge is pending or in flight (the hedge venue's figures do not show it yet)."""


@dataclass
class VenueRisk:
    """One venue's latest figures as the venue gave them."""
    position: Decimal = ZERO
    mark: Decimal | None = None
    liquidation_price: Decimal | None = None
    distance_pct: Decimal | None = None
    equity: Decimal | None = None                # as the venue last reported it
    equity_mark: Decimal | None = None           # the mark that equity was valued at
    equity_position: Decimal = ZERO              # the position it was valued on
    warned: bool = False

    def equity_now(self) -> Decimal | None:
        """The last reported equity moved to the live mark (an account's value changes by position x price
        move): two venues read at different moments are compared at one price, not a crash apart."""
        if self.equity is None:
            return None
        if self.equity_mark is None or self.mark is None:
            return self.equity
        return self.equity + self.equity_position * (self.mark - self.equity_mark)
    funding_rate_hour: Decimal | None = None     # the venue's rate per hour (positive: longs pay)

    def expected_funding_hour(self) -> Decimal | None:
        """USD this position pays (negative: receives) per hour at the current rate."""
        if self.funding_rate_hour is None or self.mark is None:
            return None
        return self.position * self.mark * self.funding_rate_hour


@dataclass
class StateClock:
    """Seconds spent in each trading state (for the metrics and the observer)."""
    state: rl.TradingState = rl.TradingState.ACTIVE
    since: float = field(default_factory=time.monotonic)
    seconds: dict[str, float] = field(default_factory=lambda: {s.value: 0.0 for s in rl.TradingState})

    def move(self, state: rl.TradingState) -> None:
        now = time.monotonic()
        self.seconds[self.state.value] += now - self.since
        self.state, self.since = state, now

    def totals(self) -> dict[str, float]:
        totals = dict(self.seconds)
        totals[self.state.value] += time.monotonic() - self.since
        return totals


class MidPrice(Protocol):
    """The mid-price feed: its latest mid (None before the first)."""
    mid: Any


class RiskEngine:
    def __init__(self, *, settings: Any, maker: Any, hedge: Any, positions: PositionView, mid_feed: MidPrice,
                 unwinder: Unwinder | None, store: RiskStore, alerts: Any, on_halt: Callable[[str], None]):
        self.s = settings
        self.limits: rl.RiskLimits = settings.risk
        self.market = settings.spec.hubble_id
        self.hubble, self.hedge, self.positions, self.mid_feed = maker, hedge, positions, mid_feed
        self.unwinder, self.store, self.alerts, self.on_halt = unwinder, store, alerts, on_halt
        self.rate = rl.OrderRate(self.limits.max_order_rate)
        self.clock = StateClock()
        self.reason = ""
        self.maintenance: Decimal | None = None
        self.maker_venue = getattr(maker, "venue", "hubble")     # the venue quoted on (bot/venues/maker_venue.py)
        self.venues: dict[str, VenueRisk] = {self.maker_venue: VenueRisk()}
        if hedge is not None:
            self.venues[settings.hedge] = VenueRisk()
        self.pnl_day: Decimal | None = None
        self.pnl_total: Decimal | None = None
        self.refused = 0                          # quotes the pre-trade check refused
        self._task: asyncio.Task | None = None
        self._funding_at = -FUNDING_READ_SECONDS
        self._hedge_read_at = -1e9
        self._breaches = 0
        self._alerted_reducing = False            # the last REDUCING was alerted: its end is alerted too
        if store.record.halted:
            self.clock.move(rl.TradingState.HALTED)
            self.reason = f"kill switch tripped at {store.record.halted_at}: {store.record.halted_reason}"
            log.error("%s: %s; not quoting (hedges and reconciliation go on). Clear it with "
                      "`python3 main.py %s --clear-kill` once you have looked", HALT_PREFIX, self.reason,
                      settings.market)

    @property
    def state(self) -> rl.TradingState:
        return self.clock.state

    # ---- start and the watch loop ----------------------------------------------------------------------
    async def start(self) -> None:
        try:
            self.maintenance = await self.hubble.maintenance_margin()
        except Exception as exc:  # noqa: BLE001 - the maker venue's distance is then unknown, said so
            log.warning("%s maintenance margin unreadable (%s: %s): its liquidation distance is not watched "
                        "until it is read", self.maker_venue, type(exc).__name__, exc)

    async def watch(self, health: Health) -> None:
        while True:
            await self.evaluate()
            health.ok()
            await asyncio.sleep(min(CHECK_SECONDS, self.s.risk_poll_interval))

    async def evaluate(self) -> None:
        """Read both venues, update the loss and the distances, set the state, act on it."""
        if self.maintenance is None:
            await self.start()
        self._read_hubble()
        await self._read_hedge()
        self._check_losses()
        self._warn_distances()
        self._set_state(*self._decide())
        self._act()

    # ---- readings ----------------------------------------------------------------------------------------
    def _read_hubble(self) -> None:
        """The maker venue's liquidation price from the last account read (its own mark and equity, the size
        including fills booked since), the distance against the live mid. Hubble's rule (liquidation.py) is a
        cross-margin one: equity at the price = maintenance x notional. For Hyperliquid and Binance as maker
        venues the same equation with their maintenance fraction is an estimate, not the venue's own figure
        (each computes its own per position and tier)."""
        account, v = self.positions.account, self.venues[self.maker_venue]
        if account is None:
            return
        position = account.position(self.market)
        v.equity = account.margin + sum((p.unrealised_pnl for p in account.positions), ZERO)
        read_mark = position.notional / abs(position.size) if position and position.size else None
        v.equity_mark, v.equity_position = read_mark, (position.size if position else ZERO)
        now = self.positions.hubble_position_now()
        v.position = now if now is not None else (position.size if position else ZERO)
        mid = self.mid_feed.mid
        v.mark = Decimal(str(mid)) if mid else read_mark
        reference = read_mark or v.mark
        v.liquidation_price = (hubble_liquidation_price(v.position, reference, v.equity, self.maintenance)
                               if reference and self.maintenance is not None else None)
        v.distance_pct = distance_pct(v.position, v.mark, v.liquidation_price)

    async def _read_hedge(self) -> None:
        """The venue's liquidation price and equity, read every riskPollInterval and whenever the position
        moved since the last read (a liquidation price is fixed for a given position and collateral); the
        distance in between is taken against the live hedge book's mid."""
        if self.hedge is None:
            return
        v = self.venues[self.s.hedge]
        since = time.monotonic() - self._hedge_read_at
        moved = self.hedge.position != v.position and since >= REREAD_SECONDS
        # the periodic read always goes out; one for a moved position only while the request budget has room
        due = since >= self.s.risk_poll_interval or (moved and self.hedge.budget.allows_optional(
            self.hedge.account_weight))
        if due and not self.positions.hedging():
            try:
                state = await self.hedge.margin_state()
            except Exception as exc:  # noqa: BLE001 - the last figures stand; the next check tries again
                log.warning("%s margin unreadable (%s: %s): its liquidation distance uses the last reading",
                            self.s.hedge, type(exc).__name__, exc)
            else:
                self._hedge_read_at = time.monotonic()
                v.position, v.mark, v.liquidation_price, v.equity = (state.position, state.mark,
                                                                     state.liquidation_price, state.equity)
                v.equity_mark, v.equity_position = state.mark, state.position
        bid, ask = self.hedge.best_bid_ask()
        if bid and ask:
            v.mark = (bid + ask) / 2
        v.distance_pct = distance_pct(v.position, v.mark, v.liquidation_price)
        if time.monotonic() - self._funding_at >= FUNDING_READ_SECONDS:
            self._funding_at = time.monotonic()
            try:
                v.funding_rate_hour = await self.hedge.funding_rate_per_hour()
            except Exception as exc:  # noqa: BLE001 - shown as unknown; read again in a minute
                log.debug("%s funding rate unreadable: %s", self.s.hedge, exc)

    # ---- losses ------------------------------------------------------------------------------------------
    def equity(self) -> Decimal | None:
        values = [v.equity_now() for v in self.venues.values()]
        return None if any(e is None for e in values) else sum(values, ZERO)

    def _check_losses(self) -> None:
        equity = self.equity()
        if equity is None:
            return
        day_start, start = self.store.baselines(equity, utc_day())
        self.pnl_day, self.pnl_total = equity - day_start, equity - start
        if self.store.record.halted:
            return
        for limit, pnl, name in ((self.limits.max_daily_loss, self.pnl_day, "maxDailyLoss"),
                                 (self.limits.max_total_loss, self.pnl_total, "maxTotalLoss")):
            if limit > 0 and -pnl > limit:
                self._breaches += 1
                if self._breaches >= LOSS_CONFIRMATIONS:   # one bad tick of one venue's book never trips it
                    self.trip(f"{name} {limit} USD passed: both venues' equity is {pnl:.2f} USD "
                              f"{'since UTC midnight' if name == 'maxDailyLoss' else 'since the risk baseline'}")
                return
        self._breaches = 0

    def trip(self, reason: str) -> None:
        """The kill switch: written to disk first (a crash right after still halts the next start)."""
        self.store.trip(reason)
        log.error("%s: %s; onKill=%s: %s", HALT_PREFIX, reason, self.limits.on_kill,
                  "closing both legs, then halted" if self.limits.on_kill == "flatten"
                  else "quotes cancelled, hedges go on")
        self._set_state(rl.TradingState.HALTED, f"kill switch: {reason}")
        self.on_halt(reason)

    # ---- liquidation distances -----------------------------------------------------------------------
    def nearest_liquidation(self) -> tuple[str, Decimal] | None:
        known = [(name, v.distance_pct) for name, v in self.venues.items() if v.distance_pct is not None]
        return min(known, key=lambda item: item[1]) if known else None

    def _warn_distances(self) -> None:
        for name, v in self.venues.items():
            near = v.distance_pct is not None and v.distance_pct < self.limits.liquidation_warn_pct
            if near and not v.warned:
                log.warning("%s is %.1f %% from liquidation (liquidation price %s, mark %s)", name, v.distance_pct,
                            v.liquidation_price, v.mark)
                self.alerts.liquidation_near(name, round(v.distance_pct, 2), v.liquidation_price, v.mark)
            v.warned = near

    # ---- the state -----------------------------------------------------------------------------------------
    def _decide(self) -> tuple[rl.TradingState, str]:
        if self.store.record.halted:
            return rl.TradingState.HALTED, self.reason or f"kill switch: {self.store.record.halted_reason}"
        hub = self.venues[self.maker_venue]
        position = self.positions.hubble_position_now()
        position = position if position is not None else hub.position
        hedge_position = self.venues[self.s.hedge].position if self.hedge is not None else ZERO
        mark = hub.mark or Decimal(str(self.mid_feed.mid or 0))
        grid = self.quote_grid(mark)
        if grid is None:
            smallest = min(level.qty for level in self.s.levels)
        elif abs(position) > self.limits.inventory_target:       # the growing side's share of the room applies
            smallest = grid.min_qty / grid.growing_share
        else:
            smallest = grid.min_qty
        why = rl.position_state(self.limits, position, hedge_position, mark, smallest)
        if why:
            return rl.TradingState.REDUCING, why
        nearest = self.nearest_liquidation()
        if nearest and nearest[1] < self.limits.liquidation_reduce_pct:
            return rl.TradingState.REDUCING, (f"{nearest[0]} {nearest[1]:.1f} % from liquidation "
                                              f"(liquidationReduce {self.limits.liquidation_reduce_pct} %)")
        return rl.TradingState.ACTIVE, ""

    def _set_state(self, state: rl.TradingState, reason: str) -> None:
        if state == self.state:
            self.reason = reason
            return
        before = self.state
        self.clock.move(state)
        self.reason = reason
        # At the position limit the state comes and goes with the flow: routine, said at INFO, no alert.
        # A halt, or a venue near liquidation, is the operator's business.
        urgent = state == rl.TradingState.HALTED or "liquidation" in reason or before == rl.TradingState.HALTED
        log.log(logging.WARNING if urgent else logging.INFO, "risk state %s -> %s%s", before.value, state.value,
                f": {reason}" if reason else "")
        if urgent or self._alerted_reducing:
            self.alerts.risk_state(state.value, before.value, reason or "limits clear")
        self._alerted_reducing = urgent and state == rl.TradingState.REDUCING

    def _act(self) -> None:
        if (self._task is not None and not self._task.done()) or self.positions.hedging():
            return                        # one step at a time, judged on figures that include its hedge
        position = self.positions.hubble_position_now()
        if position is None or abs(position) < self.s.spec.min_size:
            return
        if self.state == rl.TradingState.HALTED:
            if self.limits.on_kill == "flatten":
                self._task = asyncio.create_task(self._unwind("flatten after the kill switch", until_flat=True))
            return
        nearest = self.nearest_liquidation()
        if nearest and nearest[1] < self.limits.liquidation_unwind_pct:
            self._task = asyncio.create_task(self._unwind(
                f"{nearest[0]} {nearest[1]:.1f} % from liquidation (liquidationUnwind "
                f"{self.limits.liquidation_unwind_pct} %)", until_flat=False))

    async def _unwind(self, why: str, until_flat: bool) -> None:
        """Unwind steps: one while a distance is under liquidationUnwind (the next check decides on more),
        or until the Hubble position is flat for a flatten."""
        for _ in range(FLATTEN_STEPS if until_flat else 1):
            position = self.positions.hubble_position_now()
            mid = self.mid_feed.mid
            if position is None or abs(position) < self.s.spec.min_size or not mid:
                return
            try:
                # The IOC would first meet our own quotes on the side it hits (the node matches a trader
                # with itself: the position would not move), so they are cancelled first.
                await self.positions.cancel_side(1 if position > 0 else -1)
                mined = await self.unwinder.step(position, self.limits.unwind_size, Decimal(str(mid)), why)
            except Exception as exc:  # noqa: BLE001 - said, and the next risk check tries again
                log.error("unwind step failed (%s: %s): the next risk check tries again", type(exc).__name__, exc)
                return
            if not mined:
                return
            await self._position_moves_from(position)
        if until_flat:
            log.info("flatten: the %s position is %s; the hedger closes the hedge leg as each fill arrives",
                     display_name(self.maker_venue), self.positions.hubble_position_now())

    async def _position_moves_from(self, before: Decimal, poll: float = 0.1) -> None:
        """Wait (bounded) until the unwind's fill is booked: the next step starts from the new position."""
        deadline = time.monotonic() + SETTLE_WAIT
        while self.positions.hubble_position_now() == before and time.monotonic() < deadline:
            await asyncio.sleep(poll)

    # ---- what the quoter asks ------------------------------------------------------------------------------
    def gate(self) -> str | None:
        if self.state == rl.TradingState.HALTED:
            return f"{HALT_PREFIX} ({self.reason}): clear with --clear-kill"
        return None

    def sides(self) -> tuple[int, ...]:
        if self.state != rl.TradingState.REDUCING:
            return (rl.BID, rl.ASK)
        hedge_position = self.venues[self.s.hedge].position if self.hedge is not None else ZERO
        side = rl.shrinking_side(self.positions.hubble_position_now() or ZERO, hedge_position)
        return (side,) if side is not None else ()

    def shift(self, lot: Decimal) -> Decimal:
        position = self.positions.hubble_position_now()
        return rl.inventory_shift(self.limits, position, lot) if position is not None else ZERO

    def check_quotes(self, quotes: list, live: list, mark: Decimal, leaving: list = ()) -> tuple[list, list[str]]:
        """The pre-trade check of one tick's quotes against everything resting (`live`), of which `leaving`
        is replaced by this tick (rl.Exposure.leaving)."""
        position = self.positions.hubble_position_now()
        if position is None:
            return [], ["risk: no Hubble position read yet"]

        def by_side(orders: list) -> dict[int, Decimal]:
            return {side: sum((q.unfilled for q in orders if q.side == side), ZERO) for side in (rl.BID, rl.ASK)}

        exposure = rl.Exposure(position, by_side(live), mark, by_side(list(leaving)))
        accepted, reasons = rl.check_quotes(self.limits, exposure, quotes,
                                            self.rate.room(time.time()), self.sides(), self.quote_grid(mark))
        self.refused += len(reasons)
        return accepted, reasons

    def quote_grid(self, mark: Decimal) -> rl.QuoteGrid | None:
        """How the growing side is sized to the room left (rl.QuoteGrid): the maker venue's size step, at least
        the maker's minimum (size, and notional at `mark`) and the hedge venue's smallest order now (so a cut
        quote's fill is hedged on its own rather than carried), within half the room. None (quotes are checked
        whole against the hard bound only) while the hedge venue's rules or the mark are not known yet."""
        r = rules_of(self.hubble, self.s.spec)
        step, min_qty, min_notional = r.min_size, r.min_size, r.min_notional
        if not mark or mark <= 0 or not step or step <= 0:
            return None
        if min_notional:
            min_qty = max(min_qty, min_notional / mark)
        if self.hedge is not None:
            lot = self.hedge.lot()
            if lot is None:
                return None
            min_qty = max(min_qty, lot)
        return rl.QuoteGrid(step, min_qty, rl.GROWING_SHARE)

    def placed(self, count: int) -> None:
        self.rate.placed(count, time.time())

    def nearest_limit(self) -> str:
        """For the status line: the state and whichever bound is closest."""
        position = self.positions.hubble_position_now()
        parts = [self.state.value]
        if position is not None:
            parts.append(f"pos {abs(position).normalize():f}/{self.limits.max_position.normalize():f}")
        nearest = self.nearest_liquidation()
        if nearest:
            parts.append(f"liq {nearest[0]} {nearest[1]:.1f}%")
        funding = [v.expected_funding_hour() for v in self.venues.values()]
        if any(f is not None for f in funding):
            parts.append(f"funding {sum((f for f in funding if f is not None), ZERO):+.2f} USD/h")
        if self.pnl_day is not None and self.limits.max_daily_loss > 0:
            parts.append(f"day {self.pnl_day:.2f}/-{self.limits.max_daily_loss.normalize():f} USD")
        return " ".join(parts)

    def tasks(self) -> list[asyncio.Task]:
        return [self._task] if self._task is not None else []
