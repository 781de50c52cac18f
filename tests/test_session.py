"""Sessions on disk: resume in a fresh process, rewind into a branch, model failures, exports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from simulator.errors import ModelUnavailable, RehearseError
from simulator.report import debrief_text, export_json, export_markdown
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import BrokenChatModel, fake_model
from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]


def play(rehearsal: Rehearsal, *lines: str) -> list[dict]:
    events = list(rehearsal.start())
    for line in lines:
        events += list(rehearsal.say(line))
    return events


def test_events_stream_tokens_then_the_whole_line(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(
        store,
        scene,
        fake_model("I have been swamped lately, to be honest, and the spec changed twice."),
    )
    events = play(rehearsal, "How are things?")
    assert events[0] == {
        "type": "line",
        "speaker": "sam-test",
        "name": "Sam",
        "text": "You wanted to see me?",
        "turn": 0,
    }
    tokens = [e["text"] for e in events if e["type"] == "token"]
    whole = "I have been swamped lately, to be honest, and the spec changed twice."
    assert len(tokens) > 5 and "".join(tokens) == whole
    assert events[-1]["type"] == "line" and events[-1]["text"] == whole
    assert events[-1]["turn"] == 1


def test_the_state_a_run_leaves_is_the_state_saved(store: SessionStore, scene: Scenario) -> None:
    # After a run, the view reads the state the run streamed, not the checkpoint again:
    # they must be the same, whatever the run stopped at.
    rehearsal = Rehearsal.begin(store, scene, fake_model("Fine.", "I want to die.", "Okay."))
    for run in (
        rehearsal.start,
        lambda: rehearsal.say("How are things?"),
        lambda: rehearsal.say("I want to kill myself."),  # the crisis screen pauses
        rehearsal.end,
    ):
        list(run())
        fresh = Rehearsal(store, rehearsal.session_id, scene)
        assert rehearsal._left is not None
        assert rehearsal.state() == fresh.state()
        # A store of its own (another process) knows no status: it reads the checkpoint.
        other = SessionStore(store.path)
        try:
            assert rehearsal.status == Rehearsal(other, rehearsal.session_id, scene).status
        finally:
            other.close()
    assert rehearsal.status == "finished"


def test_a_fresh_handle_knows_the_status_a_run_left_without_reading_it(
    store: SessionStore, scene: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The web APIs open a session afresh for each request.
    rehearsal = Rehearsal.begin(store, scene, fake_model("Fine."))
    play(rehearsal, "How are things?")
    reads: list[str] = []
    read_state = store.graph.get_state

    def get_state(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return read_state(*args, **kwargs)

    monkeypatch.setattr(store.graph, "get_state", get_state)
    assert Rehearsal(store, rehearsal.session_id, scene).status == "awaiting_user"
    assert reads == []
    # Another process moves the session on: what this one remembers is for a checkpoint
    # that is no longer the newest, so the status is read, and it is the new one.
    other = SessionStore(store.path)
    try:
        list(Rehearsal(other, rehearsal.session_id, scene, fake_model()).end())
    finally:
        other.close()
    assert Rehearsal(store, rehearsal.session_id, scene).status == "finished"
    assert reads == ["read"]


def test_sessions_are_listed_with_status(store: SessionStore, scene: Scenario) -> None:
    first = Rehearsal.begin(store, scene, fake_model("Yes.", "rewrite"), model_name="fake")
    play(first, "Hello.")
    list(first.end())
    second = Rehearsal.begin(store, scene, fake_model("Yes."))
    play(
        second,
        "Hello.",
    )
    sessions = {s.id: s for s in store.list()}
    assert sessions[first.session_id].status == "finished"
    assert sessions[first.session_id].model == "fake"
    assert sessions[second.session_id].status == "active"
    assert sessions[second.session_id].turns == 1
    assert store.list()[0].id == second.session_id  # most recent first


def test_owner_only_sees_own_sessions(store: SessionStore, scene: Scenario) -> None:
    mine = Rehearsal.begin(store, scene, fake_model(), owner="ana")
    Rehearsal.begin(store, scene, fake_model(), owner="ben")
    assert [s.id for s in store.list(owner="ana")] == [mine.session_id]
    with pytest.raises(RehearseError):
        store.get(mine.session_id, owner="ben")


SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from simulator.catalog import Catalog
    from simulator.session import Rehearsal
    from simulator.store import SessionStore
    from tests.conftest import DATA, fake_model

    scene = Catalog.load([("test", DATA / "scenarios", DATA / "personas")]).get("test-scene")
    store = SessionStore(Path(sys.argv[1]))
    action = sys.argv[2]
    if action == "begin":
        r = Rehearsal.begin(store, scene, fake_model("First reply."))
        list(r.start()); list(r.say("What happened this week?"))
        print(r.session_id)
    elif action == "continue":
        r = Rehearsal(store, sys.argv[3], scene, fake_model("Second reply.", "Try this."))
        before = [l.text for l in r.lines()]
        list(r.say("Tell me more."))
        list(r.end())
        print(json.dumps({"status_before": "seen", "before": before,
                          "after": [l.text for l in r.lines()],
                          "ended_by": r.debrief()["ended_by"]}))
    """
)


