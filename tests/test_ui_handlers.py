"""The studio's handlers, called directly: no server, no browser, fake models."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import gradio as gr
import pytest

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import BrokenChatModel, fake_model
from ui import handlers, render
from ui.handlers import FINISHED_NOTICE, PAUSED_NOTICE, Practice, Studio
from ui.support import footnote, support_html

REPLY = "Honestly, the spec changed twice and nobody told me until Friday."
ALICE = gr.Request(username="alice")
BOB = gr.Request(username="bob")


def studio_with(store: SessionStore, catalog: Catalog, *replies: str) -> Studio:
    return Studio(store, fake_model(*replies), catalog, model_name="fake", assessor="rules")


@pytest.fixture
def studio(store: SessionStore, test_catalog: Catalog) -> Studio:
    return studio_with(store, test_catalog, *[f"{REPLY} ({i})" for i in range(1, 9)])


def say(studio: Studio, session_id: str, text: str, request: gr.Request | None = None) -> Practice:
    *_, last = studio.send(session_id, text, request)
    return last


# --- choosing ----------------------------------------------------------------------


def test_scenarios_are_browsed_by_category(studio: Studio) -> None:
    assert studio.scenario_choices("All") == [("A test scene", "test-scene")]
    assert studio.scenario_choices("Difficult conversations") == [("A test scene", "test-scene")]
    assert studio.scenario_choices("Inner parts") == []
    card, level = studio.describe("test-scene")
    assert level == "medium"
    for part in ("A test scene", "A short scene for tests.", "Ask an open question.", "Sam"):
        assert part in card


def test_the_bundled_catalog_has_a_card_for_every_scenario(store: SessionStore) -> None:
    catalog = Catalog.load()
    studio = Studio(store, fake_model(), catalog)
    for scenario in catalog.scenarios:
        card, level = studio.describe(scenario.id)
        first = scenario.goals[0].description if scenario.goals else "No goal"
        assert first.split()[0] in card
        assert level in ("easy", "medium", "hard")
        if scenario.learning.before:
            assert "Before you start" in card


def test_start_opens_the_scene_and_shows_goals(studio: Studio) -> None:
    view = studio.start("test-scene", "hard", ALICE)
    assert view.status == "awaiting_user"
    assert view.chat == [{"role": "assistant", "content": "**Sam**\nYou wanted to see me?"}]
    assert "Ask an open question." in view.brief and "Build trust." in view.brief
    assert "hard" in view.heading and "your turn 1 of up to 4" in view.heading
    assert studio.store.get(view.session_id).owner == "alice"


def test_an_unknown_scenario_is_a_clear_error(studio: Studio) -> None:
    with pytest.raises(gr.Error, match="test-scene"):
        studio.start("test-scen", "easy", None)


# --- practising --------------------------------------------------------------------


def test_the_reply_streams_token_by_token(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "FRAME_SECONDS", 0.0)  # as a model slower than the eye
    session = studio.start("test-scene", "", None).session_id
    views = list(studio.send(session, "What is going on for you?", None))
    first, *streamed, last = views
    assert first.chat[-1] == {"role": "user", "content": "What is going on for you?"}
    assert first.draft == ""  # the text box empties as the line is sent
    contents = [v.chat[-1]["content"] for v in streamed]
    assert len(contents) > 2 and all(v.partial for v in streamed)
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(contents))
    assert not last.partial and last.chat[-1]["content"] == f"**Sam**\n{REPLY} (1)"
    assert last.turns == [("Turn 1: “What is going on for you?”", 1)]
    assert last.draft is None  # what the user typed meanwhile is left alone


def test_a_reply_faster_than_the_eye_is_sent_a_frame_at_a_time(studio: Studio) -> None:
    # The fake model streams every word at once: the page gets the first word straight
    # away, then the whole line, not one update per word.
    session = studio.start("test-scene", "", None).session_id
    _first, *streamed, last = studio.send(session, "What is going on for you?", None)
    assert streamed[0].chat[-1]["content"] == f"**Sam**\n{REPLY.split()[0]}"
    assert len(streamed) < len(REPLY.split()) / 2
    assert last.chat[-1]["content"] == f"**Sam**\n{REPLY} (1)"


def test_an_empty_line_is_refused_and_kept(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    with pytest.raises(gr.Error, match="Write what you would say"):
        list(studio.send(session, "   ", None))


def test_a_model_failure_keeps_the_line_for_retry(
    store: SessionStore, test_catalog: Catalog
) -> None:
    studio = Studio(store, BrokenChatModel(messages=iter([])), test_catalog, assessor="rules")
    session = studio.start("test-scene", "", None).session_id
    with pytest.warns(UserWarning, match="did not answer"):
        *_, last = studio.send(session, "What happened?", None)
    assert last.status == "interrupted"
    assert "press Retry" in last.notice
    assert last.chat[-1] == {"role": "user", "content": "What happened?"}
    with pytest.raises(gr.Error, match="Retry"):
        list(studio.send(session, "Another line", None))

    studio.model = fake_model("It was the spec, mostly.")
    *_, after = studio.retry(session, None)
    assert after.status == "awaiting_user" and after.notice == ""
    assert [m["content"] for m in after.chat[-2:]] == [
        "What happened?",
        "**Sam**\nIt was the spec, mostly.",
    ]


def test_a_hint_is_not_added_to_the_transcript(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    say(studio, session, "You missed the deadline.")
    hint = studio.hint(session, None)
    assert hint.startswith("**Hint** ") and len(hint) > 20
    rehearsal, _ = studio.open(session, None)
    assert len(rehearsal.lines()) == 3


def test_a_hint_waits_for_a_model_slot_like_a_turn(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    say(studio, session, "You missed the deadline.")
    hints: list[str] = []
    for _ in range(studio.model_slots):
        studio._slots.acquire()  # every slot taken by other users' turns
    asking = threading.Thread(target=lambda: hints.append(studio.hint(session, None)))
    asking.start()
    asking.join(timeout=0.5)
    assert asking.is_alive() and not hints  # waiting, not calling the model
    studio._slots.release()
    asking.join(timeout=10)
    assert hints and hints[0].startswith("**Hint** ")
    for _ in range(studio.model_slots - 1):
        studio._slots.release()


def test_rewind_tries_a_turn_again_and_keeps_the_earlier_branch(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    say(studio, session, "What is going on?")
    say(studio, session, "You always miss deadlines.")

    back = studio.rewind(session, 2, None)
    assert back.draft == "You always miss deadlines."  # ready to be said another way
    assert [m["role"] for m in back.chat] == ["assistant", "user", "assistant"]
    assert "your turn 2 " in back.heading

    *_, redone = studio.send(session, "It sounds like the spec kept changing.", None)
    assert redone.chat[-2]["content"] == "It sounds like the spec kept changing."
    assert len(redone.versions) == 2
    texts = [
        [m["content"] for m in studio.version(session, index, None)]
        for index, _label in enumerate(redone.versions)
    ]
    assert any("You always miss deadlines." in t for t in texts)
    assert any("It sounds like the spec kept changing." in t for t in texts)


def test_rewind_needs_a_turn_that_exists(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    with pytest.raises(gr.Error, match="Pick one of your turns"):
        studio.rewind(session, None, None)
    with pytest.raises(gr.Error, match="no turn 3"):
        studio.rewind(session, 3, None)


def test_a_line_showing_risk_pauses_the_practice_with_support(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    *_, paused = studio.send(session, "Honestly everyone would be better off without me.", None)
    assert paused.status == "paused" and paused.notice == PAUSED_NOTICE
    said = paused.chat[-1]["content"]
    assert said.startswith("**Rehearse**") and "988" in said and "116 123" in said
    with pytest.raises(gr.Error, match="paused"):
        studio.hint(session, None)
    with pytest.raises(gr.Error, match="paused"):
        studio.rewind(session, 1, None)
    # Reopened later, the pause is still there.
    again, _ = studio.resume(session, None)
    assert again.status == "paused" and again.chat[-1]["content"] == said

    carried_on = studio.confirm_safe(session, None)
    assert carried_on.status == "awaiting_user"
    assert all(not m["content"].startswith("**Rehearse**") for m in carried_on.chat)
    debrief = studio.end(session, None)
    assert "A pause for safety" in debrief.sections["next"]


# --- the debrief -------------------------------------------------------------------


def test_end_builds_the_debrief_chart_and_downloads(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    say(studio, session, "What is going on for you?")
    say(studio, session, "You missed it.")
    view = studio.end(session, None)

    goals = view.sections["goals"]
    assert "● Met" in goals and "Ask an open question." in goals
    assert "Turn 1: “What is going on for you?”" in goals
    assert "Open questions | 1" in view.sections["moves"]
    assert "Try instead" in view.sections["try_instead"]
    assert list(view.chart.columns) == ["turn", "step", "value", "measure"]
    assert len(view.chart) == 3 * 2  # start + two turns, two hidden variables
    assert render.chart_steps(view.chart) == ["start", "turn 1", "turn 2"]
    assert view.chart_range == [0, 10]

    markdown = Path(view.markdown_file).read_text(encoding="utf-8")
    assert "What is going on for you?" in markdown and "DEBRIEF" in markdown
    exported = json.loads(Path(view.json_file).read_text(encoding="utf-8"))
    assert exported["session"]["id"] == session
    assert exported["debrief"]["goals"][0]["verdict"] == "met"
    assert "DEBRIEF: A test scene" in view.text

    # Ending again just shows the same debrief.
    assert studio.end(session, None).debrief == view.debrief


def test_end_after_a_rewind_debriefs_the_new_branch(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    say(studio, session, "What is going on for you?")
    say(studio, session, "You missed it.")
    studio.rewind(session, 2, None)
    view = studio.end(session, None)
    assert view.debrief["user_turns"] == 1


def test_the_scene_can_end_by_itself(studio: Studio) -> None:
    session = studio.start("test-scene", "", None).session_id
    for turn in range(1, 4):
        assert studio.finished(session, None) is None
        say(studio, session, f"What matters most to you, part {turn}?")
    last = say(studio, session, "What would help?")
    assert last.finished and last.notice == FINISHED_NOTICE
    debrief = studio.finished(session, None)
    assert debrief is not None and debrief.debrief["ended_by"] == "max_turns"
    with pytest.raises(gr.Error, match="finished"):
        list(studio.send(session, "One more thing", None))


def test_end_still_works_when_the_model_is_down(store: SessionStore, test_catalog: Catalog) -> None:
    studio = Studio(store, BrokenChatModel(messages=iter([])), test_catalog, assessor="rules")
    session = studio.start("test-scene", "", None).session_id
    with pytest.warns(UserWarning):
        list(studio.send(session, "What happened?", None))
    view = studio.end(session, None)
    assert view.debrief["user_turns"] == 0
    assert view.debrief["try_instead"]["rewrite"] is None


def test_practise_again_starts_a_fresh_session_at_the_same_level(studio: Studio) -> None:
    first = studio.start("test-scene", "easy", None).session_id
    studio.end(first, None)
    again = studio.again(first, None)
    assert again.session_id != first and again.status == "awaiting_user"
    assert studio.store.get(again.session_id).difficulty == "easy"


# --- sessions and privacy ----------------------------------------------------------


def test_each_user_sees_and_opens_only_their_own_sessions(studio: Studio) -> None:
    mine = studio.start("test-scene", "", ALICE).session_id
    assert [sid for _label, sid in studio.sessions(ALICE)] == [mine]
    assert studio.sessions(BOB) == []
    assert studio.sessions(None) == []  # no auth: the local user, "" as owner
    for call in (
        lambda: list(studio.send(mine, "Hello?", BOB)),
        lambda: studio.hint(mine, BOB),
        lambda: studio.rewind(mine, 1, BOB),
        lambda: studio.end(mine, BOB),
        lambda: studio.resume(mine, BOB),
        lambda: studio.version(mine, 0, BOB),
        lambda: studio.again(mine, BOB),
        lambda: studio.api_send_message(mine, "Hello?", BOB),
        lambda: studio.api_end_session(mine, BOB),
    ):
        with pytest.raises(gr.Error, match="No session"):
            call()
    assert studio.store.get(mine).turns == 0  # nothing bob tried reached the session


def test_sessions_survive_a_restart(
    store: SessionStore, test_catalog: Catalog, rehearse_home: Path
) -> None:
    studio = studio_with(store, test_catalog, REPLY, REPLY, "Try asking.")
    open_one = studio.start("test-scene", "", None).session_id
    say(studio, open_one, "What is going on?")
    done = studio.start("test-scene", "", None).session_id
    say(studio, done, "What would help?")
    studio.end(done, None)

    restarted = SessionStore(rehearse_home / "sessions.sqlite")
    try:
        later = studio_with(restarted, test_catalog, "Welcome back.")
        labels = dict((sid, label) for label, sid in later.sessions(None))
        assert "in progress" in labels[open_one] and "debrief ready" in labels[done]
        practice, debrief = later.resume(open_one, None)
        assert debrief is None and "waiting for your line" in practice.notice
        assert practice.chat[-2]["content"] == "What is going on?"
        assert say(later, open_one, "Go on.").chat[-1]["content"] == "**Sam**\nWelcome back."
        practice, debrief = later.resume(done, None)
        assert practice.finished and debrief is not None
    finally:
        restarted.close()


# --- the API for scripted clients --------------------------------------------------


def test_the_api_plays_a_whole_session(studio: Studio) -> None:
    assert studio.api_list_scenarios()[0]["id"] == "test-scene"
    session, opening = studio.api_start_session("test-scene", "easy", ALICE)
    assert opening == [{"name": "Sam", "text": "You wanted to see me?"}]
    assert studio.api_send_message(session, "What is going on?", ALICE) == f"{REPLY} (1)"
    debrief = studio.api_end_session(session, ALICE)
    assert debrief["difficulty"] == "easy" and debrief["user_turns"] == 1


def test_the_api_reports_a_model_failure_and_retries(
    store: SessionStore, test_catalog: Catalog
) -> None:
    studio = Studio(store, BrokenChatModel(messages=iter([])), test_catalog, assessor="rules")
    session, _ = studio.api_start_session("test-scene", "", ALICE)
    with pytest.raises(gr.Error, match="retry_message"):
        studio.api_send_message(session, "What happened?", ALICE)
    studio.model = fake_model("The spec changed.")
    assert studio.api_retry_message(session, ALICE) == "The spec changed."


# --- what the page shows -----------------------------------------------------------


def test_support_is_there_with_crisis_lines() -> None:
    panel = support_html()
    assert "I need support now" in panel
    for needed in ("988", "116 123", "findahelpline.com", "emergency", "not therapy"):
        assert needed in panel
    assert "988" in footnote() and "not therapy" in footnote()


def test_user_text_cannot_inject_markup() -> None:
    assert render.escape("<img src=x> **bold** [a](b)") == (
        "\\<img src=x\\> \\*\\*bold\\*\\* \\[a\\](b)"
    )


def test_the_chart_axis_keeps_turn_order_past_nine() -> None:
    turns = [{"turn": t, "values": {"trust": float(t)}} for t in range(12)]
    debrief = {"state": {"turns": turns, "variables": {"trust": {"desired": "up"}}}}
    frame = render.chart_frame(debrief)
    assert render.chart_steps(frame)[-3:] == ["turn 9", "turn 10", "turn 11"]
    assert set(frame["measure"]) == {"trust (higher is better)"}
