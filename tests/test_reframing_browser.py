"""The "Reframe a thought" tab in a real browser: name, check, save; the journal holds it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from simulator.catalog import Catalog
from simulator.reframing import ReframeJournal
from simulator.store import SessionStore
from tests.conftest import fake_model
from ui.app import create_app
from ui.serving import CHROMIUM, launch_chromium, release_event_loop, served

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def page(store: SessionStore, test_catalog: Catalog) -> Iterator[Page]:
    demo = create_app(store, fake_model(), test_catalog, assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        yield page
        browser.close()
    release_event_loop()


def test_reframe_a_thought_in_the_studio(page: Page) -> None:
    page.get_by_role("tab", name="Reframe a thought").click()
    page.locator("#rf-situation textarea").fill("My friend didn't reply.")
    page.locator("#rf-thought textarea").fill("She must be angry with me.")
    page.get_by_role("button", name="Name the thinking traps").click()
    expect(page.locator("#rf-traps")).to_contain_text("mind reading")
    expect(page.locator("#rf-trap-questions")).to_contain_text("How could you find out?")

    page.locator("#rf-evidence_against textarea").fill("She's had a hard week.")
    page.locator("#rf-reframe textarea").fill("Everything will be perfect.")
    page.get_by_role("button", name="Check my reframe").click()
    expect(page.locator("#rf-feedback")).to_contain_text("promise more than you can know")

    page.locator("#rf-reframe textarea").fill("She may be busy; I can ask her on Friday.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#rf-feedback")).to_contain_text("Saved.")
    saved = ReframeJournal().list()
    assert len(saved) == 1 and saved[0].status == "finished"
    assert saved[0].answers["evidence_against"] == "She's had a hard week."
    assert saved[0].reframe == "She may be busy; I can ask her on Friday."
