"""Hubble market maker: quotes a Hubble perp and hedges every fill on Hyperliquid or Binance.

    python3 main.py AVAX --sim                 # against the local simulator, no keys needed
    python3 main.py AVAX                       # live, keys from .env.secret
    python3 main.py eth --set orderFrequency=3 --duration 600 --summary-json run.json

Exit status: 0 clean stop; 1 a venue or feed failed for good (pm2 restarts it);
2 bad command line; 78 bad configuration or credentials (pm2 does not restart).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from pathlib import Path


def _reexec_in_project_venv() -> None:
    """Run under ./.venv's Python when started by a Python without the dependencies.

    Lets ``python3 main.py AVAX --sim`` work from a shell where the venv made by
    the README's set-up command is not activated.
    """
    import importlib.util

    if importlib.util.find_spec("hubble_exchange") is None:
        venv = Path(__file__).resolve().parent / ".venv"
        venv_python = venv / "bin" / "python3"
        if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        sys.exit("main.py: dependencies missing; run the set-up command in README.md "
                 "(python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt)")


_reexec_in_project_venv()


def _import_config():
    """config.py is the user's to edit: a syntax error there is one clear line and exit 78, not a traceback."""
    try:
        import config
    except SyntaxError as exc:
        sys.stderr.write(f"config error: config.py line {exc.lineno}: {exc.msg} (fix the line; the bot did not "
                         f"start)\n")
        sys.exit(78)
    except Exception as exc:  # noqa: BLE001 - any failure to load the user's settings file
        sys.stderr.write(f"config error: config.py could not be loaded: {type(exc).__name__}: {exc}\n")
        sys.exit(78)
    return config


config = _import_config()
from bot import credentials, endpoints, logs, settings  # noqa: E402  (after config.py is known to load)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 78
STOP_WATCHDOG = 28.5   # seconds from the start of a stop to a forced exit: the clean stop needs at most 25 + 2,
                       # pm2 kills at 30 (ecosystem.config.js kill_timeout)
log = logging.getLogger("main")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 main.py",
        description="Quote both sides of a Hubble perpetual and hedge every fill at once "
                    "on Hyperliquid or Binance USDT-M futures.",
        epilog="Exit status: 0 clean stop, 1 venue/feed failure (pm2 restarts), 2 usage error, "
               "78 configuration or credential error. Settings live in config.py.")
    p.add_argument("market", metavar="MARKET", help=f"market to quote: {', '.join(config.MARKETS)} (any case)")
    p.add_argument("--check", action="store_true",
                   help="check the venues, accounts and settings without placing an order; print one table; "
                        "exit 0 if nothing fails, 78 otherwise (start with this before going live)")
    p.add_argument("--sim", action="store_true",
                   help="run against the local exchange simulator (tools/simnet) with throwaway keys; no credentials needed")
    p.add_argument("--clear-kill", action="store_true",
                   help="clear this market's tripped kill switch and take both venues' equity as the new loss "
                        "baselines at the next start (also after a deposit or withdrawal); then exit")
    p.add_argument("--duration", type=float, metavar="SECONDS",
                   help="stop cleanly after this many seconds (default: run until Ctrl-C or SIGTERM)")
    p.add_argument("--summary-json", type=Path, metavar="PATH",
                   help="write an end-of-run summary (fills, hedges, coverage, delta, fees, PnL, latencies) to PATH")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config.py setting for this run, e.g. --set orderFrequency=3 or "
                        "--set orderLevels.1.spread=0.1 (validated like config.py; repeatable)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                   type=str.upper, help="log verbosity (default INFO)")
    p.add_argument("--sim-seed", type=int, default=1, help="with --sim: seed of the simulated market (default 1)")
    p.add_argument("--sim-arg", action="append", default=[], metavar="ARG",
                   help="with --sim: extra argument passed to python3 -m tools.simnet (repeatable), "
                        "e.g. --sim-arg=--scenario=volatile")
    return p


