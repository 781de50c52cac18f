"""The coach in a real browser: a tip in its own box beside the chat, never in it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from simulator.catalog import Catalog, Entry
from simulator.schema import CoachSettings, Scenario
from simulator.store import SessionStore
from tests.conftest import DATA, fake_model
from tests.test_ui_browser import chat_texts, say
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


def test_a_wrong_turn_brings_a_tip_outside_the_conversation(
    store: SessionStore, test_catalog: Catalog, scene: Scenario
) -> None:
    coached = scene.model_copy(update={"coach": CoachSettings(tips_after_wrong_turn=True)})
    catalog = Catalog(
        personas=dict(test_catalog.personas),
        entries=[Entry(DATA / "scenarios" / "test-scene.yaml", "test", coached)],
    )
    model = fake_model("The spec changed twice.", "That's not fair.", "Thanks for asking.")
    demo = create_app(store, model, catalog, assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        page.get_by_role("button", name="Start this scene").click()
        # The room is up before the first line is typed, as in the other browser tests
        # (typed into a room still opening, the line was once lost and an empty one sent).
        expect(page.locator("#practice-heading")).to_contain_text("your turn 1 ")
        coach = page.locator("#coach")
        say(page, "What is going on for you?", then_turn=2)
        expect(coach).to_be_hidden()
        say(page, "You always miss deadlines.", then_turn=3)
        expect(coach).to_be_visible()
        expect(coach).to_contain_text("Coach")
        expect(coach).to_contain_text("describe one specific moment")
        bot = chat_texts(page, "bot")
        assert bot and all("specific moment" not in t for t in bot)
        # A turn that goes well clears it.
        say(page, "How has this month been for you?", then_turn=4)
        expect(coach).to_be_hidden()
        browser.close()
    release_event_loop()
