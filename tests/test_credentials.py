"""Secrets: required per venue, validated, and never printed anywhere."""
from __future__ import annotations

import logging
import os
import pickle

import pytest

from bot import credentials
from bot import logs
from bot.credentials import CredentialError, Secret

KEY_A = "0x" + "1b" * 32
KEY_B = "2c" * 32
ADDRESS = "0x" + "ab" * 20
API_KEY = "Ak" * 32
API_SECRET = "Sz" * 32


def env(**values: str) -> dict[str, str]:
    return dict(values)


def test_only_the_needed_variables_are_required():
    creds = credentials.load("AVAX", "hyperliquid", env(AVAX_PRIVATE_KEY=KEY_A, HYPERLIQUID_TRADER=ADDRESS,
                                                        HYPERLIQUID_PRIVATE_KEY=KEY_B))
    assert creds.hubble_private_key.reveal() == KEY_A and creds.binance_api_key is None
    creds = credentials.load("ETH", "binance", env(ETH_PRIVATE_KEY=KEY_B, BINANCE_API_KEY=API_KEY,
                                                   BINANCE_SECRET_KEY=API_SECRET))
    assert creds.binance_secret_key.reveal() == API_SECRET and creds.hyperliquid_private_key is None
    assert credentials.load("SOL", None, env(SOL_PRIVATE_KEY=KEY_A)).hyperliquid_trader is None


@pytest.mark.parametrize("hedge, values, name, words", [
    ("hyperliquid", {}, "AVAX_PRIVATE_KEY", "is not set"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": KEY_A}, "HYPERLIQUID_TRADER", "is not set"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": "0x1234", "HYPERLIQUID_TRADER": ADDRESS}, "AVAX_PRIVATE_KEY", "32 bytes"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": "zz" * 32}, "AVAX_PRIVATE_KEY", "32 bytes"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": "00" * 32}, "AVAX_PRIVATE_KEY", "zero"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": KEY_A, "HYPERLIQUID_TRADER": "0xabc"}, "HYPERLIQUID_TRADER", "not an address"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": KEY_A, "HYPERLIQUID_TRADER": "0x" + "aB" * 20},
     "HYPERLIQUID_TRADER", "checksum"),
    ("hyperliquid", {"AVAX_PRIVATE_KEY": KEY_A, "HYPERLIQUID_TRADER": ADDRESS, "HYPERLIQUID_PRIVATE_KEY": API_KEY},
     "HYPERLIQUID_PRIVATE_KEY", "32 bytes"),
    ("binance", {"AVAX_PRIVATE_KEY": KEY_A, "BINANCE_API_KEY": "has space inside it"}, "BINANCE_API_KEY", "letters and digits"),
    ("binance", {"AVAX_PRIVATE_KEY": KEY_A, "BINANCE_API_KEY": API_KEY}, "BINANCE_SECRET_KEY", "is not set"),
])
def test_missing_or_malformed_names_the_variable_never_the_value(hedge, values, name, words):
    with pytest.raises(CredentialError) as info:
        credentials.load("AVAX", hedge, values)
    message = str(info.value)
    assert message.startswith(name) and words in message
    for value in values.values():
        assert value not in message


def test_missing_key_message_points_to_sim():
    with pytest.raises(CredentialError, match=r"python3 main.py ETH --sim"):
        credentials.load("ETH", None, {})


def test_secret_repr_str_and_pickle_are_masked():
    secret = Secret("AVAX_PRIVATE_KEY", KEY_A)
    creds = credentials.Credentials(hubble_private_key=secret)
    for text in (repr(secret), str(secret), f"{secret}", repr(creds), str(creds)):
        assert KEY_A not in text and KEY_A[2:] not in text
    with pytest.raises(TypeError, match="secret"):
        pickle.dumps(secret)


