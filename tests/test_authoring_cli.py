"""The authors' commands as a person types them: import, new, lint, export-scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rehearse.cli import main
from simulator.catalog import Catalog
from simulator.paths import bundled_dir

IMPORTS = Path(__file__).parent / "data" / "imports"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_import_a_card_then_lint_lists_what_is_left(
    capsys: pytest.CaptureFixture[str], rehearse_home: Path
) -> None:
    code, out, _ = run(capsys, "import", str(IMPORTS / "card_v2.json"))
    assert code == 0
    assert "Read " in out and "as chara_card_v2" in out
    assert "extensions: kept verbatim" in out
    assert "Saved scenario talking-with-mara-quinn" in out
    code, out, err = run(capsys, "lint")
    assert code == 0  # warnings alone do not fail...
    assert "personas/mara-quinn.yaml:" in out and "[persona-no-want]" in out
    assert "[goal-no-success]" in out and "0 error(s)" in err
    code, _, _ = run(capsys, "lint", "--strict")
    assert code == 1  # ...unless asked to
    code, out, _ = run(capsys, "lint", "--json")
    rows = json.loads(out)
    assert {"file", "line", "field", "message", "suggestion", "severity"} <= set(rows[0])


def test_import_refuses_a_clash_without_a_terminal_and_renames_when_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bundle = tmp_path / "b.yaml"
    assert run(capsys, "export-scenario", "ask-for-a-raise", "-o", str(bundle))[0] == 0
    edited = bundle.read_text().replace("id: ask-for-a-raise", "id: ask-for-a-raise  # mine", 1)
    bundle.write_text(edited, encoding="utf-8")
    code, _, err = run(capsys, "import", str(bundle))
    assert code == 1 and "scenario 'ask-for-a-raise' is bundled with Rehearse" in err
    assert "--rename" in err
    code, out, _ = run(capsys, "import", "--rename", str(bundle))
    assert code == 0 and "ask-for-a-raise-2" in out
    assert Catalog.load().get("ask-for-a-raise-2").title


@pytest.mark.parametrize(("answer", "code"), [("r", 0), ("", 1)])
def test_import_asks_on_a_terminal_what_to_do_with_a_clash(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    answer: str,
    code: int,
) -> None:
    bundle = tmp_path / "b.yaml"
    run(capsys, "export-scenario", "ask-for-a-raise", "-o", str(bundle))
    edited = bundle.read_text().replace("id: ask-for-a-raise", "id: ask-for-a-raise  # mine", 1)
    bundle.write_text(edited, encoding="utf-8")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": answer)
    got, out, err = run(capsys, "import", str(bundle))
    assert got == code and "is bundled with Rehearse" in err
    if code == 0:
        assert "Saved scenario ask-for-a-raise-2" in out
    else:
        assert "Nothing imported." in out


def test_import_dry_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], rehearse_home: Path
) -> None:
    code, out, _ = run(capsys, "import", "--dry-run", str(IMPORTS / "patient_psi.json"))
    assert code == 0 and "scenario cbt-dana-7-1" in out
    assert not list(rehearse_home.glob("*/*.yaml"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n", "cut short"),
        (b'{"spec": "chara_card_v2"', "not valid JSON"),
        (b"[1, 2]", "not a character card"),
        (b'{"hello": 1}', "not a character card"),
        (b"\xff\xfe binary", "not UTF-8 text"),
        (b"id: x\ntitle: [oops\n", "invalid YAML"),
    ],
)
def test_bad_import_files_get_a_message_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    code, _, err = run(capsys, "import", str(path))
    assert code == 1 and expected in err and str(path) in err


def test_import_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "nope.json"))
    assert code == 1 and "cannot read" in err


def test_new_from_flags_writes_a_valid_scenario_and_persona(
    capsys: pytest.CaptureFixture[str], rehearse_home: Path
) -> None:
    code, out, _ = run(
        capsys,
        "new",
        "--title",
        "Asking for flexible hours",
        "--category",
        "difficult-conversation",
        "--persona",
        "Sam Reed",
        "--goal",
        "Ask clearly for what I need",
        "--success",
        "I make the request in one sentence and hold it once",
        "--no-input",
    )
    assert code == 0 and "asking-for-flexible-hours" in out
    catalog = Catalog.load()
    assert catalog.problems == []
    scenario = catalog.get("asking-for-flexible-hours")
    assert scenario.persona().name == "Sam Reed"
    assert scenario.goals[0].description == "Ask clearly for what I need"
    # An existing persona id is used, not copied; the same title gets a free id.
    code, out, _ = run(
        capsys, "new", "--title", "Asking for flexible hours", "--persona", "priya-manager"
    )
    assert code == 0 and "asking-for-flexible-hours-2" in out
    assert Catalog.load().get("asking-for-flexible-hours-2").persona().id == "priya-manager"
    assert sorted(p.stem for p in (rehearse_home / "personas").glob("*.yaml")) == ["sam-reed"]


def test_new_asks_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = iter(
        [
            "Saying no to overtime",
            "nonsense",
            "difficult-conversation",
            "jordan-manager",
            "A developer",
            "",
            "",
            "Say no kindly",
            "",
        ]
    )
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    code, out, _ = run(capsys, "new")
    assert code == 0 and "choose one of" in out
    scenario = Catalog.load().get("saying-no-to-overtime")
    assert scenario.persona().id == "jordan-manager" and scenario.user_role == "A developer"
    assert scenario.setting.startswith("TODO:")


def test_new_refuses_a_taken_id_and_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "new", "--id", "ask-for-a-raise", "--no-input")
    assert code == 1 and "exists already" in err and "ask-for-a-raise-2" in err
    code, _, err = run(capsys, "new", "--id", "Bad Id", "--no-input")
    assert code == 1 and "'bad-id'" in err


def test_export_scenario_writes_a_bundle_and_will_not_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "out.yaml"
    code, _out, _ = run(capsys, "export-scenario", "cbt-guided-discovery", "-o", str(target))
    assert code == 0
    documents = list(yaml.safe_load_all(target.read_text(encoding="utf-8")))
    assert documents[0]["bundle"] == "rehearse/1"
    assert [d["id"] for d in documents[1:]] == ["hannah-client", "cbt-guided-discovery"]
    code, _, err = run(capsys, "export-scenario", "cbt-guided-discovery", "-o", str(target))
    assert code == 1 and "--force" in err
    code, _, err = run(capsys, "export-scenario", "no-such-scene")
    assert code == 1 and "No scenario with id 'no-such-scene'" in err


def test_lint_names_file_and_line_of_an_unreachable_reveal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (
        (bundled_dir("scenarios") / "cbt-guided-discovery.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "when: trust >= 7 and insight >= 7 and guardedness <= 4",
            "when: trust >= 11 and insight >= 7",
        )
    )
    path = tmp_path / "scene.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "lint", str(path))
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "trust >= 11" in t)
    assert code == 0
    assert f"{path}:{line}: reveals[1].when: warning:" in out and "[never-true]" in out


def test_import_in_a_fresh_process_as_a_person_runs_it(rehearse_home: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "REHEARSE_HOME": str(rehearse_home)}
    root = Path(__file__).resolve().parents[1]

    def rehearse(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rehearse", *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=120,
        )

    done = rehearse("import", str(IMPORTS / "card_v3.png"))
    assert done.returncode == 0, done.stderr
    assert "as chara_card_v3" in done.stdout and "Traceback" not in done.stderr
    listed = json.loads(rehearse("list", "--json").stdout)
    mine = [row for row in listed if row["origin"] == "user"]
    assert [row["id"] for row in mine] == ["talking-with-theo-brandt"]
