"""The runs of a benchmark (full, --quick, --smoke) and the bot/simulator settings each one uses."""
from __future__ import annotations

import json
from dataclasses import dataclass

from tools.bench.botrun import RunSpec

# Bot settings for measured runs: quote every second, no cooldown after fills (so fills keep coming).
ACTIVE = ["orderFrequency=1", "orderExpiry=2", "orderFillCooldown=0", "hubblePositionPollInterval=1",
          "hedgeClient_orderbook_frequency=0.5",
          # the risk engine's checks still run on every quote; its limits are set past what 30 AVAX levels
          # and 20 fills/s reach, so the runs measure latency, not the limits
          "maxOrderSize=1000", "maxOrderNotional=1000000", "maxRestingPerSide=100000", "maxPosition=100000",
          "maxPositionUsd=100000000", "maxHedgePosition=100000", "maxOrderRate=100000", "positionSkew=0"]
FILL_SIZE_USD = 40          # mean simulated taker size: mostly one 1-AVAX fill per taker
LEVEL_QTY = 30              # AVAX per level: enough resting size that takers rarely empty the book
TARGETS = {"fill_to_hedge_sent_p99_ms": 5.0, "fill_to_hedge_confirmed_p99_ms": 25.0,
           "quote_tick_to_orders_sent_p99_ms": 15.0, "cpu_idle_percent": 3.0, "cpu_load_percent": 30.0,
           "peak_rss_mb": 250.0, "startup_to_first_quote_s": 5.0, "hedge_book_age_p99_ms": 100.0,
           "idle_weight_share_3_processes_percent": 5.0, "pre_trade_check_us_per_order": 50.0}
PROCESSES = 3               # market processes pm2 runs on one machine (AVAX, ETH, SOL) sharing IP and account
NETTING_WINDOWS = (0.005, 0.02)   # seconds: hedgeNettingWindow values measured against 0 at 20 fills/s
LOAD_FILL_RATE = 20         # offered fills/s of the load runs quoting on Hubble
# Offered takers/s on a maker venue other than Hubble. Lower than Hubble's 20 because the bot replaces a level
# after each of its fills there, and at 20 that exhausts the venue's order limits: on Binance every batchOrders
# call weighs 5 of the 300 orders per 10 s whatever it holds (a trial at 20 was refused -1015 after about 4 s
# and rested nothing for 8 s), on Hyperliquid each requote is an action of the IP's 1,200 weight a minute. The
# run would measure refusals, not latency. At 4 (about 3.5 fills/s: some takers fall under the $10 or one-lot
# minimum) no limit is reached in a 40 s window; fill -> hedge latency is per fill and flat in the fill rate
# (the scaling runs), so the figures compare with the Hubble pairs' at 20.
PAIR_FILL_RATE = 4
# (maker, hedge) pairs; Hubble's are the load runs (load_hyperliquid, load_binance)
PAIRS = (("hubble", "hyperliquid"), ("hubble", "binance"), ("hyperliquid", "binance"), ("binance", "hyperliquid"))
MAKER_PAIRS = tuple(p for p in PAIRS if p[0] != "hubble")


def levels(count: int, qty: int = LEVEL_QTY) -> str:
    """An orderLevels override with `count` levels, spreads 0.08 % + 0.02 % per level."""
    table = {str(k): {"spread": round(0.08 + 0.02 * (k - 1), 2), "qty": qty, "refreshTolerance": 0}
             for k in range(1, count + 1)}
    return "orderLevels=" + json.dumps(table, separators=(",", ":"))


def taker_flow(fills_per_s: float, tick_ms: int = 100, maker: str = "hubble") -> list[str]:
    """Simulated takers on the maker venue at about ``fills_per_s`` (Hubble's activity.py, or the Hyperliquid /
    Binance background flow, whose 30 bps book --sim sets: the bot's quotes are the touch there); a maker venue
    other than Hubble leaves Hubble without takers (the bot does not quote there)."""
    common = [f"--tick-ms={tick_ms}", "--initial-margin=1000000"]
    if maker == "hubble":
        return [*common, f"--set=hubble.taker_rate={fills_per_s}", f"--set=hubble.taker_size_usd={FILL_SIZE_USD}"]
    return [*common, "--set=hubble.taker_rate=0", f"--set={maker}.taker_rate={fills_per_s}",
            f"--set={maker}.taker_size_usd={FILL_SIZE_USD}"]


