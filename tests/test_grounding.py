"""Grounding pauses: when they are offered, that the character waits, and each way on."""

from __future__ import annotations

import io

import pytest

from rehearse.terminal import play
from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.grounding import distress, offer_level, should_offer, step_down
from simulator.report import debrief_text
from simulator.schema import GroundingSettings, Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, RecordingModel

OVERWHELMED = "Sorry, I'm so overwhelmed right now, this is a lot."


def with_grounding(scene: Scenario, **settings: object) -> Scenario:
    return scene.model_copy(update={"grounding": GroundingSettings(**settings)})


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I think I'm having a panic attack.", 3),
        ("I can't breathe properly.", 3),
        (OVERWHELMED, 2),
        ("Honestly I feel totally flooded.", 2),
        ("I'm a bit nervous about this.", 1),
        ("I'm not overwhelmed, just tired.", 0),
        ("It's not a panic attack, it's fine.", 0),
        ("You seem overwhelmed by the deadline.", 0),  # a trainee's reflection, not their state
        ("She was panicking about the launch.", 0),
        ("Can we talk about the deadline?", 0),
    ],
)
def test_the_distress_screen_reads_first_person_overwhelm(text: str, level: int) -> None:
    assert distress(text).level == level


def test_how_readily_it_is_offered_follows_the_author_then_the_category(scene: Scenario) -> None:
    assert offer_level(scene) == "medium"  # a difficult conversation
    assert offer_level(scene.model_copy(update={"category": "inner-parts"})) == "high"
    assert offer_level(scene.model_copy(update={"category": "clinical-practice"})) == "low"
    assert offer_level(with_grounding(scene, offer="off")) == "off"
    mild = "I'm a bit nervous about this."
    values = scene.start_state()
    args = {"turn": 1, "values": values, "previous": values, "log": []}
    assert should_offer(scene, text=mild, **args) is None  # medium: mild words are not enough
    offered = should_offer(with_grounding(scene, offer="high"), text=mild, **args)
    assert offered == {
        "turn": 1,
        "event": "offered",
        "trigger": "words",
        "matched": "I'm a bit nervous",
        "level": 1,
    }
    # Mild words offer a pause once a session; stronger ones after the cooldown.
    mild_log = [offered]
    assert (
        should_offer(
            scene_high := with_grounding(scene, offer="high"),
            text=mild,
            **{**args, "turn": 9, "log": mild_log},
        )
        is None
    )
    assert should_offer(scene_high, text=OVERWHELMED, **{**args, "turn": 9, "log": mild_log})
    assert should_offer(with_grounding(scene, offer="off"), text=OVERWHELMED, **args) is None
    # Not again straight after a pause: it never nags.
    log = [{"turn": 1, "event": "offered", "trigger": "words"}]
    assert should_offer(scene, text=OVERWHELMED, **{**args, "turn": 2, "log": log}) is None
    assert should_offer(scene, text=OVERWHELMED, **{**args, "turn": 4, "log": log}) is not None


def begin(store: SessionStore, scene: Scenario, *replies: str) -> tuple[Rehearsal, RecordingModel]:
    recorder = RecordingModel(*replies)
    rehearsal = Rehearsal.begin(store, scene, recorder.model, assessor="rules")
    list(rehearsal.start())
    return rehearsal, recorder