def test_resume_in_a_fresh_process(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(db), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    session_id = run("begin")
    result = json.loads(run("continue", session_id))
    assert result["before"] == ["You wanted to see me?", "What happened this week?", "First reply."]
    assert result["after"] == result["before"] + ["Tell me more.", "Second reply."]
    assert result["ended_by"] == "user"


def test_rewind_branches_and_keeps_the_old_branch(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("One.", "Two.", "Three.", "Other."))
    play(rehearsal, "First line.", "Second line.", "Third line.")
    rehearsal.rewind(2)
    # Before the new line is sent, the view is the state just before turn 2.
    assert [line.text for line in rehearsal.lines()] == [
        "You wanted to see me?",
        "First line.",
        "One.",
    ]
    assert rehearsal.status == "awaiting_user"
    list(rehearsal.say("A better second line?"))
    texts = [line.text for line in rehearsal.lines()]
    assert texts == [
        "You wanted to see me?",
        "First line.",
        "One.",
        "A better second line?",
        "Other.",
    ]
    assert rehearsal.state().turn == 2
    # The abandoned branch is still there in full.
    branches = [[line.text for line in b] for b in rehearsal.branches()]
    assert texts in branches
    assert any("Third line." in b and "Three." in b for b in branches)
    # A fresh handle on the session continues the new branch, not the old one.
    again = Rehearsal(store, rehearsal.session_id, scene, fake_model())
    assert [line.text for line in again.lines()] == texts


def test_rewind_to_a_turn_that_does_not_exist(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("One."))
    play(rehearsal, "First line.")
    with pytest.raises(RehearseError, match="turns 1 to 1"):
        rehearsal.rewind(5)


def test_model_failure_keeps_the_line_and_retry_completes(
    store: SessionStore, scene: Scenario, broken_model: BrokenChatModel
) -> None:
    rehearsal = Rehearsal.begin(store, scene, broken_model)
    list(rehearsal.start())
    with pytest.raises(ModelUnavailable, match="did not answer"):
        list(rehearsal.say("Can we talk about the deadline?"))
    assert rehearsal.status == "interrupted"
    texts = [line.text for line in rehearsal.lines()]
    assert texts == ["You wanted to see me?", "Can we talk about the deadline?"]  # no half reply
    with pytest.raises(RehearseError, match="retry"):
        list(rehearsal.say("Another line"))
    rehearsal.model = fake_model("Sure, go on.")  # the endpoint is back
    list(rehearsal.retry())
    assert rehearsal.status == "awaiting_user"
    assert [line.text for line in rehearsal.lines()] == texts + ["Sure, go on."]
    assert rehearsal.state().turn == 1 and len(rehearsal.state().trajectory) == 2


def test_a_reply_nobody_reads_any_more_stops_and_keeps_the_line(
    store: SessionStore, scene: Scenario
) -> None:
    # The reader (a closed browser tab, Ctrl-C) stops after the first piece of the reply.
    reply = "Well, the spec changed twice and nobody told me."
    with FakeOpenAI(reply=reply, token_delay=0.05) as server:
        rehearsal = Rehearsal.begin(store, scene, server.chat_model())
        list(rehearsal.start())
        events = rehearsal.say("Can we talk about the deadline?")
        assert next(e for e in events if e["type"] == "token")["text"]
        events.close()  # returns once the run has stopped: no second run can overlap it
        assert rehearsal.status == "interrupted"
        texts = [line.text for line in rehearsal.lines()]
        assert texts == ["You wanted to see me?", "Can we talk about the deadline?"]
        list(rehearsal.retry())
    assert [line.text for line in rehearsal.lines()] == texts + [reply]


def test_ctrl_c_does_not_wait_for_a_slow_model(store: SessionStore, scene: Scenario) -> None:
    with FakeOpenAI(reply="Well. It has been. A long week.", token_delay=3.0) as server:
        rehearsal = Rehearsal.begin(store, scene, server.chat_model())
        list(rehearsal.start())
        events = rehearsal.say("Can we talk?")
        assert next(e for e in events if e["type"] == "token")
        # Ctrl-C while the next piece is awaited.
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            next(events)
        assert time.monotonic() - started < 1.5  # not the 3 s until the model's next piece


def test_debrief_survives_a_failing_model(
    store: SessionStore, scene: Scenario, broken_model: BrokenChatModel
) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("Sure."))
    play(rehearsal, "What's on your mind? It sounds like a heavy week.")
    rehearsal.model = broken_model
    list(rehearsal.end())
    debrief = rehearsal.debrief()
    assert debrief is not None and rehearsal.status == "finished"
    assert debrief["try_instead"]["rewrite"] is None
    assert "could not write a suggestion" in debrief["try_instead"]["unavailable"]
    # Everything else is still there.
    # rapport needs trust >= 6: one good turn at medium moves it from 4 to 5.5, part of the way.
    assert {g["id"]: g["verdict"] for g in debrief["goals"]} == {"ask": "met", "rapport": "partly"}
    assert debrief["moves"]["open_question"] == 1 and debrief["moves"]["reflection"] == 1
    assert debrief["state"]["variables"]["trust"]["end"] > 4
    assert "could not write a suggestion" in debrief_text(debrief)
    # The hint also works without a model.
    assert rehearsal.hint()