def active_run(name: str, window: float, fills_per_s: float, level_count: int = 3, hedge: str = "hyperliquid",
               tick_ms: int = 100, book_period: str = "1s", maker: str = "hubble") -> RunSpec:
    return RunSpec(name, window, hedge=hedge,
                   settings=[*ACTIVE, levels(level_count), f"hubble_orderbook_frequency={book_period}"],
                   sim_args=taker_flow(fills_per_s, tick_ms, maker), maker=maker)


def pair_run_name(maker: str, hedge: str) -> str:
    """The load run of a pair: Hubble's keep their names (load_hyperliquid, load_binance)."""
    return f"load_{hedge}" if maker == "hubble" else f"load_{maker}_{hedge}"


@dataclass
class Plan:
    mode: str
    idle_window: float
    load_window: float
    scale_window: float
    fill_rates: tuple[float, ...]
    level_counts: tuple[int, ...]
    hubble_signs: int
    hyperliquid_signs: int
    loopback_requests: int
    comparisons: bool = True      # the polling and netting-window runs (left out of --smoke)
    maker_pairs: tuple[tuple[str, str], ...] = MAKER_PAIRS     # pairs quoting on Hyperliquid or Binance

    def idle(self, hedge: str = "hyperliquid") -> RunSpec:
        """Production settings, no takers: the cost of staying up and quoting (CPU, request weight)."""
        return RunSpec("idle" if hedge == "hyperliquid" else f"idle_{hedge}", self.idle_window, hedge=hedge,
                       sim_args=["--scenario=quiet"])

    def load(self, hedge: str, streams: bool = True, netting: float = 0.0, orders_on_socket: bool = False) -> RunSpec:
        """50 updates/s on each feed (20 ms price ticks, a 20 ms Hubble depth stream) and 20 fills/s."""
        name = (f"load_{hedge}" + ("" if streams else "_polling") + (f"_netting_{netting * 1000:g}ms" if netting else "")
                + ("_ws_orders" if orders_on_socket else ""))
        spec = active_run(name, self.load_window, LOAD_FILL_RATE, hedge=hedge, tick_ms=20, book_period="20ms")
        spec.settings += [f"hedgeStreams={'true' if streams else 'false'}", f"hedgeNettingWindow={netting}",
                          f"hedgeOrdersOverWebsocket={'true' if orders_on_socket else 'false'}"]
        return spec

    def pair_load(self, maker: str, hedge: str) -> RunSpec:
        """A load run quoting on ``maker`` (Hyperliquid or Binance): the load runs' 20 ms ticks and settings,
        PAIR_FILL_RATE background takers on the maker venue's 30 bps book."""
        spec = active_run(pair_run_name(maker, hedge), self.load_window, PAIR_FILL_RATE, hedge=hedge, tick_ms=20,
                          book_period="20ms", maker=maker)
        spec.settings += ["hedgeStreams=true", "hedgeNettingWindow=0", "hedgeOrdersOverWebsocket=false"]
        return spec

    def fill_scaling(self) -> list[RunSpec]:
        return [active_run(f"fills_{rate:g}", self.scale_window, rate) for rate in self.fill_rates]

    def level_scaling(self) -> list[RunSpec]:
        return [active_run(f"levels_{n}", self.scale_window, 10, level_count=n) for n in self.level_counts]


# --quick runs one new pair (Hyperliquid quoting, Binance hedging) to stay short; --smoke the other (Binance
# quoting), so that the tests run each maker implementation in one of the bench or the observer test
PLANS = {
    "full": Plan("full", 30, 40, 20, (1, 10, 50, 100), (1, 3, 10, 25), 3000, 1000, 1000),
    "quick": Plan("quick", 8, 10, 6, (10, 50), (3, 25), 1000, 300, 300, maker_pairs=(("hyperliquid", "binance"),)),
    "smoke": Plan("smoke", 2, 3, 2, (10,), (3,), 100, 50, 50, comparisons=False,
                  maker_pairs=(("binance", "hyperliquid"),)),
}
