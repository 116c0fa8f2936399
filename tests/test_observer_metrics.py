"""The observer's computations on small hand-made samples and fills (tools/observer/metrics.py, report.py)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from tools.observer import metrics, report
from tools.observer.records import Fill, HedgeBook, Sample, VenueFunding


def book(mid: str, half: str = "0.05", size: str = "10") -> HedgeBook:
    m, h = D(mid), D(half)
    return HedgeBook(((m - h, D(size)),), ((m + h, D(size)),))


def sample(t: float, bids: int = 0, asks: int = 0, hubble: str = "0", hedge: str = "0", mid: str = "100",
           hedge_book: HedgeBook | None = None) -> Sample:
    return Sample(t, bids, asks, D(bids), D(asks), D(hubble), D(hedge), D(mid), hedge_book or book(mid))


def fill(venue: str, t: float, qty: str, price: str, fee: str = "0", order: str = "o", block: int | None = None
         ) -> Fill:
    return Fill(venue, t, D(qty), D(price), D(fee), order, block=block)


def test_uptime_counts_from_the_first_quote_and_tells_two_sided_from_any_side():
    samples = [sample(0), sample(1, 1, 1), sample(2, 2, 0), sample(3), sample(4, 1, 3)]
    up = metrics.quote_uptime(samples)
    assert (up.samples, up.two_sided, up.any_side, up.first_quote_t) == (4, 0.5, 0.75, 1)
    assert metrics.quote_uptime([sample(0), sample(1)]) == metrics.Uptime(0, None, None, None)


def test_volume_and_coverage_are_in_base_units_and_a_block_s_fills_are_hedged_net():
    hubble = [fill("hubble", 1, "3", "100", block=7), fill("hubble", 2, "-2", "101", block=8),
              fill("hubble", 2, "1", "99", block=8)]                   # block 8 needs a hedge of 1
    hedge = [fill("hyperliquid", 1.1, "-3", "100.5"), fill("hyperliquid", 2.1, "1", "100.6")]
    v = metrics.volume(hubble)
    assert (v.count, v.base, v.usd) == (3, D(6), D(601))
    assert metrics.exposure_to_hedge(hubble) == D(4)
    assert metrics.hedge_coverage(metrics.exposure_to_hedge(hubble), metrics.volume(hedge)) == 1.0
    assert metrics.hedge_coverage(v.base, metrics.volume(hedge)) == 4 / 6
    assert metrics.hedge_coverage(D(0), metrics.volume(hedge)) is None


def test_time_weighted_net_delta_holds_each_sample_until_the_next():
    samples = [sample(0), sample(1, hubble="2"), sample(3, hubble="2", hedge="-3"), sample(4, hubble="1", hedge="-1")]
    assert metrics.time_weighted_abs(samples, lambda s: s.net) == D("1.25")        # (0*1 + 2*2 + 1*1) / 4
    assert metrics.time_weighted_abs(samples, metrics.net_usd) == D("125")          # at a mid of 100
    assert metrics.time_weighted_abs(samples[:1], lambda s: s.net) is None


def test_a_series_answers_the_last_value_at_or_before_a_time():
    series = metrics.Series([(2.0, "b"), (1.0, "a"), (3.0, None), (4.0, "d")])
    assert [series.at(t) for t in (0.5, 1.0, 2.5, 3.5, 9)] == ["a", "a", "b", "b", "d"]
    assert metrics.Series([]).at(1) is None


def test_pnl_parts_of_a_fill_hedged_at_once_add_up_to_the_total():
    samples = [sample(0, mid="100"), sample(10, mid="100")]
    hubble = [fill("hubble", 10, "2", "99", fee="-0.02")]                           # maker rebate
    hedge = [fill("hyperliquid", 10.5, "-2", "99.9", fee="0.05")]
    p = metrics.pnl(hubble, hedge, metrics.mid_series(samples), D("101"))
    assert p.total == D("1.77")                                                     # 1.8 cash + 0.02 - 0.05
    assert (p.spread, p.hedge_slippage, p.fees, p.inventory, p.funding) == (D(2), D("-0.2"), D("-0.03"), D(0), D(0))
    assert (p.maker_fees, p.hedge_fees) == (D("-0.02"), D("0.05"))
    assert p.per_million == D("1.77") / D(198) * 1_000_000


def test_a_price_move_before_the_hedge_and_funding_are_the_rest():
    samples = [sample(0, mid="100"), sample(11, mid="100.5")]
    hubble = [fill("hubble", 10, "2", "99")]
    hedge = [fill("hyperliquid", 11.2, "-2", "100.4")]
    p = metrics.pnl(hubble, hedge, metrics.mid_series(samples), D("103"), VenueFunding(D("-0.1"), D("0.3")))
    assert p.total == D("2.8") + D("0.2")                                           # cash + funding; flat at the end
    assert (p.spread, p.hedge_slippage, p.inventory, p.funding) == (D(2), D("-0.2"), D(1), D("0.2"))
    assert p.spread + p.hedge_slippage + p.fees + p.rest == p.total


def test_an_unhedged_residual_is_marked_at_the_end_mid():
    p = metrics.pnl([fill("hubble", 1, "-1", "100.1")], [], metrics.mid_series([sample(0, mid="100")]), D("99"))
    assert (p.total, p.spread, p.inventory) == (D("1.1"), D("0.1"), D(1))


def test_walking_a_book_averages_the_levels_taken():
    levels = ((D(100), D(1)), (D(101), D(2)))
    assert metrics.walk(levels, D(2)) == D("100.5")
    assert metrics.walk(levels, D(1)) == D(100)
    assert metrics.walk(levels, D(4)) is None


def test_hedging_at_the_placement_book_after_both_fees():
    books = [(0, book("100", "0.02")), (5, book("110"))]
    buy = fill("hubble", 6, "1", "100", order="buy")                  # hedged by selling at the bid, 99.98
    sell = fill("hubble", 6, "-1", "100.2", fee="-0.01", order="sell")  # hedged by buying at the ask, 100.02
    unknown = fill("hubble", 6, "1", "100", order="never placed")
    checks = metrics.placement_checks([buy, sell, unknown], {"buy": 4.9, "sell": 4.9}, books, D("0.0005"))
    assert [c.book_t for c in checks] == [0, 0]                        # the last book at or before placement
    assert checks[0].hedge_price == D("99.98") and checks[0].loses
    assert checks[0].pnl == D("-0.02") - D("0.0005") * D("99.98")
    assert checks[1].pnl == D("0.18") + D("0.01") - D("0.0005") * D("100.02") and not checks[1].loses
    thin = metrics.placement_checks([fill("hubble", 6, "50", "100", order="buy")], {"buy": 1}, books, D(0))
    assert thin[0].hedge_price is None and thin[0].loses               # the book could not take it


def test_a_fill_loses_at_placement_only_if_it_loses_on_every_book_of_the_pricing_window():
    # books at 0 (bid 99.95), 4.995 (bid 98.95), 5.1 (bid 89.95); a buy at 99.5 placed at 5.0 was priced on the
    # book of 0 or of 4.995 (both within 10 ms of its placement): it earns on the first, so it is not losing
    books = [(0, book("100")), (4.995, book("99")), (5.1, book("90"))]
    buy = fill("hubble", 6, "1", "99.5", order="buy")
    check = metrics.placement_checks([buy], {"buy": 5.0}, books, D(0))[0]
    assert (check.book_t, check.pnl, check.loses) == (0, D("0.45"), False)
    late = metrics.placement_checks([buy], {"buy": 5.02}, books, D(0))[0]   # only 4.995's book is in its window
    assert (late.book_t, late.loses) == (4.995, True)
    assert metrics.placement_checks([buy], {"buy": -1}, books, D(0))[0].loses   # before any book: unknown, losing


def test_the_table_has_one_row_per_report_and_says_n_a_for_missing_figures():
    r = {"scenario": "quiet", "pair": "hyperliquid->binance", "maker": "hyperliquid", "hedge": "binance",
         "quotes": {"two_sided_uptime": None, "any_side_uptime": 0.5},
         "fills": {"maker": {"count": 0, "base": 0.0, "usd": 0.0}}, "hedge_coverage": None,
         "net_delta": {"time_weighted_abs_base": 0.0, "time_weighted_abs_usd": 0.0, "final_base": -0.5},
         "pnl": {"total_usd": 0.0, "spread_usd": 0.0, "hedge_slippage_usd": 0.0, "fees_usd": 0.0, "rest_usd": 0.0,
                 "per_million_traded_usd": None},
         "hedge_at_placement": {"losing": 0, "checked": 0}}
    lines = report.table([r, {**r, "scenario": "jump"}]).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| quiet | hyperliquid -> binance | n/a | 50.0 % | 0 |")
    assert "| 0.500 |" in lines[2] and "| maker fills |" in lines[0]
    assert lines[0].count("|") == lines[2].count("|")



def test_the_report_s_uptime_leaves_out_the_sample_taken_after_the_stop():
    from tools.observer.options import RunOptions
    from tools.observer.records import Collected
    quoting = [sample(t, bids=1, asks=1) for t in (1, 2, 3)]
    after_stop = sample(5)                                             # the final positions, quotes cancelled
    collected = Collected([*quoting, after_stop], [], [], {}, [], VenueFunding(), D("0.00045"), 0.0, 4.0, 0, [])
    r = report.build(RunOptions(seconds=4), collected)
    assert r["quotes"]["samples"] == 3 and r["quotes"]["two_sided_uptime"] == 1.0


def test_an_observed_bot_gets_simnet_s_endpoints_and_fresh_keys_and_no_alert_webhook(monkeypatch):
    from tools.observer.bot_process import Keys, bot_environment
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "https://hooks.example/T000/B000/secret")
    monkeypatch.setenv("HYPERLIQUID_PRIVATE_KEY", "0x" + "11" * 32)
    ready = {name: f"http://127.0.0.1:1/{name}" for name in (
        "hubble_env", "hubble_rpc", "hubble_ws", "hubble_indexer", "hyperliquid_url", "binance_futures_rest",
        "binance_futures_ws", "binance_spot_rest", "binance_spot_ws", "binance_api_key", "binance_api_secret")}
    keys = Keys.fresh()
    env = bot_environment(ready, "AVAX", keys)
    assert "ALERT_WEBHOOK_URL" not in env and env["HUBBLE_RPC"] == ready["hubble_rpc"]
    assert env["HYPERLIQUID_PRIVATE_KEY"] == keys.hyperliquid and env["AVAX_PRIVATE_KEY"] == keys.hubble


# ---- risk figures -------------------------------------------------------------------------------------------------
def test_drawdown_is_the_largest_fall_from_the_running_peak():
    assert metrics.max_drawdown(D(v) for v in ("0", "5", "3", "7", "1", "4")) == D(6)
    assert metrics.max_drawdown([D(-1), D(-3), D(2)]) == D(2)                    # the peak starts at the first value
    assert metrics.max_drawdown([D(1), D(2), D(3)]) == D(0)
    assert metrics.max_drawdown([]) is None


def test_the_pnl_series_marks_the_fills_up_to_each_sample_at_its_mid_fees_included():
    samples = [sample(0, mid="100"), sample(1, mid="100"), sample(2, mid="95"), sample(3, mid="103"),
               Sample(4, 0, 0, D(0), D(0), D(0), D(0), None, HedgeBook((), ()))]   # no hedge mid: left out
    hubble = [fill("hubble", 0.5, "2", "99", fee="-0.02")]
    hedge = [fill("hyperliquid", 1.5, "-1", "99.9", fee="0.05")]
    series = metrics.pnl_series(samples, hubble, hedge)
    assert series == [(0, D(0)), (1, D("2.02")), (2, D("-3.13")), (3, D("4.87"))]
    assert metrics.max_drawdown(v for _, v in series) == D("5.15")
    assert series[-1][1] == metrics.pnl(hubble, hedge, metrics.mid_series(samples), D(103)).total


def test_max_positions_are_the_largest_absolute_ones_sampled():
    samples = [sample(0, hubble="2", hedge="-1"), sample(1, hubble="-5", hedge="4"), sample(2, hubble="1")]
    assert metrics.max_abs(samples, lambda s: s.maker_position) == D(5)
    assert metrics.max_abs(samples, lambda s: s.hedge_position) == D(4)
    assert metrics.max_abs([], lambda s: s.maker_position) is None


SCRAPE = """\
# HELP hubble_mm_ready 1 once the ordered start-up is done
# TYPE hubble_mm_ready gauge
hubble_mm_ready{market="AVAX"} 1.0
# HELP hubble_mm_liquidation_distance_pct distance to the venue's liquidation price
# TYPE hubble_mm_liquidation_distance_pct gauge
hubble_mm_liquidation_distance_pct{market="AVAX",venue="hubble"} 41.5
hubble_mm_liquidation_distance_pct{market="AVAX",venue="hyperliquid"} NaN
hubble_mm_liquidation_distance_pct{market="ETH",venue="hubble"} 3.0
# HELP hubble_mm_risk_state_seconds_total seconds spent in each risk state
# TYPE hubble_mm_risk_state_seconds_total counter
hubble_mm_risk_state_seconds_total{market="AVAX",state="ACTIVE"} 110.5
hubble_mm_risk_state_seconds_created{market="AVAX",state="ACTIVE"} 1.7e9
hubble_mm_risk_state_seconds_total{market="AVAX",state="REDUCING"} 8.0
hubble_mm_risk_state_seconds_total{market="AVAX",state="HALTED"} 0.0
"""


def test_the_bot_s_risk_metrics_are_read_from_the_text_format():
    from tools.observer import bot_metrics
    reading = bot_metrics.parse(SCRAPE, "AVAX")
    assert reading.liquidation_distance == {"hubble": 41.5}                      # NaN and the other market left out
    assert reading.state_seconds == {"ACTIVE": 110.5, "REDUCING": 8.0, "HALTED": 0.0}
    assert bot_metrics.parse(SCRAPE).liquidation_distance == {"hubble": 3.0}      # no market: the lowest
    absent = bot_metrics.parse('# TYPE hubble_mm_ready gauge\nhubble_mm_ready{market="AVAX"} 1\n', "AVAX")
    assert absent == bot_metrics.Reading({}, {})


def test_the_scrapes_keep_the_lowest_distance_and_the_last_state_seconds():
    from tools.observer import bot_metrics
    tracker = bot_metrics.Tracker()
    assert tracker.distances_for(["hubble", "hyperliquid"]) == {"hubble": None, "hyperliquid": None}
    assert tracker.state_seconds is None
    tracker.add(bot_metrics.Reading({"hubble": 40.0, "hyperliquid": 60.0}, {"ACTIVE": 1.0}))
    tracker.add(bot_metrics.Reading({"hubble": 35.0}, {"ACTIVE": 2.0, "HALTED": 1.0}))
    tracker.add(bot_metrics.Reading({"hubble": 38.0}, {}))                        # a scrape without the counter
    assert tracker.distances_for(["hubble", "binance"]) == {"hubble": 35.0, "binance": None, "hyperliquid": 60.0}
    assert tracker.state_seconds == {"ACTIVE": 2.0, "HALTED": 1.0} and tracker.scrapes == 3


def test_the_bot_gets_a_free_metrics_port_unless_one_is_set():
    from tools.observer import bot_metrics
    settings, port = bot_metrics.with_metrics_port(["orderFrequency=1"])
    assert settings == ["orderFrequency=1", f"metricsPort={port}"] and 0 < port < 65536
    assert bot_metrics.with_metrics_port(["metricsPort=9109"]) == (["metricsPort=9109"], 9109)
    settings, port = bot_metrics.with_metrics_port(["metricsPort=0"])
    assert settings == [f"metricsPort={port}"] and port > 0


def test_the_scraper_reads_the_endpoint_each_sample_and_once_more_at_the_end():
    import http.server
    import threading
    from tests.helpers import wait_until
    from tools.observer import bot_metrics

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = SCRAPE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        scraper = bot_metrics.Scraper(server.server_address[1], "AVAX")
        scraper.request()
        wait_until(lambda: scraper.tracker.scrapes == 1, 5, "a scrape")
        tracker = scraper.finish()
        assert (tracker.scrapes, tracker.failed) == (2, 0)
        assert tracker.min_liquidation_distance == {"hubble": 41.5} and tracker.state_seconds["REDUCING"] == 8.0
    finally:
        server.shutdown()
        server.server_close()
    nobody = bot_metrics.Scraper(bot_metrics.free_port(), timeout=1)
    assert nobody.finish().failed == 1 and nobody.tracker.scrapes == 0


def test_liquidations_are_the_bot_s_own_and_null_where_the_venue_has_no_such_action():
    from tools.observer import liquidations
    from tools.observer.venue_view import Accounts
    accounts = Accounts("0xAbCd00000000000000000000000000000000Ef01", "0x1111000000000000000000000000000000002222",
                        "binanceKey", "secret")
    rows = {"hubble": [{"account": "0xabcd00000000000000000000000000000000ef01", "market": "1", "size": 2.5,
                        "price": 30.0, "time": 1.0},
                       {"account": "0x9999000000000000000000000000000000009999", "market": "1", "size": -1.0,
                        "price": 31.0, "time": 2.0}],
            "binance": [{"account": "binanceKey", "market": "AVAXUSDT", "size": -3.0, "price": 29.0, "time": 3.0}]}

    def control(venue: str, action: str) -> dict:
        assert action == "liquidations"
        if venue not in rows:
            raise KeyError(action)                       # the generic fault knobs' answer to an unknown action
        return {"liquidations": rows[venue]}

    hubble = liquidations.read(control, "hubble", accounts)
    assert hubble == rows["hubble"][:1] and liquidations.summary(hubble) == {"count": 1, "list": hubble}
    assert liquidations.read(control, "binance", accounts) == rows["binance"]
    assert liquidations.read(control, "hyperliquid", accounts) is None and liquidations.summary(None) is None
    assert liquidations.of_accounts(rows["hubble"], set()) == []


def test_the_report_and_table_carry_the_risk_figures():
    from tools.observer import bot_metrics
    from tools.observer.options import RunOptions
    from tools.observer.records import Collected
    samples = [sample(1, 1, 1, hubble="-2", hedge="2", mid="100"), sample(2, 1, 1, hubble="-2", hedge="1", mid="90")]
    hubble = [fill("hubble", 0.5, "2", "99.9", block=1)]
    hedge = [fill("hyperliquid", 0.7, "-1", "99.95")]                   # half hedged: 0.15 at 100, -9.85 at 90
    tracker = bot_metrics.Tracker()
    tracker.add(bot_metrics.Reading({"hubble": 12.5}, {"ACTIVE": 1.5, "REDUCING": 0.5, "HALTED": 0.0}))
    collected = Collected(samples, hubble, hedge, {}, [], VenueFunding(), D("0.00045"), 0.0, 3.0, 0, [],
                          {"hubble": [], "hyperliquid": None}, tracker)
    r = report.build(RunOptions(seconds=3), collected)
    assert r["liquidations"] == {"hubble": {"count": 0, "list": []}, "hyperliquid": None}
    assert r["max_drawdown_usd"] == 10.0 and (r["max_maker_position"], r["max_hedge_position"]) == (2.0, 2.0)
    assert r["min_liquidation_distance_pct"] == {"hubble": 12.5, "hyperliquid": None}
    assert r["trading_state_seconds"] == {"ACTIVE": 1.5, "HALTED": 0.0, "REDUCING": 0.5}
    row = report.table([r]).splitlines()[2]
    assert row.endswith("| 10.00 | 2.000 / 2.000 | 0 / n/a | 12.5 / n/a | 2 / 0 / 0 |")
    bare = report.build(RunOptions(seconds=3), Collected(samples, [], [], {}, [], VenueFunding(), D(0), 0.0, 3.0, 0, []))
    assert bare["liquidations"] == {"hubble": None, "hyperliquid": None} and bare["trading_state_seconds"] is None


# ---- the pair ---------------------------------------------------------------------------------------------------
def test_a_run_on_another_maker_venue_names_the_pair_and_keys_each_venue_by_its_name():
    from tools.observer.options import RunOptions
    from tools.observer.records import Collected
    samples = [sample(1, 1, 1, hubble="-2", hedge="2"), sample(2, 1, 1, hubble="-2", hedge="2")]
    maker = [fill("hyperliquid", 0.5, "-2", "100.1", fee="0.03", order="7")]
    hedge = [fill("binance", 0.6, "2", "100.02", fee="0.1")]
    collected = Collected(samples, maker, hedge, {"7": 0.4}, [(0.3, book("100"))], VenueFunding(), D("0.0005"),
                          0.0, 3.0, 0, [], {"hyperliquid": [], "binance": []})
    r = report.build(RunOptions(seconds=3, maker="hyperliquid", hedge="binance"), collected)
    assert (r["pair"], r["maker"], r["hedge"]) == ("hyperliquid->binance", "hyperliquid", "binance")
    assert r["fills"]["maker"]["count"] == 1 and r["hedge_coverage"] == 1.0
    assert r["net_delta"]["final_positions"] == {"maker": -2.0, "hedge": 2.0}
    assert r["pnl"]["fees_detail"]["maker_paid_usd"] == 0.03 and r["pnl"]["fees_detail"]["maker_fee_rate"] > 0
    assert set(r["liquidations"]) == set(r["min_liquidation_distance_pct"]) == {"hyperliquid", "binance"}
    assert r["hedge_at_placement"]["checked"] == 1 and "Hyperliquid" in r["method"]["fills"]
    assert r["sim_venue_options"] == {"hyperliquid": {"taker_rate": 2, "spread_bps": 30}}
    assert "| hyperliquid -> binance |" in report.table([r])
    assert r["net_delta"]["source"] == "fills" and r["net_delta"]["max_abs_base"] == 0      # hedged before t=1


def test_the_net_path_steps_at_each_fill_ms_and_times_what_was_left_unhedged():
    fills = [fill("hyperliquid", 1, "3", "100"), fill("binance", 1.005, "-3", "100"),      # hedged in 5 ms
             fill("hyperliquid", 2, "-5.4", "100"), fill("binance", 2.004, "5", "100"),    # 0.4 under a lot of 1
             fill("hyperliquid", 2.004, "0.2", "100")]                                     # same ms: one step
    path = metrics.net_path(fills, 0, 4)
    assert [(p.t, p.net) for p in path] == [(0, D(0)), (1, D(3)), (1.005, D(0)), (2, D("-5.4")),
                                             (2.004, D("-0.2")), (4, D("-0.2"))]
    total, longest = metrics.seconds_at_least(path, D(1))
    assert round(total, 6) == 0.009 and round(longest, 6) == 0.005
    exact = (D(3) * D("0.005") + D("5.4") * D("0.004") + D("0.2") * D("1.996")) / 4     # times are floats
    assert abs(metrics.time_weighted_abs(path, lambda p: p.net) - exact) < D("1e-9")


def test_the_maker_venue_gets_the_sim_flow_unless_given_or_quiet_and_maker_equal_to_hedge_is_refused():
    from tools.observer.options import RunOptions
    assert RunOptions(maker="binance").sim_config().venue_options == {
        "binance": {"taker_rate": 2, "maker_spread_bps": 30}}
    given = RunOptions(maker="binance", sim_settings=["binance.taker_rate=5", "hubble.taker_rate=1"])
    assert given.sim_config().venue_options == {"binance": {"taker_rate": 5, "maker_spread_bps": 30},
                                                "hubble": {"taker_rate": 1}}
    assert RunOptions(scenario="quiet", maker="hyperliquid", hedge="binance").sim_config().venue_options == {}
    assert RunOptions().sim_config().venue_options == {}                       # Hubble: its own flow, as always
    with pytest.raises(ValueError, match="both binance"):
        RunOptions(maker="binance", hedge="binance")
