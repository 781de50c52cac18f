"""The skill coder's panel in a real browser: the coded lines survive Gradio's Markdown
sanitiser with their codes (written tag, tooltip, colour), and a count's link jumps to its
line. Debian's chromium driven by Playwright, a fake model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import fake_model
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

REPLIES = [
    "I really want to get back on track, I hate letting the team down.",
    "I don't think it's a big deal. Everybody misses a deadline now and then.",
    "What has been getting in the way for you lately?",  # the debrief's rewrite
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


def say(page: Page, line: str, *, then_turn: int) -> None:
    page.locator("#say textarea").fill(line)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#practice-heading")).to_contain_text(f"your turn {then_turn} ")


def test_the_debrief_shows_each_line_with_its_code(page: Page) -> None:
    page.get_by_role("button", name="Start this scene").click()
    expect(page.locator("#practice-heading")).to_contain_text("your turn 1 ")
    say(page, "What would you like to be different about these deadlines?", then_turn=2)
    say(page, "Are you going to finish the report by Friday?", then_turn=3)
    page.get_by_role("button", name="End & debrief").click()

    panel = page.locator("#debrief-skills")
    expect(panel).to_contain_text("The conversation, coded")
    expect(panel).to_contain_text("share of questions that were open")  # plain words
    opened = panel.locator("#coded-line-1")
    expect(opened).to_contain_text("asked an open question")  # a written tag
    expect(opened).to_have_attribute("title", "Turn 1, You: asked an open question")
    expect(opened).to_have_class("coded-line code-open_question")
    tag = opened.locator(".code-tag")
    colour = tag.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(207, 227, 251)"  # CODE_COLOURS["open_question"]
    expect(panel.locator("#coded-line-2")).to_have_class("coded-line code-change")
    expect(panel.locator("#coded-line-3")).to_contain_text("asked a closed question")
    expect(panel.locator("#coded-line-4")).to_have_class("coded-line code-sustain")

    # A count's link leads to the line it counts.
    count = panel.locator("li", has_text="asked an open question")
    count.get_by_role("link", name="turn 1").click()
    assert page.evaluate("location.hash") == "#coded-line-1"
    expect(opened).to_be_in_viewport()
