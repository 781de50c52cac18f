"""What follows a streamed turn, in a real browser: the room after a model failure, and
a scene that ends on its own.

A streamed turn sends the page only the chat, the notice and the text box; the rest of
the room (Retry, the heading, the Debrief tab) comes from the event after it (ui/app.py,
``streamed``). These play both ends of that hand-over in Debian's chromium.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import BrokenChatModel, fake_model
from ui.app import StudioBlocks, create_app
from ui.serving import CHROMIUM, launch_chromium, release_event_loop, served

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)",
    ),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:.*did not answer:UserWarning"),
]


@pytest.fixture
def opened(store: SessionStore, test_catalog: Catalog) -> Iterator[tuple[StudioBlocks, Page]]:
    demo = create_app(store, BrokenChatModel(messages=iter([])), test_catalog, assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        page.get_by_role("button", name="Start this scene").click()
        expect(page.locator("#chat .message.bot").first).to_contain_text("Sam")
        yield demo, page
        browser.close()
    release_event_loop()


def send(page: Page, line: str) -> None:
    page.locator("#say textarea").fill(line)
    page.get_by_role("button", name="Send", exact=True).click()


def test_a_failed_reply_leaves_retry_and_the_line(opened: tuple[StudioBlocks, Page]) -> None:
    demo, page = opened
    retry = page.get_by_role("button", name="Retry", exact=True)
    expect(retry).to_be_hidden()
    send(page, "What happened this week?")
    expect(page.locator("#notice")).to_contain_text("press Retry")
    expect(retry).to_be_visible()
    expect(page.locator("#chat .message.user").last).to_have_text("What happened this week?")

    demo.studio.model = fake_model("The spec changed twice, to be honest.")  # type: ignore[attr-defined]
    retry.click()
    expect(page.locator("#chat .message.bot").last).to_contain_text("spec changed twice")
    expect(page.locator("#practice-heading")).to_contain_text("your turn 2 ")
    expect(retry).to_be_hidden()
    expect(page.locator("#notice")).not_to_contain_text("Retry")


def test_a_scene_that_reaches_its_last_turn_opens_its_debrief(
    opened: tuple[StudioBlocks, Page],
) -> None:
    demo, page = opened
    replies = [f"Reply number {n}, and that is all." for n in range(1, 5)]
    demo.studio.model = fake_model(*replies, "What got in the way?")  # type: ignore[attr-defined]
    for turn in range(1, 4):
        send(page, f"Line {turn}: how are things?")
        expect(page.locator("#practice-heading")).to_contain_text(f"your turn {turn + 1} ")
    send(page, "Line 4: thanks for talking.")  # the scene's fourth and last turn
    expect(page.locator("#debrief-goals")).to_be_visible()
    expect(page.get_by_role("tab", name="Debrief", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
