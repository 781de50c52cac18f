"""The scale-out path: sessions in a real PostgreSQL, shared between processes.

Needs a server: `.ci/run` installs Debian's `postgresql`, starts it and sets
REHEARSE_TEST_DATABASE_URL; without it these tests are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.catalog import Catalog
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model
from tests.fake_openai import FakeOpenAI
from ui.handlers import Studio

ROOT = Path(__file__).resolve().parents[1]
URL = os.environ.get("REHEARSE_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="no PostgreSQL: set REHEARSE_TEST_DATABASE_URL (.ci/run does)"
)


@pytest.fixture
def pg() -> Iterator[SessionStore]:
    assert URL
    store = SessionStore(URL)
    store.forget_all()  # each test starts from an empty database
    yield store
    store.close()


def test_a_session_plays_and_resumes_from_postgres(pg: SessionStore, scene: Scenario) -> None:
    rehearsal = Rehearsal.begin(pg, scene, fake_model("It has been a week.", "Better."))
    list(rehearsal.start())
    list(rehearsal.say("How has your week been?"))
    assert URL
    again = SessionStore(URL)
    try:
        reopened = Rehearsal(again, rehearsal.session_id, scene, fake_model("Go on.", "Rewrite."))
        assert reopened.status == "awaiting_user"
        list(reopened.say("Tell me more."))
        reopened.rewind(2)  # a second branch: both tips are found from the index columns
        list(reopened.say("What would help?"))
        assert [lines[-2].text for lines in reopened.branches()] == [
            "What would help?",
            "Tell me more.",
        ]
        list(reopened.end())
        assert [s.status for s in again.list()] == ["finished"]
        assert reopened.debrief()["user_turns"] == 2
    finally:
        again.close()


SCRIPT = textwrap.dedent(
    """
    import json, sys
    from simulator.catalog import Catalog
    from simulator.session import Rehearsal
    from simulator.store import open_store
    from tests.conftest import DATA, fake_model

    scene = Catalog.load([("test", DATA / "scenarios", DATA / "personas")]).get("test-scene")
    store = open_store()
    if sys.argv[1] == "begin":
        r = Rehearsal.begin(store, scene, fake_model("Reply from process A."))
        list(r.start()); list(r.say("Line sent to process A."))
    else:
        r = Rehearsal(store, sys.argv[2], scene, fake_model("Reply from process B."))
        list(r.say("Line sent to process B."))
    print(json.dumps({"id": r.session_id, "lines": [l.text for l in r.lines()]}))
    """
)


def test_two_app_processes_share_a_session(pg: SessionStore, scene: Scenario) -> None:
    assert URL
    env = {**os.environ, "REHEARSE_DATABASE_URL": URL, "PYTHONPATH": str(ROOT)}

    def process(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = process("begin")
    second = process("continue", first["id"])
    assert second["lines"] == first["lines"] + ["Line sent to process B.", "Reply from process B."]
    # And this process sees what both wrote.
    assert [line.text for line in Rehearsal(pg, first["id"], scene).lines()] == second["lines"]


def _table_files(store: SessionStore) -> list[Path]:
    rows = store._execute("SHOW data_directory")
    data = Path(rows[0][0])
    files = []
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "rehearse_sessions"):
        (relative,) = store._execute(f"SELECT pg_relation_filepath('{table}')")[0]
        files += sorted((data / relative).parent.glob(Path(relative).name + "*"))
    return files


def test_delete_removes_the_words_from_the_table_files(pg: SessionStore, scene: Scenario) -> None:
    phrase = f"my secret phrase {uuid.uuid4().hex}"
    rehearsal = Rehearsal.begin(pg, scene, fake_model("I see.", "Mm."))
    list(rehearsal.start())
    list(rehearsal.say(f"I have never told anyone {phrase}."))
    kept = Rehearsal.begin(pg, scene, fake_model("Fine."))
    list(kept.start())
    list(kept.say("A line to keep."))
    pg._execute("CHECKPOINT")  # flush shared buffers, so the files hold what the tables do

    def found(text: str) -> bool:
        return any(text.encode() in path.read_bytes() for path in _table_files(pg))

    assert found(phrase)  # the premise: the words are in the files before deleting
    result = pg.delete(rehearsal.session_id)
    pg._execute("CHECKPOINT")
    assert result.wiped and not found(phrase)
    assert [line.text for line in Rehearsal(pg, kept.session_id, scene).lines()][-2] == (
        "A line to keep."
    )


def test_two_processes_take_a_session_s_lines_one_after_the_other(
    pg: SessionStore, scene: Scenario, test_catalog: Catalog
) -> None:
    # Two studios on two connections are two app processes behind a load balancer that
    # sends one user's two tabs to different ones. Each turn waits 0.4 s for the model,
    # so the two lines sent at once would overlap without the shared run lock.
    assert URL
    other = SessionStore(URL)
    try:
        with FakeOpenAI(reply="I hear you.", first_token_delay=0.4) as model:
            studios = [
                Studio(store, model.chat_model(timeout=10), test_catalog, assessor="rules")
                for store in (pg, other)
            ]
            rehearsal = Rehearsal.begin(pg, scene, model.chat_model(timeout=10), assessor="rules")
            list(rehearsal.start())
            session = rehearsal.session_id

            def send(studio: Studio, text: str) -> None:
                opened, _ = studio.open(session, None)
                with studio.exclusive(session):
                    list(opened.say(text, live=False))

            threads = [
                threading.Thread(target=send, args=(studio, f"Line from process {name}."))
                for studio, name in zip(studios, "AB", strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        # Both turns are in the conversation, one after the other; neither was left on a
        # side branch.
        said = [line.text for line in Rehearsal(other, session, scene).lines()][1:]
        assert sorted(said[0::2]) == ["Line from process A.", "Line from process B."]
        assert said[1::2] == ["I hear you.", "I hear you."]
        assert Rehearsal(pg, session, scene).state().turn == 2  # type: ignore[union-attr]
    finally:
        other.close()


def test_the_run_lock_holds_one_session_and_not_the_others(pg: SessionStore) -> None:
    assert URL
    other = SessionStore(URL)
    try:
        order: list[str] = []

        def second() -> None:
            with other.running("session-1"):
                order.append("second")

        with pg.running("session-1"):
            waiting = threading.Thread(target=second)
            waiting.start()
            waiting.join(timeout=0.5)
            assert waiting.is_alive()  # the other process waits for this run
            with other.running("session-2"):
                order.append("another session")  # which holds nobody else up
            order.append("first")
        waiting.join(timeout=10)
        assert order == ["another session", "first", "second"]
    finally:
        other.close()
