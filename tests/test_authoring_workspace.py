"""The user's scenario folder: live checks, saves with history, restore, drafts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.authoring.workspace import Workspace
from simulator.catalog import Catalog
from simulator.errors import RehearseError, ScenarioFileError
from simulator.paths import bundled_dir

BUNDLED_CBT = bundled_dir("scenarios") / "cbt-guided-discovery.yaml"


def my_copy(text: str | None = None, scenario_id: str = "my-cbt") -> str:
    text = text if text is not None else BUNDLED_CBT.read_text(encoding="utf-8")
    return text.replace("id: cbt-guided-discovery", f"id: {scenario_id}", 1)


@pytest.fixture
def ws(rehearse_home: Path) -> Workspace:
    return Workspace()


def test_check_reports_line_field_and_suggestion_apart(ws: Workspace) -> None:
    text = my_copy().replace("  trust:\n    start: 4", "  trust:\n    strat: 4", 1)
    checked = ws.check(text)
    assert checked.kind == "scenario" and not checked.ok and checked.scenario is None
    typo = next(i for i in checked.issues if i.field == "state.trust.strat")
    assert typo.message == "unknown key 'strat'"
    assert typo.suggestion == "did you mean 'start'?"
    assert text.splitlines()[typo.line - 1].strip() == "strat: 4"


NOTE = """\
id: my-technique
technique: My technique
summary: What it is and why it helps.
steps:
  - Do the first thing.