def parse_market(parser: argparse.ArgumentParser, text: str) -> str:
    market = text.upper()
    if market not in config.MARKETS:
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: unknown market {text!r}; valid markets: "
                                f"{', '.join(config.MARKETS)}\n")
    return market


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    market = parse_market(parser, args.market)
    if args.duration is not None and args.duration <= 0:
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: --duration must be a positive number of seconds\n")
    try:
        market_settings = settings.load(market, args.set)
        venue_endpoints = endpoints.resolve(credentials.read_env())
    except (settings.ConfigError, endpoints.EndpointError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    logs.setup(market, args.log_level, rotation=market_settings.log_rotation, backups=market_settings.log_backups)
    for warning in settings.fee_warnings(market_settings):
        log.warning(warning)
    creds = None
    if not args.sim:
        warning = credentials.permission_warning()
        if warning:
            log.warning(warning)
        try:
            creds = credentials.load(market, market_settings.hedge if market_settings.hedge_mode else None,
                                     maker=market_settings.maker)
        except credentials.CredentialError as exc:
            log.error("credentials: %s", exc)
            return EXIT_CONFIG
        for secret in creds.secrets():
            logs.redact(secret.reveal())
    if args.clear_kill:
        return _clear_kill(market, creds)
    return asyncio.run(_run(args, market_settings, venue_endpoints, creds))


def _clear_kill(market: str, creds: credentials.Credentials | None) -> int:
    """--clear-kill: the operator's word that the trip was looked at (bot/risk/record.py)."""
    from eth_account import Account

    from bot.risk.record import RiskStore
    from bot.trading.order_manager import risk_state_path

    if creds is None:
        print("--clear-kill clears a live account's kill switch: run it without --sim", file=sys.stderr)
        return EXIT_USAGE
    trader = Account.from_key(creds.hubble_private_key.reveal()).address
    store = RiskStore(risk_state_path(market), trader)
    was = store.record.halted_reason
    store.clear()
    print(f"{market}: kill switch {'cleared (it had tripped: ' + was + ')' if was else 'was not tripped'}; "
          f"loss baselines are taken again at the next start ({risk_state_path(market)}, trader {trader})")
    return EXIT_OK


async def _run(args: argparse.Namespace, market_settings: settings.MarketSettings,
               venue_endpoints: dict[str, str], creds: credentials.Credentials | None) -> int:
    """Install the stop signals, start the simulator if asked, and run the engine."""
    stop = asyncio.Event()
    _install_stop_signals(stop)
    watchdog = asyncio.create_task(_arm_stop_watchdog(stop))
    try:
        return await _run_until_stopped(args, market_settings, venue_endpoints, creds, stop)
    finally:
        watchdog.cancel()


async def _run_until_stopped(args: argparse.Namespace, market_settings: settings.MarketSettings,
                             venue_endpoints: dict[str, str], creds: credentials.Credentials | None,
                             stop: asyncio.Event) -> int:
    from bot import engine  # heavy SDK imports: only after the configuration is known to be good

    if not args.sim:
        if args.check:
            return await _check(market_settings, creds, venue_endpoints)
        return await engine.run(engine.RunOptions(market_settings, creds, venue_endpoints,
                                                  args.duration, args.summary_json, sim=False), stop)
    from bot import sim_launcher
    async with sim_launcher.Simulator(market_settings, seed=args.sim_seed, extra_args=args.sim_arg) as sim:
        for secret in sim.credentials.secrets():
            logs.redact(secret.reveal())
        if args.check:
            return await _check(market_settings, sim.credentials, sim.endpoints)
        return await engine.run(engine.RunOptions(market_settings, sim.credentials, sim.endpoints,
                                                  args.duration, args.summary_json, sim=True), stop)


async def _check(market_settings: settings.MarketSettings, creds: credentials.Credentials,
                 venue_endpoints: dict[str, str]) -> int:
    """--check: the preflight table on stdout; nothing is placed or changed."""
    from bot import preflight

    rows = await preflight.run_checks(market_settings, creds, venue_endpoints)
    text, status = preflight.report(rows)
    print(text, flush=True)
    return status


async def _arm_stop_watchdog(stop: asyncio.Event) -> None:
    """Once stopping starts, the process ends within STOP_WATCHDOG seconds even if the clean stop (or
    asyncio's own teardown) hangs: a stuck stop would otherwise keep a dead bot around that pm2 never
    restarts (pm2's own SIGKILL comes only after a SIGTERM it sent)."""
    await stop.wait()
    timer = threading.Timer(STOP_WATCHDOG, _stop_took_too_long)
    timer.daemon = True
    timer.start()


def _stop_took_too_long() -> None:
    log.error("the stop did not finish within %.0fs of its start: exiting now (exit %d); "
              "the clean stop's last log lines say where it stood", STOP_WATCHDOG, EXIT_FAILURE)
    logging.shutdown()
    os._exit(EXIT_FAILURE)


def _install_stop_signals(stop: asyncio.Event) -> None:
    """First Ctrl-C / SIGTERM: clean stop. A second one while stopping: exit at once."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: exiting now without waiting for the clean stop", name)
            os._exit(EXIT_FAILURE)
        log.info("%s received: stopping (cancel quotes, finish hedges, write summary)", name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    loop.add_signal_handler(signal.SIGUSR1, _log_tasks)


def _log_tasks() -> None:
    """SIGUSR1: log what every asyncio task is waiting on (kill -USR1 <pid>, for a process that seems stuck)."""
    import io

    for task in asyncio.all_tasks():
        frames = io.StringIO()
        task.print_stack(limit=6, file=frames)
        log.warning("task %s:\n%s", task.get_name(), frames.getvalue())


if __name__ == "__main__":
    sys.exit(main())
