"""README.md and the docs it points to stay true: the config reference, the set-up and test commands, the
dependency table and the simulator snippet match the code."""
from __future__ import annotations

from tests.helpers import ROOT
from tools.config_reference import END, START, table


def page(name: str) -> str:
    return (ROOT / name).read_text()


def test_config_reference_matches_settings_rules():
    text = page("docs/configuration.md")
    section = text[text.index(START) + len(START):text.index(END)].strip()
    assert section == table(), "docs/configuration.md config reference is stale: run python3 -m tools.config_reference"


def test_readme_shows_setup_test_and_sim_commands_that_ci_runs():
    text = page("README.md")
    ci = (ROOT / ".ci" / "run").read_text()
    setup = "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt"
    assert setup in text and setup in ci
    assert "\npython3 -m pytest\n" in text and ci.rstrip().endswith("python3 -m pytest")
    assert "python3 main.py AVAX --sim" in text


def pins(name: str) -> list[tuple[str, str]]:
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ".", "-r")):
            package, version = line.split("==")
            found.append((package, version))
    return found


def test_every_pinned_requirement_is_in_the_dependency_table():
    text = page("docs/dependencies.md")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    listed = pins("requirements.txt") + pins("requirements-dev.txt")
    assert len(listed) >= 18, listed
    for package, version in listed:
        assert any(f"{package} {version}" in row.split(" | ")[0] for row in rows), \
            f"{package}=={version}: no row of docs/dependencies.md names '{package} {version}'"


def test_readme_simulator_snippet_runs(tmp_path):
    """docs/simulator.md's example of each SDK talking to the simulator actually works."""
    import re
    import subprocess
    import sys

    text = page("docs/simulator.md")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    for venue in ("hyperliquid AVAX book", "binance AVAXUSDT", "hubble markets", "hubble margin"):
        assert venue in result.stdout
