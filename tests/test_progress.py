"""Progress across sessions: real sessions through the engine, then the numbers over time."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
import pytest

from rehearse.cli import main
from simulator.catalog import Catalog
from simulator.progress import MEASURES, measures_of, points, progress_report, progress_text
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model
from ui.handlers import Studio
from ui.progress import ALL, progress_view

# Three sessions of the test scene, each better than the one before, as a trainee's are.
SESSIONS = [
    ["Is it the deadline?", "We need this fixed by Friday."],
    ["What is going on?", "Is that the reason?"],
    [
        "What is going on for you?",
        "It sounds like the spec changes wore you down.",
        "So you've been carrying this on your own.",
    ],
]
REPLIES = ["The spec changed twice.", "Nobody told me.", "It has been a lot.", "rewrite"]


def finish(
    store: SessionStore, scenario: Scenario, lines: list[str], owner: str = ""
) -> dict[str, Any]:
    """One session played through the real engine and ended; its debrief."""
    rehearsal = Rehearsal.begin(
        store, scenario, fake_model(*REPLIES), owner=owner, assessor="rules"
    )
    list(rehearsal.start())
    for line in lines:
        list(rehearsal.say(line))
    if rehearsal.status != "finished":
        list(rehearsal.end())
    debrief = rehearsal.debrief()
    assert debrief is not None
    return {"id": rehearsal.session_id, "debrief": debrief}


@pytest.fixture
def history(store: SessionStore, scene: Scenario) -> list[dict[str, Any]]:
    done = [finish(store, scene, lines, owner="ana") for lines in SESSIONS]
    # Someone else's session, and an unfinished one of hers: neither is in her progress.
    finish(store, scene, ["What is going on?"], owner="ben")
    open_one = Rehearsal.begin(store, scene, fake_model(*REPLIES), owner="ana", assessor="rules")
    list(open_one.start())
    list(open_one.say("Hello."))
    return done


def test_the_numbers_of_each_finished_session_oldest_first(
    store: SessionStore, history: list[dict[str, Any]]
) -> None:
    found = points(store, owner="ana")
    assert [p.session_id for p in found] == [h["id"] for h in history]
    assert [p.number for p in found] == [1, 2, 3]
    for point, done in zip(found, history, strict=True):
        debrief = done["debrief"]
        scores = debrief["skills"]["scores"]
        assert point.values["percent_open_questions"] == scores["percent_open_questions"]["value"]
        assert point.values["reflection_to_question"] == scores["reflection_to_question"]["value"]
        met = sum(g["verdict"] == "met" for g in debrief["goals"])
        assert point.values["goals_met_percent"] == round(100 * met / len(debrief["goals"]), 1)
        assert point.values["turns"] == len(SESSIONS[point.number - 1])
    # The trainee's questions opened up and reflections appeared: the series says so.
    open_questions = [p.values["percent_open_questions"] for p in found]
    assert open_questions[0] == 0.0 and open_questions[-1] == 100.0
    reflections = [p.values["reflection_to_question"] for p in found]
    assert reflections[0] == 0.0 and reflections[-1] is not None and reflections[-1] > 1
    report = progress_report(store, owner="ana")
    assert report["trends"]["percent_open_questions"]["change"] == 100.0
    assert report["trends"]["turns"] == {
        "measure": "turns",
        "label": "Your turns",
        "n": 3,
        "first": 2.0,
        "latest": 3.0,
        "change": 1.0,
        "best": None,
        "higher_is_better": None,
    }
    # Each user sees their own; a scenario filter keeps that scenario only.
    assert [p.session_id for p in points(store, owner="ben")] != []
    assert not {p.session_id for p in points(store, owner="ben")} & {h["id"] for h in history}
    assert points(store, owner="ana", scenario_id="ask-for-a-raise") == []


def test_a_number_a_session_did_not_produce_is_missing_not_zero() -> None:
    values = measures_of({"user_turns": 1, "goals": [], "skills": None})
    assert values["percent_open_questions"] is None and values["goals_met_percent"] is None
    assert values["turns"] == 1.0 and set(values) == set(MEASURES)


def test_the_command_prints_a_table_and_json(
    history: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["progress", "test-scene"]) == 0
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line[:3].strip().isdigit()]
    # The command line reads every session of this computer: ana's three and ben's one.
    assert len(rows) == 4 and "A test scene" in rows[0]
    assert "open%" in text and "Open questions (% of questions): 0% -> " in text
    assert main(["progress", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [s["number"] for s in report["sessions"]] == [1, 2, 3, 4]
    assert report["sessions"][0]["values"]["percent_open_questions"] == 0.0
    assert main(["progress", "no-such-scene"]) == 1
    assert "No scenario with id 'no-such-scene'" in capsys.readouterr().err
    # One user's own numbers, as a supervisor or the user would ask for them.
    assert main(["progress", "--user", "ana", "--json"]) == 0
    mine = json.loads(capsys.readouterr().out)["sessions"]
    assert [s["session_id"] for s in mine] == [h["id"] for h in history]
    assert main(["progress", "--user", "nobody"]) == 1
    assert "No sessions of a user named 'nobody'" in capsys.readouterr().err


def test_no_sessions_yet_says_how_to_get_some(store: SessionStore) -> None:
    text = progress_text(progress_report(store, scenario_id="ask-for-a-raise"))
    assert text.startswith("No finished sessions of ask-for-a-raise yet.")


def test_the_studio_handler_plots_the_users_own_sessions(
    store: SessionStore, test_catalog: Catalog, history: list[dict[str, Any]]
) -> None:
    studio = Studio(store, fake_model(), test_catalog, assessor="rules")
    ana = gr.Request(username="ana")
    view = progress_view(studio, ALL, "percent_open_questions", ana)
    assert list(view.frame.columns) == ["session", "label", "value", "scenario", "date"]
    assert view.frame["label"].tolist() == ["#1", "#2", "#3"]
    assert view.frame["session"].tolist() == [1, 2, 3]
    assert view.frame["value"].tolist()[0] == 0.0 and view.frame["value"].tolist()[-1] == 100.0
    assert set(view.frame["scenario"]) == {"A test scene"}
    assert view.scenarios == [("A test scene", "test-scene")]
    assert "0% in the first session, 100% in the latest (+100)" in view.summary
    assert view.table.count("| A test scene |") == 3
    # Ben sees one session: his own.
    ben = progress_view(studio, "test-scene", "turns", gr.Request(username="ben"))
    assert ben.frame["session"].tolist() == [1] and ben.frame["value"].tolist() == [1.0]
    assert "the line starts with your second session" in ben.summary
    # Someone with no finished session sees how to get one.
    nobody = progress_view(studio, ALL, "turns", gr.Request(username="cleo"))
    assert nobody.empty and nobody.frame.empty and "No finished sessions" in nobody.summary
