"""Every scenario and persona Rehearse can offer: bundled ones and the user's own.

A broken file never hides the others: it is kept as a list of problems, reported by
``rehearse validate`` and when someone asks for that scenario, while the rest load.

Technique notes (``learning/``, beside ``scenarios/`` and ``personas/``) load first, so
scenarios can name them by id.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from simulator.errors import Problem, ScenarioFileError, UnknownScenario
from simulator.loader import load_note, load_persona, load_scenario
from simulator.paths import bundled_dir, user_dir
from simulator.schema import Persona, Scenario, TechniqueNote

__all__ = ["Catalog", "Entry"]


@dataclass
class Entry:
    """One scenario file: the scenario when it loaded, its problems when it did not."""

    path: Path
    origin: str  # "bundled" or "user"
    scenario: Scenario | None = None
    problems: list[Problem] = field(default_factory=list)


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


@dataclass
class Catalog:
    """Personas and scenarios loaded from a set of folders."""

    personas: dict[str, Persona] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    persona_problems: list[Problem] = field(default_factory=list)
    # Technique notes by id, from each origin's learning/ folder (beside its scenarios/).
    notes: dict[str, TechniqueNote] = field(default_factory=dict)
    note_problems: list[Problem] = field(default_factory=list)
    # The (origin, scenarios, personas) folders it was loaded from, for reload().
    folders: list[tuple[str, Path, Path]] = field(default_factory=list)

    @classmethod
    def load(cls, folders: Iterable[tuple[str, Path, Path]] | None = None) -> Catalog:
        """Load ``(origin, scenarios_dir, personas_dir)`` triples; default: bundled, then user."""
        if folders is None:
            folders = [
                ("bundled", bundled_dir("scenarios"), bundled_dir("personas")),
                ("user", user_dir("scenarios"), user_dir("personas")),
            ]
        folders = list(folders)
        catalog = cls(folders=folders)
        for _origin, scenarios_dir, _personas in folders:
            for path in _yaml_files(scenarios_dir.parent / "learning"):
                try:
                    note = load_note(path)
                except ScenarioFileError as exc:
                    catalog.note_problems.extend(exc.problems)
                    continue
                if note.id in catalog.notes:
                    message = f"learning note id {note.id!r} is used twice"
                    catalog.note_problems.append(Problem(str(path), None, "id", message))
                    continue
                catalog.notes[note.id] = note
        for _origin, _scenarios, personas_dir in folders:
            for path in _yaml_files(personas_dir):
                try:
                    persona = load_persona(path)
                except ScenarioFileError as exc:
                    catalog.persona_problems.extend(exc.problems)
                    continue
                if persona.id in catalog.personas:
                    catalog.persona_problems.append(
                        Problem(str(path), None, "id", f"persona id {persona.id!r} is used twice")
                    )
                    continue
                catalog.personas[persona.id] = persona
        seen: dict[str, Path] = {}
        for origin, scenarios_dir, _personas in folders:
            for path in _yaml_files(scenarios_dir):
                entry = Entry(path, origin)
                try:
                    entry.scenario = load_scenario(path, catalog.personas, catalog.notes)
                except ScenarioFileError as exc:
                    entry.problems = exc.problems
                if entry.scenario is not None:
                    first = seen.setdefault(entry.scenario.id, path)
                    if first != path:
                        entry.problems = [
                            Problem(
                                str(path),
                                None,
                                "id",
                                f"scenario id {entry.scenario.id!r} is already used by {first}",
                            )
                        ]
                        entry.scenario = None
                catalog.entries.append(entry)
        return catalog

    def reload(self) -> Catalog:
        """A fresh catalog from the same folders: a scenario saved since is in it."""
        return Catalog.load(self.folders)

    @property
    def scenarios(self) -> list[Scenario]:
        return [e.scenario for e in self.entries if e.scenario is not None]

    @property
    def problems(self) -> list[Problem]:
        return (
            self.note_problems
            + self.persona_problems
            + [p for e in self.entries for p in e.problems]
        )

    def get(self, scenario_id: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        for entry in self.entries:
            if entry.problems and entry.path.stem == scenario_id:
                raise ScenarioFileError(entry.problems)
        ids = [s.id for s in self.scenarios]
        close = difflib.get_close_matches(scenario_id, ids, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else " `rehearse list` shows them all."
        raise UnknownScenario(f"No scenario with id {scenario_id!r}.{hint}")
