"""Deleting is for real: the words leave the database file itself, not just the list.

The tests type a unique phrase, delete the session, and search the raw bytes of the
SQLite file and its -wal and -shm files for it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rehearse.cli import main
from simulator.errors import UnknownSession
from simulator.reframing import ReframeJournal
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model

SECRET = "violet-harbour-4821"  # typed in the session that is deleted
KEPT = "amber-meadow-1937"  # typed in a session that stays


def raw_bytes(db: Path) -> bytes:
    """Everything SQLite keeps on disk for this database."""
    return b"".join(
        Path(f"{db}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{db}{suffix}").exists()
    )


def rows_of_thread(db: Path, thread_id: str) -> dict[str, int]:
    """Rows mentioning the thread in every table that has a thread or session id."""
    conn = sqlite3.connect(db)
    try:
        counts = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            column = "thread_id" if "thread_id" in columns else "id" if "id" in columns else None
            if column:
                counts[table] = conn.execute(
                    f"SELECT count(*) FROM {table} WHERE {column} = ?", (thread_id,)
                ).fetchone()[0]
        return counts
    finally:
        conn.close()


def secret_session(store: SessionStore, scene: Scenario, owner: str = "") -> Rehearsal:
    """A session with the secret in the user's lines and the character's, on two branches."""
    rehearsal = Rehearsal.begin(
        store,
        scene,
        fake_model(f"You said {SECRET}?", "Go on.", "I see.", f"Again {SECRET}.", "Mm.", "Right."),
        owner=owner,
    )
    list(rehearsal.start())
    for line in (f"My secret is {SECRET}.", f"Only you know {SECRET}.", "Third line."):
        list(rehearsal.say(line))
    rehearsal.rewind(2)  # a second branch; the first stays in the store
    list(rehearsal.say(f"Put differently: {SECRET}."))
    assert len(rehearsal.branches()) >= 2
    return rehearsal


def kept_session(store: SessionStore, scene: Scenario, owner: str = "") -> Rehearsal:
    rehearsal = Rehearsal.begin(store, scene, fake_model("Noted."), owner=owner)
    list(rehearsal.start())
    list(rehearsal.say(f"Please remember {KEPT}."))
    return rehearsal


@pytest.mark.parametrize("secure_delete", ["ON", "OFF"])
def test_a_deleted_session_is_gone_from_the_file(
    store: SessionStore, scene: Scenario, secure_delete: str
) -> None:
    db = store.path
    secret = secret_session(store, scene)
    kept = kept_session(store, scene)
    # A later process deletes: closing checkpoints everything into the main file.
    store.close()
    reopened = SessionStore(db)
    # OFF is how many SQLite builds (not Debian's) come: VACUUM must do the job alone.
    reopened._conn.execute(f"PRAGMA secure_delete={secure_delete}")
    again = Rehearsal(reopened, secret.session_id, scene, fake_model(f"Yes, {SECRET}."))
    list(again.say(f"And one more time, {SECRET}."))  # some of it only in the WAL
    before = rows_of_thread(db, secret.session_id)
    assert before["checkpoints"] > 5 and before["writes"] > 0 and before["rehearse_sessions"] == 1
    assert SECRET.encode() in raw_bytes(db)

    deleted = reopened.delete(secret.session_id)

    assert deleted.ids == [secret.session_id] and deleted.wiped
    assert set(rows_of_thread(db, secret.session_id).values()) == {0}
    data = raw_bytes(db)
    assert SECRET.encode() not in data
    assert secret.session_id.encode() not in data
    # The other session is untouched, readable and still playable.
    assert KEPT.encode() in data
    other = Rehearsal(reopened, kept.session_id, scene, fake_model("Still here."))
    assert f"Please remember {KEPT}." in [line.text for line in other.lines()]
    list(other.say("Are you?"))
    assert [s.id for s in reopened.list()] == [kept.session_id]
    with pytest.raises(UnknownSession):
        reopened.get(secret.session_id)
    reopened.close()
    assert SECRET.encode() not in raw_bytes(db)


def test_the_byte_search_would_see_leftovers(store: SessionStore, scene: Scenario) -> None:
    """Why the store reclaims pages: deleting rows alone leaves the words in the file."""
    db = store.path
    secret = secret_session(store, scene)
    store.close()
    naive = sqlite3.connect(db)
    naive.execute("PRAGMA secure_delete=OFF")
    with naive:
        naive.execute("DELETE FROM checkpoints WHERE thread_id = ?", (secret.session_id,))
        naive.execute("DELETE FROM writes WHERE thread_id = ?", (secret.session_id,))
    naive.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    naive.close()
    assert SECRET.encode() in raw_bytes(db)


def test_delete_respects_the_owner(store: SessionStore, scene: Scenario) -> None:
    ana = secret_session(store, scene, owner="ana")
    with pytest.raises(UnknownSession):
        store.delete(ana.session_id, owner="ben")
    assert store.get(ana.session_id).owner == "ana"
    assert store.delete(ana.session_id, owner="ana").wiped
    assert store.list() == []


def test_forget_all_of_one_owner_then_everything(store: SessionStore, scene: Scenario) -> None:
    db = store.path
    ana = secret_session(store, scene, owner="ana")
    ben = kept_session(store, scene, owner="ben")

    deleted = store.forget_all(owner="ana")

    assert deleted.ids == [ana.session_id] and deleted.wiped
    assert SECRET.encode() not in raw_bytes(db) and KEPT.encode() in raw_bytes(db)
    assert [s.id for s in store.list()] == [ben.session_id]

    # A thread with checkpoints but no index row (none should exist) goes with "everything".
    stray = Rehearsal.begin(store, scene, fake_model("Stray."))
    list(stray.start())
    list(stray.say(f"Stray {SECRET}."))
    with store._conn:
        store._conn.execute("DELETE FROM rehearse_sessions WHERE id = ?", (stray.session_id,))

    everything = store.forget_all()

    assert everything.ids == [ben.session_id] and everything.wiped
    assert store.list() == []
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM checkpoints").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM writes").fetchone() == (0,)
    conn.close()
    data = raw_bytes(db)
    assert SECRET.encode() not in data and KEPT.encode() not in data


# --- the command line -------------------------------------------------------------------


class _Terminal:
    """Standard input that is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def two_sessions(store: SessionStore, scene: Scenario) -> tuple[str, str]:
    ids = secret_session(store, scene).session_id, kept_session(store, scene).session_id
    store.close()  # the command opens the store itself
    return ids


