"""Print the configuration reference table from settings.FIELDS (``python3 -m tools.config_reference``).

The table lives in docs/configuration.md between the START and END markers;
tests/test_readme.py checks that the page carries exactly this table, so the
reference cannot drift from the rules the bot enforces.
"""
from __future__ import annotations

import config
from bot.settings import FIELDS

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def table() -> str:
    rows = ["| key | unit | AVAX default | meaning and rule |", "|---|---|---|---|"]
    for key, (_, unit, meaning) in FIELDS.items():
        default = config.AVAX[key]
        shown = f"{len(default)} levels" if key == "orderLevels" else f"`{default!r}`"
        rows.append(f"| `{key}` | {unit} | {shown} | {meaning} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
