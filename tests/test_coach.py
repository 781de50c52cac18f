"""The coach: hints on request, tips after a setback; it never touches the scene."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from rehearse.terminal import play
from simulator.catalog import Catalog, Entry
from simulator.coach import setback
from simulator.schema import CoachSettings, Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, RecordingModel, fake_model
from ui.handlers import Studio

ROOT = Path(__file__).resolve().parents[1]

KIND = "What is going on for you?"  # an open question: trust up, defensiveness down
BLAME = "You always miss deadlines."  # blame: the wrong way
FLAT = "Okay."  # no clear move: the state does not move
REPLIES = ("The spec changed twice.", "That's not fair.", "Fine.", "Sure.", "rewrite")


def coached(scene: Scenario, **settings: Any) -> Scenario:
    coach = CoachSettings(tips_after_wrong_turn=True, **settings)
    return scene.model_copy(update={"coach": coach})


def record(turn: int, values: dict[str, float], deltas: dict[str, float]) -> dict[str, Any]:
    return {"turn": turn, "values": values, "deltas": deltas, "moves": [], "goals": []}


def test_a_setback_is_measured_against_each_variables_desired_direction(scene: Scenario) -> None:
    start = record(0, {"trust": 4, "defensiveness": 5}, {})
    worse = record(1, {"trust": 3, "defensiveness": 6.5}, {"trust": -1, "defensiveness": 1.5})
    found = setback(scene, [start, worse])
    assert found is not None and found.turn == 1
    assert found.loss == 2.5 and found.variable == "defensiveness" and found.change == 1.5
    better = record(1, {"trust": 5, "defensiveness": 4}, {"trust": 1, "defensiveness": -1})
    assert setback(scene, [start, better]) is None
    small = record(1, {"trust": 3.8, "defensiveness": 5}, {"trust": -0.2})
    assert setback(scene, [start, small]) is None  # below the default threshold of 0.5
    assert setback(coached(scene, setback=0.1), [start, small]) is not None


def test_moving_away_from_an_open_goal_is_a_setback(scene: Scenario) -> None:
    # The goal "rapport" is met when trust >= 6. Trust falling while defensiveness falls
    # as much nets zero over the variables, but it is a step away from that goal.
    start = record(0, {"trust": 4, "defensiveness": 5}, {})
    away = record(1, {"trust": 3, "defensiveness": 4}, {"trust": -1, "defensiveness": -1})
    found = setback(scene, [start, away])
    assert found is not None and found.goal == "Build trust."
    # Once a goal was reached, drifting back is not counted against it.
    reached = record(1, {"trust": 7, "defensiveness": 5}, {"trust": 3})
    after = record(2, {"trust": 6.5, "defensiveness": 4.5}, {"trust": -0.5, "defensiveness": -0.5})
    assert setback(scene, [start, reached, after]) is None


def _run(rehearsal: Rehearsal, *lines: str) -> list[list[dict[str, Any]]]:
    """Events per call: the opening, then one list per line."""
    out = [list(rehearsal.start())]
    out += [list(rehearsal.say(line)) for line in lines]
    return out


def tips(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "coach"]


def test_a_tip_comes_only_when_enabled_and_only_after_a_wrong_turn(
    store: SessionStore, scene: Scenario
) -> None:
    on = Rehearsal.begin(store, coached(scene), fake_model(*REPLIES), assessor="rules")
    opening, kind, blame, flat = _run(on, KIND, BLAME, FLAT)
    assert tips(opening) == tips(kind) == tips(flat) == []
    (tip,) = tips(blame)
    assert tip["turn"] == 2 and blame[-1] is tip  # after the character's reply
    assert "went" in tip["text"]
    assert "describe one specific moment" in tip["text"]  # the blame, named by its fix
    # The same lines with tips off (the default): not one tip.
    off = Rehearsal.begin(store, scene, fake_model(*REPLIES), assessor="rules")
    assert all(tips(events) == [] for events in _run(off, KIND, BLAME, FLAT))


def test_in_parts_work_the_tip_names_the_part_and_the_arguing(store: SessionStore) -> None:
    scene = Catalog.load([("bundled", ROOT / "scenarios", ROOT / "personas")]).get(
        "critic-and-younger-part"
    )
    rehearsal = Rehearsal.begin(store, coached(scene), fake_model(*["Fine."] * 6), assessor="rules")
    _opening, arguing, curious = _run(
        rehearsal, "@Critic you're wrong, go away.", "@Critic what are you afraid would happen?"
    )
    (tip,) = tips(arguing)
    assert tip["text"].startswith("The Critic's trust went down")
    assert "Parts soften when they feel heard" in tip["text"]
    assert tips(curious) == []


def _plain(messages: list[Any]) -> list[tuple[str, str]]:
    return [(type(m).__name__, str(m.content)) for m in messages]


def test_hints_and_tips_change_neither_the_state_nor_the_characters_prompt(
    store: SessionStore, scene: Scenario
) -> None:
    """Two sessions, the same lines: one with tips on and a hint before every line."""
    quiet, coached_model = RecordingModel(*REPLIES), RecordingModel(*REPLIES)
    plain = Rehearsal.begin(store, scene, quiet.model, assessor="rules")
    coaching = Rehearsal.begin(store, coached(scene), coached_model.model, assessor="rules")
    list(plain.start())
    list(coaching.start())
    said = []
    for line in (KIND, BLAME, FLAT):
        before = coaching.state()
        hint = coaching.hint()
        assert hint and coaching.state() == before  # a hint is not saved anywhere
        said += list(coaching.say(line))
        list(plain.say(line))
    (tip,) = tips(said)
    a, b = plain.state(), coaching.state()
    assert a is not None and b is not None
    assert a.trajectory == b.trajectory and a.turn == b.turn
    assert _plain(a.messages) == _plain(b.messages)
    assert all(tip["text"] not in str(m.content) for m in b.messages)
    # The character was given exactly the same prompts, call for call.
    assert len(coached_model.prompts) == len(quiet.prompts) == 3
    assert [_plain(p) for p in coached_model.prompts] == [_plain(p) for p in quiet.prompts]
    assert all(tip["text"] not in text for p in coached_model.prompts for _k, text in _plain(p))


class TipWriter(GenericFakeChatModel):
    """A fake model that streams scripted replies and answers ``invoke`` with a tip."""

    asked: list[Any]
    answer: str | None = "Ask what made the deadline slip before naming a pattern."

    def invoke(self, messages: Any, *args: Any, **kwargs: Any) -> AIMessage:
        self.asked.append(messages)
        if self.answer is None:
            raise ConnectionError("endpoint down")
        return AIMessage(content=self.answer)


def test_the_model_writes_the_tip_and_the_rules_stand_in_when_it_fails(
    store: SessionStore, scene: Scenario
) -> None:
    writer = TipWriter(messages=iter([AIMessage(content=r) for r in REPLIES]), asked=[])
    rehearsal = Rehearsal.begin(store, coached(scene), writer, assessor="model")
    *_, blame = _run(rehearsal, KIND, BLAME)
    assert [t["text"] for t in tips(blame)] == [writer.answer]
    system, human = writer.asked[-1]
    assert "moved the other side away" in system[1] and BLAME in human[1]

    failing = TipWriter(
        messages=iter([AIMessage(content=r) for r in REPLIES]), asked=[], answer=None
    )
    rehearsal = Rehearsal.begin(store, coached(scene), failing, assessor="model")
    *_, blame = _run(rehearsal, KIND, BLAME)
    (tip,) = tips(blame)
    assert failing.asked and "describe one specific moment" in tip["text"]


def test_the_terminal_marks_the_tip_as_the_coach(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, coached(scene), fake_model(*REPLIES), assessor="rules")
    out = io.StringIO()
    script = f"{KIND}\n{BLAME}\n/quit\n"
    assert play(rehearsal, new=True, stdin=io.StringIO(script), stdout=out) == 0
    text = out.getvalue()
    assert text.count("[Coach: ") == 1
    tip_at = text.index("[Coach: ")
    assert text.index("That's not fair.") < tip_at  # after the reply, on a line of its own
    assert "Sam: [Coach" not in text


@pytest.fixture
def coached_catalog(test_catalog: Catalog, scene: Scenario) -> Catalog:
    entry = Entry(DATA / "scenarios" / "test-scene.yaml", "test", coached(scene))
    return Catalog(personas=dict(test_catalog.personas), entries=[entry])


def test_the_studio_shows_the_tip_in_its_own_box(
    store: SessionStore, coached_catalog: Catalog
) -> None:
    studio = Studio(store, fake_model(*REPLIES), coached_catalog, assessor="rules")
    view = studio.start("test-scene", "medium", None)
    *_, after_kind = studio.send(view.session_id, KIND, None)
    assert after_kind.coach == ""
    *_, after_blame = studio.send(view.session_id, BLAME, None)
    assert after_blame.coach.startswith("**Coach** ")
    assert "describe one specific moment" in after_blame.coach
    # Not in the conversation: the chat holds the lines of the scene only.
    assert all("describe one specific" not in m["content"] for m in after_blame.chat)
    assert len(after_blame.chat) == 5  # the opening, then two lines and two replies
    # The next turn that goes well clears the box.
    *_, after_flat = studio.send(view.session_id, KIND, None)
    assert after_flat.coach == ""
