"""The bundled scenarios and personas: valid, varied, editor-friendly and playable."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from simulator.catalog import Catalog
from simulator.conditions import parse_condition
from simulator.loader import load_persona
from simulator.paths import bundled_dir
from simulator.schema import SCHEMA_FILES, Persona, Scenario, TechniqueNote, json_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_COMMENT = "# yaml-language-server: $schema=./schema.json"
SCENARIO_FILES = sorted(bundled_dir("scenarios").glob("*.y*ml"))
PERSONA_FILES = sorted(bundled_dir("personas").glob("*.y*ml"))


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return Catalog.load([("bundled", bundled_dir("scenarios"), bundled_dir("personas"))])


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_bundled_content_is_found() -> None:
    assert SCENARIO_FILES
    assert PERSONA_FILES


def test_every_bundled_file_validates(bundled: Catalog) -> None:
    assert [str(p) for p in bundled.problems] == []
    assert len(bundled.entries) == len(SCENARIO_FILES)
    assert all(e.scenario is not None for e in bundled.entries)
    assert len(bundled.personas) == len(PERSONA_FILES)


@pytest.mark.parametrize("path", PERSONA_FILES, ids=_ids(PERSONA_FILES))
def test_each_persona_loads_on_its_own(path: Path) -> None:
    assert isinstance(load_persona(path), Persona)


def test_scenario_ids_are_unique_and_match_file_names(bundled: Catalog) -> None:
    # The file name is how `Catalog.get` finds a broken scenario, so keep them equal.
    assert [e.scenario.id for e in bundled.entries if e.scenario] == [
        p.stem for p in SCENARIO_FILES
    ]


def test_persona_ids_match_file_names(bundled: Catalog) -> None:
    assert sorted(bundled.personas) == sorted(p.stem for p in PERSONA_FILES)


def test_there_are_enough_scenarios_in_every_category(bundled: Catalog) -> None:
    counts = Counter(s.category for s in bundled.scenarios)
    assert len(bundled.scenarios) >= 8
    assert counts["difficult-conversation"] >= 4
    assert counts["clinical-practice"] >= 2
    assert counts["inner-parts"] >= 2


@pytest.mark.parametrize(
    "path", SCENARIO_FILES + PERSONA_FILES, ids=_ids(SCENARIO_FILES + PERSONA_FILES)
)
def test_every_bundled_file_points_editors_at_its_schema(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == SCHEMA_COMMENT


@pytest.mark.parametrize(("relative", "model"), sorted(SCHEMA_FILES.items()))
def test_published_json_schema_is_up_to_date(relative: str, model: type) -> None:
    published = (ROOT / relative).read_text(encoding="utf-8")
    assert published == json_schema(model), (
        f"{relative} is stale; regenerate it with `python -m simulator.schema`"
    )


def test_schema_files_cover_both_models() -> None:
    assert set(SCHEMA_FILES.values()) == {Scenario, Persona, TechniqueNote}


def _conditions(scenario: Scenario) -> list[tuple[str, str]]:
    found = [(f"goals.{g.id}.met_when", g.met_when) for g in scenario.goals]
    found += [(f"reveals.{r.id}.when", r.when) for r in scenario.reveals]
    found.append(("end.when", scenario.end.when))
    return [(where, text) for where, text in found if text is not None]


def test_no_condition_already_holds_at_the_start(bundled: Catalog) -> None:
    already = [
        f"{scenario.id}: {where} ({text}) holds at {scenario.start_state()}"
        for scenario in bundled.scenarios
        for where, text in _conditions(scenario)
        if parse_condition(text).holds(scenario.start_state())
    ]
    assert already == []


def test_every_scenario_has_something_to_reach(bundled: Catalog) -> None:
    # Without any condition, the state could never mark progress in the debrief.
    # A free expression scene has nothing to reach, on purpose.
    reachable = [s for s in bundled.scenarios if s.category != "expression"]
    assert [s.id for s in reachable if not _conditions(s)] == []


def test_private_notes_only_name_variables_of_every_scenario_using_the_persona(
    bundled: Catalog,
) -> None:
    personas = {p.stem: load_persona(p) for p in PERSONA_FILES}
    users: dict[str, list[Scenario]] = {}
    for scenario in bundled.scenarios:
        for member in scenario.cast:
            users.setdefault(member.persona_id, []).append(scenario)

    mismatches = [
        f"{persona_id}: note {note.fact[:40]!r} names {sorted(unknown)} "
        f"unknown to {scenario.id} ({', '.join(scenario.state)})"
        for persona_id, persona in personas.items()
        for note in persona.private_notes
        if note.when is not None
        for scenario in users.get(persona.id, [])
        if (unknown := parse_condition(note.when).variables - set(scenario.state))
    ]
    assert mismatches == []


def test_every_cast_persona_is_a_bundled_persona(bundled: Catalog) -> None:
    for scenario in bundled.scenarios:
        for member in scenario.cast:
            assert isinstance(member.persona, Persona)
            assert member.persona.id in bundled.personas, (scenario.id, member.persona_id)
