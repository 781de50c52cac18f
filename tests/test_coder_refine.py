"""The model's optional second look at the offline codes, with LangChain's fake chat model:
valid corrections are taken, invalid ones ignored one by one, a failing model changes
nothing, and the debrief says which coder had the last word."""

from __future__ import annotations

import html
import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from simulator.coder import Coder, skill_summary
from simulator.coder.refine import REFINE_SYSTEM, model_coder_wanted, refine_codings
from simulator.context import Context
from simulator.debrief import build_debrief
from simulator.schema import Scenario
from simulator.state import State
from tests.conftest import BrokenChatModel, fake_model
from ui.skills import skills_markdown

LINES = [
    ("sam", "I suppose I drink a bit much."),
    ("you", "Do you want to talk about it?"),
    ("sam", "I'm not sure."),
    ("you", "You're not sure."),
]


@pytest.fixture(scope="module")
def offline() -> list:
    return Coder().code_conversation(LINES, numbers=[0, 1, 1, 2])


def _reply(*entries: dict) -> str:
    return "Here are my corrections:\n" + json.dumps({"lines": list(entries)})


def test_valid_corrections_are_taken(offline: list) -> None:
    assert offline[1].question_type == "closed" and offline[2].talk != "sustain"
    model = fake_model(
        _reply(
            {"line": 1, "behaviour": "question", "question_type": "open", "reflection_type": None},
            {"line": 2, "talk": "sustain"},
        )
    )
    refined, info = refine_codings(offline, model)
    assert refined[1].question_type == "open" and refined[1].behaviour == "question"
    assert refined[2].talk == "sustain"
    assert refined[0] == offline[0] and refined[3] == offline[3]
    assert info == {
        "source": "model",
        "changed_turns": [1],
        "note": "The model changed the offline coder's codes on 2 lines.",
    }
    summary = skill_summary(refined)
    assert summary["counts"]["open_question"]["turns"] == [1]
    assert summary["character"]["sustain"]["turns"] == [1]


def test_invalid_codes_are_ignored_one_by_one(offline: list) -> None:
    model = fake_model(
        _reply(
            {"line": 9, "talk": "change"},  # no such line
            {"line": 1, "behaviour": "lecture"},  # no such code
            {"line": 0, "behaviour": "question", "question_type": "open"},  # user codes, client
            {"line": 3, "behaviour": "reflection", "reflection_type": None},  # type missing
            {"line": "2", "talk": "change"},  # not a line number
            {"line": 3, "behaviour": "reflection", "reflection_type": "complex"},
        )
    )
    refined, info = refine_codings(offline, model)
    assert refined[:3] == offline[:3]
    assert refined[3].reflection_type == "complex"
    assert info["source"] == "model" and info["changed_turns"] == [2]
    assert "5 of its codes were not valid" in info["note"]


@pytest.mark.parametrize("reply", ["I think they are all fine.", '{"lines": "none"}', "{oops}"])
def test_an_answer_without_valid_json_changes_nothing(offline: list, reply: str) -> None:
    refined, info = refine_codings(offline, fake_model(reply))
    assert refined == offline
    assert info["source"] == "offline" and "offline coder's codes" in info["note"]


def test_a_failing_model_changes_nothing(offline: list) -> None:
    refined, info = refine_codings(offline, BrokenChatModel(messages=iter([])))
    assert refined == offline and info["source"] == "offline"
    assert "(ConnectionError)" in info["note"]


def test_the_prompt_shows_every_line_with_its_offline_codes(offline: list) -> None:
    model = fake_model('{"lines": []}')
    prompts: list = []
    invoke = model.invoke
    object.__setattr__(model, "invoke", lambda m, *a, **k: prompts.append(m) or invoke(m, *a, **k))
    _, info = refine_codings(offline, model)
    assert info["note"] == "The model agreed with the offline coder."
    [(system, user)] = prompts
    assert system[1] == REFINE_SYSTEM
    assert "[1] USER: Do you want to talk about it?" in user[1]
    assert "[2] OTHER: I'm not sure." in user[1]
    assert f"offline: talk={offline[2].talk}" in user[1]


def _state(scene: Scenario) -> State:
    messages = [AIMessage(content="You wanted to see me?", name="sam-test")]
    for line in ("Do you want to talk about it?", "You're not sure."):
        messages += [HumanMessage(content=line), AIMessage(content="Ok.", name="sam-test")]
    start = {"turn": 0, "values": {"trust": 4, "defensiveness": 5}, "deltas": {}, "moves": []}
    trajectory = [
        {**start, "goals": [], "source": "rules", "note": ""},
        {**start, "turn": 1, "goals": [], "source": "rules", "note": ""},
        {**start, "turn": 2, "goals": [], "source": "rules", "note": ""},
    ]
    return State(
        scenario_id=scene.id, messages=messages, turn=2, trajectory=trajectory, user_ended=True
    )


def test_the_debrief_uses_the_model_only_when_asked(
    scene: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    correction = _reply(
        {"line": 1, "behaviour": "question", "question_type": "open", "reflection_type": None}
    )
    monkeypatch.delenv("REHEARSE_CODER", raising=False)
    assert not model_coder_wanted()
    plain = build_debrief(_state(scene), Context(scenario=scene, model=fake_model("Try.")))
    assert "coder" not in plain["skills"]
    assert plain["skills"]["counts"]["closed_question"]["turns"] == [1]

    monkeypatch.setenv("REHEARSE_CODER", "model")
    # A model too small to judge is never asked, even so.
    rules = Context(scenario=scene, model=fake_model("Try.", correction), assessor="rules")
    assert "coder" not in build_debrief(_state(scene), rules)["skills"]

    capable = Context(scenario=scene, model=fake_model("Try.", correction))
    debrief = build_debrief(_state(scene), capable)
    assert debrief["try_instead"]["rewrite"] == "Try."
    skills = debrief["skills"]
    assert skills["coder"]["source"] == "model" and skills["coder"]["changed_turns"] == [1]
    assert skills["counts"]["open_question"]["turns"] == [1]
    assert skills["counts"]["closed_question"]["n"] == 0
    assert debrief["moves"]["open_question"] == 1 and debrief["moves"]["closed_question"] == 0
    panel = html.unescape(skills_markdown(debrief))
    assert "Checked by the model: The model changed the offline coder's codes on 1 line." in panel
