"""The studio's "Reframe a thought" tab: its plain handlers, and the tab inside the app."""

from __future__ import annotations

import gc
import warnings

import gradio as gr
import pytest

from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import BrokenChatModel, fake_model
from ui.app import create_app
from ui.reframing import ReframingDesk
from ui.serving import release_event_loop

ALICE = gr.Request(username="alice")
BOB = gr.Request(username="bob")
ANSWERS = ("She read it.", "She's busy this week.", "", "", "I don't know what she feels.")


@pytest.fixture
def desk(store: SessionStore, test_catalog: Catalog) -> ReframingDesk:
    return ReframingDesk(store, test_catalog)


def test_naming_checking_and_saving_a_reframe(desk: ReframingDesk) -> None:
    rid, traps, trap_questions = desk.name("", "No reply.", "She must be angry with me.", None)
    assert "**mind reading**" in traps
    assert "mind reading" in trap_questions
    record = desk.journal.get(rid)  # saved as soon as it is named
    assert record.traps == ["mind reading"] and record.status == "draft"

    same, feedback = desk.check(rid, "Everything will be perfect.", *ANSWERS)
    assert same == rid
    assert "promise more than you can know" in feedback
    assert desk.journal.get(rid).answers["evidence_against"] == "She's busy this week."

    _, done = desk.finish(rid, "She may be busy; I can ask her on Friday.", *ANSWERS)
    saved = desk.journal.get(rid)
    assert saved.status == "finished" and saved.check and saved.check["balanced"]
    assert "Saved." in done and "I can ask her on Friday" in done
    assert "She must be angry with me." in desk.saved()


def test_a_new_thought_starts_a_new_record_and_keeps_the_first(desk: ReframingDesk) -> None:
    first, _, _ = desk.name("", "", "I'm a failure.", None)
    second, _, _ = desk.name(first, "", "I always mess up.", None)
    assert first != second
    assert {r.thought for r in desk.journal.list()} == {"I'm a failure.", "I always mess up."}


def test_a_capable_model_explains_and_a_failing_one_falls_back(
    store: SessionStore, test_catalog: Catalog
) -> None:
    explained = ReframingDesk(store, test_catalog, fake_model('{"mind reading": "A guess."}'))
    _, traps, _ = explained.name("", "", "My boss hates me.", None)
    assert "A guess." in traps
    broken = ReframingDesk(store, test_catalog, BrokenChatModel(messages=iter([])))
    _, traps, _ = broken.name("", "", "My boss hates me.", None)
    assert "Assuming you know what someone else thinks" in traps
    assert "offline rules" in traps


def test_each_user_sees_only_their_sessions_and_reframes(
    desk: ReframingDesk, store: SessionStore, test_catalog: Catalog
) -> None:
    rehearsal = Rehearsal.begin(
        store, test_catalog.get("test-scene"), fake_model("Fine."), owner="alice"
    )
    list(rehearsal.start())
    list(rehearsal.say("You never listen to me."))
    assert [sid for _, sid in desk.session_choices(ALICE)] == [rehearsal.session_id]
    assert desk.session_choices(BOB) == []
    assert desk.line_choices(rehearsal.session_id, ALICE) == [("1. You never listen to me.", 1)]
    thought, situation, source = desk.use_line(rehearsal.session_id, 1, ALICE)
    title = store.get(rehearsal.session_id).title
    assert thought == "You never listen to me." and situation == f"In practice: {title}"
    assert source == {"session_id": rehearsal.session_id, "turn": 1, "title": title}
    with pytest.raises(RehearseError):
        desk.use_line(rehearsal.session_id, 1, BOB)
    rid, _, _ = desk.name("", situation, thought, source, ALICE)
    assert "You never listen to me." in desk.saved(ALICE)
    assert desk.saved(BOB) == "No reframes saved yet."
    with pytest.raises(RehearseError):
        desk.check(rid, "A reframe.", *ANSWERS, request=BOB)


def test_nothing_to_name_is_a_clear_message(desk: ReframingDesk) -> None:
    with pytest.raises(RehearseError, match="Write the thought first"):
        desk.name("", "", "   ", None)
    with pytest.raises(RehearseError, match="Name the traps"):
        desk.check("", "A reframe.", *ANSWERS)


def test_the_studio_has_the_tab(store: SessionStore, test_catalog: Catalog) -> None:
    # Building the app makes Gradio create event loops it never closes; they are collected
    # here, with their ResourceWarnings silenced, instead of in the middle of a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        demo = create_app(store, fake_model("Hi."), test_catalog)
        try:
            config = demo.get_config_file()
        finally:
            demo.close()
            release_event_loop()
            gc.collect()
    labels = [c.get("props", {}).get("label") for c in config["components"]]
    assert "Reframe a thought" in labels
    assert "The thought that troubles you" in labels
