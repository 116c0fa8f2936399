"""README stays true: its config reference and commands match the code."""
from __future__ import annotations

from tests.helpers import ROOT
from tools.config_reference import END, START, table


def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_config_reference_matches_settings_rules():
    text = readme()
    section = text[text.index(START) + len(START):text.index(END)].strip()
    assert section == table(), "README config reference is stale: run python3 -m tools.config_reference"


def test_readme_shows_setup_test_and_sim_commands_that_ci_runs():
    text = readme()
    ci = (ROOT / ".ci" / "run").read_text()
    setup = "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt"
    assert setup in text and setup in ci
    assert "\npython3 -m pytest\n" in text and ci.rstrip().endswith("python3 -m pytest")
    assert "python3 main.py AVAX --sim" in text


def test_every_pinned_requirement_is_in_the_dependency_table():
    text = readme()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ".")):
            name, version = line.split("==")
            assert f"{name} {version}" in text or (name in text and version in text), line


def test_readme_simulator_snippet_runs(tmp_path):
    """The README's example of each SDK talking to the simulator actually works."""
    import re
    import subprocess
    import sys

    text = readme()
    section = text[text.index("## The simulator: tools/simnet"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    for venue in ("hyperliquid AVAX book", "binance AVAXUSDT", "hubble markets", "hubble margin"):
        assert venue in result.stdout
