"""Warnings a clinician or trainer would want before trainees practise with a scenario.

A file can be valid and still not work as intended. ``rehearse lint`` reports, each
with file and line:

- ``goal-no-success``: a goal whose success criterion is empty, a TODO, or just its
  description again: nobody can tell when the trainee has done it.
- ``never-true``: a reveal, private note or goal whose condition can never hold within
  the state variables' ranges (``trust >= 12`` when trust goes to 10): found by interval
  reasoning over each ``and`` group, without playing the scene.
- ``true-at-start``: a reveal or private note whose condition already holds at the
  start, so nothing is earned; an end condition that holds at the start ends the
  scene at once.
- ``end-unreachable``: an end condition that can never hold; the scene then only ends
  after ``max_turns`` or when the user stops.
- ``persona-no-want`` / ``persona-no-fear``: a persona without a real want or fear
  (only blanks or TODO lines), which leaves the character without motive.
- ``todo``: any text still starting with ``TODO`` (imports and ``rehearse new`` leave them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.authoring.issues import Issue, from_problems
from simulator.conditions import Clause, Condition
from simulator.errors import ScenarioFileError
from simulator.loader import parse_yaml, persona_from_text, read_text, scenario_from_text
from simulator.schema import Persona, Scenario, StateVariable, compiled

__all__ = [
    "RULES",
    "can_hold",
    "holds_at_start",
    "lint_file",
    "lint_persona",
    "lint_scenario",
    "lint_text",
]

RULES = (
    "goal-no-success",
    "never-true",
    "true-at-start",
    "end-unreachable",
    "persona-no-want",
    "persona-no-fear",
    "todo",
)

FieldPath = tuple[str | int, ...]


@dataclass
class _Interval:
    """The values a variable may take: ``low..high``, each end open or closed."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def empty(self) -> bool:
        if self.low > self.high:
            return True
        return self.low == self.high and (self.low_open or self.high_open)

    def narrow(self, clause: Clause) -> None:
        v, op = clause.value, clause.op
        if op in (">=", ">", "==") and (v > self.low or (v == self.low and op == ">")):
            self.low, self.low_open = v, op == ">"
        if op in ("<=", "<", "==") and (v < self.high or (v == self.high and op == "<")):
            self.high, self.high_open = v, op == "<"


def can_hold(condition: Condition, ranges: Mapping[str, StateVariable]) -> bool:
    """Whether some values within the variables' ranges make ``condition`` true."""
    for group in condition.groups:
        intervals: dict[str, _Interval] = {}
        excluded: dict[str, set[float]] = {}
        for clause in group:
            var = ranges.get(clause.variable)
            low, high = (var.min, var.max) if var else (-math.inf, math.inf)
            interval = intervals.setdefault(clause.variable, _Interval(low, high))
            if clause.op == "!=":
                excluded.setdefault(clause.variable, set()).add(clause.value)
            else:
                interval.narrow(clause)
        if all(
            not iv.empty() and not (iv.low == iv.high and iv.low in excluded.get(name, set()))
            for name, iv in intervals.items()
        ):
            return True
    return False


def holds_at_start(condition: Condition, ranges: Mapping[str, StateVariable]) -> bool:
    return condition.holds({name: var.start for name, var in ranges.items()})


def _is_todo(text: str | None) -> bool:
    return text is None or not text.strip() or text.strip().upper().startswith("TODO")


class _Linter:
    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.doc = parse_yaml(text, file)
        self.issues: list[Issue] = []

    def warn(self, path: FieldPath, rule: str, message: str, suggestion: str | None = None) -> None:
        field = ""
        for step in path:
            field += f"[{step}]" if isinstance(step, int) else (f".{step}" if field else step)
        self.issues.append(
            Issue(
                self.file,
                self.doc.line_of(path),
                field or None,
                f"{message} [{rule}]",
                suggestion,
                "warning",
            )
        )

    def todos(self, data: Any, path: FieldPath = ()) -> None:
        if isinstance(data, str):
            if data.strip().upper().startswith("TODO"):
                rest = data.strip()[4:].lstrip(":").strip()
                self.warn(path, "todo", "still to write: " + (rest[:80] or "(empty)"))
        elif isinstance(data, dict):
            for key, value in data.items():
                if key != "imported":  # kept verbatim from the original; not ours to fix
                    self.todos(value, (*path, key))
        elif isinstance(data, list):
            for i, value in enumerate(data):
                self.todos(value, (*path, i))

    def persona(self, persona: Persona, path: FieldPath = ()) -> None:
        if all(_is_todo(w) for w in persona.wants):
            self.warn(
                (*path, "wants"),
                "persona-no-want",
                f"{persona.name} has no real want; a character without one has no reason to "
                "engage or resist",
                "write what they want from this conversation",
            )
        if all(_is_todo(f) for f in persona.fears):
            self.warn(
                (*path, "fears"),
                "persona-no-fear",
                f"{persona.name} has no real fear; without one there is nothing to protect "
                "and nothing for the trainee to discover",
                "write what they fear or protect",
            )

    def condition(
        self, path: FieldPath, text: str | None, ranges: Mapping[str, StateVariable], what: str
    ) -> None:
        if text is None:
            return
        condition = compiled(text)
        span = ", ".join(
            f"{name} {ranges[name].min:g}..{ranges[name].max:g}"
            for name in sorted(condition.variables)
            if name in ranges
        )
        if not can_hold(condition, ranges):
            rule = "end-unreachable" if what == "end" else "never-true"
            outcome = {
                "end": "the scene will only end after max_turns or when the user stops",
                "goal": "the goal can never be met by the state",
            }.get(what, "it will never be revealed")
            self.warn(
                path,
                rule,
                f"{text!r} can never be true within the state's range ({span}): {outcome}",
                "compare the numbers with each variable's min and max",
            )
        elif what in ("reveal", "note", "end") and holds_at_start(condition, ranges):
            outcome = (
                "the scene ends at once" if what == "end" else "it is disclosed from the first turn"
            )
            self.warn(
                path,
                "true-at-start",
                f"{text!r} already holds at the start: {outcome}",
                "raise the threshold above the start value, or lower the start",
            )


