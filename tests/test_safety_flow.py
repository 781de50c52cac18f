"""The crisis pause in a session: Rehearse steps out of the role-play, even with the model down."""

from __future__ import annotations

from simulator.report import debrief_text
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import BrokenChatModel, RecordingModel, fake_model

RISK = "Honestly everyone would be better off without me."


def test_risk_pauses_the_scene_with_the_endpoint_down(
    store: SessionStore, scene: Scenario, broken_model: BrokenChatModel
) -> None:
    rehearsal = Rehearsal.begin(store, scene, broken_model)
    list(rehearsal.start())
    events = list(rehearsal.say(RISK))  # no ModelUnavailable: the model is never asked
    [event] = events
    assert event["type"] == "safety" and event["turn"] == 1
    assert "stepping out of the role-play" in event["text"]
    assert "988" in event["text"] and "Are you safe right now?" in event["text"]
    assert any("988" in r["contact"] for r in event["resources"])
    assert rehearsal.status == "paused"
    # The line is kept in the transcript, not dropped.
    assert [line.text for line in rehearsal.lines()] == ["You wanted to see me?", RISK]
    state = rehearsal.state()
    assert state.safety[0]["event"] == "flagged" and state.safety[0]["category"] == "indirect"


def test_the_scene_continues_only_when_the_user_says_they_are_safe(
    store: SessionStore, scene: Scenario
) -> None:
    recorder = RecordingModel("Okay. So, the deadline.", "rewrite")
    prompts = recorder.prompts
    rehearsal = Rehearsal.begin(store, scene, recorder.model)
    list(rehearsal.start())
    list(rehearsal.say(RISK))
    again = list(rehearsal.say("I don't know. Not really okay."))
    assert rehearsal.status == "paused" and again[0]["type"] == "safety"
    assert (
        list(rehearsal.say("Yes, I'm safe. It was a bad day. I'd like to keep practising.")) == []
    )
    assert rehearsal.status == "awaiting_user"
    assert prompts == []  # the character said nothing during the pause
    list(rehearsal.say("Can we talk about the deadline?"))
    [prompt] = prompts
    # The flagged line and the pause are not part of the character's conversation.
    assert all(RISK not in str(m.content) for m in prompt)
    assert rehearsal.lines()[-1].text == "Okay. So, the deadline."
    list(rehearsal.end())
    debrief = rehearsal.debrief()
    assert [e["event"] for e in debrief["safety"]] == ["flagged", "still_paused", "resumed"]
    text = debrief_text(debrief)
    assert "Safety" in text and "support resources were shown" in text
    # The flagged turn is not assessed as practice.
    assert [r["turn"] for r in rehearsal.state().trajectory] == [0, 2]


def test_ending_during_the_pause_writes_the_debrief(
    store: SessionStore, scene: Scenario, broken_model: BrokenChatModel
) -> None:
    rehearsal = Rehearsal.begin(store, scene, broken_model)
    list(rehearsal.start())
    list(rehearsal.say("I cut myself again last night."))
    list(rehearsal.end())
    assert rehearsal.status == "finished"
    debrief = rehearsal.debrief()
    assert [e["event"] for e in debrief["safety"]] == ["flagged", "ended"]
    assert debrief["safety"][0]["category"] == "self_harm"
    assert debrief["try_instead"]["rewrite"] is None  # the model is down; the rest stands


def test_the_ui_button_confirms_safety(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("Right."))
    list(rehearsal.start())
    list(rehearsal.say(RISK))
    list(rehearsal.confirm_safe())
    assert rehearsal.status == "awaiting_user"


def test_a_trainee_screening_question_does_not_pause(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("No, nothing like that."))
    list(rehearsal.start())
    events = list(rehearsal.say("Have you had any thoughts of ending your life?"))
    assert rehearsal.status == "awaiting_user"
    assert [e["type"] for e in events][-1] == "line"
    assert rehearsal.state().safety == []
