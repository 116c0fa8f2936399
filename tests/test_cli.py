"""Command line: help, market names, exit codes, and the --sim hint."""
from __future__ import annotations

import pytest

from tests.helpers import clean_env, run_main


def test_help_lists_every_flag(tmp_path):
    result = run_main(["--help"], tmp_path)
    assert result.returncode == 0
    for flag in ("--sim", "--duration", "--summary-json", "--log-level", "--set"):
        assert flag in result.stdout


def test_unknown_market_exits_2_and_lists_valid_ones(tmp_path):
    result = run_main(["DOGE"], tmp_path)
    assert result.returncode == 2
    assert "unknown market 'DOGE'" in result.stderr and "AVAX, ETH, SOL" in result.stderr


def test_missing_market_is_a_usage_error(tmp_path):
    assert run_main([], tmp_path).returncode == 2


def test_bad_setting_exits_78_with_one_line_before_any_network(tmp_path):
    result = run_main(["avax", "--set", "leverage=1000"], tmp_path)
    assert result.returncode == 78
    lines = result.stderr.strip().splitlines()
    assert lines == ["config error: AVAX.leverage = 1000: must be 1..10 on hyperliquid for AVAX"]
    assert not (tmp_path / "logs").exists()  # stopped before even the log file


def test_market_is_case_insensitive_and_missing_key_suggests_sim(tmp_path):
    result = run_main(["sol"], tmp_path)
    assert result.returncode == 78
    assert "SOL_PRIVATE_KEY is not set" in result.stdout
    assert "python3 main.py SOL --sim" in result.stdout
    assert (tmp_path / "logs" / "sol.log").read_text().count("SOL_PRIVATE_KEY is not set") == 1


def test_bad_duration_is_a_usage_error(tmp_path):
    result = run_main(["AVAX", "--duration", "-5"], tmp_path)
    assert result.returncode == 2 and "--duration" in result.stderr


def test_bad_endpoint_override_is_a_config_error(tmp_path):
    from tests.helpers import clean_env

    result = run_main(["AVAX"], tmp_path, env=clean_env(HUBBLE_WS_RPC="https://not-a-websocket"))
    assert result.returncode == 78 and "HUBBLE_WS_RPC" in result.stderr


def test_a_syntax_error_in_config_py_is_one_line_and_exit_78(tmp_path):
    import shutil
    import subprocess
    import sys

    from tests.helpers import MAIN, clean_env

    shutil.copy(MAIN, tmp_path / "main.py")                       # main.py imports the config.py beside it
    (tmp_path / "config.py").write_text('AVAX = {\n    "name": "AVAX-Perp",\n    "marginShare": 0.5\n    "x": 1,\n}\n')
    result = subprocess.run([sys.executable, str(tmp_path / "main.py"), "AVAX"], cwd=tmp_path, env=clean_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 78
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]   # one line, no traceback
    assert result.stderr.startswith("config error: config.py line 3") and "Traceback" not in result.stderr


@pytest.mark.slow
def test_ctrl_c_in_a_terminal_ends_a_sim_run_cleanly(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it: the simulator must outlive the clean stop."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import MAIN, clean_env

    proc = subprocess.Popen([sys.executable, str(MAIN), "AVAX", "--sim", "--set", "orderExpiry=30"], cwd=tmp_path,
                            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)            # its own group, standing in for the terminal's
    try:
        log = tmp_path / "logs" / "avax.log"
        deadline = time.monotonic() + 60
        while not (log.exists() and "first quotes sent" in log.read_text()):
            assert time.monotonic() < deadline and proc.poll() is None, "no quotes"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out[-2000:]
    assert "no quotes left resting on Hubble (" in out and "confirmed by the node" in out or "the node confirms" in out
    assert " ERROR " not in out and "run summary" in out


def test_a_stop_that_hangs_ends_the_process_with_exit_1(tmp_path):
    """The watchdog armed when stopping starts: a hung clean stop still ends the process (pm2 restarts it)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = (
        "import asyncio, main\n"
        "main.STOP_WATCHDOG = 0.3\n"
        "async def hung():\n"
        "    stop = asyncio.Event()\n"
        "    asyncio.create_task(main._arm_stop_watchdog(stop))\n"
        "    stop.set()\n"
        "    await asyncio.Event().wait()   # a clean stop that never finishes\n"
        "asyncio.run(hung())\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "the stop did not finish within 0s" in done.stderr + done.stdout


def test_clear_kill_clears_this_traders_tripped_kill_switch(tmp_path):
    import secrets

    from eth_account import Account

    from bot.risk.record import RiskStore

    key, hl_key = "0x" + secrets.token_hex(32), "0x" + secrets.token_hex(32)
    trader = Account.from_key(key).address
    path = tmp_path / "state" / "avax-risk.json"
    RiskStore(path, trader).trip("maxDailyLoss 100 USD passed")
    RiskStore(path, "0x" + "11" * 20).trip("another account's trip")
    env = clean_env(AVAX_PRIVATE_KEY=key, HYPERLIQUID_PRIVATE_KEY=hl_key,
                    HYPERLIQUID_TRADER=Account.from_key(hl_key).address)
    result = run_main(["AVAX", "--clear-kill"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "cleared (it had tripped: maxDailyLoss 100 USD passed)" in result.stdout
    assert not RiskStore(path, trader).record.halted
    assert RiskStore(path, "0x" + "11" * 20).record.halted        # only this trader's record
    assert key[2:] not in result.stdout + result.stderr + path.read_text()
