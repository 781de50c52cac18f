"""``rehearse lint``'s rules, each shown firing and staying quiet, with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.authoring.issues import Issue
from simulator.authoring.lint import can_hold, lint_file, lint_text
from simulator.authoring.workspace import Workspace
from simulator.conditions import parse_condition
from simulator.paths import bundled_dir
from simulator.schema import StateVariable

SCENE = """\
id: lint-me
title: Lint me
category: clinical-practice
summary: A short scene.
user_role: A trainee.
setting: A room.
cast:
  - persona:
      id: client
      name: Sam
      who: A client.
      voice: Quiet.
      background: Some history.
      wants:
        - {want}
      fears:
        - {fear}
      under_pressure: Withdraws.
      private_notes:
        - fact: A secret.
          when: {note_when}
    opening_line: Hello.
goals:
  - id: listen
    description: Listen well.
    success: {success}
    met_when: {goal_when}
state:
  trust:
    start: 4
  guard:
    start: 6
    min: 0
    max: 8
    desired: down
reveals:
  - id: the-fact
    fact: Something.
    when: {reveal_when}
end:
  when: {end_when}
"""

GOOD = {
    "want": "To be understood.",
    "fear": "Being judged.",
    "note_when": "trust >= 6",
    "success": "The trainee reflects the feeling back in their own words.",
    "goal_when": "trust >= 7",
    "reveal_when": "trust >= 6 and guard <= 3",
    "end_when": "trust >= 9",
}


def lint(**changes: str) -> list[Issue]:
    text = SCENE.format(**{**GOOD, **changes})
    return lint_text(text, "scene.yaml", {})


def rules(issues: list[Issue]) -> list[str]:
    return [i.message.rsplit("[", 1)[1].rstrip("]") for i in issues]


def line_of(issue: Issue, **changes: str) -> str:
    text = SCENE.format(**{**GOOD, **changes})
    return text.splitlines()[issue.line - 1].strip()


def test_a_good_scene_has_no_warnings() -> None:
    assert lint() == []


@pytest.mark.parametrize("success", ["TODO", "'TODO: later'", "Listen well."])
def test_goal_without_a_success_criterion(success: str) -> None:
    issues = lint(success=success)
    assert rules(issues)[0] == "goal-no-success"
    assert issues[0].field == "goals[0].success" and issues[0].severity == "warning"
    assert line_of(issues[0], success=success).startswith("success:")


@pytest.mark.parametrize(
    ("where", "condition", "rule"),
    [
        ("reveal_when", "trust >= 11", "never-true"),
        ("reveal_when", "guard > 8", "never-true"),
        ("reveal_when", "trust >= 6 and trust < 5", "never-true"),
        ("reveal_when", "trust > 5 and trust < 5", "never-true"),
        ("reveal_when", "guard < 0", "never-true"),
        ("note_when", "trust >= 12", "never-true"),
        ("goal_when", "trust > 10", "never-true"),
        ("end_when", "trust >= 9 and guard >= 9", "end-unreachable"),
        ("reveal_when", "trust >= 4", "true-at-start"),
        ("note_when", "guard <= 6", "true-at-start"),
        ("end_when", "trust >= 2", "true-at-start"),
    ],
)
def test_conditions_that_never_hold_or_hold_at_once(where: str, condition: str, rule: str) -> None:
    issues = lint(**{where: condition})
    assert rules(issues) == [rule], issues
    if where != "note_when":
        assert line_of(issues[0], **{where: condition}).endswith(condition)


@pytest.mark.parametrize(
    "condition",
    [
        "trust >= 10",  # the very top of the range is reachable
        "guard <= 0",
        "trust >= 11 or trust >= 6",  # one reachable alternative is enough
        "trust == 7",
        "trust != 4 and trust >= 6",
        "guard > 7.5",
    ],
)
def test_reachable_conditions_are_quiet(condition: str) -> None:
    assert lint(reveal_when=condition) == []


def test_interval_reasoning_directly() -> None:
    ranges = {"t": StateVariable(start=5, min=0, max=10)}
    assert not can_hold(parse_condition("t == 10 and t != 10"), ranges)
    assert can_hold(parse_condition("t >= 10 and t <= 10"), ranges)
    assert not can_hold(parse_condition("t > 10"), ranges)
    assert can_hold(parse_condition("t >= 3 and t < 3.5"), ranges)


@pytest.mark.parametrize(
    ("field", "rule"), [("want", "persona-no-want"), ("fear", "persona-no-fear")]
)
def test_persona_without_a_want_or_fear(field: str, rule: str) -> None:
    issues = lint(**{field: "'TODO: fill in'"})
    assert rules(issues) == [rule]
    assert issues[0].field == f"cast[0].persona.{field}s"
    assert line_of(issues[0], **{field: "'TODO: fill in'"}) == f"{field}s:"


def test_todo_lines_are_listed_once_each() -> None:
    issues = lint(success="'TODO: what done looks like'")
    assert rules(issues) == ["goal-no-success"]  # not also a second 'todo' for the same line
    text = SCENE.format(**GOOD).replace("setting: A room.", "setting: 'TODO: where'")
    issues = lint_text(text, "scene.yaml", {})
    assert rules(issues) == ["todo"] and issues[0].field == "setting"
    assert "still to write: where" in issues[0].message


def test_invalid_files_give_errors_not_warnings() -> None:
    text = SCENE.format(**GOOD).replace("goals:", "gaols:")
    issues = lint_text(text, "scene.yaml", {})
    assert {i.severity for i in issues} == {"error"}
    assert any(i.suggestion == "did you mean 'goals'?" for i in issues)


def test_persona_file(tmp_path: Path) -> None:
    source = (bundled_dir("personas") / "hannah-client.yaml").read_text(encoding="utf-8")
    path = tmp_path / "personas" / "p.yaml"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    assert lint_file(path, {}) == []
    path.write_text(
        source.replace("  - Being found out as not good enough.", "  - 'TODO'")
        .replace("  - Disappointing the therapist.\n", "")
        .replace("  - That if she stops overworking, everything will fall apart.\n", ""),
        encoding="utf-8",
    )
    issues = lint_file(path, {})
    assert rules(issues) == ["persona-no-fear"] and issues[0].file == str(path)


def test_the_bundled_scenarios_are_lint_clean(rehearse_home: Path) -> None:
    personas = Workspace().personas()
    files = sorted(bundled_dir("scenarios").glob("*.yaml")) + sorted(
        bundled_dir("personas").glob("*.yaml")
    )
    assert [str(i) for f in files for i in lint_file(f, personas)] == []


def test_group_scenes_use_each_characters_own_ranges(rehearse_home: Path) -> None:
    source = (bundled_dir("scenarios") / "parents-at-dinner.yaml").read_text(encoding="utf-8")
    personas = Workspace().personas()
    assert lint_text(source, "dinner.yaml", personas) == []
    text = source.replace("when: tom-father.trust >= 7", "when: tom-father.trust >= 70", 1)
    issues = lint_text(text, "dinner.yaml", personas)
    assert rules(issues) == ["never-true"] and issues[0].field.startswith("reveals[")
    assert "tom-father.trust 0..10" in issues[0].message
