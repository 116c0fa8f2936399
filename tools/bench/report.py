"""Turn run results into the results JSON, a readable table and the scaling plot."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from tools.bench.botrun import RunResult
from tools.bench.plan import LOAD_FILL_RATE, NETTING_WINDOWS, PAIR_FILL_RATE, PAIRS, PROCESSES, TARGETS, pair_run_name

LATENCIES = ("fill_to_hedge_sent", "fill_to_hedge_confirmed", "quote_tick_to_orders_sent")
PAIR_TARGETS = {name: f"{name}_p99_ms" for name in LATENCIES}      # each pair's latency -> its TARGETS key
IP_WEIGHT = "request weight per IP"


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return {"cpu_model": model, "cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "os": platform.platform(), "python": sys.version.split()[0]}


def run_figures(result: RunResult) -> dict:
    """The figures of one bot run: latencies, fill rate, feed rates, CPU, RSS, start-up."""
    s = result.summary
    seconds = s.get("run_seconds") or 0
    feeds = s.get("feed_updates", {})
    return {
        "name": result.spec.name, "maker": result.spec.maker, "hedge": result.spec.hedge,
        "exit_status": result.exit_status,
        "settings": result.spec.settings, "sim_args": result.spec.sim_args,
        "latency": s.get("latency", {}),
        "fills": s.get("fills", {}).get("count"), "hedges": s.get("hedges", {}).get("count"),
        "fills_per_s": round(s.get("fills", {}).get("count", 0) / seconds, 2) if seconds else None,
        "feed_updates_per_s": {k: round(v / seconds, 1) for k, v in feeds.items()} if seconds else {},
        "final_net_delta": s.get("final_net_delta", {}).get("base"),
        "cpu_percent": result.cpu_percent, "cpu_window_s": result.window_seconds,
        "peak_rss_mb": result.peak_rss_mb, "startup": s.get("startup", {}), "wall_s": result.wall_seconds,
        "hedge_book_age": s.get("latency", {}).get("hedge_book_age"),
        "request_budget": (s.get("hedge_venue") or {}).get("request_budget", {}).get("limits", {}),
    }


def _p99(run: dict, name: str) -> float | None:
    return (run.get("latency", {}).get(name) or {}).get("p99_ms")


def pair_runs(runs: dict[str, dict]) -> list[tuple[str, str, dict]]:
    """(maker, hedge, run) of every pair measured, in PAIRS order."""
    return [(m, h, runs[name]) for m, h in PAIRS if (name := pair_run_name(m, h)) in runs]


def _worst_p99(runs: dict[str, dict], name: str) -> float | None:
    """The highest p99 of a latency over every pair's load run (the pairs share the targets)."""
    return max((v for _, _, run in pair_runs(runs) if (v := _p99(run, name)) is not None), default=None)


def headline(runs: dict[str, dict], floor: dict, signing: dict, pre_trade_us: float | None = None) -> dict:
    """Every target figure of the issue, with its target and whether it is met; the three latencies are the
    worst over the pairs measured (each pair's own figures are in ``pairs``)."""
    confirmed = {hedge: runs[f"load_{hedge}"]["latency"].get("fill_to_hedge_confirmed", {})
                 for hedge in ("hyperliquid", "binance")}
    startups = [r["startup"].get("process_to_first_quote_s") for r in runs.values()]
    startups = [s for s in startups if s is not None]
    rss = [r["peak_rss_mb"] for r in runs.values() if r["peak_rss_mb"] is not None]
    figures = {
        "fill_to_hedge_sent_p99_ms": _worst_p99(runs, "fill_to_hedge_sent"),
        "fill_to_hedge_confirmed_p99_ms": _worst_p99(runs, "fill_to_hedge_confirmed"),
        "quote_tick_to_orders_sent_p99_ms": _worst_p99(runs, "quote_tick_to_orders_sent"),
        "cpu_idle_percent": runs["idle"]["cpu_percent"],
        "cpu_load_percent": max((runs[f"load_{h}"]["cpu_percent"] or 0) for h in ("hyperliquid", "binance")),
        "peak_rss_mb": max(rss, default=None),
        "startup_to_first_quote_s": max(startups, default=None),
        "hedge_book_age_p99_ms": max((_p99_of(runs[f"load_{h}"].get("hedge_book_age")) or 0)
                                     for h in ("hyperliquid", "binance")),
        "idle_weight_share_3_processes_percent": max(_idle_share(runs[name]) for name in ("idle", "idle_binance")),
        "pre_trade_check_us_per_order": None if pre_trade_us is None else round(pre_trade_us, 1),
    }
    met = {k: (v is not None and v <= TARGETS[k]) for k, v in figures.items()}
    floor_p50 = floor.get("p50_ms") or None
    ratios = {hedge: round(c["p50_ms"] / floor_p50, 1) if floor_p50 and c.get("p50_ms") else None
              for hedge, c in confirmed.items()}
    return {"figures": figures, "targets": TARGETS, "met": met, "all_met": all(met.values()),
            "hedge_confirmed_by_venue": confirmed, "confirmed_p50_over_loopback_p50": ratios,
            "loopback_floor": floor, "signing_us": signing}


