"""The grounding pause in a real browser: the timer ticks, the scene waits, then resumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from simulator.catalog import Catalog
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

REPLIES = [
    "Take your time. I'm here.",
    "What helped?",  # the debrief's rewrite
    "Today I stopped to breathe, and then I went on.",  # the journal entry
]


@pytest.fixture
def page(store: SessionStore, test_catalog: Catalog) -> Iterator[Page]:
    demo = create_app(store, fake_model(*REPLIES), test_catalog, assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        yield page
        browser.close()
    release_event_loop()


def test_pause_breathe_with_the_timer_and_resume_the_same_scene(page: Page) -> None:
    page.get_by_role("button", name="Start this scene").click()
    expect(page.locator("#chat .message.bot").first).to_contain_text("You wanted to see me?")

    # Words that say it is too much: the scene pauses before the character answers.
    page.locator("#say textarea").fill("Sorry, I'm so overwhelmed right now.")
    page.get_by_role("button", name="Send", exact=True).click()
    panel = page.locator("#grounding")
    expect(panel).to_be_visible()
    expect(page.locator("#grounding-senses")).to_contain_text("5 things you can see")
    expect(page.locator("#chat .message.bot")).to_have_count(1)  # the character waits

    # The countdown ticks in the browser: 4, 3, ... while breathing in.
    count = page.locator(".breath-count")
    expect(page.locator(".breath-step")).to_have_text("Breathe in")
    first = count.inner_text()
    page.wait_for_timeout(1_300)
    later = count.inner_text()
    assert int(later) < int(first), (first, later)
    # What the user starts typing meanwhile stays in the box.
    page.locator("#say textarea").fill("A line I am still thinking about")

    page.get_by_role("button", name="Continue the scene").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#chat .message.bot").last).to_contain_text("Take your time. I'm here.")
    expect(page.locator("#practice-heading")).to_contain_text("your turn 2 ")
    expect(page.locator("#say textarea")).to_have_value("A line I am still thinking about")

    # The user's own pause, then "Step it down": back to the same scene, no new line.
    page.get_by_role("button", name="Pause to breathe").click()
    expect(panel).to_be_visible()
    page.locator(".breath-skip").click()
    expect(page.locator(".breath-step")).to_have_text("Done. Take your time.")
    page.get_by_role("button", name="Step it down").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#notice")).to_contain_text("eases off")
    expect(page.locator("#chat .message.bot")).to_have_count(2)

    page.get_by_role("button", name="End & debrief").click()
    expect(page.locator("#debrief-view")).to_contain_text("Pauses to breathe")
    expect(page.locator("#debrief-view")).to_contain_text("you stepped it down")

    # Write it down: the journal entry is the user's to edit, and the download holds the edit.
    page.get_by_text("Write it down").click()
    page.locator("#write").click()
    box = page.locator("#writing textarea")
    expect(box).to_have_value("Today I stopped to breathe, and then I went on.")
    box.fill("Today I stopped to breathe. Then I went on, more slowly.")
    page.wait_for_timeout(800)  # the edit is saved as it is typed
    with page.expect_download() as download:
        page.locator("#writing-download").click()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved == "Today I stopped to breathe. Then I went on, more slowly.\n"
