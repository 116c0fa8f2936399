"""The `python3 -m tools.simnet` contract: one JSON ready line, the control API over HTTP, clean SIGTERM."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

from tests.helpers import ROOT

READY_KEYS = {"hubble_rpc", "hubble_ws", "hubble_indexer", "hubble_env", "hyperliquid_url", "binance_futures_rest",
              "binance_futures_ws", "binance_spot_rest", "binance_spot_ws", "binance_api_key", "binance_api_secret",
              "control_url", "seed", "scenario"}


def control(url: str, venue: str, action: str, **params) -> dict:
    body = json.dumps({"venue": venue, "action": action, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_ready_line_control_api_and_sigterm():
    process = subprocess.Popen([sys.executable, "-m", "tools.simnet", "--seed", "5", "--scenario", "quiet"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(process.stdout.readline())
        assert READY_KEYS <= set(ready) and ready["hubble_env"] == "mainnet" and ready["seed"] == 5
        assert ready["hubble_rpc"].startswith("http://127.0.0.1:") and ready["hubble_ws"].startswith("ws://")
        first = control(ready["control_url"], "net", "prices")
        assert first["ok"] and set(first["result"]["prices"]) == {"AVAX", "ETH", "SOL"}
        bad = urllib.request.Request(ready["control_url"], b'{"venue": "nowhere", "action": "x"}')
        try:
            urllib.request.urlopen(bad, timeout=10)
            raise AssertionError("an unknown venue must be refused")
        except urllib.error.HTTPError as exc:
            assert exc.code == 400 and "unknown venue" in exc.read().decode()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert process.stdout.read() == ""          # exactly one line on stdout
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_help_documents_every_option():
    result = subprocess.run([sys.executable, "-m", "tools.simnet", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0
    for option in ("--seed", "--host", "--hubble-port", "--hyperliquid-port", "--binance-futures-port",
                   "--binance-spot-port", "--control-port", "--scenario", "--venues", "--tick-ms", "--vol",
                   "--jump-rate", "--jump-size", "--replay", "--initial-margin", "--set", "--log-level"):
        assert option in result.stdout


def test_same_seed_same_path_different_seed_different_path():
    from tools.simnet.pricepath import PricePath

    start = {"AVAX": 35.0, "ETH": 3000.0}
    a, b, c = (PricePath(seed, start) for seed in (1, 1, 2))
    path_a = [a.step() for _ in range(50)]
    assert path_a == [b.step() for _ in range(50)]
    assert path_a != [c.step() for _ in range(50)]