def pairs(runs: dict[str, dict], floor: dict) -> list[dict]:
    """One row per pair: its load run's three latencies against the targets, fills, hedges per fill, CPU."""
    floor_p50 = floor.get("p50_ms") or None
    rows = []
    for maker, hedge, run in pair_runs(runs):
        latency = {name: run["latency"].get(name) for name in LATENCIES}
        met = {name: _within(_p99(run, name), TARGETS[target]) for name, target in PAIR_TARGETS.items()}
        confirmed_p50 = (latency["fill_to_hedge_confirmed"] or {}).get("p50_ms")
        rows.append({"pair": f"{maker}->{hedge}", "run": run["name"],
                     "offered_fills_per_s": LOAD_FILL_RATE if maker == "hubble" else PAIR_FILL_RATE,
                     "fills_per_s": run["fills_per_s"], "fills": run["fills"], "hedges_per_fill": _orders_per_fill(run),
                     "final_net_delta": run["final_net_delta"], "cpu_percent": run["cpu_percent"], "latency": latency,
                     "confirmed_p50_over_loopback_p50": round(confirmed_p50 / floor_p50, 1)
                     if floor_p50 and confirmed_p50 else None, "met": met, "all_met": all(met.values())})
    return rows


def _within(value: float | None, target: float) -> bool:
    return value is not None and value <= target


def _p99_of(stats: dict | None) -> float | None:
    return (stats or {}).get("p99_ms")


def _per_minute(run: dict, limit: str) -> float | None:
    """This process's use of a venue limit since quoting started, per the limit's window."""
    return (run.get("request_budget", {}).get(limit) or {}).get("per_window_since_quoting")


def _idle_share(run: dict) -> float:
    """Percent of the venue's IP weight limit that PROCESSES idle processes like this one would use."""
    entry = run.get("request_budget", {}).get(IP_WEIGHT) or {}
    used = entry.get("per_window_since_quoting")
    return round(100.0 * used * PROCESSES / entry["venue_limit"], 2) if used is not None else 100.0


def budget(runs: dict[str, dict]) -> dict:
    """Request budget per venue: idle and under load, per process and for PROCESSES processes, against each
    limit; the fill rate at which the hedge orders alone would use a process's whole share; netting's effect."""
    out = {}
    for hedge in ("hyperliquid", "binance"):
        idle, load = runs[f"idle{'' if hedge == 'hyperliquid' else '_binance'}"], runs[f"load_{hedge}"]
        polling = runs.get(f"load_{hedge}_polling", {})
        limits = load.get("request_budget", {})
        out[hedge] = {"processes": PROCESSES, "limits": {
            name: {"venue_limit": entry["venue_limit"], "per_seconds": entry["per_seconds"],
                   "idle_per_process": _per_minute(idle, name), "load_per_process": _per_minute(load, name),
                   "load_per_process_polling": _per_minute(polling, name) if polling else None}
            for name, entry in limits.items()},
            "orders_per_fill": _orders_per_fill(load),
            "hedge_book_age_ms": {"stream": load.get("hedge_book_age"), "polling": polling.get("hedge_book_age")}}
        out[hedge]["fill_rate_at_limit"] = _fill_rate_at_limit(out[hedge])
    out["netting"] = [{"window_ms": 0, "orders_per_fill": _orders_per_fill(runs["load_hyperliquid"]),
                       "fill_to_hedge_sent": runs["load_hyperliquid"]["latency"].get("fill_to_hedge_sent")}] + [
        {"window_ms": w * 1000, "orders_per_fill": _orders_per_fill(runs[name]),
         "fill_to_hedge_sent": runs[name]["latency"].get("fill_to_hedge_sent")}
        for w in NETTING_WINDOWS if (name := f"load_hyperliquid_netting_{w * 1000:g}ms") in runs]
    ws = runs.get("load_hyperliquid_ws_orders")
    out["hyperliquid_orders"] = {"http": runs["load_hyperliquid"]["latency"].get("fill_to_hedge_confirmed"),
                                 "websocket": ws["latency"].get("fill_to_hedge_confirmed") if ws else None}
    return out


def _orders_per_fill(run: dict) -> float | None:
    fills, hedges = run.get("fills") or 0, run.get("hedges") or 0
    return round(hedges / fills, 3) if fills else None


