"""The thinking-trap detector: each trap, several at once, none, negation; its CLI and metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.thinking_traps import (
    DESCRIPTIONS,
    QUESTIONS,
    TRAPS,
    TrapDataError,
    detect,
    evaluate,
    format_report,
    read_examples,
)
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
DEV = DATA / "thinking_traps" / "dev.jsonl"

ONE_TRAP = [
    ("all-or-nothing thinking", "If it isn't perfect, the whole thing is a failure."),
    ("overgeneralising", "This always happens to me."),
    ("labelling", "I'm such an idiot."),
    ("fortune telling", "I'm going to fail the exam tomorrow."),
    ("mind reading", "My boss thinks I'm incompetent."),
    ("emotional reasoning", "I feel stupid, so it must be true."),
    ("should statements", "I shouldn't have said that."),
    ("personalising", "The team lost because of me."),
    ("disqualifying the positive", "I passed, but it was just luck."),
    ("catastrophising", "If I lose this job, I'll end up homeless."),
    ("comparing and despairing", "My sister is so much more successful than me."),
    ("blaming", "It's his fault the trip was cancelled."),
    ("negative feeling or emotion", "I feel so lonely."),
]


def test_the_trap_names_are_spelled_as_the_issue_lists_them() -> None:
    assert TRAPS == (
        "all-or-nothing thinking",
        "overgeneralising",
        "labelling",
        "fortune telling",
        "mind reading",
        "emotional reasoning",
        "should statements",
        "personalising",
        "disqualifying the positive",
        "catastrophising",
        "comparing and despairing",
        "blaming",
        "negative feeling or emotion",
    )
    assert set(DESCRIPTIONS) == set(QUESTIONS) == set(TRAPS)


@pytest.mark.parametrize(("trap", "thought"), ONE_TRAP, ids=[t for t, _ in ONE_TRAP])
def test_each_trap_is_found(trap: str, thought: str) -> None:
    detection = detect(thought)
    assert detection.traps == [trap]
    # The explanation names the trap's meaning and quotes the words that showed it.
    assert detection.explanations[trap].startswith(DESCRIPTIONS[trap])
    assert detection.hits[0].evidence in thought.lower()


def test_one_thought_can_hold_several_traps() -> None:
    traps = detect("I always procrastinate; I'm lazy and I should be more disciplined.").traps
    assert traps == ["overgeneralising", "labelling", "should statements"]
    assert detect("They think I'm useless and they're going to fire me.").traps == [
        "fortune telling",
        "mind reading",
    ]


@pytest.mark.parametrize(
    "thought",
    [
        "I made a mistake on the report, and I can fix it tomorrow.",
        "She hasn't replied yet; she might just be busy.",
        "I'm going to the gym after work.",
        "I'm nervous, and that's normal before a big exam.",
    ],
)
def test_a_balanced_thought_has_no_trap(thought: str) -> None:
    assert detect(thought).traps == []


@pytest.mark.parametrize(
    ("negated", "plain", "trap"),
    [
        ("It's not the end of the world.", "It's the end of the world.", "catastrophising"),
        ("It's not my fault.", "It's my fault.", "personalising"),
        ("I'm not a failure.", "I'm a failure.", "labelling"),
        ("I don't have to be perfect.", "I have to be perfect.", "should statements"),
        ("I'm not angry with him.", "I'm angry with him.", "negative feeling or emotion"),
        ("They don't think I'm lazy.", "They think I'm lazy.", "mind reading"),
        ("I'm not going to fail.", "I'm going to fail.", "fortune telling"),
    ],
)
def test_negation_takes_a_trap_back(negated: str, plain: str, trap: str) -> None:
    assert trap in detect(plain).traps
    assert trap not in detect(negated).traps


def test_a_hedge_is_not_a_prediction_or_mind_reading() -> None:
    assert detect("They'll laugh at me.").traps == ["fortune telling"]
    assert detect("Maybe they'll laugh at me.").traps == []
    assert detect("He thinks I'm rude.").traps == ["mind reading"]
    assert detect("I wonder whether he thinks I'm rude.").traps == []


def test_detection_is_deterministic_and_case_and_apostrophe_blind() -> None:
    a = detect("I\u2019M SUCH AN IDIOT")
    assert a.traps == detect("i'm such an idiot").traps == ["labelling"]
    assert detect("I'm such an idiot").hits == detect("I'm such an idiot").hits


def test_the_development_set_is_well_formed_and_the_detector_fits_it() -> None:
    examples = read_examples(DEV)
    assert len(examples) >= 200
    for trap in TRAPS:  # several thoughts per trap, and balanced ones
        assert sum(trap in e.traps for e in examples) >= 10, trap
    assert sum(not e.traps for e in examples) >= 30
    assert sum(len(e.traps) > 1 for e in examples) >= 15
    result = evaluate(examples)
    # The rules were tuned on this set: it shows they fit it, not how well they generalise
    # (the README reports the held-out figure).
    assert result["micro"]["f1"] >= 0.9
    report = format_report(result, "dev")
    assert "micro: precision" in report and "fortune telling" in report


def test_metrics_count_true_and_false_positives(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {"text": "I'm such an idiot.", "traps": ["labelling"]},  # tp
        {"text": "I'm going to the gym.", "traps": ["labelling"]},  # fn
        {"text": "This always happens to me.", "traps": []},  # fp (overgeneralising)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = evaluate(read_examples(path))
    assert result["per_trap"]["labelling"]["tp"] == 1
    assert result["per_trap"]["labelling"]["fn"] == 1
    assert result["per_trap"]["labelling"]["recall"] == 0.5
    assert result["per_trap"]["overgeneralising"]["fp"] == 1
    assert result["per_trap"]["overgeneralising"]["precision"] == 0.0
    assert result["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "fine", "traps": []}\n{"text": oops}\n', ":2: not a JSON line"),
        ('{"text": "x", "traps": ["mind-reading"]}\n', ":1: unknown trap 'mind-reading'"),
        ('{"text": "x", "traps": "labelling"}\n', ':1: "traps" must be a list'),
        ('["x"]\n', ":1: expected"),
        ("\n", "no labelled thoughts"),
    ],
)
def test_a_bad_test_set_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(TrapDataError) as caught:
        read_examples(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


# --- the command line -----------------------------------------------------------------


def rehearse(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_writes_one_json_line_per_input_line() -> None:
    stdin = (
        json.dumps({"text": "I'm a failure and I always will be."})
        + "\n\n"  # a blank line is skipped, not an input
        + json.dumps({"text": "I made a mistake and I can fix it."})
        + "\n"
    )
    done = rehearse("thinking-traps", stdin=stdin)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows == [
        {"line": 1, "traps": ["overgeneralising", "labelling"]},
        {"line": 3, "traps": []},
    ]


def test_cli_explains_on_request() -> None:
    done = rehearse("thinking-traps", "--explain", stdin='{"text": "My boss hates me."}\n')
    row = json.loads(done.stdout)
    assert row["traps"] == ["mind reading"]
    assert row["explanations"]["mind reading"].startswith(DESCRIPTIONS["mind reading"])


def test_cli_reports_a_bad_line_by_number_and_carries_on() -> None:
    stdin = '{"text": "I\'m useless."}\nnot json\n{"txt": "x"}\n\xff\n{"text": "I feel sad."}\n'
    done = subprocess.run(
        [sys.executable, "-m", "rehearse", "thinking-traps"],
        input=stdin.encode("latin-1"),  # line 4 is not UTF-8
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 1
    assert "Traceback" not in err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["traps"] == ["labelling"] and rows[4]["traps"] == ["negative feeling or emotion"]
    assert rows[1]["error"].startswith("line 2: not a JSON line")
    assert rows[2]["error"] == 'line 3: expected {"text": "..."}'
    assert rows[3]["error"].startswith("line 4: not a JSON line")
    assert "rehearse: line 2: not a JSON line" in err


def test_cli_eval_prints_per_trap_precision_recall_and_micro_f1(tmp_path: Path) -> None:
    done = rehearse("thinking-traps", "--eval", str(DEV))
    assert done.returncode == 0, done.stderr
    assert "precision" in done.stdout and "micro: precision" in done.stdout
    for trap in TRAPS:
        assert trap in done.stdout
    as_json = json.loads(rehearse("thinking-traps", "--eval", str(DEV), "--json").stdout)
    assert as_json["micro"]["f1"] == evaluate(read_examples(DEV))["micro"]["f1"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "traps": ["nope"]}\n')
    failed = rehearse("thinking-traps", "--eval", str(bad))
    assert failed.returncode == 1
    assert f"rehearse: {bad}:1: unknown trap 'nope'" in failed.stderr
    assert "Traceback" not in failed.stderr
