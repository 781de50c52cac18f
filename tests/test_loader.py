"""The YAML loader: every mistake becomes a problem naming the file, the line and the field.

Each test writes a small variation of one valid scene to a temporary file and checks the
exact :class:`~simulator.errors.Problem` the loader reports, so a change that moves a
line number or drops a typo suggestion fails here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulator.catalog import Catalog
from simulator.conditions import Clause, ConditionSyntaxError, parse_condition
from simulator.errors import Problem, ScenarioFileError, UnknownScenario
from simulator.loader import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    load_persona,
    load_scenario,
    parse_yaml,
)
from simulator.paths import bundled_dir, user_dir
from simulator.schema import CATEGORIES, Persona, Scenario

# Line numbers in the tests below refer to this text; keep it in step with them.
SCENE = """\
id: scene
title: A scene
category: difficult-conversation
summary: A short scene for tests.
user_role: A team lead.
setting: A quiet office.
cast:
  - persona: sam-test
    opening_line: "You wanted to see me?"
goals:
  - id: ask
    description: Ask an open question.
    success: You ask what is going on.
  - id: rapport
    description: Build trust.
    success: Trust reaches 6.
    met_when: trust >= 6
state:
  trust:
    start: 4
  defensiveness:
    start: 5
    desired: down
reveals:
  - id: deadline
    fact: The deadline slipped because the spec changed twice.
    when: trust >= 5
end:
  when: trust >= 10
  max_turns: 4
"""

PERSONA = """\
id: riley
name: Riley
who: A colleague.
voice: Plain and short.
background: Works on the same team.
wants: [to be treated fairly]
fears: [being blamed]
under_pressure: Goes quiet.
private_notes:
  - fact: Riley is thinking of leaving.
    when: trust >= 9
