"""Retention: REHEARSE_RETENTION_DAYS and `rehearse forget --older-than` delete old sessions."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from rehearse.cli import main
from simulator.errors import RehearseError
from simulator.reframing import ReframeJournal
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore, retention_days
from tests.conftest import fake_model
from tests.test_privacy_delete import raw_bytes

DAY = 24 * 60 * 60


def aged_sessions(store: SessionStore, scene: Scenario) -> dict[str, str]:
    """Sessions last used 40 days, 10 days and a moment ago, each with its own phrase."""
    ids = {}
    for age, phrase in ((40, "forty-days-ocelot"), (10, "ten-days-pangolin"), (0, "today-ibis")):
        rehearsal = Rehearsal.begin(store, scene, fake_model("Mm."))
        list(rehearsal.start())
        list(rehearsal.say(f"I said {phrase}."))
        with store._conn:  # as if the session had not been used since
            store._conn.execute(
                "UPDATE rehearse_sessions SET created = ?, updated = ? WHERE id = ?",
                (time.time() - age * DAY - 60, time.time() - age * DAY, rehearsal.session_id),
            )
        ids[phrase] = rehearsal.session_id
    return ids


def test_old_sessions_are_deleted_when_the_store_opens(
    store: SessionStore, scene: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = aged_sessions(store, scene)
    store.close()
    monkeypatch.setenv("REHEARSE_RETENTION_DAYS", "30")

    reopened = SessionStore(store.path)

    assert reopened.expired == [ids["forty-days-ocelot"]]
    assert {s.id for s in reopened.list()} == {ids["ten-days-pangolin"], ids["today-ibis"]}
    conn = sqlite3.connect(store.path)
    left = conn.execute(
        "SELECT count(*) FROM checkpoints WHERE thread_id = ?", (ids["forty-days-ocelot"],)
    ).fetchone()
    conn.close()
    assert left == (0,)
    data = raw_bytes(store.path)
    assert b"forty-days-ocelot" not in data
    assert b"ten-days-pangolin" in data and b"today-ibis" in data
    reopened.close()


def test_old_reframes_go_with_old_sessions(
    rehearse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.store import open_store
    from tests.test_reframing import aged_reframe

    journal = ReframeJournal()
    old = aged_reframe(journal, "", "Nobody ever listens to me.", 40)
    recent = aged_reframe(journal, "", "I'll freeze.", 10)
    monkeypatch.setenv("REHEARSE_RETENTION_DAYS", "30")
    open_store().close()
    assert not old.exists() and recent.exists()


def test_purge_older_than(store: SessionStore, scene: Scenario) -> None:
    ids = aged_sessions(store, scene)
    deleted = store.purge_older_than(5)
    assert set(deleted.ids) == {ids["forty-days-ocelot"], ids["ten-days-pangolin"]}
    assert deleted.wiped
    assert [s.id for s in store.list()] == [ids["today-ibis"]]
    assert b"pangolin" not in raw_bytes(store.path)
    assert store.purge_older_than(5).ids == []


def test_purge_older_than_one_owner(store: SessionStore, scene: Scenario) -> None:
    ids = aged_sessions(store, scene)
    with store._conn:
        store._conn.execute(
            "UPDATE rehearse_sessions SET owner = 'ben' WHERE id = ?", (ids["forty-days-ocelot"],)
        )
    assert store.purge_older_than(5, owner="ana").ids == []
    assert store.purge_older_than(5, owner="ben").ids == [ids["forty-days-ocelot"]]


@pytest.mark.parametrize(("value", "days"), [("", None), ("30", 30.0), (" 0.5 ", 0.5)])
def test_retention_setting(monkeypatch: pytest.MonkeyPatch, value: str, days: float) -> None:
    monkeypatch.setenv("REHEARSE_RETENTION_DAYS", value)
    assert retention_days() == days


@pytest.mark.parametrize("value", ["0", "-3", "thirty", "inf", "nan"])
def test_a_bad_retention_setting_is_an_error_not_a_purge(
    store: SessionStore, scene: Scenario, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    aged_sessions(store, scene)
    store.close()
    monkeypatch.setenv("REHEARSE_RETENTION_DAYS", value)
    with pytest.raises(RehearseError, match="REHEARSE_RETENTION_DAYS"):
        SessionStore(store.path)
    monkeypatch.delenv("REHEARSE_RETENTION_DAYS")
    again = SessionStore(store.path)
    assert len(again.list()) == 3
    again.close()


def test_cli_says_what_retention_deleted(
    store: SessionStore,
    scene: Scenario,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aged_sessions(store, scene)
    store.close()
    monkeypatch.setenv("REHEARSE_RETENTION_DAYS", "30")
    assert main(["sessions", "--json"]) == 0
    captured = capsys.readouterr()
    assert "deleted 1 session(s)" in captured.err
    assert captured.out.count('"id"') == 2  # standard output stays clean JSON


def test_cli_forget_older_than(
    store: SessionStore,
    scene: Scenario,
    rehearse_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ids = aged_sessions(store, scene)
    store.close()
    assert main(["forget", "--older-than", "20"]) == 1  # no terminal, no --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["forget", "--older-than", "20", "--yes"]) == 0
    assert "Deleted 1 session(s)." in capsys.readouterr().out
    after = SessionStore(rehearse_home / "sessions.sqlite")
    assert ids["forty-days-ocelot"] not in {s.id for s in after.list()}
    assert len(after.list()) == 2
    after.close()
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SystemExit):
            main(["forget", "--older-than", bad, "--yes"])
