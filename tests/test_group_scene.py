"""Scenes with several characters, through the session API and the terminal (fake models)."""

from __future__ import annotations

import gc
import io
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from rehearse.terminal import play as play_in_terminal
from simulator import nodes
from simulator.catalog import Catalog
from simulator.character import ReplyCleaner
from simulator.errors import RehearseError
from simulator.report import debrief_text, export_json
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.state import State
from simulator.store import SessionStore
from tests.conftest import DATA, RecordingModel, fake_model

MUM, DAD, GRAN = "mum-test", "dad-test", "gran-test"
KIND = "Mum, what worries you most? It sounds like the money scares you."


@pytest.fixture
def dinner() -> Scenario:
    catalog = Catalog.load([("test", DATA / "group" / "scenarios", DATA / "group" / "personas")])
    return catalog.get("dinner-test")


Recording = RecordingModel


def lines(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["speaker"], e["text"]) for e in events if e["type"] == "line"]


def begin(store: SessionStore, scene: Scenario, model: Any) -> Rehearsal:
    rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
    list(rehearsal.start())
    return rehearsal


def test_only_present_characters_open_and_the_state_is_per_character(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = Rehearsal.begin(store, dinner, fake_model(), assessor="rules")
    opening = lines(list(rehearsal.start()))
    assert opening == [(MUM, "Sit down, it's getting cold."), (DAD, "So. You said you had news.")]
    assert rehearsal.present() == [MUM, DAD]
    state = rehearsal.state()
    assert state.stepped_back == [GRAN]
    assert state.values == {
        f"{who}.{name}": start
        for who in (MUM, DAD, GRAN)
        for name, start in (("trust", 4.0), ("tension", 5.0))
    }


def test_the_addressed_character_answers_and_only_its_state_moves(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = begin(store, dinner, fake_model("It's the cost, love."))
    said = lines(list(rehearsal.say(KIND)))
    assert said == [(MUM, "It's the cost, love.")]
    record = rehearsal.state().trajectory[-1]
    assert record["addressed"] == [MUM]
    assert record["values"]["mum-test.trust"] > 4 and record["values"]["mum-test.tension"] < 5
    assert record["values"]["dad-test.trust"] == 4 and record["values"]["dad-test.tension"] == 5


def test_a_line_to_nobody_moves_everyone_present_but_not_the_absent(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = begin(store, dinner, fake_model("Go on.", "Well?"))
    list(rehearsal.say("What do you both think? It sounds like you're worried."))
    values = rehearsal.state().values
    assert values["mum-test.trust"] > 4 and values["dad-test.trust"] > 4
    assert values["gran-test.trust"] == 4  # not in the room


def test_routing_by_activation(store: SessionStore, dinner: Scenario) -> None:
    rehearsal = begin(store, dinner, fake_model("Thirty years I gave that firm."))
    said = lines(list(rehearsal.say("I'm leaving my job at the firm.")))
    assert said == [(DAD, "Thirty years I gave that firm.")]
    assert rehearsal.state().director[-1]["source"] == "activation"


def test_characters_answer_each_other_up_to_the_cap(store: SessionStore, dinner: Scenario) -> None:
    replies = ("Dad, tell them it's too much.", "Mum, let them finish.", "unused")
    rehearsal = begin(store, dinner, fake_model(*replies))
    said = lines(list(rehearsal.say("Mum, I'm moving to Lisbon.")))
    # Mum is addressed; she names Dad, who answers; the cap (2) stops Mum answering back.
    assert said == [(MUM, replies[0]), (DAD, replies[1])]
    sources = [d["source"] for d in rehearsal.state().director if d["turn"] == 1]
    assert sources == ["address", "answer"]
    assert rehearsal.status == "awaiting_user"


def test_speaking_to_all_lets_everyone_present_answer(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = begin(store, dinner, fake_model("Oh!", "Hm.", "Pudding?"))
    list(rehearsal.invite("Gran"))
    said = lines(list(rehearsal.say("@all I'm moving to Lisbon.")))
    assert [who for who, _ in said] == [MUM, DAD, GRAN]  # three, past the cap of two


def test_step_back_and_invite(store: SessionStore, dinner: Scenario) -> None:
    rehearsal = begin(store, dinner, fake_model("Dad's thinking.", "I'm back.", "Fine."))
    events = list(rehearsal.step_back("Dad"))
    assert events == [
        {"type": "presence", "speaker": DAD, "name": "Dad", "present": False, "turn": 0}
    ]
    assert rehearsal.present() == [MUM] and rehearsal.status == "awaiting_user"
    assert rehearsal.state().turn == 0  # stepping back is not a turn
    # Addressed while stepped back, Dad stays silent; Mum answers instead.
    assert lines(list(rehearsal.say("@Dad what do you think?"))) == [(MUM, "Dad's thinking.")]
    assert rehearsal.state().values["dad-test.trust"] == 4
    with pytest.raises(RehearseError, match="already stepped back"):
        list(rehearsal.step_back("Dad"))
    with pytest.raises(RehearseError, match="only one here"):
        list(rehearsal.step_back("Mum"))
    list(rehearsal.invite("dad"))
    assert rehearsal.present() == [MUM, DAD]
    assert lines(list(rehearsal.say("@Dad welcome back."))) == [(DAD, "I'm back.")]
    with pytest.raises(RehearseError, match="already here"):
        list(rehearsal.invite("Dad"))
    with pytest.raises(RehearseError, match="Nobody called"):
        list(rehearsal.invite("Uncle Bob"))
    assert [p["event"] for p in rehearsal.state().presence] == ["step_back", "invite"]


def test_a_character_invited_for_the_first_time_says_its_opening_line(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = begin(store, dinner, fake_model())
    events = list(rehearsal.invite("Gran"))
    assert [e["type"] for e in events] == ["presence", "line"]
    assert lines(events) == [(GRAN, "Don't mind me, I'm only here for the pudding.")]
    assert [line.name for line in rehearsal.lines()] == ["Mum", "Dad", "Gran"]


def test_rewind_restores_who_is_present(store: SessionStore, dinner: Scenario) -> None:
    rehearsal = begin(store, dinner, fake_model("One.", "Two.", "Three."))
    list(rehearsal.say("Mum, hello."))
    list(rehearsal.step_back("Dad"))
    list(rehearsal.say("Mum, again."))
    rehearsal.rewind(2)
    assert rehearsal.present() == [MUM]  # the step back came before turn 2
    rehearsal.rewind(1)
    assert rehearsal.present() == [MUM, DAD]


def test_private_notes_never_reach_another_characters_prompt(
    store: SessionStore, dinner: Scenario
) -> None:
    recorder = Recording(*[f"Reply {i}." for i in range(12)])
    rehearsal = begin(store, dinner, recorder.model)
    warm = "{who}, I hear you. It sounds like you're worried, and that makes sense."
    for _ in range(3):  # at easy-ish pace both parents' trust passes 5 and then 6
        list(rehearsal.say(warm.format(who="Mum")))
        list(rehearsal.say(warm.format(who="Dad")))
    values = rehearsal.state().values
    assert values["mum-test.trust"] >= 6 and values["dad-test.trust"] >= 6
    speakers = [d["speaker"] for d in rehearsal.state().director]
    assert len(speakers) == len(recorder.prompts)
    seen = {MUM: False, DAD: False}
    for speaker, prompt in zip(speakers, recorder.prompts, strict=True):
        system = str(prompt[0].content)
        mine, theirs = ("MUM", "DAD") if speaker == MUM else ("DAD", "MUM")
        assert f"{theirs}-SECRET" not in system and f"{theirs}-REVEAL" not in system
        assert "MUM-REVEAL" not in system  # no such reveal: nothing leaks by accident
        # The other's fears are private too; only their name and who they are appear.
        other_fear = "throwing away a career" if speaker == MUM else "money running out"
        assert other_fear not in system
        seen[speaker] = seen[speaker] or f"{mine}-SECRET" in system
        # Nor do the other's words come back as this character's own lines.
        for message in prompt[1:]:
            if isinstance(message, AIMessage):
                assert (speaker, str(message.content)) in [
                    (line.speaker, line.text) for line in rehearsal.lines()
                ]
    assert seen == {MUM: True, DAD: True}  # each did get its own note once trusted
    dad_prompts = [p for s, p in zip(speakers, recorder.prompts, strict=True) if s == DAD]
    assert "DAD-REVEAL" in str(dad_prompts[-1][0].content)


def test_the_prompt_knows_the_others_and_the_rules_of_the_room(
    store: SessionStore, dinner: Scenario
) -> None:
    recorder = Recording("Well.")
    rehearsal = begin(store, dinner, recorder.model)
    list(rehearsal.say("Mum, hi."))
    system = recorder.system(0)
    assert "You are Mum" in system
    assert "- Dad: Your father, at the head of the table. To you: Married to him" in system
    assert "Never write lines for Dad or Gran" in system
    assert "trust: moderate; tension: moderate" in system
    # Other characters' lines are tagged with their names; the user's with "You".
    conversation = [str(m.content) for m in recorder.prompts[0][1:]]
    assert conversation == [
        "Sit down, it's getting cold.",
        "Dad: So. You said you had news.",
        "You: Mum, hi.",
    ]


def test_each_line_is_seen_once_per_character_and_forgotten_with_it(dinner: Scenario) -> None:
    said = [AIMessage("So. You said you had news.", name=DAD), HumanMessage("Mum, hi.")]
    state = State(scenario_id=dinner.id, messages=said)
    mum, dad = dinner.persona(MUM), dinner.persona(DAD)
    for_mum = nodes._conversation(state, dinner, mum)
    assert [(type(m), m.content) for m in for_mum] == [
        (HumanMessage, "Dad: So. You said you had news."),
        (HumanMessage, "You: Mum, hi."),
    ]
    # Dad's own line is his, untagged; the view of a line is built once per character.
    for_dad = nodes._conversation(state, dinner, dad)
    assert [(type(m), m.content) for m in for_dad] == [
        (AIMessage, "So. You said you had news."),
        (HumanMessage, "You: Mum, hi."),
    ]
    again = nodes._conversation(state, dinner, mum)
    assert all(a is b for a, b in zip(for_mum, again, strict=True))
    assert for_dad[1] is for_mum[1]  # both see the user's line the same way
    ids = {id(m) for m in said}
    assert sum(key[0] in ids for key in nodes._views) == 3
    # Once the lines themselves are gone, so are their views (a deleted session's words
    # do not stay in memory).
    del said, state, for_mum, for_dad, again
    gc.collect()
    assert not any(key[0] in ids for key in nodes._views)


def test_the_cleaner_stops_at_any_other_cast_members_tag() -> None:
    cleaner = ReplyCleaner("Mum", ("User", "You", "Me", "Dad", "Gran"))
    text = cleaner.feed("Mum: Eat up.\nDad: Leave them be.") + cleaner.finish()
    assert text == "Eat up."
    cleaner = ReplyCleaner("The Critic", ("User", "You", "Me", "The Kid", "Kid"))
    assert cleaner.feed("Not good enough.\nKid: stop") + cleaner.finish() == "Not good enough."
    # A reply that opens with another character's tag is that character's line, not ours.
    cleaner = ReplyCleaner("Dad", cast=("Mum",))
    assert cleaner.feed("Mu") == "" and cleaner.feed("m: I'm so glad.") + cleaner.finish() == ""
    cleaner = ReplyCleaner("Dad", cast=("Mum",))
    assert cleaner.feed("Must ") + cleaner.feed("we?") + cleaner.finish() == "Must we?"


def test_a_reply_written_for_another_character_is_cut(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = begin(store, dinner, fake_model("Mum: We'll manage.\nDad: No we won't.\nYou: ok"))
    assert lines(list(rehearsal.say("Mum, can we afford it?"))) == [(MUM, "We'll manage.")]
    # Dad's reply is written as Mum's line: none of it is his.
    rehearsal = begin(store, dinner, fake_model("Mum: Tom, say something.", "unused"))
    assert lines(list(rehearsal.say("Dad, what do you think?"))) == [(DAD, "...")]


def test_the_debrief_per_character(store: SessionStore, dinner: Scenario) -> None:
    rehearsal = begin(store, dinner, fake_model("Money doesn't grow on trees.", "Hm.", "Fine."))
    list(rehearsal.say(KIND))
    list(rehearsal.say("Dad, whatever. Calm down."))
    list(rehearsal.end())
    debrief = rehearsal.debrief()
    characters = {c["id"]: c for c in debrief["characters"]}
    assert list(characters) == [MUM, DAD]  # Gran was never invited
    mum, dad = characters[MUM], characters[DAD]
    assert mum["felt_heard"] is True and mum["heard_turns"] == [1]
    assert dad["felt_heard"] is False
    assert mum["state"]["trust"]["start"] == 4 and mum["state"]["trust"]["end"] > 4
    assert mum["protects"] == "To keep the family secure." and mum["needs"]
    assert mum["quotes"] == [{"turn": 1, "quote": "Money doesn't grow on trees."}]
    assert mum["looks_like"] == "A woman in a blue cardigan holding a serving spoon."
    assert dad["looks_like"] is None  # a real person gets a picture only if written
    assert debrief["journal"]["source"] == "template"
    assert "Mum softened" in debrief["journal"]["text"]
    assert "parts_work" not in debrief  # a group scene, not inner parts
    text = debrief_text(debrief)
    assert "The characters" in text and "Mum: 1 line(s); felt heard: yes" in text
    assert "Journal entry" in text
    data = json.loads(export_json({"id": rehearsal.session_id}, rehearsal.lines(), debrief))
    assert data["debrief"]["characters"][0]["name"] == "Mum"


def test_single_character_debriefs_are_unchanged(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("Ok.", "rewrite"))
    list(rehearsal.start())
    list(rehearsal.say("Hi."))
    list(rehearsal.end())
    debrief = rehearsal.debrief()
    assert not {"characters", "journal", "parts_work"} & set(debrief)
    with pytest.raises(RehearseError, match="one character"):
        list(rehearsal.step_back("Sam"))


def test_the_terminal_shows_names_and_takes_the_commands(
    store: SessionStore, dinner: Scenario
) -> None:
    rehearsal = Rehearsal.begin(
        store, dinner, fake_model("Lisbon?", "Hm.", "rewrite"), assessor="rules"
    )
    script = "/step-back Dad\n@Dad are you listening?\n/invite Gran\n/invite\n/end\n"
    out = io.StringIO()
    assert play_in_terminal(rehearsal, new=True, stdin=io.StringIO(script), stdout=out) == 0
    text = out.getvalue()
    assert "@Name to speak to one" in text and "/step-back Name" in text
    assert "Gran: Your grandmother, visiting. (not here yet" in text
    assert "Mum: Sit down, it's getting cold." in text
    assert "[Dad steps back.]" in text
    assert "[Dad has stepped back and stays silent; /invite Dad first.]" in text
    assert "Mum: Lisbon?" in text
    assert "[Gran joins the conversation.]" in text
    assert "Gran: Don't mind me, I'm only here for the pudding." in text
    assert "[Say who, e.g. /invite Mum.]" in text
    assert "The characters" in text


# --- the file format: qualified names, relationships, presence ---------------------------

GROUP_FILE = """\
id: g
title: G
category: difficult-conversation
summary: S.
user_role: U.
setting: A room.
cast:
  - persona: mum-test
    opening_line: Hi.
    relationships:
      dad-tset: Married.
  - persona: dad-test
    opening_line: Hello.
    state:
      trust: {start: 2}
      patience: {start: 5}
goals:
  - id: a
    description: A.
    success: A.
    met_when: trust >= 6
state:
  trust: {start: 4}
reveals:
  - id: r
    character: dad-test
    fact: F.
    when: patience >= 7
end:
  when: mum-test.trust >= 9 and dad-test.patience >= 9
"""


def test_group_files_need_qualified_names_and_real_relationships(dinner: Scenario) -> None:
    from simulator.catalog import Catalog
    from simulator.errors import ScenarioFileError
    from simulator.loader import scenario_from_text

    personas = Catalog.load(
        [("test", DATA / "group" / "scenarios", DATA / "group" / "personas")]
    ).personas
    with pytest.raises(ScenarioFileError) as caught:
        scenario_from_text(GROUP_FILE, "g.yaml", personas)
    problems = {(p.line, p.field): p.message for p in caught.value.problems}
    assert set(problems) == {(21, "goals[0].met_when"), (11, "cast[0].relationships.dad-tset")}
    assert "e.g. 'mum-test.trust'" in problems[(21, "goals[0].met_when")]
    assert (
        "'dad-tset' is not another member of the cast"
        in problems[(11, "cast[0].relationships.dad-tset")]
    )
    fixed = GROUP_FILE.replace("dad-tset", "dad-test").replace(
        "met_when: trust", "met_when: mum-test.trust"
    )
    scene = scenario_from_text(fixed, "g.yaml", personas)
    # Dad has his own state; Mum gets her copy of the scenario's.
    assert scene.start_state() == {
        "mum-test.trust": 4,
        "dad-test.trust": 2,
        "dad-test.patience": 5,
    }
    # The reveal's plain name is Dad's own variable.
    assert scene.view({"mum-test.trust": 1, "dad-test.patience": 8}, DAD)["patience"] == 8
    nobody = fixed.replace("opening_line: Hi.", "opening_line: Hi.\n    present: false").replace(
        "opening_line: Hello.", "opening_line: Hello.\n    present: false"
    )
    with pytest.raises(ScenarioFileError, match="at least one cast member must be present"):
        scenario_from_text(nobody, "g.yaml", personas)


@pytest.mark.parametrize("text", ["mum-test.trust >= 6", "a.b >= 1 and c < 2", "trust > 1"])
def test_the_condition_grammar_reads_qualified_names(text: str) -> None:
    from simulator.conditions import parse_condition

    assert parse_condition(text).holds({"mum-test.trust": 7, "a.b": 2, "c": 1, "trust": 2})


@pytest.mark.parametrize("text", ["a.b.c >= 1", ".trust >= 1", "Mum.trust >= 1"])
def test_the_condition_grammar_refuses_other_dotted_names(text: str) -> None:
    from simulator.conditions import ConditionSyntaxError, parse_condition

    with pytest.raises(ConditionSyntaxError):
        parse_condition(text)


# --- inner parts: the Self stance moves the parts, and the debrief counts it ---------------

CRITIC, LITTLE = "presentation-critic", "frightened-younger-part"


@pytest.fixture
def parts() -> Scenario:
    from simulator.paths import bundled_dir

    catalog = Catalog.load([("bundled", bundled_dir("scenarios"), bundled_dir("personas"))])
    return catalog.get("critic-and-younger-part")


def test_curiosity_softens_a_part_and_arguing_hardens_it(
    store: SessionStore, parts: Scenario
) -> None:
    rehearsal = begin(store, parts, fake_model(*["Hm."] * 6))
    list(rehearsal.say("@Critic what are you afraid would happen tomorrow?"))
    values = rehearsal.state().values
    assert values[f"{CRITIC}.trust"] > 3 and values[f"{CRITIC}.intensity"] < 7
    assert values[f"{LITTLE}.trust"] == 3  # not spoken to
    list(rehearsal.say("@Little One that's not true, stop being silly. You have to be brave."))
    values = rehearsal.state().values
    assert values[f"{LITTLE}.trust"] < 3 and values[f"{LITTLE}.intensity"] > 7


def test_the_parts_debrief(store: SessionStore, parts: Scenario) -> None:
    recorder = Recording(*["I just don't want you laughed at."] * 6)
    rehearsal = begin(store, parts, recorder.model)
    list(rehearsal.say("@Critic it sounds like you're scared of them laughing at me."))
    list(rehearsal.say("Critic, go away. You're wrong."))
    list(rehearsal.say("@Little One I'm here with you. It makes sense that you were scared."))
    list(rehearsal.end())
    system = recorder.system(0)
    assert "parts work (practice, not therapy)" in system and '("Self")' in system
    assert "a slow breath, feet on the floor" in system  # grounding, offered by the part
    debrief = rehearsal.debrief()
    work = debrief["parts_work"]
    assert (work["self_turns"], work["arguing_turns"]) == (2, 1)
    assert work["arguing_examples"] == [{"turn": 2, "quote": "Critic, go away. You're wrong."}]
    characters = {c["id"]: c for c in debrief["characters"]}
    assert characters[LITTLE]["felt_heard"] and characters[LITTLE]["heard_turns"] == [3]
    assert "red pen" in characters[CRITIC]["looks_like"]
    assert characters[CRITIC]["protects"].startswith("To protect you from humiliation")
    text = debrief_text(debrief)
    for heading in ("The characters", "How you met the parts", "Journal entry", "Draw them"):
        assert heading in text
    assert "Today I sat with The Critic and The Little One" in debrief["journal"]["text"]


def test_bundled_group_scenes() -> None:
    from simulator.paths import bundled_dir

    catalog = Catalog.load([("bundled", bundled_dir("scenarios"), bundled_dir("personas"))])
    groups = [s for s in catalog.scenarios if s.is_group]
    inner = [s for s in groups if s.category == "inner-parts"]
    assert len(inner) >= 3 and len(groups) - len(inner) >= 2
    for scene in inner:
        assert "not therapy" in (scene.learning.before or ""), scene.id
        assert "breath" in (scene.learning.before or ""), scene.id  # grounding is offered
        for member in scene.cast:
            persona = scene.persona(member.persona_id)
            assert persona.positive_intent and persona.needs and persona.looks_like
            assert member.relationships, (scene.id, member.persona_id)