def test_logs_mask_registered_secrets_in_messages_and_tracebacks(tmp_path):
    logs.redact(KEY_A)
    logger = logging.getLogger("test.redact")
    handler = logging.FileHandler(tmp_path / "out.log")
    handler.setFormatter(logs.RedactingFormatter(logs.FORMAT))
    logger.addHandler(handler)
    try:
        logger.error("key is %s", KEY_A[2:])
        try:
            raise RuntimeError(f"bad key {KEY_A.upper()} / {KEY_A}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = (tmp_path / "out.log").read_text()
    assert text.count("***") >= 3 and KEY_A[2:] not in text.lower()


def test_secret_file_loaded_in_export_form_and_environment_wins(tmp_path, monkeypatch):
    path = tmp_path / ".env.secret"
    path.write_text(f'export AVAX_PRIVATE_KEY="{KEY_A}"\nexport ETH_PRIVATE_KEY=""\n')
    monkeypatch.setenv("ETH_PRIVATE_KEY", KEY_B)
    values = credentials.read_env(path)
    assert values["AVAX_PRIVATE_KEY"] == KEY_A and values["ETH_PRIVATE_KEY"] == KEY_B


def test_permission_warning_for_group_or_world_readable_file(tmp_path):
    path = tmp_path / ".env.secret"
    path.write_text("export AVAX_PRIVATE_KEY=\"\"\n")
    os.chmod(path, 0o644)
    assert "chmod 600" in credentials.permission_warning(path)
    os.chmod(path, 0o600)
    assert credentials.permission_warning(path) is None
    assert credentials.permission_warning(tmp_path / "absent") is None


def test_example_file_lists_every_variable_in_export_form():
    from tests.helpers import ROOT, SECRET_NAMES

    text = (ROOT / ".env.secret.example").read_text()
    for name in SECRET_NAMES:
        assert f'export {name}=""' in text


TELEGRAM_URL = "https://api.telegram.org/bot123456789:AAHfakeTokenForTests0123456789abcdefgh/sendMessage"
SLACK_URL = "https://hooks.slack.com/services/T0FAKE000/B0FAKE000/fakeSlackToken1234567890"


def test_alert_webhook_is_optional_and_a_secret():
    base = env(SOL_PRIVATE_KEY=KEY_A)
    assert credentials.load("SOL", None, base).alert_webhook_url is None
    creds = credentials.load("SOL", None, {**base, "ALERT_WEBHOOK_URL": SLACK_URL})
    assert creds.alert_webhook_url.reveal() == SLACK_URL and creds.alert_webhook_format is None
    assert SLACK_URL not in repr(creds)
    masked = {s.reveal() for s in creds.secrets()}
    assert {SLACK_URL, "fakeSlackToken1234567890"} <= masked


def test_telegram_webhook_needs_a_chat_id_and_its_bare_token_is_masked():
    base = env(SOL_PRIVATE_KEY=KEY_A, ALERT_WEBHOOK_URL=TELEGRAM_URL)
    with pytest.raises(CredentialError) as info:
        credentials.load("SOL", None, base)
    assert str(info.value).startswith("ALERT_TELEGRAM_CHAT_ID") and "AAHfake" not in str(info.value)
    creds = credentials.load("SOL", None, {**base, "ALERT_TELEGRAM_CHAT_ID": "-1001234567890"})
    assert creds.alert_telegram_chat_id == "-1001234567890"
    assert "123456789:AAHfakeTokenForTests0123456789abcdefgh" in {s.reveal() for s in creds.secrets()}


@pytest.mark.parametrize("values, name", [
    ({"ALERT_WEBHOOK_URL": "hooks.slack.com/services/x"}, "ALERT_WEBHOOK_URL"),
    ({"ALERT_WEBHOOK_URL": "ftp://example.org/hook"}, "ALERT_WEBHOOK_URL"),
    ({"ALERT_WEBHOOK_URL": SLACK_URL, "ALERT_WEBHOOK_FORMAT": "teams"}, "ALERT_WEBHOOK_FORMAT"),
])
def test_a_malformed_alert_setting_names_the_variable_never_the_value(values, name):
    with pytest.raises(CredentialError) as info:
        credentials.load("SOL", None, {"SOL_PRIVATE_KEY": KEY_A, **values})
    assert str(info.value).startswith(name)
    assert values["ALERT_WEBHOOK_URL"] not in str(info.value)


def test_webhook_token_in_a_log_line_is_masked(caplog):
    creds = credentials.load("SOL", None, {"SOL_PRIVATE_KEY": KEY_A, "ALERT_WEBHOOK_URL": SLACK_URL})
    for secret in creds.secrets():
        logs.redact(secret.reveal())
    formatter = logs.RedactingFormatter("%(message)s")
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "posting to %s failed; token %s", (SLACK_URL, "fakeSlackToken1234567890"), None)
    line = formatter.format(record)
    assert "fakeSlackToken" not in line and "***" in line
