"""The Progress tab in a real browser: the plot renders the sessions' numbers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from simulator.catalog import Catalog
from simulator.schema import Scenario
from simulator.store import SessionStore
from tests.conftest import fake_model
from tests.test_progress import SESSIONS, finish
from ui.app import create_app
from ui.serving import CHROMIUM, launch_chromium, release_event_loop, served

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)",
    ),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_the_progress_tab_plots_each_finished_session(
    store: SessionStore, test_catalog: Catalog, scene: Scenario
) -> None:
    for lines in SESSIONS:
        finish(store, scene, lines)
    demo = create_app(store, fake_model(), test_catalog, assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        page.get_by_role("tab", name="Progress").click()
        summary = page.locator("#progress-summary")
        expect(summary).to_contain_text("0% in the first session, 100% in the latest")
        chart = page.locator("#progress-chart").locator("svg, canvas").first
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
        expect(page.locator("#progress-table")).to_contain_text("A test scene")
        # Another skill redraws the plot and its summary.
        page.locator("#progress-skill input").click()
        page.get_by_role("option", name="Your turns").click()
        expect(summary).to_contain_text("Your turns: 2 in the first session, 3 in the latest")
        expect(page.locator("#progress-chart").locator("svg, canvas").first).to_be_visible()
        browser.close()
    release_event_loop()