def test_overwhelmed_words_pause_the_scene_and_continue_answers_the_same_line(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal, recorder = begin(store, scene, "Take your time. I'm listening.", "rewrite")
    events = list(rehearsal.say(OVERWHELMED))
    [pause] = events
    assert pause["type"] == "grounding" and pause["turn"] == 1
    assert [b["seconds"] for b in pause["breathing"]] == [4, 4, 6] and pause["cycles"] == 3
    assert pause["senses"][0].startswith("5 things") and len(pause["senses"]) == 5
    assert pause["choices"] == ["continue", "step_down", "stop"]
    assert rehearsal.status == "grounding"
    assert recorder.prompts == []  # the character never speaks during the pause
    with pytest.raises(RehearseError, match="paused for a breather"):
        list(rehearsal.pause())
    assert rehearsal.grounding_exercise()["turn"] == 1  # a reload shows the same pause

    replies = [e for e in rehearsal.ground("continue") if e["type"] == "line"]
    assert [e["text"] for e in replies] == ["Take your time. I'm listening."]
    assert rehearsal.status == "awaiting_user"
    # The same scene: the line is there once, and the character answered it.
    [prompt] = recorder.prompts
    assert prompt[-1].content == OVERWHELMED
    assert [line.text for line in rehearsal.lines()] == [
        "You wanted to see me?",
        OVERWHELMED,
        "Take your time. I'm listening.",
    ]
    state = rehearsal.state()
    assert [e["event"] for e in state.grounding] == ["offered", "continued"]
    assert state.difficulty == "medium"


def test_the_characters_state_crossing_its_threshold_pauses_once(
    store: SessionStore, scene: Scenario
) -> None:
    tense = with_grounding(scene, when="defensiveness >= 6")
    rehearsal, _recorder = begin(store, tense, "I hit every other deadline.", "Fine.", "r")
    events = list(rehearsal.say("You always miss deadlines."))  # blame: defensiveness rises
    assert [e["type"] for e in events] == ["grounding"]
    offered = rehearsal.state().grounding[0]
    assert offered["trigger"] == "state" and offered["matched"] == "defensiveness >= 6"
    list(rehearsal.ground("continue"))
    # Still above the threshold, but it was crossed once: no pause every turn after.
    events = list(rehearsal.say("You never listen, you always do this."))
    assert rehearsal.status == "awaiting_user" and events[-1]["type"] == "line"


def test_an_author_can_turn_offers_off_but_the_user_can_still_pause(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal, recorder = begin(store, with_grounding(scene, offer="off"), "Okay.", "r")
    list(rehearsal.say(OVERWHELMED))
    assert rehearsal.status == "awaiting_user" and len(recorder.prompts) == 1
    [pause] = list(rehearsal.pause())
    assert pause["type"] == "grounding" and "You asked for a pause." in pause["message"]
    assert rehearsal.status == "grounding"


def test_pause_on_request_then_continue_returns_to_the_user_without_a_turn(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal, recorder = begin(store, scene, "So, the deadline.", "r")
    before = rehearsal.lines()
    list(rehearsal.pause())
    assert list(rehearsal.ground("continue")) == []
    assert rehearsal.status == "awaiting_user" and rehearsal.lines() == before
    assert recorder.prompts == [] and rehearsal.state().turn == 0
    list(rehearsal.say("Can we talk?"))
    assert rehearsal.lines()[-1].text == "So, the deadline."


def test_step_down_eases_the_character_and_lowers_the_difficulty(
    store: SessionStore, scene: Scenario
) -> None:
    hard = scene.model_copy(
        update={"difficulty": scene.difficulty.model_copy(update={"default": "hard"})}
    )
    recorder = RecordingModel("Alright. Go on.", "r")
    rehearsal = Rehearsal.begin(store, hard, recorder.model, assessor="rules")
    list(rehearsal.start())
    list(rehearsal.pause())
    assert list(rehearsal.ground("step_down")) == []
    state = rehearsal.state()
    assert state.difficulty == "medium"
    assert state.values["defensiveness"] == 2.5 and state.values["trust"] == 4  # 5 - 10/4
    assert state.grounding[-1] == {
        "turn": 0,
        "trigger": "user",
        "event": "stepped_down",
        "difficulty": "medium",
        "changes": {"defensiveness": -2.5},
    }
    list(rehearsal.say("What happened with the deadline?"))
    prompt = recorder.system(0)
    assert "Difficulty: medium." in prompt and "defensiveness: very low" in prompt
    assert step_down(hard, {"trust": 4, "defensiveness": 1}, "easy")[2] == "easy"


def test_stop_ends_with_a_debrief_that_shows_the_pause(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal, _recorder = begin(store, scene, "rewrite")
    list(rehearsal.say(OVERWHELMED))
    list(rehearsal.ground("stop"))
    assert rehearsal.status == "finished"
    debrief = rehearsal.debrief()
    assert debrief["ended_by"] == "user"
    assert [e["event"] for e in debrief["grounding"]] == ["offered", "stopped"]
    text = debrief_text(debrief)
    assert "Pauses to breathe" in text
    assert "Turn 1: a pause to breathe (what you wrote sounded overwhelming)." in text
    assert OVERWHELMED in [line.text for line in rehearsal.lines()]  # nothing is lost


def test_the_crisis_screen_keeps_priority(store: SessionStore, scene: Scenario) -> None:
    rehearsal, _recorder = begin(store, scene)
    [event] = list(rehearsal.say("I'm so overwhelmed, I just want to kill myself."))
    assert event["type"] == "safety" and rehearsal.status == "paused"
    assert rehearsal.state().grounding == []


def test_the_terminal_pauses_breathes_and_carries_on(store: SessionStore, scene: Scenario) -> None:
    rehearsal, _recorder = begin(store, scene, "Right. Where were we?", "rewrite")
    script = "/pause\n/hint\ncontinue\nHello again.\n/end\n"
    out = io.StringIO()
    play(rehearsal, new=False, stdin=io.StringIO(script), stdout=out)
    text = out.getvalue()
    assert "Breathing, 3 times: breathe in 4, hold 4, breathe out 6." in text
    assert "5 things you can see around you" in text
    assert text.count("When you are ready: 'continue'") == 2  # "/hint" is not an answer
    assert "You wanted to see me?" in text.split("[Back to the scene.]")[1]
    assert "Right. Where were we?" in text
    assert "Pauses to breathe" in text and "you asked for it" in text


def test_the_terminal_paces_the_breathing_and_ctrl_c_skips_it(
    store: SessionStore, scene: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rehearse import terminal

    rehearsal, _recorder = begin(store, scene)
    counts: list[float] = []

    def sleep(seconds: float) -> None:
        counts.append(seconds)
        if len(counts) == 9:  # part-way through the second breath
            raise KeyboardInterrupt

    monkeypatch.setattr(terminal.time, "sleep", sleep)
    out = io.StringIO()
    screen = terminal.Terminal(rehearsal, io.StringIO(""), out)
    screen.pace = 0.5
    screen.show(rehearsal.pause())
    text = out.getvalue()
    assert "  Breathe in 4 3 2 1\n  Hold 4 3 2 1\n" in text
    assert "[Breathing skipped.]" in text and "1 thing you can taste" in text
    assert counts == [0.5] * 9


def test_a_line_written_during_the_pause_carries_on_and_is_said(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal, recorder = begin(store, scene, "Take your time.", "Sure, let's look at it.")
    list(rehearsal.say(OVERWHELMED))
    events = list(rehearsal.say("Okay. Can we look at the plan?"))
    assert [e["text"] for e in events if e["type"] == "line"] == [
        "Take your time.",
        "Sure, let's look at it.",
    ]
    said = [line.text for line in rehearsal.lines() if line.speaker == "you"]
    assert said == [OVERWHELMED, "Okay. Can we look at the plan?"]
    assert len(recorder.prompts) == 2 and rehearsal.status == "awaiting_user"


def test_with_several_characters_step_down_calms_each_and_the_addressed_one_answers(
    store: SessionStore,
) -> None:
    dinner = Catalog.load([("t", DATA / "group" / "scenarios", DATA / "group" / "personas")]).get(
        "dinner-test"
    )
    rehearsal, recorder = begin(store, dinner, "Oh love. Sit, breathe.", "r")
    list(rehearsal.say("Mum, I'm panicking about telling you this."))
    assert rehearsal.status == "grounding" and recorder.prompts == []
    list(rehearsal.ground("step_down"))
    values = rehearsal.state().values
    assert values["mum-test.tension"] == values["dad-test.tension"] == 2.5  # 5 - 10/4 each
    # The line was addressed to Mum: she answers it after the pause, as she would have.
    assert [(line.name, line.text) for line in rehearsal.lines()[-1:]] == [
        ("Mum", "Oh love. Sit, breathe.")
    ]


def test_a_resumed_session_shows_the_pause_it_was_left_in(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal, _recorder = begin(store, scene, "Go on.", "r")
    list(rehearsal.pause())
    out = io.StringIO()
    play(rehearsal, new=False, stdin=io.StringIO("step down\n/quit\n"), stdout=out)
    text = out.getvalue()
    assert "You asked for a pause." in text and "5 things you can see" in text
    assert "[The character eases off a little.]" in text
    assert rehearsal.state().difficulty == "easy"


def test_a_step_down_is_not_credited_to_the_users_words(
    store: SessionStore, scene: Scenario
) -> None:
    calm_goal = scene.goals[1].model_copy(update={"met_when": "defensiveness <= 3"})
    goals = [scene.goals[0], calm_goal]
    rehearsal, _recorder = begin(store, scene.model_copy(update={"goals": goals}), "Mm.", "r")
    list(rehearsal.say("Fine."))  # no move at all
    list(rehearsal.pause())
    list(rehearsal.ground("step_down"))  # defensiveness 5 -> 2.5, below the goal's 3
    list(rehearsal.end())
    debrief = rehearsal.debrief()
    [_ask, calm] = debrief["goals"]
    assert calm["condition_reached_at"] is None and calm["evidence"] == []
    assert debrief["state"]["variables"]["defensiveness"]["biggest_drop"] is None
    assert debrief["state"]["variables"]["defensiveness"]["end"] == 2.5  # it did ease off


def test_in_the_studio_a_pause_shows_its_exercise_and_sending_a_line_carries_on(
    store: SessionStore, test_catalog: Catalog
) -> None:
    from ui import grounding as grounding_ui
    from ui.handlers import GROUNDING_NOTICE, Studio

    replies = ["Take your time.", "Sure, the plan."]
    studio = Studio(store, RecordingModel(*replies).model, test_catalog, assessor="rules")
    sid = studio.start("test-scene", "medium", None).session_id
    view = grounding_ui.pause(studio, sid, None)
    assert view.status == "grounding" and view.notice == GROUNDING_NOTICE
    assert "data-breathing" in grounding_ui.timer_html(view.grounding)
    reopened, _debrief = studio.resume(sid, None)  # a reload shows the same pause
    assert reopened.grounding == view.grounding
    *_, last = studio.send(sid, "Can we look at the plan?", None)
    assert last.status == "awaiting_user" and last.grounding is None
    assert last.chat[-1]["content"].endswith("Take your time.")