def _fill_rate_at_limit(venue: dict) -> dict:
    """Fills per second per process at which hedge orders alone fill the process's share of each limit
    that counts orders (an order weighs 1 on Hyperliquid's IP weight and on Binance's order limits)."""
    ratio = venue["orders_per_fill"] or 1.0
    rates = {}
    for name, entry in venue["limits"].items():
        if name == IP_WEIGHT and "orders" in "".join(venue["limits"]):
            continue                     # Binance: an order weighs 0 on the IP limit
        share_per_second = entry["venue_limit"] / PROCESSES / entry["per_seconds"]
        rates[name] = round(share_per_second / ratio, 2)
    return rates


def _ms(stats: dict | None) -> str:
    if not stats or stats.get("p50_ms") is None:
        return "      -/      -/      -"
    return f"{stats['p50_ms']:7.2f}/{stats['p99_ms']:7.2f}/{stats['max_ms']:7.2f}"


def table(result: dict) -> str:
    h = result["headline"]
    lines = [f"machine: {result['machine']['cpu_model']}, {result['machine']['cpus']} CPUs, "
             f"Python {result['machine']['python']} | mode {result['mode']}", "",
             f"{'target':36} {'figure':>10} {'target':>8}  met"]
    for key, value in h["figures"].items():
        lines.append(f"{key:36} {value if value is not None else '-':>10} {h['targets'][key]:>8}  "
                     f"{'yes' if h['met'][key] else 'NO'}")
    lines += ["", f"loopback floor (ms p50/p99/max): {_ms(h['loopback_floor'])}",
              "hedge confirmed p50 / loopback p50: " + ", ".join(f"{k} {v}x" for k, v in
                                                                 h["confirmed_p50_over_loopback_p50"].items()),
              "signing per order (us): " + ", ".join(f"{k}: engine {v['engine_us']}, SDK {v['sdk_us']} "
                                                     f"({v['sdk_over_engine']}x)" for k, v in h["signing_us"].items())]
    lines += _pair_lines(result.get("pairs", []))
    lines += ["", f"{'run':18} {'fills/s':>7} {'mid/s':>6} {'book/s':>6} {'cpu%':>6} {'rss MB':>7}  "
                  f"{'fill->hedge sent':>23}  {'fill->hedge confirmed':>23}  {'quote tick->sent':>23}",
              f"{'':18} {'':>7} {'':>6} {'':>6} {'':>6} {'':>7}  {'p50/p99/max ms':>23}  "
              f"{'p50/p99/max ms':>23}  {'p50/p99/max ms':>23}"]
    for run in result["runs"].values():
        feeds = run["feed_updates_per_s"]
        lines.append(f"{run['name']:18} {run['fills_per_s'] or 0:7.1f} {feeds.get('mid', 0):6.1f} "
                     f"{feeds.get('hubble_book', 0):6.1f} {run['cpu_percent'] if run['cpu_percent'] is not None else '-':>6} "
                     f"{run['peak_rss_mb'] or '-':>7}  " + "  ".join(_ms(run['latency'].get(n)) for n in LATENCIES))
    return "\n".join(lines)


def _pair_lines(rows: list[dict]) -> list[str]:
    """The per-pair block of the table: each pair's load run against the latency targets."""
    if not rows:
        return []
    lines = ["", f"{'pair (maker->hedge)':24} {'fills/s':>7} {'offered':>7} {'cpu%':>6}  {'fill->hedge sent':>23}  "
                 f"{'fill->hedge confirmed':>23}  {'quote tick->sent':>23}  met",
             f"{'':24} {'':>7} {'':>7} {'':>6}  {'p50/p99/max ms':>23}  {'p50/p99/max ms':>23}  {'p50/p99/max ms':>23}"]
    for row in rows:
        cpu = row["cpu_percent"] if row["cpu_percent"] is not None else "-"
        lines.append(f"{row['pair']:24} {row['fills_per_s'] or 0:7.1f} {row['offered_fills_per_s']:7g} {cpu:>6}  "
                     + "  ".join(_ms(row["latency"].get(n)) for n in LATENCIES)
                     + f"  {'yes' if row['all_met'] else 'NO'}")
    return lines


def plot(result: dict, path: Path) -> None:
    """Latency p50/p99 against achieved fills/s and against order levels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    series = (("fill_scaling", "fills per second (achieved)", "fills_per_s"),
              ("level_scaling", "order levels per side", "levels"))
    for ax, (key, label, x_key) in zip(axes, series):
        rows = result["scaling"][key]
        xs = [row[x_key] for row in rows]
        for name, colour in (("fill_to_hedge_sent", "tab:blue"), ("quote_tick_to_orders_sent", "tab:orange")):
            for pct, style in (("p50_ms", "-o"), ("p99_ms", "--^")):
                ys = [(row["latency"].get(name) or {}).get(pct) for row in rows]
                pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
                if pts:
                    ax.plot(*zip(*pts), style, color=colour, label=f"{name} {pct[:3]}")
        ax.set_xlabel(label)
        ax.set_ylabel("ms")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_title("latency as fills grow (3 levels)")
    axes[1].set_title("latency as levels grow (10 fills/s offered)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
