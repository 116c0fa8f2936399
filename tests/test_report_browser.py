"""A real run (main.py AVAX --sim), its report, and the page opened in headless Chromium: every plot loads."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_main

pytestmark = pytest.mark.slow           # started first by tests/conftest.py

PLOTS = ("avax-pnl.png", "avax-positions.png", "avax-fills.png", "avax-hedge-latency.png", "avax-uptime.png")
CONTROL = '<img src="missing.png" alt="control">'
PROBE = """<script>
window.addEventListener("load", () => {
  for (const img of document.images) { img.dataset.naturalWidth = img.naturalWidth; }
  document.body.dataset.probed = "yes";
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("this test needs Debian's chromium: apt-get install chromium (.ci/run installs it)")
    return found


class Images(HTMLParser):
    """The <img> tags of a page and the body's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.images: dict[str, dict[str, str | None]] = {}
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images[dict(attrs).get("src") or ""] = dict(attrs)
        elif tag == "body":
            self.body = dict(attrs)


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its load event, as headless Chromium sees it from file://."""
    result = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_real_run_gives_a_report_whose_every_plot_loads_in_a_browser(tmp_path):
    run = run_main(["AVAX", "--sim", "--duration", "12", "--summary-json", "summary.json",
                    "--set", "orderFillCooldown=0"], tmp_path, timeout=90)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    events = [json.loads(line) for line in (tmp_path / "performance" / "avax-events.jsonl").read_text().splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "stop" and "status" in kinds

    out = tmp_path / "report"
    report = subprocess.run(
        [sys.executable, "-m", "tools.report", "--market", "AVAX", "--dir", str(tmp_path / "performance"),
         "--logs", str(tmp_path / "logs"), "--out", str(out), "--summary", str(tmp_path / "summary.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr[-2000:]
    page = out / "avax.html"
    assert report.stdout.strip() == str(page)

    probe = out / "probe.html"   # the same page beside the same PNGs, plus a script that reads them and a
    probe.write_text(page.read_text().replace("</body>", CONTROL + PROBE + "</body>"))   # control that cannot load
    dom = Images()
    text = dump_dom(probe, tmp_path / "chromium-profile")
    dom.feed(text)
    assert dom.body.get("data-probed") == "yes", "the load event never came"
    assert set(dom.images) == {*PLOTS, "missing.png"}
    assert dom.images.pop("missing.png").get("data-natural-width") == "0"
    for src, attrs in dom.images.items():
        assert int(attrs.get("data-natural-width") or 0) > 0, f"{src} did not load"
    assert events[0]["run"] in text and "0 clean stop" in text
