"""The Author tab's document: the guided form, its YAML, the live check and the prompt preview.

The form and the YAML view are two views of one document. A form edit is merged into
the data the YAML holds (:func:`apply_form`), so whatever the form does not show (learning
notes, keywords, a second character) is kept; a YAML edit refills the form
(:func:`form_from_data`) whenever the text parses.

Checking is :meth:`Workspace.check <simulator.authoring.workspace.Workspace.check>` (the
loader's own checks, so the tab and ``rehearse validate`` name the same line, field and
fix) plus :func:`~simulator.authoring.lint.lint_scenario`'s warnings once it is valid.
The prompt preview calls :func:`simulator.character.character_prompt`, the function the
character node calls, so the author reads the exact text the model gets.

Nothing here touches Gradio: every function takes and returns plain values.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.authoring.issues import Issue
from simulator.authoring.lint import lint_scenario
from simulator.authoring.workspace import Workspace
from simulator.authoring.yamltext import dump
from simulator.character import character_prompt
from simulator.errors import ScenarioFileError
from simulator.loader import MAX_FILE_BYTES, parse_yaml
from simulator.schema import Persona, Scenario, StateVariable, compiled

__all__ = [
    "FORM_FIELDS",
    "GOAL_COLUMNS",
    "REVEAL_COLUMNS",
    "STATE_COLUMNS",
    "Check",
    "Form",
    "Preview",
    "apply_form",
    "as_text",
    "blank_template",
    "check_text",
    "dump_yaml",
    "duplicate_data",
    "form_from_data",
    "form_from_values",
    "form_values",
    "ordered",
    "parse_data",
    "plain",
    "preview",
    "problems_markdown",
    "slug",
    "values_for_reveal",
]

GOAL_COLUMNS = ["Goal", "What success looks like", "Met when (optional condition)"]
STATE_COLUMNS = ["Variable", "Start", "Min", "Max", "Good practice moves it"]
REVEAL_COLUMNS = ["Fact the character reveals", "Revealed when (condition)"]

UNNAMED = "character"  # the id of a character written in the form before it has a name

# The persona fields the form shows, in the order it shows them.
PERSONA_FIELDS = ("name", "who", "background", "voice", "wants", "fears", "under_pressure")


# --- the form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """What the guided form holds: plain strings, numbers and table rows.

    ``wants`` and ``fears`` are one item a line. Table rows follow the ``*_COLUMNS``
    headers; a cell may hold anything the author typed (a word where a number belongs
    is kept and reported, not dropped).
    """

    id: str = ""
    title: str = ""
    category: str = ""
    summary: str = ""
    user_role: str = ""
    setting: str = ""
    name: str = ""
    who: str = ""
    background: str = ""
    voice: str = ""
    wants: str = ""
    fears: str = ""
    under_pressure: str = ""
    opening_line: str = ""
    goals: list[list[Any]] = field(default_factory=list)
    state: list[list[Any]] = field(default_factory=list)
    reveals: list[list[Any]] = field(default_factory=list)
    difficulty: str = "medium"
    max_turns: Any = 12
    end_when: str = ""


def as_text(value: Any) -> str:
    """A cell or a YAML value as the text a form field shows."""
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def _lines(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(as_text(v) for v in value)
    return as_text(value)


def _cast_persona(data: Mapping[str, Any], personas: Mapping[str, Persona]) -> dict[str, Any]:
    """The first character's persona as data: inline, or resolved from its id."""
    cast = data.get("cast")
    member = cast[0] if isinstance(cast, list) and cast and isinstance(cast[0], dict) else {}
    persona = member.get("persona")
    if isinstance(persona, dict):
        return persona
    if isinstance(persona, str) and persona in personas:
        return personas[persona].model_dump(mode="json", exclude_defaults=True)
    return {}