def test_finished_session_refuses_more_turns(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("Ok.", "rewrite"))
    play(rehearsal, "Hi.")
    list(rehearsal.end())
    with pytest.raises(RehearseError, match="finished"):
        list(rehearsal.say("More?"))


def test_exports(store: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("Ok then.", "Better line."))
    play(rehearsal, "What would help?")
    list(rehearsal.end())
    meta = store.get(rehearsal.session_id).as_dict()
    data = json.loads(export_json(meta, rehearsal.lines(), rehearsal.debrief()))
    assert data["session"]["id"] == rehearsal.session_id
    assert [line["speaker"] for line in data["transcript"]] == ["sam-test", "you", "sam-test"]
    assert data["debrief"]["try_instead"]["rewrite"] == "Better line."
    markdown = export_markdown(meta, rehearsal.lines(), rehearsal.debrief())
    assert "**You** (turn 1): What would help?" in markdown
    assert "DEBRIEF: A test scene" in markdown


def test_many_threads_share_one_store(store: SessionStore, scene: Scenario) -> None:
    """The index and the checkpointer share one SQLite connection: neither may start a
    transaction inside the other's when several users start and speak at once."""
    import threading

    failures: list[BaseException] = []

    def user(n: int) -> None:
        try:
            for _ in range(3):
                rehearsal = Rehearsal.begin(store, scene, fake_model(f"Reply {n}."))
                list(rehearsal.start())
                list(rehearsal.say(f"Line from user {n}."))
        except BaseException as exc:  # collected: a thread's error must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    assert len(store.list()) == 24 and all(s.turns == 1 for s in store.list())


def test_a_turn_collected_whole_runs_in_the_callers_thread_with_the_same_events(
    store: SessionStore, scene: Scenario
) -> None:
    # The JSON APIs collect a turn's events before answering: live=False spares the
    # thread that hands a reply over piece by piece, and nothing else changes.
    threads: dict[bool, str] = {}
    seen: dict[bool, list[tuple[str, str]]] = {}
    for live in (True, False):
        model = fake_model("I guess it has been a long week.")
        original = model.stream

        def stream(*args: Any, live: bool = live, original: Any = original, **kw: Any) -> Any:
            threads[live] = threading.current_thread().name
            return original(*args, **kw)

        object.__setattr__(model, "stream", stream)
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
        list(rehearsal.start())
        events = list(rehearsal.say("How has your week been?", live=live))
        seen[live] = [(e["type"], e.get("text", "")) for e in events]
        assert rehearsal.status == "awaiting_user"
        assert rehearsal.lines()[-1].text == "I guess it has been a long week."
    assert seen[False] == seen[True]
    assert [kind for kind, _ in seen[False]].count("token") > 3
    assert threads[True].startswith("rehearse-")
    assert threads[False] == threading.current_thread().name
