"""The CLI's file commands, run as a person runs them: a real process, a private data dir.

Each call starts a fresh interpreter (a few seconds each, mostly imports), so the tests
share calls where they can.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.loader import MAX_DEPTH
from simulator.paths import bundled_dir
from simulator.schema import CATEGORIES

BUNDLED_IDS = sorted(p.stem for p in bundled_dir("scenarios").glob("*.yaml"))
BUNDLED_FILES = (
    len(BUNDLED_IDS)
    + len(list(bundled_dir("personas").glob("*.yaml")))
    + len(list(bundled_dir("learning").glob("*.yaml")))  # the technique notes
)

# ``file:line: field: message``, the shape every problem is printed in.
PROBLEM_LINE = re.compile(
    r"^(?P<file>.+\.ya?ml):(?P<line>\d+): (?P<field>[\w.\[\]]+): (?P<msg>.+)$"
)

SCENE = """\
id: my-scene
title: My scene
category: difficult-conversation
summary: A scene of my own.
user_role: A team lead.
setting: A quiet office.
cast:
  - persona: {persona}
    opening_line: "You wanted to see me?"
goals:
  - id: ask
    description: Ask an open question.
    success: You ask what is going on.
    met_when: trust >= 6
state:
  trust:
    start: 4
  defensiveness:
    start: 5
    desired: down
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
"""


def rehearse(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rehearse ARGS`` with ``home`` as its data dir; never a traceback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REHEARSE_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "REHEARSE_ASSESSOR")
    }
    env["REHEARSE_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


@pytest.fixture
def run(rehearse_home: Path, tmp_path: Path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return rehearse(rehearse_home, *args, cwd=tmp_path)

    return run


def test_list_shows_every_bundled_scenario(run) -> None:
    result = run("list")
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert sorted(listed) == BUNDLED_IDS
    assert "could not be loaded" not in result.stdout


def test_list_json_gives_objects_with_id_title_and_category(run) -> None:
    result = run("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    assert sorted(row["id"] for row in rows) == BUNDLED_IDS
    for row in rows:
        assert isinstance(row, dict)
        assert isinstance(row["title"], str) and row["title"]
        assert row["category"] in CATEGORIES
        assert row["origin"] == "bundled"


def test_list_includes_user_scenarios_and_notes_broken_ones(run, rehearse_home: Path) -> None:
    scenarios = rehearse_home / "scenarios"
    scenarios.mkdir(parents=True)
    (scenarios / "mine.yaml").write_text(SCENE.format(persona="jordan-manager"), encoding="utf-8")
    (scenarios / "broken.yaml").write_text("id: broken\ntitle: [\n", encoding="utf-8")

    result = run("list")
    assert result.returncode == 0, result.stderr
    assert "my-scene" in result.stdout
    assert "1 file(s) could not be loaded; `rehearse validate` says why." in result.stdout

    result = run("validate")
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line]
    assert problems
    assert all(line.startswith(f"{scenarios / 'broken.yaml'}:") for line in problems)
    assert "1 problem(s) found." in result.stderr


def test_validate_everything_bundled_passes(run) -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{BUNDLED_FILES} file(s) valid."
    assert result.stderr == ""


def test_validate_a_bad_file_prints_file_line_field_message(run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = SCENE.format(persona="jordan-manger")
    text = text.replace("opening_line:", "openin_line:").replace(
        "category: difficult-conversation", "category: inner-part"
    )
    bad.write_text(text, encoding="utf-8")

    result = run("validate", str(bad))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match, f"not a file:line: field: message line: {line!r}"
        assert match["file"] == str(bad)
    assert (
        f"{bad}:3: category: 'inner-part' is not allowed; use one of {', '.join(CATEGORIES)}; "
        "did you mean 'inner-parts'?"
    ) in lines
    assert (
        f"{bad}:9: cast[0].openin_line: unknown key 'openin_line'; did you mean 'opening_line'?"
        in lines
    )
    assert f"{bad}:8: cast[0].opening_line: missing required key 'opening_line'" in lines
    assert result.stderr.strip() == f"{len(lines)} problem(s) found."


def test_validate_reports_unreadable_deep_and_unknown_persona_files_together(
    run, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\x02")
    wrong_persona = tmp_path / "wrong-persona.yaml"
    wrong_persona.write_text(SCENE.format(persona="jordan-manger"), encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    deep = tmp_path / "deep.yaml"
    deep.write_text("x: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")

    result = run("validate", str(binary), str(wrong_persona), str(missing), str(deep))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{binary}: this is a binary file, not YAML text" in lines
    assert (
        f"{wrong_persona}:8: cast[0].persona: no persona with id 'jordan-manger'; "
        "did you mean 'jordan-manager'?"
    ) in lines
    assert any(line.startswith(f"{missing}: cannot read: ") for line in lines)
    assert f"{deep}:1: nested deeper than {MAX_DEPTH} levels" in lines
    assert result.stderr.strip() == "4 problem(s) found."


def test_validate_a_scenario_with_the_persona_it_uses_in_one_call(run, tmp_path: Path) -> None:
    (tmp_path / "personas").mkdir()
    (tmp_path / "scenarios").mkdir()
    persona = tmp_path / "personas" / "riley.yaml"
    persona.write_text(PERSONA, encoding="utf-8")
    scenario = tmp_path / "scenarios" / "my-scene.yaml"
    scenario.write_text(SCENE.format(persona="riley"), encoding="utf-8")

    # The scenario comes first on the command line; the persona must still be known to it.
    result = run("validate", str(scenario), str(persona))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "2 file(s) valid."

    # Folders work too, and a broken persona is reported with the scenario that needs it.
    persona.write_text(PERSONA.replace("under_pressure:", "under_presure:"), encoding="utf-8")
    result = run("validate", str(tmp_path / "personas"), str(tmp_path / "scenarios"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        f"{persona}:8: under_presure: unknown key 'under_presure'; did you mean 'under_pressure'?"
        in lines
    )
    assert any(line.startswith(f"{scenario}:8: cast[0].persona: no persona") for line in lines)


@pytest.mark.parametrize(
    ("scenario_id", "hint"),
    [
        ("no-such-id", "No scenario with id 'no-such-id'. `rehearse list` shows them all."),
        ("ask-for-a-rase", "No scenario with id 'ask-for-a-rase'. Did you mean 'ask-for-a-raise'?"),
    ],
)
def test_play_unknown_scenario_exits_1_with_a_suggestion(run, scenario_id: str, hint: str) -> None:
    assert "ask-for-a-raise" in BUNDLED_IDS
    result = run("play", scenario_id)
    assert result.returncode == 1
    assert result.stderr.strip() == f"rehearse: {hint}"
    assert result.stdout == ""


def test_sessions_json_on_an_empty_home_is_an_empty_list(run) -> None:
    result = run("sessions", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert result.stdout.strip() == "[]"
