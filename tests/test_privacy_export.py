"""Take it with you: `rehearse export --all` writes every session into one .zip."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from rehearse.cli import main
from simulator.archive import ARCHIVE_FORMAT, write_archive
from simulator.catalog import Catalog
from simulator.reframing import ReframeJournal
from simulator.report import export_json
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, fake_model


@pytest.fixture
def sessions(store: SessionStore, scene: Scenario, rehearse_home: Path) -> dict[str, str]:
    """A finished session with a rewind, an unfinished one, and one whose scenario is gone."""
    finished = Rehearsal.begin(store, scene, fake_model("One.", "Two.", "Other.", "Rewrite."))
    list(finished.start())
    list(finished.say("First line."))
    list(finished.say("Abandoned second line."))
    finished.rewind(2)
    list(finished.say("Better second line."))
    list(finished.end())
    unfinished = Rehearsal.begin(store, scene, fake_model("Hm."))
    list(unfinished.start())
    list(unfinished.say("Just started."))
    orphan = Rehearsal.begin(store, scene, fake_model("Gone soon."))
    list(orphan.start())
    list(orphan.say("My scenario file was deleted."))
    with store._conn:
        store._conn.execute(
            "UPDATE rehearse_sessions SET scenario_id = 'deleted-scene' WHERE id = ?",
            (orphan.session_id,),
        )
    store.close()
    # The command line finds the test scene among the user's own scenarios.
    for kind, name in (("scenarios", "test-scene.yaml"), ("personas", "sam-test.yaml")):
        (rehearse_home / kind).mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / kind / name, rehearse_home / kind / name)
    return {
        "finished": finished.session_id,
        "unfinished": unfinished.session_id,
        "orphan": orphan.session_id,
    }


def read_archive(path: Path) -> tuple[dict, dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    return json.loads(files.pop("manifest.json")), files


def test_export_all_writes_every_session(
    sessions: dict[str, str],
    rehearse_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "mine.zip"
    assert main(["export", "--all", "-o", str(target)]) == 0
    assert "3 session(s)" in capsys.readouterr().out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.part"))

    manifest, files = read_archive(target)
    assert manifest["format"] == ARCHIVE_FORMAT and manifest["version"] == 1
    entries = {entry["id"]: entry for entry in manifest["sessions"]}
    assert set(entries) == set(sessions.values())
    assert sorted(files) == sorted(
        name for entry in manifest["sessions"] for name in (entry["json"], entry["markdown"])
    )
    assert all(name.startswith("sessions/") for name in files)

    finished = entries[sessions["finished"]]
    assert finished["status"] == "finished" and finished["scenario_id"] == "test-scene"
    assert finished["title"] == "A test scene" and finished["turns"] == 2
    data = json.loads(files[finished["json"]])
    assert data["session"]["id"] == sessions["finished"]
    said = [line["text"] for line in data["transcript"] if line["speaker"] == "you"]
    assert said == ["First line.", "Better second line."]
    assert data["debrief"]["user_turns"] == 2
    abandoned = [
        line["text"] for branch in data["other_branches"] for line in branch if line["turn"] == 2
    ]
    assert "Abandoned second line." in abandoned
    markdown = files[finished["markdown"]]
    assert markdown.startswith("# A test scene")
    assert "**You** (turn 2): Better second line." in markdown
    assert "DEBRIEF: A test scene" in markdown
    assert "Earlier branch 1" in markdown and "Abandoned second line." in markdown

    unfinished = json.loads(files[entries[sessions["unfinished"]]["json"]])
    assert unfinished["debrief"] is None and unfinished["other_branches"] == []
    assert "Just started." in files[entries[sessions["unfinished"]]["markdown"]]

    orphan = json.loads(files[entries[sessions["orphan"]]["json"]])
    assert orphan["session"]["scenario_id"] == "deleted-scene"
    assert [line["text"] for line in orphan["transcript"]] == [
        "You wanted to see me?",
        "My scenario file was deleted.",
        "Gone soon.",
    ]


def test_export_all_default_name_and_empty_store(
    rehearse_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--all"]) == 0
    (written,) = tmp_path.glob("rehearse-sessions-*.zip")
    manifest, files = read_archive(written)
    assert manifest["sessions"] == [] and files == {}


def test_export_all_of_one_owner(store: SessionStore, scene: Scenario, tmp_path: Path) -> None:
    mine = Rehearsal.begin(store, scene, fake_model("Hi."), owner="ana")
    list(mine.start())
    Rehearsal.begin(store, scene, fake_model(), owner="ben")
    catalog = Catalog.load([("test", DATA / "scenarios", DATA / "personas")])
    journal = ReframeJournal()
    thoughts = {}
    for who, thought in (("ana", "I always mess up meetings."), ("ben", "Nobody likes me.")):
        reframe = journal.new(owner=who)
        reframe.thought = thought
        journal.save(reframe)
        thoughts[who] = reframe.id
    written = write_archive(store, catalog, tmp_path / "ana.zip", owner="ana")
    assert [s.id for s in written] == [mine.session_id]
    manifest, files = read_archive(tmp_path / "ana.zip")
    assert [entry["id"] for entry in manifest["sessions"]] == [mine.session_id]
    # Her saved reframes go with her sessions; nobody else's.
    (reframe,) = manifest["reframes"]
    assert reframe["id"] == thoughts["ana"]
    assert json.loads(files[reframe["json"]])["thought"] == "I always mess up meetings."
    assert "I always mess up meetings." in files[reframe["markdown"]]
    assert not any("Nobody likes me." in text for text in files.values())


def test_single_session_export_is_unchanged(
    sessions: dict[str, str], rehearse_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", sessions["finished"], "--format", "json"]) == 0
    out = capsys.readouterr().out
    store = SessionStore(rehearse_home / "sessions.sqlite")
    scene = Catalog.load().get("test-scene")
    rehearsal = Rehearsal(store, sessions["finished"], scene)
    meta = store.get(sessions["finished"]).as_dict()
    assert out == export_json(meta, rehearsal.lines(), rehearsal.debrief())
    assert "other_branches" not in json.loads(out)
    store.close()
    assert main(["export", sessions["finished"]]) == 0
    assert capsys.readouterr().out.startswith("# A test scene")


def test_export_needs_one_session_or_all(
    sessions: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export"]) == 1
    assert "--all" in capsys.readouterr().err
    assert main(["export", sessions["finished"], "--all"]) == 1
    assert "not both" in capsys.readouterr().err
