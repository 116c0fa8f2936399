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


def levels(count: int, qty: int = LEVEL_QTY) -> str:
    """An orderLevels override with `count` levels, spreads 0.08 % + 0.02 % per level."""
    table = {str(k): {"spread": round(0.08 + 0.02 * (k - 1), 2), "qty": qty, "refreshTolerance": 0}
             for k in range(1, count + 1)}
    return "orderLevels=" + json.dumps(table, separators=(",", ":"))


def taker_flow(fills_per_s: float, tick_ms: int = 100) -> list[str]:
    return [f"--tick-ms={tick_ms}", "--initial-margin=1000000", f"--set=hubble.taker_rate={fills_per_s}",
            f"--set=hubble.taker_size_usd={FILL_SIZE_USD}"]


def active_run(name: str, window: float, fills_per_s: float, level_count: int = 3, hedge: str = "hyperliquid",
               tick_ms: int = 100, book_period: str = "1s") -> RunSpec:
    return RunSpec(name, window, hedge=hedge,
                   settings=[*ACTIVE, levels(level_count), f"hubble_orderbook_frequency={book_period}"],
                   sim_args=taker_flow(fills_per_s, tick_ms))


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

    def idle(self, hedge: str = "hyperliquid") -> RunSpec:
        """Production settings, no takers: the cost of staying up and quoting (CPU, request weight)."""
        return RunSpec("idle" if hedge == "hyperliquid" else f"idle_{hedge}", self.idle_window, hedge=hedge,
                       sim_args=["--scenario=quiet"])

    def load(self, hedge: str, streams: bool = True, netting: float = 0.0, orders_on_socket: bool = False) -> RunSpec:
        """50 updates/s on each feed (20 ms price ticks, a 20 ms Hubble depth stream) and 20 fills/s."""
        name = (f"load_{hedge}" + ("" if streams else "_polling") + (f"_netting_{netting * 1000:g}ms" if netting else "")
                + ("_ws_orders" if orders_on_socket else ""))
        spec = active_run(name, self.load_window, 20, hedge=hedge, tick_ms=20, book_period="20ms")
        spec.settings += [f"hedgeStreams={'true' if streams else 'false'}", f"hedgeNettingWindow={netting}",
                          f"hedgeOrdersOverWebsocket={'true' if orders_on_socket else 'false'}"]
        return spec

    def fill_scaling(self) -> list[RunSpec]:
        return [active_run(f"fills_{rate:g}", self.scale_window, rate) for rate in self.fill_rates]

    def level_scaling(self) -> list[RunSpec]:
        return [active_run(f"levels_{n}", self.scale_window, 10, level_count=n) for n in self.level_counts]


PLANS = {
    "full": Plan("full", 30, 40, 20, (1, 10, 50, 100), (1, 3, 10, 25), 3000, 1000, 1000),
    "quick": Plan("quick", 8, 10, 6, (10, 50), (3, 25), 1000, 300, 300),
    "smoke": Plan("smoke", 2, 3, 2, (10,), (3,), 100, 50, 50, comparisons=False),
}