def form_from_data(data: Mapping[str, Any], personas: Mapping[str, Persona]) -> Form:
    """The form's view of a scenario document (which need not be valid yet)."""
    persona = _cast_persona(data, personas)
    cast = data.get("cast")
    member = cast[0] if isinstance(cast, list) and cast and isinstance(cast[0], dict) else {}
    goals = [
        [as_text(g.get("description")), as_text(g.get("success")), as_text(g.get("met_when"))]
        for g in _list(data.get("goals"))
        if isinstance(g, dict)
    ]
    state = []
    raw_state = data.get("state")
    if isinstance(raw_state, dict):
        for name, var in raw_state.items():
            var = var if isinstance(var, dict) else {"start": var}
            state.append(
                [
                    as_text(name),
                    var.get("start", ""),
                    var.get("min", 0),
                    var.get("max", 10),
                    as_text(var.get("desired", "up")),
                ]
            )
    reveals = [
        [as_text(r.get("fact")), as_text(r.get("when"))]
        for r in _list(data.get("reveals"))
        if isinstance(r, dict)
    ]
    difficulty = data.get("difficulty")
    end = data.get("end") if isinstance(data.get("end"), dict) else {}
    return Form(
        id=as_text(data.get("id")),
        title=as_text(data.get("title")),
        category=as_text(data.get("category")),
        summary=as_text(data.get("summary")),
        user_role=as_text(data.get("user_role")),
        setting=as_text(data.get("setting")),
        name=as_text(persona.get("name")),
        who=as_text(persona.get("who")),
        background=as_text(persona.get("background")),
        voice=as_text(persona.get("voice")),
        wants=_lines(persona.get("wants")),
        fears=_lines(persona.get("fears")),
        under_pressure=as_text(persona.get("under_pressure")),
        opening_line=as_text(member.get("opening_line")),
        goals=goals,
        state=state,
        reveals=reveals,
        difficulty=as_text(difficulty.get("default", "medium"))
        if isinstance(difficulty, dict)
        else "medium",
        max_turns=end.get("max_turns", 12),
        end_when=as_text(end.get("when")),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def slug(text: str, fallback: str = "item") -> str:
    """A lower-case id made from words (``"Ask an open question"`` -> ``ask-an-open``)."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:3]
    return "-".join(words) or fallback


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _number(cell: Any) -> Any:
    """A table cell as a number when it reads as one; otherwise as typed (reported later)."""
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, (int, float)):
        return int(cell) if float(cell).is_integer() else float(cell)
    text = as_text(cell).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _blank(row: Sequence[Any]) -> bool:
    return all(not as_text(cell).strip() for cell in row)


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    """Set a key, or drop it when the form leaves it empty (so a check says it is missing)."""
    if value is None or (isinstance(value, (str, list)) and not value):
        target.pop(key, None)
    else:
        target[key] = value


def _persona_from_form(form: Form) -> dict[str, Any]:
    return {
        "name": form.name.strip(),
        "who": form.who.strip(),
        "background": form.background.strip(),
        "voice": form.voice.strip(),
        "wants": [w.strip() for w in form.wants.splitlines() if w.strip()],
        "fears": [f.strip() for f in form.fears.splitlines() if f.strip()],
        "under_pressure": form.under_pressure.strip(),
    }


def apply_form(
    data: Mapping[str, Any], form: Form, personas: Mapping[str, Persona]
) -> dict[str, Any]:
    """``data`` with the form's fields written in; everything the form does not show is kept."""
    out: dict[str, Any] = _copy(dict(data))
    _set(out, "id", form.id.strip())
    _set(out, "title", form.title.strip())
    _set(out, "category", form.category.strip())
    _set(out, "summary", form.summary.strip())
    _set(out, "user_role", form.user_role.strip())
    _set(out, "setting", form.setting.strip())

    cast = out.get("cast") if isinstance(out.get("cast"), list) else []
    member = cast[0] if cast and isinstance(cast[0], dict) else {}
    wanted = _persona_from_form(form)
    current = member.get("persona")
    if isinstance(current, str) and current in personas:
        resolved = personas[current].model_dump(mode="json", exclude_defaults=True)
        if all(
            resolved.get(k, "" if k not in ("wants", "fears") else []) == v
            for k, v in wanted.items()
        ):
            persona: Any = current  # unchanged: keep the reference to the shared persona
        else:
            persona = {**resolved, **{k: v for k, v in wanted.items()}}
    else:
        persona = dict(current) if isinstance(current, dict) else {}
        if persona.get("id") in (None, "", UNNAMED) and form.name.strip():
            persona["id"] = slug(form.name, UNNAMED)  # until named, the id follows the name
        persona.setdefault("id", UNNAMED)
        for key, value in wanted.items():
            _set(persona, key, value)
        # Keep the persona's own keys in the schema's order with id first.
        persona = ordered(persona, ("id", *PERSONA_FIELDS))
    member = {**member, "persona": persona}
    _set(member, "opening_line", form.opening_line.strip())
    member = ordered(member, ("persona", "relationship", "opening_line"))
    out["cast"] = [member, *cast[1:]]

    old_goals = [g for g in _list(out.get("goals")) if isinstance(g, dict)]
    taken: set[str] = set()
    goals = []
    for i, row in enumerate(r for r in form.goals if not _blank(r)):
        row = [*row, "", "", ""][:3]
        goal = dict(old_goals[i]) if i < len(old_goals) else {}
        if not goal.get("id"):
            goal["id"] = slug(as_text(row[0]), f"goal-{i + 1}")
        goal["id"] = _unique(str(goal["id"]), taken)
        _set(goal, "description", as_text(row[0]).strip())
        _set(goal, "success", as_text(row[1]).strip())
        _set(goal, "met_when", as_text(row[2]).strip())
        goals.append(ordered(goal, ("id", "description", "success", "met_when")))
    _set(out, "goals", goals)

    old_state = out.get("state") if isinstance(out.get("state"), dict) else {}
    state: dict[str, Any] = {}
    for row in (r for r in form.state if not _blank(r)):
        name, start, low, high, desired = [*row, "", "", "", "", ""][:5]
        name = as_text(name).strip() or f"variable_{len(state) + 1}"
        var = dict(old_state.get(name) or {}) if isinstance(old_state.get(name), dict) else {}
        _set(var, "start", _number(start))
        _set(var, "min", _number(low))
        _set(var, "max", _number(high))
        _set(var, "desired", as_text(desired).strip() or None)
        state[name] = ordered(var, ("start", "min", "max", "desired", "description"))
    _set(out, "state", state)

    old_reveals = [r for r in _list(out.get("reveals")) if isinstance(r, dict)]
    taken = set()
    reveals = []
    for i, row in enumerate(r for r in form.reveals if not _blank(r)):
        fact, when = [*row, "", ""][:2]
        reveal = dict(old_reveals[i]) if i < len(old_reveals) else {}
        if not reveal.get("id"):
            reveal["id"] = slug(as_text(fact), f"reveal-{i + 1}")
        reveal["id"] = _unique(str(reveal["id"]), taken)
        _set(reveal, "fact", as_text(fact).strip())
        _set(reveal, "when", as_text(when).strip())
        reveals.append(ordered(reveal, ("id", "character", "fact", "when")))
    if reveals or "reveals" in out:
        out["reveals"] = reveals

    difficulty = dict(out["difficulty"]) if isinstance(out.get("difficulty"), dict) else {}
    _set(difficulty, "default", form.difficulty or None)
    out["difficulty"] = ordered(difficulty, ("default",))
    end = dict(out["end"]) if isinstance(out.get("end"), dict) else {}
    _set(end, "when", form.end_when.strip())
    _set(end, "max_turns", _number(form.max_turns))
    out["end"] = end
    return ordered(out, tuple(Scenario.model_fields))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def ordered(mapping: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """``mapping`` with the keys of ``order`` first (in that order), then the rest as they were."""
    first = {k: mapping[k] for k in order if k in mapping}
    return {**first, **{k: v for k, v in mapping.items() if k not in first}}


# --- YAML text --------------------------------------------------------------------------


def _whole(value: Any) -> Any:
    """Numbers as people write them: ``4``, not pydantic's ``4.0``."""
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def dump_yaml(data: Mapping[str, Any]) -> str:
    """The document as the YAML view shows it (and as a save writes it)."""
    return dump(_whole(dict(data)))


def blank_template(taken: set[str] | None = None) -> dict[str, Any]:
    """A small complete scenario with every required key, each saying what belongs there."""
    return {
        "id": _unique("my-scenario", set(taken or ())),
        "title": "My scenario",
        "category": "difficult-conversation",
        "summary": "One or two sentences the person reads before they start.",
        "user_role": "Who the person practising is in this scene.",
        "setting": "Where and when the conversation takes place.",
        "cast": [
            {
                "persona": {
                    "id": "other-person",
                    "name": "Alex",
                    "who": "Who they are to the person practising.",
                    "voice": "How they speak: short sentences, a little guarded.",
                    "background": "What has happened to them that shapes how they react.",
                    "wants": ["What they want from this conversation"],
                    "fears": ["What they fear or protect"],
                    "under_pressure": "What they do when pushed, blamed or cornered.",
                },
                "opening_line": "You wanted to talk?",
            }
        ],
        "goals": [
            {
                "id": "open-question",
                "description": "Ask what is going on for them.",
                "success": "You ask an open question and listen to the answer.",
                "met_when": "trust >= 6",
            }
        ],
        "state": {
            "trust": {"start": 4, "min": 0, "max": 10, "desired": "up"},
            "defensiveness": {"start": 6, "min": 0, "max": 10, "desired": "down"},
        },
        "reveals": [
            {
                "id": "what-happened",
                "fact": "Something they only say once they trust you.",
                "when": "trust >= 6",
            }
        ],
        "difficulty": {"default": "medium"},
        "end": {"max_turns": 10},
    }


def duplicate_data(scenario: Scenario, taken: set[str]) -> dict[str, Any]:
    """A copy of a loaded scenario under a new id, with its characters written inline.

    Inline characters make the copy stand alone: changing a shared persona file later
    does not change it, and editing the character in the form changes only the copy.
    """
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data["id"] = _unique(f"{scenario.id}-copy", set(taken))
    data["title"] = f"{scenario.title} (copy)"
    # exclude_defaults drops a variable's 0..10 range; the form shows it, so the YAML does.
    for variables in [data.get("state", {})] + [m.get("state") or {} for m in data["cast"]]:
        for name, var in variables.items():
            variables[name] = {"start": var["start"], "min": 0, "max": 10, **var}
    return ordered(data, tuple(Scenario.model_fields))


# --- checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What the YAML view holds now: its data when it parses, its scenario when it is valid."""

    data: dict[str, Any] | None
    scenario: Scenario | None
    issues: list[Issue]

    @property
    def parses(self) -> bool:
        return self.data is not None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]


DRAFT_FILE = "your draft"


def parse_data(text: str) -> dict[str, Any] | None:
    """The YAML text's data, or None when it does not parse (the check says why)."""
    if len(text) > MAX_FILE_BYTES:
        return None
    try:
        return parse_yaml(text, DRAFT_FILE).data
    except ScenarioFileError:
        return None


def check_text(
    workspace: Workspace, text: str, personas: Mapping[str, Persona] | None = None
) -> Check:
    """Parse and validate the YAML view's text, as ``rehearse validate`` would a file.

    A bundled scenario's id is an error here already (a save would refuse it), so the
    author hears about it while typing, not when pressing Save.
    """
    data = parse_data(text)
    checked = workspace.check(text, "scenario", file=DRAFT_FILE, personas=personas, saving=True)
    scenario = checked.scenario if checked.ok else None
    issues = list(checked.issues)
    if scenario is not None:  # what a clinician would want to know, once it is valid
        issues += lint_scenario(scenario, text, DRAFT_FILE)
    return Check(data, scenario, issues)


# pydantic's wording, in the words of someone who does not write code.
_PLAIN = [
    (re.compile(r"^Input should be a valid (?:number|integer).*"), "should be a number, like 4"),
    (re.compile(r"^Input should be a valid string.*"), "should be text"),
    (re.compile(r"^Input should be a valid list.*"), "should be a list: lines starting with '- '"),
    (
        re.compile(r"^Input should be a valid dictionary.*"),
        "should be a group of 'key: value' lines, indented under it",
    ),
    (re.compile(r"^String should have at least 1 character.*"), "cannot be empty"),
    (re.compile(r"^List should have at least 1 item.*"), "needs at least one entry"),
    (re.compile(r"^Dictionary should have at least 1 item.*"), "needs at least one entry"),
    (
        re.compile(r"^String should match pattern '\^\[a-z0-9\].*"),
        "use lower-case letters, digits and hyphens only, like 'my-scene'",
    ),
    (re.compile(r"^Input should be less than or equal to (\S+)"), r"should be at most \1"),
    (re.compile(r"^Input should be greater than or equal to (\S+)"), r"should be at least \1"),
]


def plain(message: str) -> str:
    """A validation message in plain words (the loader's own wording when it has one)."""
    for pattern, words in _PLAIN:
        if pattern.match(message):
            return pattern.sub(words, message)
    return message


def problems_markdown(issues: Sequence[Issue]) -> str:
    """The check's verdict for the page: each problem with its line, field and fix."""
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity != "error"]
    if errors:
        count = "1 problem" if len(errors) == 1 else f"{len(errors)} problems"
        out = f"✗ **{count} to fix**\n" + "\n".join(_issue_row(i) for i in errors)
    else:
        out = "✓ **Valid.** You can preview it, test-run it and save it."
    if warnings:
        out += "\n\n**Worth a look:**\n" + "\n".join(_issue_row(i) for i in warnings)
    return out


