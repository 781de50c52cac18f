"""The Author tab in a real browser: write a scenario in the form, try it, save it, practise it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from simulator.authoring.workspace import Workspace
from simulator.store import SessionStore
from tests.conftest import fake_model
from tests.test_ui_author import catalog
from ui.app import create_app
from ui.author import draft_id
from ui.serving import CHROMIUM, launch_chromium, release_event_loop, served

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)",
    ),
    # As in tests/test_ui_browser.py: Gradio's queue and server threads.
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

REPLIES = [
    "Right. Three nights in a row, and not a word from anyone.",
    "Well. Thanks. That actually means something.",
    "I'm glad you said it.",
]
FACT = "Kim is applying for a job on another ward."


@pytest.fixture
def page(store: SessionStore) -> Iterator[Page]:
    demo = create_app(store, fake_model(*REPLIES), catalog(), assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        yield page
        browser.close()
    release_event_loop()


def type_into(box: Locator, text: str) -> None:
    """Replace a field's text the way a person does: the last keystroke is a real one.

    (``fill`` sets the value without the keystroke Gradio's input event listens for.)
    """
    box.fill(text[:-1])
    box.press_sequentially(text[-1])


def type_cell(page: Page, table: str, row: int, col: int, text: str) -> None:
    """Edit one cell: double-click opens its editor, Tab leaves it (which commits the edit)."""
    cell = page.locator(f"#{table} [data-testid='cell-{row}-{col}']")
    cell.scroll_into_view_if_needed()
    # The table's own "back to top" button may sit over a cell: no pointer, just the event.
    cell.dispatch_event("dblclick")
    editor = cell.locator("textarea")
    editor.fill(text)
    editor.press("Tab")


def wait_for_draft(text: str, seconds: float = 10) -> str:
    """The draft on disk, once it holds ``text`` (edits are kept as their events land)."""
    deadline = time.monotonic() + seconds
    while True:
        draft = Workspace().load_draft(draft_id("")) or ""
        if text in draft or time.monotonic() > deadline:
            assert text in draft, draft
            return draft
        time.sleep(0.1)


def check(page: Page) -> Locator:
    return page.locator("#author-check")


def test_author_try_and_save_a_scenario_then_practise_it(page: Page, rehearse_home: Path) -> None:
    page.get_by_role("tab", name="Author").click()
    page.get_by_role("button", name="New from an empty form").click()
    expect(check(page)).to_contain_text("missing required key 'title'")

    fields = {
        "f-title": "Thanking Kim for the night shifts",
        "f-id": "thanking-kim",
        "f-summary": "Kim covered three night shifts for you last week.",
        "f-role": "A nurse on the same ward.",
        "f-setting": "The staff room at seven in the morning.",
        "f-name": "Kim",
        "f-who": "A colleague who covered for you.",
        "f-background": "Proud and tired; has never asked for a favour back.",
        "f-voice": "Dry, short sentences.",
        "f-wants": "to be thanked properly",
        "f-fears": "being taken for granted",
        "f-pressure": "Goes sarcastic.",
        "f-opening": "Oh. You're in early.",
    }
    for elem_id, text in fields.items():
        type_into(page.locator(f"#{elem_id} textarea"), text)
    expect(page.locator("#author-yaml")).to_contain_text("title: Thanking Kim for the night")

    type_cell(page, "f-state", 0, 0, "warmth")
    type_cell(page, "f-state", 0, 1, "3")
    type_cell(page, "f-state", 0, 2, "0")
    type_cell(page, "f-state", 0, 3, "10")
    type_cell(page, "f-state", 0, 4, "up")
    type_cell(page, "f-goals", 0, 0, "Thank Kim plainly.")
    type_cell(page, "f-goals", 0, 1, "You say what Kim did, without a but.")
    type_cell(page, "f-goals", 0, 2, "warmth >= 6")
    type_cell(page, "f-reveals", 0, 0, FACT)
    type_cell(page, "f-reveals", 0, 1, "warmth >= 5")
    # Every edit goes into the draft on disk, so a reload brings it all back.
    draft = wait_for_draft("when: warmth >= 5")
    assert FACT in draft and "start: 3" in draft and "title: Thanking Kim" in draft
    expect(check(page)).to_contain_text("Valid.")
    page.reload()
    page.get_by_role("tab", name="Author").click()
    expect(page.locator("#author-notice")).to_contain_text("Your draft is back")
    expect(page.locator("#f-title textarea")).to_have_value("Thanking Kim for the night shifts")
    expect(check(page)).to_contain_text("Valid.")

    # The prompt, at the start and with the reveal's condition true.
    page.get_by_text("Preview the character's prompt").click()
    page.get_by_role("button", name="Show the prompt").click()
    prompt = page.locator("#p-prompt textarea")
    expect(prompt).to_have_value(re.compile("You are Kim in a role-play"))
    assert FACT not in prompt.input_value()
    page.locator("#p-reveal input").click()
    page.get_by_role("option", name="when warmth >= 5", exact=False).click()
    expect(page.locator("#p-changes")).to_contain_text(FACT)
    assert FACT in prompt.input_value()

    # A test run of the unsaved draft.
    page.get_by_text("Test run (not saved)").click()
    page.get_by_role("button", name="Test-run this draft").click()
    expect(page.locator("#t-chat .message.bot").first).to_contain_text("You're in early.")
    page.locator("#t-say textarea").fill("Thank you for covering my nights, Kim.")
    page.locator("#t-send").click()
    expect(page.locator("#t-chat .message.bot").last).to_contain_text("Three nights in a row")
    assert not (rehearse_home / "scenarios" / "thanking-kim.yaml").exists()

    # Save: it lands in the user's folder and in the practice list.
    page.get_by_role("button", name="Save to my scenarios").click()
    expect(page.locator("#s-notice")).to_contain_text("It is in the practice list now.")
    assert (rehearse_home / "scenarios" / "thanking-kim.yaml").is_file()
    page.get_by_role("tab", name="Choose a scene").click()
    expect(page.locator("#scenario-card")).to_contain_text("Kim covered three night shifts")
    page.get_by_role("button", name="Start this scene").click()
    expect(page.locator("#chat .message.bot").first).to_contain_text("You're in early.")

    # Typing in the YAML view is checked as it happens, and kept too.
    page.get_by_role("tab", name="Author").click()
    page.locator("#author-yaml .cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nsumary: a typo")
    expect(check(page)).to_contain_text("unknown key 'sumary'")
    wait_for_draft("sumary: a typo")


CARD = (
    '{"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Robin", '
    '"description": "A neighbour who plays music late.", "personality": "Cheerful, touchy.", '
    '"scenario": "The hallway at 11pm.", "first_mes": "Oh hey! Too loud again?", '
    '"mes_example": "", "creator_notes": "", "system_prompt": "", '
    '"post_history_instructions": "", "alternate_greetings": [], "tags": [], '
    '"creator": "", "character_version": "", "extensions": {}}}'
)


def test_copy_save_export_and_import_a_card(page: Page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="Author").click()
    page.locator("#author-copy-pick input").click()
    page.get_by_role("option", name="A test scene", exact=False).click()
    page.get_by_role("button", name="Copy it").click()
    expect(page.locator("#author-notice")).to_contain_text("A copy of “A test scene”")
    expect(page.locator("#f-id textarea")).to_have_value("test-scene-copy")
    page.get_by_role("button", name="Save to my scenarios").click()
    expect(page.locator("#s-notice")).to_contain_text("Saved “test-scene-copy”")

    page.get_by_text("Share: export and import").click()
    page.get_by_role("button", name="Export as one YAML file").click()
    with page.expect_download() as download:
        page.locator("#e-file a").first.click()
    bundle = Path(download.value.path()).read_text(encoding="utf-8")
    assert "bundle: rehearse/1" in bundle and "id: test-scene-copy" in bundle

    card = tmp_path / "robin.json"
    card.write_text(CARD, encoding="utf-8")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import a file…").click()
    chooser.value.set_files(str(card))
    expect(page.locator("#author-notice")).to_contain_text("Imported and saved")
    expect(page.locator("#f-opening textarea")).to_have_value("Oh hey! Too loud again?")
    page.get_by_role("tab", name="Choose a scene").click()
    expect(page.locator(".scene-list")).to_contain_text("Robin")