"""


def test_check_resolves_technique_notes_like_the_catalog(
    ws: Workspace, rehearse_home: Path
) -> None:
    (rehearse_home / "learning").mkdir()
    (rehearse_home / "learning" / "my-technique.yaml").write_text(NOTE, encoding="utf-8")
    lines = [line for line in my_copy().splitlines() if not line.startswith("  techniques:")]
    text = "\n".join(lines).replace("\nlearning:\n", "\nlearning:\n  techniques: [my-technique]\n")
    assert "techniques: [my-technique]" in text
    assert ws.check(text).ok
    checked = ws.check(text.replace("[my-technique]", "[my-tecnique]"))
    assert [i.field for i in checked.issues] == ["learning.techniques[0]"]
    assert checked.issues[0].suggestion == "did you mean 'my-technique'?"


def test_check_reports_bad_yaml_with_its_line(ws: Workspace) -> None:
    checked = ws.check("id: x\ntitle: [unclosed\n")
    assert not checked.ok
    assert checked.issues[0].line in (2, 3) and "invalid YAML" in checked.issues[0].message


def test_check_knows_a_persona_text(ws: Workspace) -> None:
    text = (bundled_dir("personas") / "hannah-client.yaml").read_text(encoding="utf-8")
    checked = ws.check(text.replace("fears:", "fars:"))
    assert checked.kind == "persona"
    assert any(i.suggestion == "did you mean 'fears'?" for i in checked.issues)
    assert ws.check(text).persona is not None


def test_a_bundled_id_is_refused_and_the_bundled_file_untouched(ws: Workspace) -> None:
    before = BUNDLED_CBT.read_bytes()
    text = BUNDLED_CBT.read_text(encoding="utf-8")
    checked = ws.check(text, saving=True)
    assert [i.field for i in checked.issues] == ["id"]
    assert checked.issues[0].suggestion == "use 'cbt-guided-discovery-2'"
    with pytest.raises(ScenarioFileError, match="is a bundled scenario"):
        ws.save(text)
    assert BUNDLED_CBT.read_bytes() == before
    assert list(ws.folder("scenario").glob("*.yaml")) == []


def test_an_invalid_text_is_not_saved(ws: Workspace) -> None:
    with pytest.raises(ScenarioFileError, match="gaols"):
        ws.save(my_copy().replace("goals:", "gaols:"))
    assert not ws.path_of("scenario", "my-cbt").exists()


def test_every_save_is_kept_and_any_version_can_be_restored(ws: Workspace) -> None:
    first = ws.save(my_copy())
    assert first.replaced is None and first.path == ws.folder("scenario") / "my-cbt.yaml"
    second_text = my_copy().replace("a 29-year-old architect", "a 31-year-old architect")
    second = ws.save(second_text)
    assert second.replaced == first.version
    versions = ws.versions("scenario", "my-cbt")
    assert [v.stamp for v in versions] == [second.version.stamp, first.version.stamp]
    assert versions[1].text() == my_copy()

    restored = ws.restore("scenario", "my-cbt", first.version.stamp)
    assert first.path.read_text(encoding="utf-8") == my_copy()
    assert restored.replaced == second.version
    # Restoring is itself a save: the text it replaced can be restored in turn.
    assert len(ws.versions("scenario", "my-cbt")) == 3
    assert ws.versions("scenario", "my-cbt")[1].text() == second_text


def test_a_file_edited_outside_is_kept_before_it_is_replaced(ws: Workspace) -> None:
    saved = ws.save(my_copy())
    hand_edited = my_copy().replace("Monday, 6pm", "Tuesday, 7pm")
    saved.path.write_text(hand_edited, encoding="utf-8")
    again = ws.save(my_copy().replace("Monday, 6pm", "Friday, 5pm"))
    assert again.replaced is not None and again.replaced.text() == hand_edited


def test_the_catalog_loads_saves_and_ignores_the_history(ws: Workspace) -> None:
    ws.save(my_copy())
    ws.save(my_copy().replace("Monday, 6pm", "Friday, 5pm"))
    catalog = Catalog.load()
    assert catalog.problems == []
    assert "Friday, 5pm" in catalog.get("my-cbt").setting
    assert [e.origin for e in catalog.entries if e.path.stem == "my-cbt"] == ["user"]


def test_a_scenario_may_use_a_persona_saved_before_it(ws: Workspace) -> None:
    persona = (bundled_dir("personas") / "hannah-client.yaml").read_text(encoding="utf-8")
    ws.save(persona.replace("id: hannah-client", "id: hannah-two"))
    saved = ws.save(my_copy().replace("hannah-client", "hannah-two"))
    assert saved.item_id == "my-cbt"
    assert ws.free_id("persona", "hannah-two") == "hannah-two-2"


def test_personas_are_read_again_when_a_file_changes(ws: Workspace) -> None:
    scene = my_copy().replace("hannah-client", "hannah-three")
    assert not ws.check(scene, "scenario").ok  # no such persona yet (and now cached)
    persona = (bundled_dir("personas") / "hannah-client.yaml").read_text(encoding="utf-8")
    ws.save(persona.replace("id: hannah-client", "id: hannah-three"))
    assert ws.check(scene, "scenario").ok
    ws.remove("persona", "hannah-three")
    assert not ws.check(scene, "scenario").ok


def test_remove_keeps_the_text_in_the_history(ws: Workspace) -> None:
    ws.save(my_copy())
    kept = ws.remove("scenario", "my-cbt")
    assert not ws.path_of("scenario", "my-cbt").exists()
    assert kept.text() == my_copy()
    ws.restore("scenario", "my-cbt", kept.stamp)
    assert ws.path_of("scenario", "my-cbt").exists()


def test_drafts_keep_invalid_text_exactly_and_survive_a_new_process(
    ws: Workspace, rehearse_home: Path
) -> None:
    broken = "id: half-written\ntitle: [not closed\n  cast: \u00e9\u00e8 \t\n"
    ws.save_draft("tab-1.scene", broken)
    assert Workspace().load_draft("tab-1.scene") == broken
    code = (
        "import sys; from simulator.authoring.workspace import Workspace; "
        "sys.stdout.write(Workspace().load_draft('tab-1.scene'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        env={**os.environ, "REHEARSE_HOME": str(rehearse_home), "PYTHONIOENCODING": "utf-8"},
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.decode("utf-8") == broken
    assert [d.draft_id for d in ws.drafts()] == ["tab-1.scene"]
    ws.delete_draft("tab-1.scene")
    assert ws.load_draft("tab-1.scene") is None


@pytest.mark.parametrize("bad", ["../escape", "", "a/b", ".hidden"])
def test_draft_ids_cannot_leave_the_drafts_folder(ws: Workspace, bad: str) -> None:
    with pytest.raises(RehearseError, match="draft id"):
        ws.save_draft(bad, "text")


def test_item_ids_cannot_leave_the_folder(ws: Workspace) -> None:
    with pytest.raises(RehearseError, match="not an id"):
        ws.versions("scenario", "../../etc")


def test_saved_files_are_owner_only(ws: Workspace) -> None:
    saved = ws.save(my_copy())
    draft = ws.save_draft("d", "x")
    if os.name == "posix":
        for path in (saved.path, saved.version.path, draft.path):
            assert path.stat().st_mode & 0o077 == 0, path


def test_the_live_check_benchmark_runs() -> None:
    # Smoke only: the figures belong to `python -m benchmarks.bench_authoring`, not to tests.
    from benchmarks.bench_authoring import run, summary

    result = run(repeat=2)
    assert result["warm_ms"] > 0 and result["baseline_ms"] > 0
    assert "live check" in summary(result)


def test_technique_notes_are_checked_saved_and_never_over_a_bundled_one(ws: Workspace) -> None:
    checked = ws.check(NOTE)
    assert checked.kind == "note" and checked.note is not None and checked.ok
    assert ws.check(NOTE.replace("steps:", "stepz:")).issues[-1].suggestion == (
        "did you mean 'steps'?"
    )
    saved = ws.save(NOTE)
    assert saved.path == ws.root / "learning" / "my-technique.yaml"
    assert "my-technique" in ws.notes()
    bundled = next(iter(ws.ids("note", "bundled")))
    with pytest.raises(ScenarioFileError, match="is a bundled note"):
        ws.save(NOTE.replace("id: my-technique", f"id: {bundled}"))
