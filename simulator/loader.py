"""Read scenario and persona YAML files into validated models, with line-accurate errors.

The document is composed once into YAML nodes; the nodes give every field path its
line number, and the same nodes are constructed into plain data for pydantic. Anything
wrong (YAML syntax, an unknown key, a wrong type, a condition naming an unknown state
variable, a persona id that does not exist) becomes a :class:`~simulator.errors.Problem`
naming the file, the line and the field path, with the nearest valid key for a typo.

Files are untrusted input: size, nesting depth and node count are capped before
anything walks the data, so an alias bomb or a huge file fails fast in bounded memory,
and only YAML's safe tags are accepted.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simulator.errors import Problem, ScenarioFileError
from simulator.schema import Persona, Scenario, TechniqueNote, cross_check

__all__ = [
    "MAX_FILE_BYTES",
    "load_note",
    "load_persona",
    "load_scenario",
    "note_from_text",
    "parse_yaml",
    "persona_from_text",
    "read_text",
    "scenario_from_text",
]

MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 20_000
MAX_DEPTH = 40

FieldPath = tuple[str | int, ...]


class _Document:
    """Plain data of a YAML document plus the line of every field path."""

    def __init__(self, data: Any, lines: dict[FieldPath, int]) -> None:
        self.data = data
        self.lines = lines

    def line_of(self, path: FieldPath) -> int | None:
        # The longest known prefix: a missing key points at its parent mapping.
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def _index_lines(root: yaml.Node, file: str) -> dict[FieldPath, int]:
    lines: dict[FieldPath, int] = {(): root.start_mark.line + 1}
    count = 0
    stack: list[tuple[yaml.Node, FieldPath]] = [(root, ())]
    duplicates: list[Problem] = []
    while stack:
        node, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ScenarioFileError(
                [
                    Problem(
                        file,
                        None,
                        None,
                        f"too many YAML nodes (over {MAX_NODES}); "
                        "aliases that expand without bound are not accepted",
                    )
                ]
            )
        if len(path) > MAX_DEPTH:
            raise ScenarioFileError(
                [
                    Problem(
                        file,
                        node.start_mark.line + 1,
                        None,
                        f"nested deeper than {MAX_DEPTH} levels",
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[Any, int] = {}
            for key, value in node.value:
                child = (*path, key.value)
                line = key.start_mark.line + 1
                if key.value in first_seen:
                    # YAML would silently keep the last one: a second `reveals:` block
                    # would replace the first without a word.
                    duplicates.append(
                        Problem(
                            file,
                            line,
                            _field_name(child),
                            f"key {key.value!r} appears twice "
                            f"(first at line {first_seen[key.value]})",
                        )
                    )
                first_seen.setdefault(key.value, line)
                lines.setdefault(child, line)
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = (*path, i)
                lines.setdefault(child, item.start_mark.line + 1)
                stack.append((item, child))
    if duplicates:
        raise ScenarioFileError(sorted(duplicates, key=lambda p: p.line or 0))
    return lines


class _SafeLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing deep nesting while it composes.

    PyYAML composes nodes recursively, so a few kilobytes of ``[[[[...`` would hit
    Python's recursion limit before :func:`_index_lines` could count the depth.
    """

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self._file = file
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            # The root is depth 1 and keys count like values: the limit of _index_lines.
            if self._depth > MAX_DEPTH + 1:
                mark = self.peek_event().start_mark
                raise ScenarioFileError(
                    [
                        Problem(
                            self._file,
                            mark.line + 1,
                            None,
                            f"nested deeper than {MAX_DEPTH} levels",
                        )
                    ]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml(text: str, file: str) -> _Document:
    """Parse one YAML document safely; raise :class:`ScenarioFileError` on any problem."""
    loader = _SafeLoader(text, file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioFileError([Problem(file, None, None, "the file is empty")])
        lines = _index_lines(node, file)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if "could not determine a constructor" in detail:
            tag = re.search(r"tag '([^']*)'", detail)
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!") if tag else "this tag"
            detail = f"the tag {name!r} is not allowed in scenario files; write plain values"
        raise ScenarioFileError([Problem(file, line, None, f"invalid YAML: {detail}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioFileError([Problem(file, None, None, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if data is None:
        raise ScenarioFileError([Problem(file, None, None, "the file is empty")])
    if not isinstance(data, dict):
        raise ScenarioFileError(
            [
                Problem(
                    file,
                    lines[()],
                    None,
                    f"expected a mapping of keys at the top level, found {type(data).__name__}",
                )
            ]
        )
    return _Document(data, lines)


def _read_text(path: Path) -> str:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioFileError(
                [
                    Problem(
                        file, None, None, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
                    )
                ]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioFileError(
            [Problem(file, None, None, f"cannot read: {exc.strerror}")]
        ) from None
    if b"\x00" in raw:
        raise ScenarioFileError([Problem(file, None, None, "this is a binary file, not YAML text")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioFileError([Problem(file, line, None, "the file is not UTF-8 text")]) from None


def read_text(path: Path) -> str:
    """A scenario or persona file's text, with the size, binary and UTF-8 checks."""
    return _read_text(path)


# --- turning pydantic errors into readable problems -------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Optional and unions flattened)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def _model_at(model: type[BaseModel], path: FieldPath) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``path``, if any."""
    candidates: list[Any] = [model]
    for step in path:
        nxt: list[Any] = []
        for candidate in candidates:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field = candidate.model_fields.get(str(step))
                if field is not None:
                    nxt.extend(_unwrap(field.annotation))
            elif origin in (list, tuple) and isinstance(step, int):
                nxt.extend(_unwrap(typing.get_args(candidate)[0]))
            elif origin is dict:
                nxt.extend(_unwrap(typing.get_args(candidate)[1]))
        candidates = nxt
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[FieldPath, bool]:
    """Drop pydantic's union-member tags (``str``, ``Persona``...) that are not data keys.

    Also says whether the error belongs to a union member the data plainly is not
    (the ``str`` member when a mapping was written, a model member when a string was),
    so that ``persona: {...}`` with a typo is not also told "should be a string".
    """
    path: list[str | int] = []
    current = data
    wrong_member = False
    for step in loc:
        if (isinstance(current, dict) and step in current) or (
            isinstance(current, list) and isinstance(step, int) and step < len(current)
        ):
            current = current[step]
        elif isinstance(step, str) and (
            step[:1].isupper() or step in ("str", "int") or step.startswith("function-")
        ):
            if (step in ("str", "int") and isinstance(current, dict)) or (
                step[:1].isupper() and isinstance(current, str)
            ):
                wrong_member = True
            continue
        else:
            current = None
        path.append(step)
    return tuple(path), wrong_member


def _describe(error: Any, path: FieldPath, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, path[:-1])
        options = list(owner.model_fields) if owner else []
        hint = _suggest(str(path[-1]), options)
        if not hint and options:
            hint = f"; allowed keys here: {', '.join(options)}"
        return f"unknown key {path[-1]!r}{hint}"
    if kind == "missing":
        return f"missing required key {path[-1]!r}"
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        value = error.get("input")
        hint = _suggest(str(value), expected) if isinstance(value, str) else ""
        return f"{value!r} is not allowed; use one of {', '.join(expected)}{hint}"
    return str(error["msg"]).removeprefix("Value error, ")


def _field_name(path: FieldPath) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _validate(model: type[BaseModel], doc: _Document, file: str) -> Any:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems = []
        seen: set[tuple[FieldPath, str]] = set()
        for error in exc.errors():
            path, wrong_member = _clean_loc(error["loc"], doc.data)
            # A union reports the same location once per member it tried; keep one.
            if wrong_member or (
                any(p == path for p, _ in seen) and error["type"] in ("string_type", "model_type")
            ):
                continue
            message = _describe(error, path, model)
            if (path, message) in seen:
                continue
            seen.add((path, message))
            problems.append(Problem(file, doc.line_of(path), _field_name(path) or None, message))
        raise ScenarioFileError(problems) from None


# --- public loaders -----------------------------------------------------------------------


def load_persona(path: Path) -> Persona:
    return persona_from_text(_read_text(path), str(path))


def persona_from_text(text: str, file: str) -> Persona:
    """A persona from YAML text (a draft not yet on disk); ``file`` names it in problems."""
    doc = parse_yaml(text, file)
    persona: Persona = _validate(Persona, doc, file)
    return persona


def load_note(path: Path) -> TechniqueNote:
    """A technique note from ``learning/`` (see :class:`~simulator.schema.TechniqueNote`)."""
    file = str(path)
    note: TechniqueNote = _validate(TechniqueNote, parse_yaml(_read_text(path), file), file)
    return note


def note_from_text(text: str, file: str) -> TechniqueNote:
    """A technique note from YAML text (one carried in a bundle, or a draft)."""
    note: TechniqueNote = _validate(TechniqueNote, parse_yaml(text, file), file)
    return note


def load_scenario(
    path: Path,
    personas: Mapping[str, Persona],
    notes: Mapping[str, TechniqueNote] | None = None,
) -> Scenario:
    """Load a scenario and resolve its persona references against ``personas``.

    With ``notes``, the ids in ``learning.techniques`` are resolved against them too (an
    unknown id is a problem); without, they are left as ids.
    """
    file = str(path)
    return scenario_from_text(_read_text(path), file, personas, notes)


def _resolve_notes(
    scenario: Scenario, doc: _Document, file: str, notes: Mapping[str, TechniqueNote]
) -> tuple[Scenario, list[Problem]]:
    """``learning.techniques`` with every id replaced by its note."""
    problems: list[Problem] = []
    resolved: list[str | TechniqueNote] = []
    seen: set[str] = set()
    for i, item in enumerate(scenario.learning.techniques):
        path: FieldPath = ("learning", "techniques", i)
        note = notes.get(item) if isinstance(item, str) else item
        if note is None:
            known = ", ".join(sorted(notes)) or "none"
            problems.append(
                Problem(
                    file,
                    doc.line_of(path),
                    _field_name(path),
                    f"no learning note with id {item!r}"
                    + (_suggest(str(item), list(notes)) or f"; the notes are: {known}"),
                )
            )
            continue
        if note.id in seen:
            problems.append(
                Problem(file, doc.line_of(path), _field_name(path), f"{note.id!r} is named twice")
            )
        seen.add(note.id)
        resolved.append(note)
    learning = scenario.learning.model_copy(update={"techniques": resolved})
    return scenario.model_copy(update={"learning": learning}), problems


def scenario_from_text(
    text: str,
    file: str,
    personas: Mapping[str, Persona],
    notes: Mapping[str, TechniqueNote] | None = None,
) -> Scenario:
    doc = parse_yaml(text, file)
    scenario: Scenario = _validate(Scenario, doc, file)
    problems: list[Problem] = []
    if notes is not None:
        scenario, problems = _resolve_notes(scenario, doc, file, notes)
    cast = []
    for i, member in enumerate(scenario.cast):
        if isinstance(member.persona, str):
            found = personas.get(member.persona)
            if found is None:
                path: FieldPath = ("cast", i, "persona")
                problems.append(
                    Problem(
                        file,
                        doc.line_of(path),
                        _field_name(path),
                        f"no persona with id {member.persona!r}"
                        + _suggest(member.persona, list(personas)),
                    )
                )
                cast.append(member)
                continue
            member = member.model_copy(update={"persona": found})
        cast.append(member)
    if problems:
        raise ScenarioFileError(problems)
    scenario = scenario.model_copy(update={"cast": cast})
    problems = [
        Problem(file, doc.line_of(p), _field_name(p), message)
        for p, message in cross_check(scenario)
    ]
    if problems:
        raise ScenarioFileError(problems)
    return scenario