def listed(home: Path) -> list[str]:
    store = SessionStore(home / "sessions.sqlite")
    try:
        return [s.id for s in store.list()]
    finally:
        store.close()


def test_cli_delete_refuses_without_a_terminal_or_yes(
    two_sessions: tuple[str, str], rehearse_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, kept = two_sessions
    assert main(["delete", secret]) == 1
    assert "--yes" in capsys.readouterr().err
    assert set(listed(rehearse_home)) == {secret, kept}


def test_cli_delete_asks_on_a_terminal(
    two_sessions: tuple[str, str],
    rehearse_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret, kept = two_sessions
    questions: list[str] = []
    answers = iter(["", "y"])
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda q: questions.append(q) or next(answers))

    assert main(["delete", secret]) == 0  # Enter means no
    assert "Nothing deleted." in capsys.readouterr().out
    assert set(listed(rehearse_home)) == {secret, kept}

    assert main(["delete", secret]) == 0
    assert "Deleted 1 session(s)." in capsys.readouterr().out
    assert secret in questions[0] and "cannot be undone" in questions[0]
    assert listed(rehearse_home) == [kept]
    assert SECRET.encode() not in raw_bytes(rehearse_home / "sessions.sqlite")


def test_cli_delete_with_yes_and_an_unknown_id(
    two_sessions: tuple[str, str], rehearse_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret, kept = two_sessions
    assert main(["delete", secret, "--yes"]) == 0
    assert listed(rehearse_home) == [kept]
    assert main(["delete", secret, "--yes"]) == 1
    assert "No session with id" in capsys.readouterr().err


def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Standard input as a terminal whose user answers "yes"; the questions asked."""
    monkeypatch.setattr("sys.stdin", _Terminal())
    questions: list[str] = []
    monkeypatch.setattr("builtins.input", lambda q: questions.append(q) or "yes")
    return questions


def test_cli_forget_all(
    two_sessions: tuple[str, str],
    rehearse_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):  # --all or --older-than is required
        main(["forget"])
    assert main(["forget", "--all"]) == 1
    assert "--yes" in capsys.readouterr().err
    assert len(listed(rehearse_home)) == 2

    journal = ReframeJournal()
    reframe = journal.new(owner="ana")
    reframe.thought = "I always freeze when it matters."
    journal.save(reframe)

    questions = answer_yes(monkeypatch)
    assert main(["forget", "--all"]) == 0
    assert "all 2 session(s)" in questions[0] and "1 saved reframe(s)" in questions[0]
    assert "Deleted 1 reframe(s)." in capsys.readouterr().out
    assert listed(rehearse_home) == []
    assert list(journal.folder.iterdir()) == []  # the thought went with the sessions
    data = raw_bytes(rehearse_home / "sessions.sqlite")
    assert SECRET.encode() not in data and KEPT.encode() not in data


def test_cli_forget_with_only_reframes_left(
    rehearse_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = ReframeJournal()
    reframe = journal.new()
    reframe.thought = "They will all laugh at me."
    journal.save(reframe)
    questions = answer_yes(monkeypatch)
    assert main(["forget", "--all"]) == 0
    assert questions[0].startswith("Delete 1 saved reframe(s)?")  # no "0 sessions" in it
    assert "Deleted 1 reframe(s)." in capsys.readouterr().out
    assert journal.list(None) == []
