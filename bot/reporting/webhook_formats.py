"""What each chat service wants in an alert's request: the address to post to and the JSON body.

The style is read from the webhook URL's host unless ALERT_WEBHOOK_FORMAT
names one (useful for a relay, or a Slack-compatible service on another host):

- ``telegram`` (api.telegram.org): the Bot API method ``sendMessage``, posted
  as JSON to ``https://api.telegram.org/bot<token>/sendMessage`` with
  ``chat_id`` (a number, or ``@channelname``) and ``text`` (1-4096
  characters). No ``parse_mode``, so no character needs escaping.
  Source: https://core.telegram.org/bots/api#making-requests and
  https://core.telegram.org/bots/api#sendmessage
- ``slack`` (hooks.slack.com): an incoming webhook takes a JSON body whose
  ``text`` is the message, sent with ``Content-type: application/json``;
  ``&``, ``<`` and ``>`` must be written as HTML entities.
  Source: https://api.slack.com/messaging/webhooks and
  https://api.slack.com/reference/surfaces/formatting#escaping
- ``discord`` (discord.com/api/webhooks/...): "Execute Webhook" takes JSON
  with ``content`` (up to 2000 characters); ``allowed_mentions`` with an empty
  ``parse`` list keeps any text from pinging @everyone.
  Source: https://discord.com/developers/docs/resources/webhook#execute-webhook
  and https://discord.com/developers/docs/resources/message#allowed-mentions-object
- ``json`` (anything else): ``{"text", "event", "market", "severity", "time", "fields"}``
  for a receiver of your own.
"""
from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

STYLES = ("telegram", "slack", "discord", "json")
MAX_CHARS = {"telegram": 4096, "slack": 3000, "discord": 2000, "json": 4000}
_SLACK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
_DISCORD_HOSTS = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")


def detect_style(url: str) -> str:
    """The style a webhook URL calls for, from its host (and, for Discord, its path)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "api.telegram.org":
        return "telegram"
    if host in _SLACK_HOSTS:
        return "slack"
    if host in _DISCORD_HOSTS and "/webhooks/" in parts.path:
        return "discord"
    return "json"


def request_url(style: str, url: str) -> str:
    """Where to post: a Telegram URL given as .../bot<token> gets its method appended."""
    if style == "telegram" and not urlsplit(url).path.rstrip("/").endswith("/sendMessage"):
        return url.rstrip("/") + "/sendMessage"
    return url


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(style: str, text: str, *, event: str, market: str, severity: str,
         fields: dict[str, Any] | None = None, chat_id: str | None = None) -> dict[str, Any]:
    """The JSON body of one alert in `style` (text already free of secrets: see alerts.py)."""
    limit = MAX_CHARS[style]
    if style == "telegram":
        return {"chat_id": chat_id, "text": _clip(text, limit)}
    if style == "slack":
        return {"text": _clip(_slack_escaped(text), limit)}
    if style == "discord":
        return {"content": _clip(text, limit), "allowed_mentions": {"parse": []}}
    return {"text": _clip(text, limit), "event": event, "market": market, "severity": severity,
            "time": round(time.time(), 3), "fields": fields or {}}


def encoded(payload: dict[str, Any]) -> str:
    """The body as JSON text (figures that are Decimals go as numbers)."""
    return json.dumps(payload, default=_plain, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
