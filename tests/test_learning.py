"""Learning notes: shared technique notes, named by scenarios, shown before and after a scene."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rehearse.cli import main
from rehearse.terminal import play
from simulator.catalog import Catalog
from simulator.errors import ScenarioFileError
from simulator.learning import note_markdown, note_text
from simulator.loader import load_note, load_scenario
from simulator.report import debrief_text, export_markdown
from simulator.schema import TechniqueNote, json_schema
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, fake_model
from ui import render

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return Catalog.load([("bundled", ROOT / "scenarios", ROOT / "personas")])


def test_every_bundled_scenario_links_real_notes(bundled: Catalog) -> None:
    assert bundled.problems == []
    assert {"desc-script", "oars", "i-statements", "self-stance"} <= set(bundled.notes)
    for scenario in bundled.scenarios:
        notes = scenario.learning.notes
        assert notes, f"{scenario.id} has no technique note"
        assert len(notes) == len(scenario.learning.techniques)  # every id resolved
    by_id = {s.id: {n.id for n in s.learning.notes} for s in bundled.scenarios}
    assert by_id["mi-ambivalent-drinking"] == {"oars"}
    assert all(
        "self-stance" in by_id[s.id] for s in bundled.scenarios if s.category == "inner-parts"
    )
    for note in bundled.notes.values():
        assert len(note.steps) >= 3 and note.further_reading and note.example, note.id


def test_the_notes_schema_is_published() -> None:
    published = (ROOT / "learning" / "schema.json").read_text(encoding="utf-8")
    assert published == json_schema(TechniqueNote)


def _scene(folder: Path, learning: str) -> Path:
    text = (DATA / "scenarios" / "test-scene.yaml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scene.yaml"
    path.write_text(text + learning, encoding="utf-8")
    return path


def test_an_unknown_note_id_names_file_line_and_the_nearest_id(
    tmp_path: Path, bundled: Catalog, test_catalog: Catalog
) -> None:
    path = _scene(tmp_path, "learning:\n  techniques:\n    - oars\n    - desc-scrpt\n")
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path, test_catalog.personas, bundled.notes)
    (problem,) = caught.value.problems
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1].strip() == "- desc-scrpt"
    assert problem.field == "learning.techniques[1]"
    assert "did you mean 'desc-script'" in problem.message
    assert str(problem).startswith(f"{path}:{problem.line}: learning.techniques[1]:")


def test_an_inline_note_and_a_shared_one(
    tmp_path: Path, bundled: Catalog, test_catalog: Catalog
) -> None:
    path = _scene(
        tmp_path,
        "learning:\n  techniques:\n    - oars\n    - id: pause-first\n"
        "      technique: Pause first\n      summary: Breathe before you answer.\n"
        "      steps: [Notice the urge to answer, Breathe out, Then speak]\n",
    )
    scenario = load_scenario(path, test_catalog.personas, bundled.notes)
    assert [n.id for n in scenario.learning.notes] == ["oars", "pause-first"]
    assert scenario.learning.notes[0] == bundled.notes["oars"]


def test_a_broken_note_file_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "learning"
    folder.mkdir()
    bad = folder / "bad.yaml"
    bad.write_text(
        "id: bad\ntechnique: Bad\nsummary: x\nstep:\n  - one\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioFileError) as caught:
        load_note(bad)
    messages = {(p.line, p.field, p.message) for p in caught.value.problems}
    assert (4, "step", "unknown key 'step'; did you mean 'steps'?") in messages
    # In a catalog it is listed with the other problems, and the other notes still load.
    (folder / "good.yaml").write_text(
        "id: good\ntechnique: Good\nsummary: x\nsteps: [one]\n", encoding="utf-8"
    )
    catalog = Catalog.load([("test", tmp_path / "scenarios", tmp_path / "personas")])
    assert list(catalog.notes) == ["good"]
    assert any(p.file == str(bad) and p.line == 4 for p in catalog.problems)


def test_validate_and_learn_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "learning"), str(ROOT / "scenarios")]) == 0
    assert "file(s) valid" in capsys.readouterr().out
    assert main(["learn"]) == 0
    listing = capsys.readouterr().out
    assert "oars" in listing and "mi-ambivalent-drinking" in listing
    assert main(["learn", "oars"]) == 0
    full = capsys.readouterr().out
    assert "OARS (motivational interviewing)" in full and "Further reading" in full
    assert main(["learn", "boundary-with-mum", "--json"]) == 0
    assert [n["id"] for n in json.loads(capsys.readouterr().out)] == [
        "i-statements",
        "desc-script",
    ]
    assert main(["learn", "oarz"]) == 1
    assert "No learning note or scenario 'oarz'" in capsys.readouterr().err


def test_shown_before_the_scene_on_request_and_linked_from_the_debrief(
    store: SessionStore, bundled: Catalog
) -> None:
    scenario = bundled.get("mi-ambivalent-drinking")
    oars = bundled.notes["oars"]
    rehearsal = Rehearsal.begin(
        store, scenario, fake_model("Fine, I guess.", "rewrite"), assessor="rules"
    )
    out = io.StringIO()
    script = "/learn\nWhat brings you here today?\n/end\n"
    assert play(rehearsal, new=True, stdin=io.StringIO(script), stdout=out) == 0
    text = out.getvalue()
    before_scene = text[: text.index("Session ")]
    assert "The technique (/learn shows the full notes):" in before_scene
    assert "OARS (motivational interviewing): The core skills" in before_scene
    assert note_text(oars) in text  # /learn: the whole note, steps and sources
    debrief = rehearsal.debrief()
    assert debrief is not None
    assert debrief["techniques"] == [oars.model_dump()]
    assert "rehearse learn oars" in debrief_text(debrief)
    meta = store.get(rehearsal.session_id).as_dict()
    exported = export_markdown(meta, rehearsal.lines(), debrief)
    assert "## Learning notes" in exported and note_markdown(oars) in exported


def test_the_studio_shows_the_note_as_a_panel(bundled: Catalog) -> None:
    scenario = bundled.get("feedback-missed-deadlines")
    card = render.scenario_card(scenario)
    assert "<details class='learn' id='learn-sbi-feedback'>" in card
    assert "<summary>Learn: Situation, Behaviour, Impact (SBI) feedback</summary>" in card
    assert "id='learn-reflective-listening'" in render.brief_markdown(scenario, "medium")
    debrief = {
        "next_practice": "Again.",
        "learning_note": None,
        "techniques": [n.model_dump() for n in scenario.learning.notes],
    }
    after = render._next(debrief)  # the debrief's "Next practice" card
    assert "The technique, to read again" in after and "id='learn-sbi-feedback'" in after
    # Author text is escaped, never live HTML.
    odd = scenario.learning.notes[0].model_copy(update={"summary": "<script>x</script>"})
    assert "<script>" not in render.scenario_card(
        scenario.model_copy(
            update={"learning": scenario.learning.model_copy(update={"techniques": [odd]})}
        )
    )


def test_your_own_notes_live_beside_your_own_scenarios(rehearse_home: Path) -> None:
    (rehearse_home / "learning").mkdir(parents=True)
    (rehearse_home / "learning" / "pause-first.yaml").write_text(
        "id: pause-first\ntechnique: Pause first\nsummary: Breathe before you answer.\n"
        "steps: [Notice the urge, Breathe out, Then speak]\n",
        encoding="utf-8",
    )
    (rehearse_home / "personas").mkdir()
    persona = (DATA / "personas" / "sam-test.yaml").read_text(encoding="utf-8")
    (rehearse_home / "personas" / "sam-test.yaml").write_text(persona, encoding="utf-8")
    _scene(rehearse_home / "scenarios", "learning:\n  techniques: [pause-first, oars]\n")
    catalog = Catalog.load()  # bundled, then yours
    scenario = catalog.get("test-scene")
    assert [n.id for n in scenario.learning.notes] == ["pause-first", "oars"]
