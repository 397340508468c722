"""The HTML report opened in headless Chromium (Debian's `chromium`): the charts really render.

Skipped, with the reason, where no `chromium` is installed; CI installs it (`.ci/run`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from app.domain.report_figures import build_report
from app.domain.report_models import Period, ReportIssue
from app.reports.render_html import CHART_IDS, html_page
from tests.reports.conftest import NOW

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no headless Chromium here: apt-get install -y chromium (CI installs it)"
)
SUMMARIES = ("CI runners out of disk", "Need access to Vault", "How do I rotate my API token?")


def report_page(tmp_path: Path) -> Path:
    issues = []
    for n in range(120):
        created = NOW - timedelta(hours=5 * n + 1)
        issues.append(
            ReportIssue(
                key=f"PLAT-{n}",
                created=created,
                summary=SUMMARIES[n % 3],
                team="platform",
                bucket=("question", "ci-broken", "access-request")[n % 3],
                priority=("High", "Medium", "Low")[n % 3],
                resolved=created + timedelta(hours=n % 9 + 1),
                first_response=created + timedelta(minutes=15 * (n % 11 + 1)),
                sla_first_response_met=n % 4 != 0,
                sla_resolution_met=n % 5 != 0,
            )
        )
    page = tmp_path / "report.html"
    page.write_text(html_page(build_report(issues, Period(NOW - timedelta(days=21), NOW))), encoding="utf-8")
    return page


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",  # let plotly.js draw before the DOM or the picture is taken
        *args,
    ]
    return subprocess.run(command, capture_output=True, timeout=180, check=True)


def test_charts_render_in_headless_chromium(tmp_path: Path) -> None:
    page = report_page(tmp_path)
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode()
    for chart_id in CHART_IDS:
        # plotly.js marks a div it has drawn into and puts its SVG layers inside
        opening = re.search(rf'<div id="{chart_id}"[^>]*class="[^"]*js-plotly-plot', dom)
        assert opening is not None, f"{chart_id} was not drawn"
        section = dom[opening.start() : opening.start() + 400_000]
        assert 'class="main-svg"' in section
    bars = len(re.findall(r'<g class="point">', dom))
    assert bars >= 4 * 3 + 6 + 3, "too few bars: weekly, SLA and topic bars should be drawn"

    shot = tmp_path / "report.png"
    chromium(tmp_path, "--window-size=1400,1000", f"--screenshot={shot}", page.as_uri())
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        variance = sum(ImageStat.Stat(rgb).var)
        colours = len(rgb.getcolors(maxcolors=1 << 20) or [])
    assert variance > 500, f"the screenshot is (nearly) blank: variance {variance:.0f}"
    assert colours > 50, f"only {colours} colours: the charts did not paint"