def _ranges(scenario: Scenario, owner: str | None) -> dict[str, StateVariable]:
    ranges = scenario.variables()
    if owner is not None:
        ranges = {**ranges, **scenario.member_state(owner)}
    return ranges


def _tidy(issues: list[Issue]) -> list[Issue]:
    """By line; a TODO already named by a sharper rule (a goal's success) is said once."""
    sharper = {(i.field or "") for i in issues if not i.message.endswith("[todo]")}
    kept = [
        i
        for i in issues
        if not i.message.endswith("[todo]")
        or not any((i.field or "").startswith(f) for f in sharper if f)
    ]
    return sorted(kept, key=lambda i: (i.file, i.line or 0))


def lint_scenario(scenario: Scenario, text: str, file: str) -> list[Issue]:
    """Warnings for a scenario that already validated from ``text``."""
    lint = _Linter(file, text)
    lint.todos(lint.doc.data)
    for i, goal in enumerate(scenario.goals):
        path: FieldPath = ("goals", i)
        if _is_todo(goal.success) or goal.success.strip() == goal.description.strip():
            lint.warn(
                (*path, "success"),
                "goal-no-success",
                f"goal {goal.id!r} has no success criterion: nobody can tell when it is met",
                "describe what the trainee says or does when they have done it",
            )
        lint.condition((*path, "met_when"), goal.met_when, _ranges(scenario, None), "goal")
    first = scenario.cast[0].persona_id
    for i, reveal in enumerate(scenario.reveals):
        owner = reveal.character or first
        lint.condition(("reveals", i, "when"), reveal.when, _ranges(scenario, owner), "reveal")
    for i, member in enumerate(scenario.cast):
        persona = member.persona
        if not isinstance(persona, Persona):
            continue
        inline = isinstance(lint.doc.data["cast"][i].get("persona"), dict)
        base: FieldPath = ("cast", i, "persona")
        if inline:
            lint.persona(persona, base)
        for j, note in enumerate(persona.private_notes):
            # A note in a persona file is linted here, where its ranges are known;
            # its line is then the cast entry's.
            where = (*base, "private_notes", j, "when") if inline else base
            lint.condition(where, note.when, _ranges(scenario, persona.id), "note")
    lint.condition(("end", "when"), scenario.end.when, _ranges(scenario, None), "end")
    return _tidy(lint.issues)


def lint_persona(persona: Persona, text: str, file: str) -> list[Issue]:
    lint = _Linter(file, text)
    lint.todos(lint.doc.data)
    lint.persona(persona)
    return _tidy(lint.issues)


def lint_text(
    text: str, file: str, personas: Mapping[str, Persona], kind: str | None = None
) -> list[Issue]:
    """Errors if ``text`` does not validate; otherwise the warnings above."""
    from simulator.authoring.workspace import detect_kind

    try:
        data = parse_yaml(text, file).data
        kind = kind or detect_kind(data)
        if kind == "persona":
            return lint_persona(persona_from_text(text, file), text, file)
        return lint_scenario(scenario_from_text(text, file, personas), text, file)
    except ScenarioFileError as exc:
        return from_problems(exc.problems)


def lint_file(path: Path, personas: Mapping[str, Persona]) -> list[Issue]:
    try:
        text = read_text(path)
    except ScenarioFileError as exc:
        return from_problems(exc.problems)
    kind = "persona" if "personas" in path.parts else None
    return lint_text(text, str(path), personas, kind)