def _issue_row(issue: Issue) -> str:
    where = f"Line {issue.line}" if issue.line else "The whole text"
    field_name = f" · `{issue.field}`" if issue.field else ""
    fix = f" → *{_escape_md(issue.suggestion)}*" if issue.suggestion else ""
    return f"- **{where}**{field_name}: {_escape_md(plain(issue.message))}{fix}"


def _escape_md(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


# --- the prompt preview -----------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The character's system prompt for some hidden values, and what differs from the start."""

    prompt: str
    start_prompt: str
    revealed: list[str]  # reveal ids whose condition holds for these values
    changes: list[str]  # lines added (+) or removed (-) against the start prompt


def _record(values: Mapping[str, float]) -> dict[str, Any]:
    # The shape the graph's open_scene writes for turn 0; character_prompt reads "values".
    return {"turn": 0, "values": dict(values), "deltas": {}, "moves": [], "goals": []}


def preview(
    scenario: Scenario,
    difficulty: str = "",
    values: Mapping[str, float] | None = None,
    persona_id: str | None = None,
) -> Preview:
    """The exact prompt the character gets at the start, and with ``values`` in play."""
    member = scenario.member(persona_id) if persona_id else scenario.cast[0]
    level = difficulty or scenario.difficulty.default
    start = scenario.start_state()
    now = {**start, **(values or {})}
    start_prompt = character_prompt(scenario, member, level, [_record(start)])
    prompt = character_prompt(scenario, member, level, [_record(now)])
    first = scenario.cast[0].persona_id
    view = scenario.view(now, member.persona_id)
    revealed = [
        r.id
        for r in scenario.reveals
        if (r.character or first) == member.persona_id and compiled(r.when).holds(view)
    ]
    changes = [
        line
        for line in difflib.ndiff(start_prompt.splitlines(), prompt.splitlines())
        if line[:2] in ("+ ", "- ")
    ]
    return Preview(prompt, start_prompt, revealed, changes)


def values_for_reveal(scenario: Scenario, reveal_id: str) -> dict[str, float]:
    """Hidden values, near the start, under which a reveal's condition holds."""
    reveal = next((r for r in scenario.reveals if r.id == reveal_id), None)
    values = scenario.start_state()
    if reveal is None:
        return values
    owner = reveal.character or scenario.cast[0].persona_id
    variables = scenario.variables()
    condition = compiled(reveal.when)
    # The alternative ("or") that needs the smallest change from the start.
    group = min(
        condition.groups, key=lambda g: sum(c.distance(scenario.view(values, owner)) for c in g)
    )
    for clause in group:
        name = clause.variable
        if name not in variables:
            name = scenario.qualify(owner, name)
        var = variables.get(name) or StateVariable(start=0)
        step = 1.0 if var.max - var.min >= 2 else (var.max - var.min) / 10
        target = {
            ">=": clause.value,
            ">": clause.value + step,
            "<=": clause.value,
            "<": clause.value - step,
            "==": clause.value,
            "!=": clause.value + step if clause.value + step <= var.max else clause.value - step,
        }[clause.op]
        current = values.get(name, var.start)
        if not clause.holds({clause.variable: current}):
            values[name] = min(max(target, var.min), var.max)
    return values


# --- the form's components ----------------------------------------------------------------

# The form's components, in the order their values reach the handlers.
FORM_FIELDS = [f.name for f in dataclasses.fields(Form)]
_TABLES = {"goals": GOAL_COLUMNS, "state": STATE_COLUMNS, "reveals": REVEAL_COLUMNS}


def _rows(value: Any) -> list[list[Any]]:
    """A table's value as rows, whatever shape Gradio hands over."""
    if value is None:
        return []
    if hasattr(value, "values") and hasattr(value, "columns"):  # a DataFrame
        return [list(row) for row in value.values.tolist()]
    if isinstance(value, dict):
        return [list(row) for row in value.get("data") or []]
    return [list(row) for row in value]


def form_from_values(values: Sequence[Any]) -> Form:
    """A :class:`Form` from the form components' values (in ``FORM_FIELDS`` order)."""
    given = dict(zip(FORM_FIELDS, values, strict=True))
    for name in _TABLES:
        given[name] = _rows(given[name])
    for name, value in given.items():
        if name not in _TABLES and name != "max_turns":
            given[name] = as_text(value)
    return Form(**given)


def form_values(form: Form) -> list[Any]:
    """The components' values for a :class:`Form`; each table ends with a blank row to fill."""
    out: list[Any] = []
    for name in FORM_FIELDS:
        value = getattr(form, name)
        if name in _TABLES:
            value = [[as_text(c) for c in row] for row in value] + [[""] * len(_TABLES[name])]
        elif name == "max_turns":
            value = _number(value) if isinstance(_number(value), (int, float)) else None
        out.append(value)
    return out
