"""Reframing a thought: traps named (model or rules), questions, the reframe checked, saved."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.loader import load_persona, load_scenario
from simulator.reframing import (
    ReframeJournal,
    check_reframe,
    converse,
    crisis_check,
    name_traps,
    pick_session_line,
    questions,
    session_lines,
)
from simulator.session import Rehearsal
from simulator.store import SessionStore
from simulator.thinking_traps import DESCRIPTIONS
from tests.conftest import BrokenChatModel, RecordingModel, fake_model

ROOT = Path(__file__).resolve().parents[1]
THOUGHT = "Everyone will think I'm boring; this always happens to me."


# --- naming the traps -----------------------------------------------------------------


def test_without_a_model_the_rules_name_and_explain_the_traps() -> None:
    reading = name_traps(THOUGHT)
    assert reading.traps == ["overgeneralising", "fortune telling", "mind reading"]
    assert reading.explained_by == "rules"
    assert reading.explanations["mind reading"].startswith(DESCRIPTIONS["mind reading"])


def test_a_capable_model_writes_the_explanations() -> None:
    answer = json.dumps(
        {
            "Mind reading": "You can't know what everyone will think of you.",
            "fortune telling": "'Everyone will think' predicts the future as fact.",
            "labelling": "Not in the thought: ignored.",
        }
    )
    model = fake_model(answer)
    reading = name_traps(THOUGHT, model)
    # The traps come from the detector whatever the model says; it only explains them.
    assert reading.traps == ["overgeneralising", "fortune telling", "mind reading"]
    assert reading.explained_by == "model"
    assert reading.explanations["mind reading"] == "You can't know what everyone will think of you."
    assert reading.explanations["fortune telling"].startswith("'Everyone will think'")
    # A trap the model left out keeps the rules' explanation.
    assert reading.explanations["overgeneralising"].startswith(DESCRIPTIONS["overgeneralising"])
    assert "labelling" not in reading.explanations


def test_the_model_is_told_the_traps_and_given_the_thought() -> None:
    recorder = RecordingModel('{"mind reading": "x"}')
    seen: list[list] = []
    original = recorder.model.invoke

    def invoke(messages, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(list(messages))
        return original(messages, *args, **kwargs)

    object.__setattr__(recorder.model, "invoke", invoke)
    name_traps("My boss hates me.", recorder.model)
    system, human = seen[0]
    assert "mind reading" in str(system.content) and "JSON" in str(system.content)
    assert isinstance(human, HumanMessage) and human.content == "My boss hates me."


def test_a_failing_model_falls_back_to_the_rules(broken_model: BrokenChatModel) -> None:
    reading = name_traps(THOUGHT, broken_model)
    assert reading.explained_by == "rules"
    assert reading.traps == name_traps(THOUGHT).traps
    assert reading.explanations == name_traps(THOUGHT).explanations
    assert "endpoint down" in reading.fallback_reason


@pytest.mark.parametrize("answer", ["I think these are traps.", '["mind reading"]', "{not json}"])
def test_an_unusable_answer_falls_back_to_the_rules(answer: str) -> None:
    reading = name_traps("My boss hates me.", fake_model(answer))
    assert reading.explained_by == "rules"
    assert reading.explanations == name_traps("My boss hates me.").explanations
    assert reading.fallback_reason


def test_a_balanced_thought_does_not_call_the_model(broken_model: BrokenChatModel) -> None:
    reading = name_traps("I made a mistake and I can fix it tomorrow.", broken_model)
    assert reading.traps == [] and reading.fallback_reason == ""


def test_questions_cover_evidence_perspective_and_each_trap() -> None:
    ids = [q.id for q in questions(["mind reading", "catastrophising"])]
    assert ids[:4] == ["evidence_for", "evidence_against", "friend", "other_view"]
    assert ids[4:] == ["trap:mind reading", "trap:catastrophising"]


# --- checking the reframe -------------------------------------------------------------


def test_a_balanced_reframe_passes() -> None:
    check = check_reframe(
        THOUGHT,
        "I don't know what they'll think. Some people enjoyed talking to me last time, "
        "and I can ask Sam to come with me.",
    )
    assert check.balanced, check.notes
    assert check.traps == [] and check.too_positive == []


@pytest.mark.parametrize(
    ("reframe", "words"),
    [
        ("Everything will be perfect and everyone will love me.", "everything will be perfect"),
        ("Nothing will go wrong tomorrow.", "nothing will go wrong"),
        ("I'll definitely get the job.", "definitely get"),
        ("I'm the best speaker in the company.", "i'm the best"),
    ],
)
def test_a_falsely_positive_reframe_is_flagged(reframe: str, words: str) -> None:
    check = check_reframe(THOUGHT, reframe)
    assert not check.balanced
    assert any(words in found for found in check.too_positive), check.too_positive
    assert any("promise more than you can know" in note for note in check.notes)


def test_a_reframe_that_keeps_a_trap_is_named() -> None:
    check = check_reframe(THOUGHT, "Maybe it goes fine, but I'm such a loser anyway.")
    assert not check.balanced
    assert check.traps == ["labelling"]
    assert any("labelling" in note for note in check.notes)


def test_not_having_to_be_perfect_is_balanced_not_a_promise() -> None:
    assert check_reframe(THOUGHT, "It doesn't have to be perfect to be worth doing.").balanced


def test_an_empty_or_copied_reframe_is_not_accepted() -> None:
    assert not check_reframe(THOUGHT, "  ").balanced
    assert not check_reframe(THOUGHT, THOUGHT.upper()).balanced


def test_a_thought_showing_real_risk_gets_crisis_resources_not_a_worksheet() -> None:
    message = crisis_check("a bad week", "I want to kill myself.")
    assert message is not None and "988" in message
    assert crisis_check("I'm such an idiot.") is None


# --- saving ---------------------------------------------------------------------------


def test_the_journal_saves_owner_only_files_and_keeps_owners_apart(rehearse_home: Path) -> None:
    journal = ReframeJournal()
    assert journal.folder == rehearse_home / "reframes"
    mine = journal.new(owner="ana")
    mine.thought = "I'm a fraud."
    path = journal.save(mine)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.folder.stat().st_mode) == 0o700
    assert [r.thought for r in journal.list("ana")] == ["I'm a fraud."]
    assert journal.list("ben") == [] and journal.list() == []
    with pytest.raises(RehearseError):
        journal.get(mine.id, owner="ben")
    with pytest.raises(RehearseError):
        journal.get("../../etc/passwd")
    journal.delete(mine.id, owner="ana")
    assert journal.list("ana") == [] and not path.exists()


def aged_reframe(journal: ReframeJournal, owner: str, thought: str, days: float) -> Path:
    reframe = journal.new(owner=owner)
    reframe.thought = thought
    path = journal.save(reframe)
    data = json.loads(path.read_text("utf-8"))
    data["updated"] = time.time() - days * 86400  # as if not touched since
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_forgetting_reaches_one_owner_or_everyone_and_old_ones_only(rehearse_home: Path) -> None:
    journal = ReframeJournal()
    anas_old = aged_reframe(journal, "ana", "I always ruin it.", 40)
    anas_new = aged_reframe(journal, "ana", "They must hate me.", 1)
    bens = aged_reframe(journal, "ben", "I'm useless.", 40)
    crashed = journal.folder / "0123abcd.json.partial"  # a save cut short: whose is unknown
    crashed.write_text('{"owner": "ana", "thou', "utf-8")

    assert journal.forget(owner="ana", older_than_days=30) == 1
    assert not anas_old.exists() and anas_new.exists() and bens.exists() and crashed.exists()
    assert journal.forget(owner="ana") == 1
    assert [r.owner for r in journal.list(None)] == ["ben"]
    assert journal.forget() == 1
    assert list(journal.folder.iterdir()) == []


def script(*answers: str | None):  # type: ignore[no-untyped-def]
    """An ``ask`` that answers in order, then ends input; and what was said."""
    queue = list(answers)
    said: list[str] = []

    def ask(prompt: str) -> str | None:
        said.append(prompt)
        return queue.pop(0) if queue else None

    return ask, said.append, said


def test_the_whole_exercise_is_saved_with_every_answer(rehearse_home: Path) -> None:
    journal = ReframeJournal()
    ask, say, said = script(
        "My friend didn't answer my message.",
        "She must be angry with me.",
        "She read it and didn't reply.",  # evidence for
        "She's had a hard week at work.",  # evidence against
        "I'd say she's probably busy.",  # friend
        "",  # other view: skipped
        "I don't actually know what she feels.",  # the mind-reading question
        "Everything will be perfect between us.",  # falsely positive: asked again
        "She may be busy; I can ask her on Friday if we're OK.",
    )
    record = converse(ask, say, journal, model=fake_model('{"mind reading": "A guess."}'))
    assert record.status == "finished"
    saved = journal.get(record.id)
    assert saved.thought == "She must be angry with me."
    assert saved.situation == "My friend didn't answer my message."
    assert saved.traps == ["mind reading"]
    assert saved.explained_by == "model" and saved.explanations["mind reading"] == "A guess."
    assert saved.answers["evidence_against"] == "She's had a hard week at work."
    assert saved.answers["trap:mind reading"] == "I don't actually know what she feels."
    assert saved.reframe.startswith("She may be busy")
    assert saved.check is not None and saved.check["balanced"]
    text = "\n".join(said)
    assert "promise more than you can know" in text
    assert "mind reading: A guess." in text
    assert "Saved:" in text
    assert "I'd say she's probably busy." in saved.markdown()


def test_stopping_half_way_keeps_a_draft(rehearse_home: Path) -> None:
    journal = ReframeJournal()
    ask, say, said = script("", "I'm useless at everything.", "I failed the test.")
    record = converse(ask, say, journal)
    saved = journal.get(record.id)
    assert saved.status == "draft"
    assert saved.thought == "I'm useless at everything."
    assert saved.answers == {"evidence_for": "I failed the test."}
    assert any("Saved as a draft" in line for line in said)


def test_a_crisis_in_the_exercise_stops_it_with_resources(rehearse_home: Path) -> None:
    journal = ReframeJournal()
    ask, say, said = script("", "There's no point, I want to end my life.")
    record = converse(ask, say, journal, model=BrokenChatModel(messages=iter([])))
    assert "988" in "\n".join(said)
    assert journal.get(record.id).thought == "There's no point, I want to end my life."
    assert record.traps == []  # no worksheet


# --- a thought from a practice session --------------------------------------------------


def practised(store: SessionStore, catalog: Catalog) -> Rehearsal:
    scene = catalog.get("test-scene")
    rehearsal = Rehearsal.begin(store, scene, fake_model("Fine.", "Whatever."))
    list(rehearsal.start())
    list(rehearsal.say("Hi Sam."))
    list(rehearsal.say("You probably think I'm a terrible manager."))
    return rehearsal


def test_a_line_from_a_session_becomes_the_thought(
    store: SessionStore, test_catalog: Catalog
) -> None:
    rehearsal = practised(store, test_catalog)
    assert session_lines(store, test_catalog, rehearsal.session_id) == [
        (1, "Hi Sam."),
        (2, "You probably think I'm a terrible manager."),
    ]
    ask, say, said = script("7", "2")  # a turn that does not exist, then the right one
    picked = pick_session_line(ask, say, store, test_catalog, rehearsal.session_id)
    assert picked is not None
    thought, source = picked
    assert thought == "You probably think I'm a terrible manager."
    assert source["session_id"] == rehearsal.session_id and source["turn"] == 2
    assert "There is no line of yours at turn 7." in said
    journal = ReframeJournal()
    ask, say, _ = script("", "", "", "", "", "", "I can ask for feedback instead of guessing.")
    record = converse(ask, say, journal, thought=thought, source=source)
    assert journal.get(record.id).source == source


def test_another_owners_session_cannot_be_read(store: SessionStore, test_catalog: Catalog) -> None:
    rehearsal = practised(store, test_catalog)
    with pytest.raises(RehearseError):
        session_lines(store, test_catalog, rehearsal.session_id, owner="someone-else")


# --- the CLI ------------------------------------------------------------------------------


def run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REHEARSE_HOME": str(home)}
    for name in ("REHEARSE_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_rehearse_reframe_runs_offline_from_piped_answers(rehearse_home: Path) -> None:
    answers = "\n".join(
        [
            "I'll mess up the presentation and everyone will laugh at me.",
            "I stumbled last time.",
            "I practised twice and people were kind last time.",
            "",
            "",
            "",
            "",
            "",
            "I might stumble, and if I do I can look at my notes and carry on.",
        ]
    )
    done = run(rehearse_home, "reframe", "--situation", "A talk on Monday.", stdin=answers + "\n")
    assert done.returncode == 0, done.stderr
    assert "fortune telling:" in done.stdout
    assert "This reads as balanced" in done.stdout
    listed = json.loads(run(rehearse_home, "reframe", "--list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["status"] == "finished"
    assert listed[0]["situation"] == "A talk on Monday."
    shown = run(rehearse_home, "reframe", "--show", listed[0]["id"]).stdout
    assert "I practised twice" in shown and "carry on" in shown


# --- the role-play variant ----------------------------------------------------------------


def test_the_worry_scenario_loads_and_plays_a_turn(store: SessionStore) -> None:
    persona = load_persona(ROOT / "personas" / "the-worry.yaml")
    scenario = load_scenario(
        ROOT / "scenarios" / "talking-back-to-the-worry.yaml", {persona.id: persona}
    )
    assert scenario.category == "reframing"
    assert Catalog.load().get("talking-back-to-the-worry").title == scenario.title
    recorder = RecordingModel("...I suppose I don't actually know how they'll react.")
    rehearsal = Rehearsal.begin(store, scenario, recorder.model)
    opening = [e for e in rehearsal.start() if e["type"] == "line"]
    assert opening[0]["name"] == "The Worry"
    reply = [
        e
        for e in rehearsal.say("That's fortune telling. What evidence do you have?")
        if e["type"] == "line"
    ]
    assert reply[0]["text"] == "...I suppose I don't actually know how they'll react."
    assert "The Worry" in recorder.system(-1)
    assert isinstance(rehearsal.state().messages[-1], AIMessage)


def test_rehearse_reframe_takes_the_thought_from_a_session(
    store: SessionStore, rehearse_home: Path
) -> None:
    scenario = Catalog.load().get("talking-back-to-the-worry")
    rehearsal = Rehearsal.begin(store, scenario, fake_model("You always freeze."))
    list(rehearsal.start())
    list(rehearsal.say("Everyone will laugh at me, like they always do."))
    store.close()  # the CLI opens the same store in another process
    # No --turn: the CLI lists the lines and asks; "9" is no turn, "1" is.
    answers = "9\n1\n\n" + "\n" * 6 + "Some people may laugh; most will listen, as last time.\n"
    done = run(rehearse_home, "reframe", "--session", rehearsal.session_id, stdin=answers)
    assert done.returncode == 0, done.stderr
    assert "1. Everyone will laugh at me, like they always do." in done.stdout
    assert "There is no line of yours at turn 9." in done.stdout
    listed = json.loads(run(rehearse_home, "reframe", "--list", "--json").stdout)
    assert listed[0]["thought"] == "Everyone will laugh at me, like they always do."
    assert listed[0]["source"]["session_id"] == rehearsal.session_id
    assert listed[0]["source"]["turn"] == 1
    assert listed[0]["status"] == "finished"
    unknown = run(rehearse_home, "reframe", "--session", "nope", stdin="")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
