"""The studio in a real browser: Debian's chromium driven by Playwright, a fake model."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    # Gradio's queue sets a pandas option that pandas 3 deprecates, on every event.
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    # Sockets and loops the server threads leave to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

REPLIES = [
    "Honestly, the spec changed twice and nobody told me until Friday.",
    "That's not fair. I've hit every other deadline this quarter.",
    "Thanks for asking. It has been a rough month, to be honest.",
    "What has been getting in the way for you lately?",  # the debrief's rewrite
]


@contextlib.contextmanager
def opened(demo: StudioBlocks) -> Iterator[Page]:
    """The studio served on loopback and opened in Debian's chromium."""
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if _outside(r.url) else None)
        page.goto(url)
        yield page
        browser.close()
        assert outside == []  # a private practice room fetches nothing from the internet
    release_event_loop()


@pytest.fixture
def page(store: SessionStore, test_catalog: Catalog) -> Iterator[Page]:
    with opened(create_app(store, fake_model(*REPLIES), test_catalog, assessor="rules")) as page:
        yield page


@pytest.fixture
def down(store: SessionStore, test_catalog: Catalog) -> Iterator[tuple[StudioBlocks, Page]]:
    """A scene started while the model's endpoint is down."""
    demo = create_app(store, BrokenChatModel(messages=iter([])), test_catalog, assessor="rules")
    with opened(demo) as page:
        page.get_by_role("button", name="Start this scene").click()
        expect(page.locator("#chat .message.bot").first).to_contain_text("Sam")
        yield demo, page


def _outside(url: str) -> bool:
    return not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))


def send(page: Page, line: str) -> None:
    page.locator("#say textarea").fill(line)
    page.get_by_role("button", name="Send", exact=True).click()


def say(page: Page, line: str, *, then_turn: int) -> None:
    """Send a line and wait until the reply is in and saved (the heading moves on)."""
    send(page, line)
    expect(page.locator("#practice-heading")).to_contain_text(f"your turn {then_turn} ")


def chat_texts(page: Page, role: str) -> list[str]:
    return [t.strip() for t in page.locator(f"#chat .message.{role}").all_inner_texts()]


def test_practise_rewind_and_read_the_debrief(page: Page) -> None:
    # Choose: the card says what the scene practises, then start it.
    expect(page.locator("#scenario-card")).to_contain_text("A short scene for tests.")
    page.get_by_role("button", name="Start this scene").click()
    expect(page.locator("#chat .message.bot").first).to_contain_text("Sam")
    expect(page.locator("#brief")).to_contain_text("Ask an open question.")

    say(page, "What is going on for you?", then_turn=2)
    expect(page.locator("#chat .message.bot").last).to_contain_text("the spec changed twice")
    say(page, "You always miss deadlines.", then_turn=3)
    assert chat_texts(page, "user") == ["What is going on for you?", "You always miss deadlines."]

    # Rewind turn 2: the line comes back to be said another way.
    page.get_by_text("Try one of your turns again").click()
    page.locator("#turn-pick input").click()
    page.get_by_role("option", name="Turn 2", exact=False).click()
    page.locator("#rewind").click()
    expect(page.locator("#practice-heading")).to_contain_text("your turn 2 ")
    expect(page.locator("#say textarea")).to_have_value("You always miss deadlines.")
    assert chat_texts(page, "user") == ["What is going on for you?"]
    say(page, "How has this month been for you?", then_turn=3)
    expect(page.locator("#chat .message.bot").last).to_contain_text("rough month")

    # The earlier branch is kept and can be read.
    page.locator("#versions").get_by_text("Earlier versions").click()
    page.locator("#versions input").click()
    page.get_by_role("option", name="Version 1", exact=False).click()
    expect(page.locator("#versions .message.user").last).to_have_text("You always miss deadlines.")

    # Support is one click away, on every tab.
    page.get_by_text("I need support now").click()
    expect(page.locator("#support")).to_contain_text("988")
    expect(page.locator("#support")).to_contain_text("116 123")

    page.get_by_role("button", name="End & debrief").click()
    goals = page.locator("#debrief-goals")
    expect(goals).to_contain_text("Ask an open question.")
    expect(goals).to_contain_text("Met")
    expect(goals).to_contain_text("Turn 1: “What is going on for you?”")
    expect(page.locator("#debrief-try")).to_contain_text("What has been getting in the way")
    chart = page.locator("#debrief-chart").locator("svg, canvas").first
    expect(chart).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download transcript (Markdown)").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "How has this month been for you?" in exported and "DEBRIEF" in exported


def test_earlier_sessions_can_be_reopened(page: Page) -> None:
    page.get_by_role("button", name="Start this scene").click()
    expect(page.locator("#practice-heading")).to_contain_text("your turn 1 ")
    say(page, "What is going on for you?", then_turn=2)
    page.reload()
    page.get_by_role("tab", name="Your sessions").click()
    page.locator("#sessions").get_by_text("A test scene", exact=False).click()
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("Welcome back")
    texts: Any = chat_texts(page, "user")
    assert texts == ["What is going on for you?"]


# A streamed turn sends the page only the chat, the notice and the text box; the rest of
# the room (Retry, the heading, the Debrief tab) comes from the event after it (ui/app.py,
# ``streamed``). These two play both ends of that hand-over.


@pytest.mark.filterwarnings("ignore:.*did not answer:UserWarning")
def test_a_failed_reply_leaves_retry_and_the_line(down: tuple[StudioBlocks, Page]) -> None:
    demo, page = down
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
    down: tuple[StudioBlocks, Page],
) -> None:
    demo, page = down
    replies = [f"Reply number {n}, and that is all." for n in range(1, 5)]
    demo.studio.model = fake_model(*replies, "What got in the way?")  # type: ignore[attr-defined]
    for turn in range(1, 4):
        say(page, f"Line {turn}: how are things?", then_turn=turn + 1)
    send(page, "Line 4: thanks for talking.")  # the scene's fourth and last turn
    expect(page.locator("#debrief-goals")).to_be_visible()
    expect(page.get_by_role("tab", name="Debrief", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
