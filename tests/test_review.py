"""Review and supervision: comments on turns, annotated exports, who may read whose sessions.

The store and exports directly, the Review tab's handlers with fake requests, and the
command line; the same checks over PostgreSQL when REHEARSE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from rehearse.cli import main
from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.review import (
    Reviewers,
    add_comment,
    annotated_json,
    annotated_markdown,
    read_reviewers,
    reviewable,
    reviewed,
)
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, fake_model
from ui.handlers import Studio
from ui.review import ReviewDesk

ALICE, BOB, CAROL, LEE = (gr.Request(username=n) for n in ("alice", "bob", "carol", "dr-lee"))
PG_URL = os.environ.get("REHEARSE_TEST_DATABASE_URL")


def played(store: SessionStore, scene: Scenario, owner: str = "", *, end: bool = True) -> str:
    """A session of two turns (finished unless ``end`` is False); its id."""
    rehearsal = Rehearsal.begin(
        store,
        scene,
        fake_model("It has been a long week.", "A check-in would help.", "What would help?"),
        owner=owner,
        assessor="rules",
    )
    list(rehearsal.start())
    list(rehearsal.say("What is going on for you?"))
    list(rehearsal.say("You always miss deadlines."))
    if end:
        list(rehearsal.end())
    return rehearsal.session_id


# --- comments in the store ------------------------------------------------------------


def test_comments_are_stored_with_the_session_and_survive_a_restart(
    store: SessionStore, scene: Scenario, test_catalog: Catalog, rehearse_home: Path
) -> None:
    sid = played(store, scene)
    session = reviewed(store, test_catalog, store.get(sid))
    assert session.turns == [0, 1, 2]
    add_comment(store, session, 2, "dr-lee", "A label, not a question: try asking.")
    add_comment(store, session, "1", "dr-lee", "Good open question.")
    store.close()

    again = SessionStore(rehearse_home / "sessions.sqlite")
    try:
        comments = again.comments(sid)
        assert [(c.turn, c.author, c.text) for c in comments] == [
            (1, "dr-lee", "Good open question."),
            (2, "dr-lee", "A label, not a question: try asking."),
        ]
        assert all(c.created > 0 and c.session_id == sid for c in comments)
    finally:
        again.close()


def test_a_store_from_before_comments_gains_the_table_and_keeps_its_sessions(
    rehearse_home: Path, scene: Scenario
) -> None:
    rehearse_home.mkdir(parents=True, exist_ok=True)
    path = rehearse_home / "sessions.sqlite"
    first = SessionStore(path)
    sid = played(first, scene)
    first.close()
    with sqlite3.connect(path) as conn:  # as an older version left it: no comments table
        conn.execute("DROP TABLE rehearse_comments")
    reopened = SessionStore(path)
    try:
        assert reopened.get(sid).status == "finished"
        assert reopened.comments(sid) == []
        reopened.add_comment(sid, 1, "dr-lee", "Noted.")
        assert [c.text for c in reopened.comments(sid)] == ["Noted."]
    finally:
        reopened.close()


def test_bad_comments_are_refused_with_a_reason(
    store: SessionStore, scene: Scenario, test_catalog: Catalog
) -> None:
    session = reviewed(store, test_catalog, store.get(played(store, scene)))
    with pytest.raises(RehearseError, match=r"no turn 7 .*turns 0 to 2"):
        add_comment(store, session, 7, "dr-lee", "Where?")
    with pytest.raises(RehearseError, match="no turn x"):
        add_comment(store, session, "x", "dr-lee", "Where?")
    with pytest.raises(RehearseError, match="Write the comment"):
        add_comment(store, session, 1, "dr-lee", "   ")
    with pytest.raises(RehearseError, match="up to 4000"):
        add_comment(store, session, 1, "dr-lee", "x" * 4001)
    assert store.comments(session.info.id) == []


def test_deleting_a_session_deletes_its_comments(
    store: SessionStore, scene: Scenario, rehearse_home: Path
) -> None:
    sid = played(store, scene)
    store.add_comment(sid, 1, "dr-lee", "A phrase only this comment has: zebra-quartz.")
    store.delete(sid)
    assert store.comments(sid) == []
    assert b"zebra-quartz" not in (rehearse_home / "sessions.sqlite").read_bytes()


# --- annotated exports -------------------------------------------------------------------


def test_the_annotated_transcript_puts_each_comment_under_its_turn(
    store: SessionStore, scene: Scenario, test_catalog: Catalog
) -> None:
    sid = played(store, scene)
    session = reviewed(store, test_catalog, store.get(sid))
    add_comment(store, session, 1, "dr-lee", "Good open question.")
    add_comment(store, session, 2, "dr-lee", "Line one.\nLine two.")
    session = reviewed(store, test_catalog, store.get(sid))

    markdown = annotated_markdown(session)
    rows = markdown.splitlines()
    first = rows.index("**You** (turn 1): What is going on for you?  ")
    second = rows.index("**You** (turn 2): You always miss deadlines.  ")
    note_1 = next(i for i, r in enumerate(rows) if "Good open question." in r)
    note_2 = next(i for i, r in enumerate(rows) if "Line one." in r)
    assert first < note_1 < second < note_2 < rows.index("## Debrief")
    assert rows[note_1].startswith("> **Comment on turn 1** by dr-lee, ")
    assert rows[note_2 + 1] == "> Line two."  # a multi-line comment stays in its quote
    assert "It has been a long week." in rows[first + 1]  # the reply stays above the note

    data = json.loads(annotated_json(session))
    assert [(c["turn"], c["author"], c["text"]) for c in data["comments"]] == [
        (1, "dr-lee", "Good open question."),
        (2, "dr-lee", "Line one.\nLine two."),
    ]
    assert data["session"]["id"] == sid and data["debrief"]["user_turns"] == 2
    assert [line["turn"] for line in data["transcript"]] == [0, 1, 1, 2, 2]


# --- the reviewers file ----------------------------------------------------------------


def test_the_reviewers_file_assigns_users_to_reviewers(tmp_path: Path) -> None:
    path = tmp_path / "reviewers.txt"
    path.write_text(
        "# supervisors\ndr-lee: alice, bob   # this term\n\ncarol: bob\ndr-lee: dan\n",
        encoding="utf-8",
    )
    reviewers = read_reviewers(path, users=["alice", "bob", "carol", "dan", "dr-lee"])
    assert reviewers.assigned == {
        "dr-lee": frozenset({"alice", "bob", "dan"}),
        "carol": frozenset({"bob"}),
    }
    assert reviewers.owners_visible_to("dr-lee") == {"dr-lee", "alice", "bob", "dan"}
    assert reviewers.owners_visible_to("alice") == {"alice"}
    assert reviewers.is_reviewer("carol") and not reviewers.is_reviewer("bob")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dr-lee: alice\nbob alice\n", r"reviewers\.txt:2: expected `reviewer: user, user`"),
        ("dr-lee:\n", r"reviewers\.txt:1: expected"),
        ("dr-lee: alice, zed\n", r"reviewers\.txt:1: 'zed' is not one of the users"),
        ("\n\ndr lee: alice\n", r"reviewers\.txt:3: 'dr lee' is not a user name"),
        ("alice: alice\n", r"reviewers\.txt:1: 'alice' is listed as their own reviewer"),
        ("# nothing yet\n", r"reviewers\.txt: no `reviewer: user, user` lines"),
    ],
)
def test_a_bad_reviewers_file_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "reviewers.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RehearseError, match=message):
        read_reviewers(path, users=["alice", "bob", "dr-lee", "dr lee"])


def test_serve_refuses_a_bad_reviewers_file_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = tmp_path / "users.txt"
    users.write_text("alice:a\ndr-lee:d\n", encoding="utf-8")
    reviewers = tmp_path / "reviewers.txt"
    reviewers.write_text("dr-lee: alice, bob\n", encoding="utf-8")
    assert main(["serve", "--auth", str(users), "--reviewers", str(reviewers)]) == 1
    assert f"{reviewers}:1: 'bob' is not one of the users" in capsys.readouterr().err
    assert main(["serve", "--reviewers", str(reviewers)]) == 1
    assert "--reviewers needs --auth" in capsys.readouterr().err


# --- who sees what, through the Review tab's handlers -----------------------------------


@pytest.fixture
def desk(store: SessionStore, test_catalog: Catalog) -> ReviewDesk:
    studio = Studio(store, fake_model(), test_catalog, assessor="rules")
    return ReviewDesk(studio, Reviewers({"dr-lee": frozenset({"alice", "bob"})}))


def test_a_reviewer_sees_assigned_users_sessions_and_nobody_elses(
    desk: ReviewDesk, store: SessionStore, scene: Scenario
) -> None:
    alice, bob, carol = (played(store, scene, owner) for owner in ("alice", "bob", "carol"))
    own = played(store, scene, "dr-lee", end=False)

    def ids(request: gr.Request) -> set[str]:
        return {sid for _label, sid in desk.sessions("", request)}

    assert ids(LEE) == {alice, bob, own}
    assert ids(ALICE) == {alice} and ids(BOB) == {bob} and ids(CAROL) == {carol}
    assert "alice" in desk.intro(LEE) and "bob" in desk.intro(LEE)

    assert "What is going on for you?" in desk.open(alice, LEE).transcript
    for viewer, other in ((LEE, carol), (ALICE, bob), (CAROL, alice), (BOB, own)):
        with pytest.raises(gr.Error, match="No session"):
            desk.open(other, viewer)
        with pytest.raises(gr.Error, match="No session"):
            desk.comment(other, 1, "Peeking.", viewer)
        with pytest.raises(gr.Error, match="No session"):
            desk.export(other, viewer)
    with pytest.raises(gr.Error, match="No session"):
        desk.open("not-a-session", LEE)
    assert all(store.comments(s) == [] for s in (alice, bob, carol, own))

    # A reviewer reads and comments; practising the trainee's session stays the trainee's.
    with pytest.raises(gr.Error, match="No session"):
        desk.studio.resume(alice, LEE)


def test_comments_added_in_the_tab_show_under_their_turn_and_export(
    desk: ReviewDesk, store: SessionStore, scene: Scenario
) -> None:
    sid = played(store, scene, "alice")
    view = desk.open(sid, LEE)
    assert [t for _label, t in view.turns] == [0, 1, 2]
    assert "No debrief" not in view.debrief and "Ask an open question." in view.debrief

    view = desk.comment(sid, 2, "Try a question *here*.", LEE)
    assert view.notice == "Comment added to turn 2."
    assert [(c.turn, c.author) for c in view.comments] == [(2, "dr-lee")]
    transcript = view.transcript
    assert transcript.index("You always miss deadlines.") < transcript.index("dr-lee")
    assert r"Try a question \*here\*." in transcript  # the comment's text stays inert
    view = desk.comment(sid, 0, "Notice the opening.", ALICE)  # the owner comments too
    assert [c.author for c in view.comments] == ["alice", "dr-lee"]

    with pytest.raises(gr.Error, match="Choose the turn"):
        desk.comment(sid, None, "Which turn?", LEE)
    with pytest.raises(gr.Error, match="no turn 9"):
        desk.comment(sid, 9, "Which turn?", LEE)

    markdown, json_file = desk.export(sid, LEE)
    assert "Try a question *here*." in markdown.read_text(encoding="utf-8")
    exported = json.loads(json_file.read_text(encoding="utf-8"))
    assert [c["author"] for c in exported["comments"]] == ["alice", "dr-lee"]
    assert next(label for label, _sid in desk.sessions("test-scene", LEE)).endswith("2 comment(s)")

    # Deleting the session (its owner does) removes the annotated files as well.
    desk.studio.delete(sid, ALICE)
    assert not markdown.exists() and not json_file.exists()


def test_without_reviewers_everyone_reviews_only_their_own(
    store: SessionStore, test_catalog: Catalog, scene: Scenario
) -> None:
    desk = ReviewDesk(Studio(store, fake_model(), test_catalog))
    alice, bob = played(store, scene, "alice"), played(store, scene, "bob")
    assert [sid for _l, sid in desk.sessions("", ALICE)] == [alice]
    with pytest.raises(gr.Error, match="No session"):
        desk.open(bob, ALICE)


def test_sessions_are_listed_by_scenario_then_newest_first(
    store: SessionStore, scene: Scenario
) -> None:
    other = scene.model_copy(update={"id": "another-scene", "title": "Another scene"})
    first = played(store, scene, end=False)
    second = played(store, other, end=False)
    third = played(store, scene, end=False)
    listed = reviewable(store, "", None)
    assert [s.id for s in listed] == [third, first, second]  # "A test scene" sorts first
    assert [s.id for s in reviewable(store, "", None, "test-scene")] == [third, first]


# --- the command line ------------------------------------------------------------------


def test_comment_and_export_from_the_command_line(
    rehearse_home: Path, scene: Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    rehearse_home.mkdir(parents=True, exist_ok=True)
    store = SessionStore(rehearse_home / "sessions.sqlite")
    sid = played(store, scene)
    store.close()
    # The command line finds the test scene among the user's own scenarios.
    for kind, name in (("scenarios", "test-scene.yaml"), ("personas", "sam-test.yaml")):
        (rehearse_home / kind).mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / kind / name, rehearse_home / kind / name)
    assert main(["comment", sid, "1", "Good open question.", "--author", "dr-lee"]) == 0
    assert "added to turn 1" in capsys.readouterr().out
    assert main(["comment", sid, "5", "Nowhere."]) == 1
    assert "no turn 5" in capsys.readouterr().err

    assert main(["sessions"]) == 0
    listed = capsys.readouterr().out
    assert sid in listed and "(1 comment)" in listed
    assert main(["sessions", "--scenario", "nothing-like-it"]) == 0
    assert sid not in capsys.readouterr().out
    assert main(["sessions", "--scenario", "test-scene", "--by-scenario", "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [sid]

    assert main(["export", sid, "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [(c["turn"], c["author"]) for c in exported["comments"]] == [(1, "dr-lee")]
    assert main(["export", sid]) == 0
    assert "> **Comment on turn 1** by dr-lee" in capsys.readouterr().out

    # Every session in one zip: the comments go along.
    target = rehearse_home / "all.zip"
    assert main(["export", "--all", "-o", str(target)]) == 0
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        [as_json] = [n for n in names if n.endswith(f"{sid}.json")]
        [as_md] = [n for n in names if n.endswith(f"{sid}.md")]
        assert json.loads(archive.read(as_json))["comments"][0]["text"] == "Good open question."
        assert "by dr-lee" in archive.read(as_md).decode("utf-8")


# --- the same over PostgreSQL ----------------------------------------------------------


@pytest.fixture
def pg() -> Iterator[SessionStore]:
    if not PG_URL:
        pytest.skip("no PostgreSQL: set REHEARSE_TEST_DATABASE_URL (.ci/run does)")
    store = SessionStore(PG_URL)
    store.forget_all()
    yield store
    store.close()


def test_comments_survive_a_restart_on_postgres(
    pg: SessionStore, scene: Scenario, test_catalog: Catalog
) -> None:
    sid = played(pg, scene, "alice")
    add_comment(pg, reviewed(pg, test_catalog, pg.get(sid)), 1, "dr-lee", "On PostgreSQL.")
    assert PG_URL
    again = SessionStore(PG_URL)
    try:
        assert [(c.turn, c.text) for c in again.comments(sid)] == [(1, "On PostgreSQL.")]
        again.delete(sid)
        assert again.comments(sid) == []
    finally:
        again.close()
