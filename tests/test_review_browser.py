"""The Review tab in a real browser: a signed-in reviewer reads a trainee's session,
comments on a turn, sees the comment under it and exports the annotated transcript;
another trainee's session is not listed.

Debian's chromium driven by Playwright, the studio served on loopback with ``--auth``
users and a reviewers assignment, sessions played beforehand with a fake model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from simulator.catalog import Catalog
from simulator.review import Reviewers
from simulator.schema import Scenario
from simulator.store import SessionStore
from tests.conftest import fake_model
from tests.test_review import played
from ui.app import create_app
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

USERS = [("alice", "a-secret"), ("carol", "c-secret"), ("dr-lee", "l-secret")]


@pytest.fixture
def reviewer_page(
    store: SessionStore, test_catalog: Catalog, scene: Scenario
) -> Iterator[tuple[Page, dict[str, str]]]:
    sessions = {owner: played(store, scene, owner) for owner in ("alice", "carol")}
    demo = create_app(
        store,
        fake_model(),
        test_catalog,
        assessor="rules",
        reviewers=Reviewers({"dr-lee": frozenset({"alice"})}),
    )
    with served(demo, auth=USERS) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        page.goto(url)
        page.get_by_label("username").fill("dr-lee")
        page.get_by_label("password").fill("l-secret")
        page.get_by_role("button", name="Login").click()
        yield page, sessions
        browser.close()
    release_event_loop()


def test_a_reviewer_comments_on_a_trainees_turn(
    reviewer_page: tuple[Page, dict[str, str]], store: SessionStore
) -> None:
    page, sessions = reviewer_page
    page.get_by_role("tab", name="Review").click()
    expect(page.locator("#review-intro")).to_contain_text("You review the sessions of alice")
    listed = page.locator("#review-sessions")
    expect(listed).to_contain_text("alice")
    expect(listed).not_to_contain_text("carol")  # not assigned to this reviewer

    listed.get_by_text("A test scene", exact=False).first.click()
    page.locator("#review-open").click()
    transcript = page.locator("#review-transcript")
    expect(transcript).to_contain_text("You always miss deadlines.")
    expect(page.locator("#review-debrief")).to_contain_text("Ask an open question.")

    page.locator("#review-turn input").click()
    page.get_by_role("option", name="Turn 2", exact=False).click()
    page.locator("#review-comment textarea").fill("A label, not a question: try asking instead.")
    page.locator("#review-add").click()
    expect(page.locator("#review-notice")).to_contain_text("Comment added to turn 2.")
    expect(transcript).to_contain_text("A label, not a question: try asking instead.")
    expect(transcript).to_contain_text("dr-lee")

    page.locator("#review-export").click()
    for which, suffix in (("#review-md", ".md"), ("#review-json", ".json")):
        with page.expect_download() as download:
            page.locator(f"{which} a.download-link").click()
        assert download.value.suggested_filename.endswith(f"{sessions['alice']}-annotated{suffix}")
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert "A label, not a question: try asking instead." in exported

    [comment] = store.comments(sessions["alice"])
    assert (comment.turn, comment.author) == (2, "dr-lee")
    assert store.comments(sessions["carol"]) == []