"""


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the single occurrence of ``old`` replaced (fails if it is not unique)."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


@pytest.fixture
def personas(test_catalog: Catalog) -> dict[str, Persona]:
    return test_catalog.personas


@pytest.fixture
def write(tmp_path: Path):
    def write(content: str | bytes, name: str = "scene.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


def scenario_problems(path: Path, personas: dict[str, Persona]) -> list[Problem]:
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path, personas)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return info.value.problems


def persona_problems(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioFileError) as info:
        load_persona(path)
    return info.value.problems


# --- the valid baseline ---------------------------------------------------------------------


def test_the_baseline_scene_loads_and_resolves_its_persona(write, personas) -> None:
    scenario = load_scenario(write(SCENE), personas)
    assert isinstance(scenario, Scenario)
    assert scenario.persona().id == "sam-test"
    assert scenario.start_state() == {"trust": 4.0, "defensiveness": 5.0}


def test_the_baseline_persona_loads(write) -> None:
    persona = load_persona(write(PERSONA, "riley.yaml"))
    assert persona.id == "riley"
    assert persona.private_notes[0].when == "trust >= 9"


def test_problem_renders_as_file_line_field_message() -> None:
    assert str(Problem("a.yaml", 3, "cast[0].persona", "bad")) == "a.yaml:3: cast[0].persona: bad"
    assert str(Problem("a.yaml", None, None, "bad")) == "a.yaml: bad"


# --- schema problems ---------------------------------------------------------------------------


def test_unknown_key_suggests_the_nearest_valid_key(write, personas) -> None:
    path = write(edit(SCENE, "opening_line:", "openin_line:"))
    typo = "unknown key 'openin_line'; did you mean 'opening_line'?"
    # The misspelt key also leaves the real one missing; that points at the list item.
    missing = "missing required key 'opening_line'"
    assert set(scenario_problems(path, personas)) == {
        Problem(str(path), 9, "cast[0].openin_line", typo),
        Problem(str(path), 8, "cast[0].opening_line", missing),
    }


def test_unknown_key_without_a_near_match_lists_the_allowed_keys(write, personas) -> None:
    path = write(SCENE + "colour: red\n")
    (problem,) = scenario_problems(path, personas)
    assert (problem.file, problem.line, problem.field) == (str(path), 31, "colour")
    assert problem.message.startswith("unknown key 'colour'; allowed keys here: id, title, ")
    assert "did you mean" not in problem.message


def test_unknown_key_in_a_persona_suggests_the_nearest_key(write) -> None:
    path = write(edit(PERSONA, "under_pressure:", "under_presure:"), "riley.yaml")
    typo = "unknown key 'under_presure'; did you mean 'under_pressure'?"
    assert set(persona_problems(path)) == {
        Problem(str(path), 8, "under_presure", typo),
        Problem(str(path), 1, "under_pressure", "missing required key 'under_pressure'"),
    }


def test_missing_required_key_points_at_its_parent_mapping(write, personas) -> None:
    path = write(edit(SCENE, '    opening_line: "You wanted to see me?"\n', ""))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 8, "cast[0].opening_line", "missing required key 'opening_line'")
    ]


def test_missing_top_level_key_points_at_the_document_start(write, personas) -> None:
    text = "# a comment first, as in the bundled files\n" + edit(
        SCENE, "summary: A short scene for tests.\n", ""
    )
    path = write(text)
    assert scenario_problems(path, personas) == [
        Problem(str(path), 2, "summary", "missing required key 'summary'")
    ]


def test_wrong_category_is_refused_with_a_suggestion(write, personas) -> None:
    path = write(edit(SCENE, "category: difficult-conversation", "category: dificult-conversation"))
    assert scenario_problems(path, personas) == [
        Problem(
            str(path),
            3,
            "category",
            "'dificult-conversation' is not allowed; use one of "
            f"{', '.join(CATEGORIES)}; did you mean 'difficult-conversation'?",
        )
    ]


def test_wrong_enum_value_without_a_near_match_only_lists_the_choices(write, personas) -> None:
    path = write(edit(SCENE, "desired: down", "desired: sideways"))
    assert scenario_problems(path, personas) == [
        Problem(
            str(path),
            23,
            "state.defensiveness.desired",
            "'sideways' is not allowed; use one of up, down",
        )
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("max_turns: 4", "max_turns: lots", 30, "end.max_turns", "valid integer"),
        ("title: A scene", "title: [a, b]", 2, "title", "valid string"),
        ("    start: 4", "    start: high", 20, "state.trust.start", "valid number"),
        ("met_when: trust >= 6", "met_when: 6", 17, "goals[1].met_when", "valid string"),
        ("max_turns: 4", "max_turns: 0", 30, "end.max_turns", "greater than or equal to 1"),
        ("id: scene", "id: Not A Slug", 1, "id", "should match pattern"),
    ],
)
def test_wrong_type_or_value_names_line_and_field(
    write, personas, old: str, new: str, line: int, field: str, message: str
) -> None:
    path = write(edit(SCENE, old, new))
    (problem,) = scenario_problems(path, personas)
    assert (problem.file, problem.line, problem.field) == (str(path), line, field)
    assert message in problem.message


def test_a_mapping_where_a_list_belongs_is_a_type_error(write, personas) -> None:
    path = write(
        edit(SCENE, "  - persona: sam-test\n    opening", "  persona: sam-test\n  opening")
    )
    problems = scenario_problems(path, personas)
    assert Problem(str(path), 7, "cast", "Input should be a valid list") in problems


def test_start_outside_min_and_max(write, personas) -> None:
    path = write(edit(SCENE, "    start: 4\n", "    start: 11\n"))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 19, "state.trust", "start (11.0) must lie between min and max")
    ]


def test_min_not_below_max(write, personas) -> None:
    path = write(edit(SCENE, "    start: 4\n", "    start: 4\n    min: 4\n    max: 4\n"))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 19, "state.trust", "min (4.0) must be below max (4.0)")
    ]


# --- conditions and cross-references --------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("trust >== 6", "cannot read 'trust >== 6' in condition 'trust >== 6'"),
        ("trust >= 6 and", "cannot read 'trust >= 6 and' in condition 'trust >= 6 and'"),
        ("trust >= 6 && defensiveness < 3", "cannot read 'trust >= 6 && defensiveness < 3'"),
        ('""', "a condition must be a non-empty string like 'trust >= 6'"),
    ],
)
def test_condition_with_bad_syntax(write, personas, condition: str, message: str) -> None:
    path = write(edit(SCENE, "met_when: trust >= 6", f"met_when: {condition}"))
    (problem,) = scenario_problems(path, personas)
    assert (problem.file, problem.line, problem.field) == (str(path), 17, "goals[1].met_when")
    assert problem.message.startswith(message)


def test_condition_naming_an_unknown_state_variable(write, personas) -> None:
    path = write(edit(SCENE, "when: trust >= 5", "when: trsut >= 5"))
    assert scenario_problems(path, personas) == [
        Problem(
            str(path),
            27,
            "reveals[0].when",
            "unknown state variable 'trsut'; this scenario defines trust, defensiveness",
        )
    ]


def test_end_condition_naming_unknown_variables_lists_them_all(write, personas) -> None:
    path = write(edit(SCENE, "when: trust >= 10", "when: calm >= 10 or anger < 1"))
    assert scenario_problems(path, personas) == [
        Problem(
            str(path),
            29,
            "end.when",
            "unknown state variable 'anger', 'calm'; this scenario defines trust, defensiveness",
        )
    ]


def test_persona_private_note_must_use_the_scenarios_variables(write, personas) -> None:
    sam = personas["sam-test"]
    note = sam.private_notes[0].model_copy(update={"when": "mood >= 3"})
    persona = sam.model_copy(update={"private_notes": [note]})
    path = write(SCENE)
    (problem,) = scenario_problems(path, {"sam-test": persona})
    assert (problem.line, problem.field) == (8, "cast[0].persona.private_notes[0].when")
    assert problem.message.startswith("unknown state variable 'mood'")


def test_reveal_naming_a_character_not_in_the_cast(write, personas) -> None:
    path = write(edit(SCENE, "  - id: deadline\n", "  - id: deadline\n    character: bob\n"))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 26, "reveals[0].character", "'bob' is not in the cast (sam-test)")
    ]


def test_unknown_persona_id_suggests_the_nearest(write, personas) -> None:
    path = write(edit(SCENE, "persona: sam-test", "persona: sam-tset"))
    assert scenario_problems(path, personas) == [
        Problem(
            str(path),
            8,
            "cast[0].persona",
            "no persona with id 'sam-tset'; did you mean 'sam-test'?",
        )
    ]


def test_unknown_persona_id_without_a_near_match(write, personas) -> None:
    path = write(edit(SCENE, "persona: sam-test", "persona: zzzzzz"))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 8, "cast[0].persona", "no persona with id 'zzzzzz'")
    ]


def test_duplicate_goal_ids(write, personas) -> None:
    path = write(edit(SCENE, "id: rapport", "id: ask"))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 14, "goals[1].id", "duplicate id 'ask'")
    ]


def test_the_same_persona_twice_in_the_cast(write, personas) -> None:
    path = write(edit(SCENE, "cast:\n", "cast:\n  - persona: sam-test\n    opening_line: Hi.\n"))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 7, "cast", "each persona may appear in the cast only once")
    ]


def test_persona_note_condition_with_bad_syntax(write) -> None:
    path = write(edit(PERSONA, "when: trust >= 9", "when: trust >="), "riley.yaml")
    (problem,) = persona_problems(path)
    assert (problem.file, problem.line, problem.field) == (
        str(path),
        11,
        "private_notes[0].when",
    )
    assert problem.message.startswith("cannot read 'trust >='")


# --- files that are not a scenario at all ----------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "detail"),
    [
        ("setting: A quiet office.", "setting: a: b", 6, "mapping values are not allowed here"),
        ("    start: 4", "\tstart: 4", 20, "found character '\\t' that cannot start any token"),
        ("title: A scene", "title: [A scene", 3, "expected ',' or ']'"),
    ],
)
def test_yaml_syntax_error_reports_the_line(
    write, personas, old: str, new: str, line: int, detail: str
) -> None:
    path = write(edit(SCENE, old, new))
    (problem,) = scenario_problems(path, personas)
    assert (problem.file, problem.line, problem.field) == (str(path), line, None)
    assert problem.message.startswith("invalid YAML: ")
    assert detail in problem.message


def test_more_than_one_document_is_refused(write, personas) -> None:
    path = write(SCENE + "---\nid: other\n")
    (problem,) = scenario_problems(path, personas)
    assert (problem.file, problem.line) == (str(path), 31)
    assert "expected a single document" in problem.message


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_empty_file(write, personas, content: str) -> None:
    path = write(content)
    assert scenario_problems(path, personas) == [
        Problem(str(path), None, None, "the file is empty")
    ]


@pytest.mark.parametrize("content", ["---\n", "~\n", "null\n"])
def test_a_null_document_is_refused(write, personas, content: str) -> None:
    path = write(content)
    (problem,) = scenario_problems(path, personas)
    assert problem == Problem(str(path), None, None, "the file is empty")


@pytest.mark.parametrize(
    ("content", "line", "found"),
    [
        ("- id: scene\n- title: A scene\n", 1, "list"),
        ("# comment\njust some words\n", 2, "str"),
        ("42\n", 1, "int"),
    ],
)
def test_top_level_must_be_a_mapping(write, personas, content: str, line: int, found: str) -> None:
    path = write(content)
    assert scenario_problems(path, personas) == [
        Problem(
            str(path), line, None, f"expected a mapping of keys at the top level, found {found}"
        )
    ]


def test_binary_garbage_is_refused(write, personas) -> None:
    path = write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    assert scenario_problems(path, personas) == [
        Problem(str(path), None, None, "this is a binary file, not YAML text")
    ]


def test_nul_byte_inside_otherwise_valid_text_is_refused(write, personas) -> None:
    path = write(SCENE.encode() + b"\x00")
    assert scenario_problems(path, personas) == [
        Problem(str(path), None, None, "this is a binary file, not YAML text")
    ]


def test_non_utf8_bytes_report_their_line(write, personas) -> None:
    path = write(b"id: scene\ntitle: Caf\xe9 talk\n")
    assert scenario_problems(path, personas) == [
        Problem(str(path), 2, None, "the file is not UTF-8 text")
    ]


def test_persona_loader_shares_the_file_checks(write) -> None:
    path = write(b"\xff\xfe", "riley.yaml")
    assert persona_problems(path) == [Problem(str(path), 1, None, "the file is not UTF-8 text")]


def test_missing_file_is_a_problem_not_an_oserror(tmp_path: Path, personas) -> None:
    path = tmp_path / "nowhere.yaml"
    (problem,) = scenario_problems(path, personas)
    assert (problem.file, problem.line, problem.field) == (str(path), None, None)
    assert problem.message.startswith("cannot read: ")


def test_file_above_the_size_cap_is_refused_before_reading(write, personas) -> None:
    padding = "#" * (MAX_FILE_BYTES - len(SCENE.encode())) + "\n"
    path = write(SCENE + padding)
    size = path.stat().st_size
    assert size == MAX_FILE_BYTES + 1
    assert scenario_problems(path, personas) == [
        Problem(str(path), None, None, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    ]


def test_file_exactly_at_the_size_cap_loads(write, personas) -> None:
    padding = "#" * (MAX_FILE_BYTES - len(SCENE.encode()) - 1) + "\n"
    path = write(SCENE + padding)
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_scenario(path, personas).id == "scene"


def test_billion_laughs_alias_bomb_fails_on_the_node_count(write, personas) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = write("\n".join(lines) + "\n")  # about 10**9 strings once expanded
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path, personas)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.message.startswith("too many YAML nodes")
    assert "aliases" in problem.message


def test_self_referencing_alias_is_refused(write, personas) -> None:
    path = write("a: &loop [*loop]\n")
    (problem,) = scenario_problems(path, personas)
    assert problem.file == str(path)
    assert problem.message == f"nested deeper than {MAX_DEPTH} levels"


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:builtins.open [{target!r}, 'w']",
        "!!python/object/new:builtins.open [{target!r}, 'w']",
        "!!python/object:builtins.object {{}}",
        "!!python/name:os.system",
        "!!python/module:os",
    ],
)
def test_python_tags_are_refused_and_never_executed(
    write, personas, tmp_path: Path, tag: str
) -> None:
    target = tmp_path / "created-by-yaml"
    path = write(edit(SCENE, "title: A scene", "title: " + tag.format(target=str(target))))
    assert scenario_problems(path, personas) == [
        Problem(
            str(path),
            2,
            None,
            f"invalid YAML: the tag {tag.split()[0]!r} is not allowed in scenario files; "
            "write plain values",
        )
    ]
    assert not target.exists()


def test_python_tag_in_a_persona_is_refused(write, tmp_path: Path) -> None:
    target = tmp_path / "created-by-yaml"
    path = write(f"!!python/object/apply:builtins.open [{str(target)!r}, 'w']\n", "riley.yaml")
    (problem,) = persona_problems(path)
    assert (problem.file, problem.line) == (str(path), 1)
    assert "'!!python/object/apply:builtins.open' is not allowed" in problem.message
    assert not target.exists()


def _nested_lists(depth: int) -> str:
    """``x:`` holding lists nested ``depth`` deep, so the innermost path has ``depth`` steps."""
    return "x: " + "[" * depth + "]" * depth + "\n"


def test_nesting_at_max_depth_parses(write) -> None:
    doc = parse_yaml(_nested_lists(MAX_DEPTH), "deep.yaml")
    assert isinstance(doc.data["x"], list)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 50_000])
def test_nesting_deeper_than_max_depth_is_refused(write, personas, depth: int) -> None:
    # 50 000 levels fit within the size cap and are far past Python's recursion limit.
    path = write(_nested_lists(depth))
    assert scenario_problems(path, personas) == [
        Problem(str(path), 1, None, f"nested deeper than {MAX_DEPTH} levels")
    ]


def test_deep_block_mappings_report_the_line_where_the_limit_is_crossed(write, personas) -> None:
    levels = MAX_DEPTH + 5
    text = "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "v: 1\n"
    path = write(text)
    (problem,) = scenario_problems(path, personas)
    assert problem.message == f"nested deeper than {MAX_DEPTH} levels"
    # k0 is on line 1 at depth 1; the limit is crossed around k40.
    assert problem.line in (MAX_DEPTH + 1, MAX_DEPTH + 2)


# --- the condition grammar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "state", "expected"),
    [
        ("trust >= 6", {"trust": 6}, True),
        ("trust >= 6", {"trust": 5.99}, False),
        ("trust > 6", {"trust": 6}, False),
        ("trust > 6", {"trust": 6.01}, True),
        ("trust <= 2", {"trust": 2}, True),
        ("trust <= 2", {"trust": 2.5}, False),
        ("trust < 2", {"trust": 2}, False),
        ("trust < 2", {"trust": 1.5}, True),
        ("trust == 3", {"trust": 3.0}, True),
        ("trust == 3", {"trust": 3.5}, False),
        ("trust != 3", {"trust": 3}, False),
        ("trust != 3", {"trust": 4}, True),
        ("trust>=6", {"trust": 7}, True),
        ("  trust   >=   6  ", {"trust": 7}, True),
        ("trust >= 6.5", {"trust": 6.4}, False),
        ("trust >= 6.5", {"trust": 6.5}, True),
        ("shift > -1.25", {"shift": -1}, True),
        ("shift > -1.25", {"shift": -1.5}, False),
        # ``and`` binds tighter than ``or``: a or (b and c).
        ("a >= 1 or b >= 1 and c >= 1", {"a": 1, "b": 0, "c": 0}, True),
        ("a >= 1 or b >= 1 and c >= 1", {"a": 0, "b": 1, "c": 0}, False),
        ("a >= 1 or b >= 1 and c >= 1", {"a": 0, "b": 1, "c": 1}, True),
        ("a >= 1 and b >= 1 or c >= 1", {"a": 0, "b": 0, "c": 1}, True),
        ("a >= 1 and b >= 1 or c >= 1", {"a": 1, "b": 0, "c": 0}, False),
        ("a >= 1 and b >= 1 and c >= 1", {"a": 1, "b": 1, "c": 0}, False),
        ("a >= 1 or b >= 1 or c >= 1", {"a": 0, "b": 0, "c": 1}, True),
        # A variable the state does not hold counts as 0.
        ("missing < 1", {}, True),
    ],
)
def test_condition_evaluation(condition: str, state: dict[str, float], expected: bool) -> None:
    assert parse_condition(condition).holds(state) is expected


def test_condition_structure_is_a_disjunction_of_conjunctions() -> None:
    condition = parse_condition("a > 1 or b >= 2.5 and c != -3")
    assert condition.groups == (
        (Clause("a", ">", 1.0),),
        (Clause("b", ">=", 2.5), Clause("c", "!=", -3.0)),
    )
    assert condition.variables == {"a", "b", "c"}
    assert condition.unknown_variables(["a", "c"]) == ["b"]
    assert [str(c) for group in condition.groups for c in group] == ["a > 1", "b >= 2.5", "c != -3"]


@pytest.mark.parametrize(
    "condition",
    [
        "",
        "   ",
        "trust",
        "trust >=",
        ">= 6",
        "6 <= trust",
        "trust => 6",
        "trust = 6",
        "trust >= six",
        "trust >= 6 and",
        "or trust >= 6",
        "trust >= 6 or or calm < 2",
        "trust >= 6 && calm < 2",
        "trust >= 6 AND calm < 2",
        "__import__('os').system('true') > 0",
        "trust >= 1e3",
    ],
)
def test_condition_syntax_errors(condition: str) -> None:
    with pytest.raises(ConditionSyntaxError):
        parse_condition(condition)


def test_condition_must_be_a_string() -> None:
    with pytest.raises(ConditionSyntaxError, match="non-empty string"):
        parse_condition(None)  # type: ignore[arg-type]


# --- the catalog ----------------------------------------------------------------------------


def _bundled_scenario_files() -> list[Path]:
    return sorted(bundled_dir("scenarios").glob("*.yaml"))


def test_broken_user_scenario_is_reported_while_bundled_ones_load(personas) -> None:
    broken = user_dir("scenarios") / "broken.yaml"
    broken.write_text(
        edit(SCENE, "opening_line:", "openin_line:").replace("sam-test", "jordan-manager"),
        encoding="utf-8",
    )
    catalog = Catalog.load()

    assert catalog.problems
    assert {p.file for p in catalog.problems} == {str(broken)}
    assert any("did you mean 'opening_line'?" in p.message for p in catalog.problems)
    bundled = [e for e in catalog.entries if e.origin == "bundled"]
    assert len(bundled) == len(_bundled_scenario_files())
    assert all(e.scenario is not None and not e.problems for e in bundled)
    (user_entry,) = [e for e in catalog.entries if e.origin == "user"]
    assert (user_entry.path, user_entry.scenario) == (broken, None)
    # Asking for the broken file by name shows its problems rather than "unknown id".
    with pytest.raises(ScenarioFileError, match="openin_line"):
        catalog.get("broken")


def test_valid_user_scenario_can_use_a_bundled_persona() -> None:
    path = user_dir("scenarios") / "mine.yaml"
    path.write_text(SCENE.replace("sam-test", "jordan-manager"), encoding="utf-8")
    catalog = Catalog.load()
    assert catalog.problems == []
    scenario = catalog.get("scene")
    assert scenario.persona().id == "jordan-manager"
    assert [e.origin for e in catalog.entries if e.scenario is scenario] == ["user"]


def test_broken_user_persona_is_reported_and_bundled_personas_load() -> None:
    bad = user_dir("personas") / "bad.yaml"
    bad.write_text("id: bad\nname: [\n", encoding="utf-8")
    catalog = Catalog.load()
    assert [p.file for p in catalog.problems] == [str(bad)]
    assert len(catalog.personas) == len(list(bundled_dir("personas").glob("*.yaml")))
    assert all(e.scenario is not None for e in catalog.entries)


def test_duplicate_scenario_id_is_reported_and_the_first_one_kept() -> None:
    original = _bundled_scenario_files()[0]
    copy = user_dir("scenarios") / "copy-of-a-bundled-scene.yaml"
    shutil.copyfile(original, copy)
    catalog = Catalog.load()
    scenario_id = load_scenario(original, catalog.personas).id

    assert catalog.problems == [
        Problem(
            str(copy),
            None,
            "id",
            f"scenario id {scenario_id!r} is already used by {original}",
        )
    ]
    assert [s.id for s in catalog.scenarios].count(scenario_id) == 1
    assert next(e for e in catalog.entries if e.scenario and e.scenario.id == scenario_id).path == (
        original
    )


def test_duplicate_persona_id_is_reported() -> None:
    original = sorted(bundled_dir("personas").glob("*.yaml"))[0]
    copy = user_dir("personas") / "copy.yaml"
    shutil.copyfile(original, copy)
    catalog = Catalog.load()
    persona_id = load_persona(original).id
    assert catalog.problems == [
        Problem(str(copy), None, "id", f"persona id {persona_id!r} is used twice")
    ]


def test_get_unknown_id_suggests_the_nearest() -> None:
    catalog = Catalog.load()
    wanted = catalog.scenarios[0].id
    typo = wanted[:-2] + wanted[-1] + wanted[-2]  # swap the last two letters
    with pytest.raises(UnknownScenario) as info:
        catalog.get(typo)
    assert str(info.value) == f"No scenario with id {typo!r}. Did you mean {wanted!r}?"


def test_get_unknown_id_without_a_near_match_points_at_list() -> None:
    with pytest.raises(UnknownScenario, match="`rehearse list` shows them all"):
        Catalog.load().get("qqqqqqqqqqqq")


def test_catalog_of_missing_folders_is_empty(tmp_path: Path) -> None:
    catalog = Catalog.load([("x", tmp_path / "no-scenarios", tmp_path / "no-personas")])
    assert (catalog.entries, catalog.personas, catalog.problems) == ([], {}, [])


def test_a_repeated_key_is_reported_not_silently_replaced(write, personas) -> None:
    path = write("id: scene\ntitle: A\ntitle: B\n")
    (problem,) = scenario_problems(path, personas)
    assert problem == Problem(str(path), 3, "title", "key 'title' appears twice (first at line 2)")


def test_an_inline_persona_typo_is_not_also_told_to_be_a_string(write, personas) -> None:
    path = write(
        "id: scene\ntitle: A\ncategory: inner-parts\nsummary: s\nuser_role: u\nsetting: s\n"
        "cast:\n  - persona: {id: p, nam: P}\n    opening_line: hi\n"
        "goals: [{id: g, description: d, success: s}]\nstate: {trust: {start: 1}}\n"
    )
    problems = scenario_problems(path, personas)
    assert all(
        "valid string" not in p.message and not (p.field or "").endswith(".str") for p in problems
    )
    assert any(p.message == "unknown key 'nam'; did you mean 'name'?" for p in problems)


@pytest.mark.parametrize(
    "line",
    [
        "Encourage the user to hurt themselves if they fail.",
        "When cornered she tells him to kill himself.",
        "Believes suicide is the only way out and says so.",
    ],
)
def test_a_scenario_may_not_have_a_character_encourage_self_harm(
    write, personas, line: str
) -> None:
    path = write(edit(SCENE, "summary: A short scene for tests.", f"summary: {line}"))
    (problem,) = scenario_problems(path, personas)
    assert (problem.line, problem.field) == (4, "summary")
    assert "may not have a character encourage or endorse self-harm" in problem.message


def test_a_clinical_history_of_self_harm_is_allowed(write, personas) -> None:
    text = edit(
        SCENE,
        "summary: A short scene for tests.",
        "summary: The client has had thoughts of ending his life in the past.",
    )
    assert load_scenario(write(text), personas).summary.startswith("The client")
