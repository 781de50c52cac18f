"""The debrief's deterministic parts, on hand-made trajectories."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from simulator.context import Context
from simulator.debrief import build_debrief, goal_verdicts, state_movement
from simulator.schema import Scenario
from simulator.state import State
from tests.conftest import fake_model


def record(turn: int, trust: float, defensiveness: float, deltas: dict, moves=(), goals=()):
    return {
        "turn": turn,
        "values": {"trust": trust, "defensiveness": defensiveness},
        "deltas": deltas,
        "moves": list(moves),
        "goals": list(goals),
        "source": "rules",
        "note": "",
    }


START = record(0, 4, 5, {})
SAID = {1: "Hello.", 2: "What is going on?", 3: "You always do this."}
TRAJECTORY = [
    START,
    record(1, 4, 5, {}),
    record(2, 6, 3, {"trust": 2, "defensiveness": -2}, ["open_question"], ["ask"]),
    record(3, 4.5, 4.5, {"trust": -1.5, "defensiveness": 1.5}, ["blame"]),
]


def test_goal_verdicts_with_evidence(scene: Scenario) -> None:
    goals = {g["id"]: g for g in goal_verdicts(scene, TRAJECTORY, SAID)}
    assert goals["ask"]["verdict"] == "met"
    assert goals["ask"]["evidence"] == [{"turn": 2, "quote": "What is going on?"}]
    # rapport: trust >= 6 held at turn 2, which is cited even though it fell later.
    assert goals["rapport"]["verdict"] == "met"
    assert goals["rapport"]["condition_reached_at"] == 2


def test_goal_not_yet_and_partly(scene: Scenario) -> None:
    flat = [START, record(1, 4, 5, {})]
    assert {g["id"]: g["verdict"] for g in goal_verdicts(scene, flat, {1: "Hello."})} == {
        "ask": "not_yet",
        "rapport": "not_yet",
    }
    closer = [START, record(1, 5, 4, {"trust": 1, "defensiveness": -1})]
    verdicts = {g["id"]: g["verdict"] for g in goal_verdicts(scene, closer, {1: "Hm."})}
    assert verdicts["rapport"] == "partly"


def test_state_movement_names_the_turns_that_moved_it(scene: Scenario) -> None:
    moved = state_movement(scene, TRAJECTORY, SAID)
    trust = moved["variables"]["trust"]
    assert (trust["start"], trust["end"]) == (4, 4.5)
    assert trust["biggest_rise"] == {"change": 2, "turn": 2, "quote": "What is going on?"}
    assert trust["biggest_drop"] == {"change": -1.5, "turn": 3, "quote": "You always do this."}
    assert moved["best_turn"]["turn"] == 2 and moved["worst_turn"]["turn"] == 3
    assert [t["turn"] for t in moved["turns"]] == [0, 1, 2, 3]


def test_try_instead_targets_the_weakest_turn_and_next_practice(scene: Scenario) -> None:
    messages = [AIMessage(content="You wanted to see me?", name="sam-test")]
    for turn in (1, 2, 3):
        messages += [HumanMessage(content=SAID[turn]), AIMessage(content="Ok.", name="sam-test")]
    state = State(
        scenario_id=scene.id, messages=messages, turn=3, trajectory=TRAJECTORY, user_ended=True
    )
    context = Context(
        scenario=scene, model=fake_model('You: "I hear this has been hard. What happened?"')
    )
    debrief = build_debrief(state, context)
    tip = debrief["try_instead"]
    assert (tip["turn"], tip["original"]) == (3, "You always do this.")
    assert tip["rewrite"] == "I hear this has been hard. What happened?"
    assert debrief["moves"]["blame"] == 1 and debrief["moves"]["open_question"] == 1
    assert debrief["ended_by"] == "user"
    # Every goal met at medium: the suggestion is to go harder.
    assert "hard difficulty" in debrief["next_practice"]


def test_the_skill_coder_counts_link_to_turns(scene: Scenario) -> None:
    from simulator.report import debrief_text

    messages = [AIMessage(content="You wanted to see me?", name="sam-test")]
    for turn in (1, 2, 3):
        messages += [HumanMessage(content=SAID[turn]), AIMessage(content="Ok.", name="sam-test")]
    state = State(
        scenario_id=scene.id, messages=messages, turn=3, trajectory=TRAJECTORY, user_ended=True
    )
    debrief = build_debrief(state, Context(scenario=scene, model=fake_model("Try this.")))
    skills = debrief["skills"]
    assert skills["counts"]["open_question"] == {
        "label": "asked an open question",
        "n": 1,
        "turns": [2],
    }
    assert debrief["moves"]["open_question"] == 1  # the coder's count, the same turn
    assert set(skills["scores"]) == {
        "reflection_to_question",
        "percent_open_questions",
        "percent_complex_reflections",
    }
    assert skills["scores"]["percent_open_questions"]["value"] == 100.0
    assert "Skills" in debrief_text(debrief)
