"""``rehearse eval-coder``: the numbers on a tiny hand-made CSV, worked out by hand, and the
command as a person runs it (one real process; bad files give a message, not a traceback).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from rehearse.cli import main
from simulator.coder import Coding
from simulator.coder.coder import role
from simulator.coder.evaluate import evaluate_file

TINY = Path(__file__).parent / "data" / "coder_tiny.csv"
ROOT = Path(__file__).resolve().parents[1]

# What a stand-in coder says for each utterance of coder_tiny.csv, so that the expected
# figures can be worked out by hand: (behaviour, question type found, reflection type found,
# question-type head's pick, reflection-type head's pick), or the talk for client turns.
STUB = {
    # transcript 1 (one annotator)
    "What brings you in today?": ("question", "open", None, "open", "simple"),
    "My doctor says I should cut down, and I think he's right.": "change",
    "Your doctor wants you to cut down.": ("reflection", None, "simple", "open", "simple"),
    "Yeah.": "neutral",
    "Mm-hmm.": ("other", None, None, "closed", "simple"),
    # transcript 2 (three annotators; the majority calls the first line a closed question)
    "Do you drink every day?": ("reflection", None, None, "open", "simple"),
    "I don't see why I should stop, it's not a problem.": "neutral",
    "Part of you enjoys it, and part of you wonders what it costs you.": (
        "reflection",
        None,
        "complex",
        "open",
        "complex",
    ),
    "I work nights at the hospital.": "neutral",
    "Cutting down to two drinks a day lowers the risk a lot.": (
        "other",
        None,
        None,
        "closed",
        "simple",
    ),
}


class StubCoder:
    def code_conversation(self, turns: Iterable[tuple[str, str]]) -> list[Coding]:
        out = []
        for index, (speaker, text) in enumerate(turns):
            said = STUB[text]
            if role(speaker) == "client":
                assert isinstance(said, str)
                out.append(Coding(index, speaker, text, talk=said))
                continue
            assert isinstance(said, tuple)
            behaviour, question, reflection, q_head, r_head = said
            scores = {
                "question_type": {
                    "open": float(q_head == "open"),
                    "closed": float(q_head != "open"),
                },
                "reflection_type": {
                    "simple": float(r_head == "simple"),
                    "complex": float(r_head != "simple"),
                },
            }
            out.append(Coding(index, speaker, text, behaviour, question, reflection, scores=scores))
        return out


def test_figures_worked_out_by_hand() -> None:
    r = evaluate_file(TINY, StubCoder())  # type: ignore[arg-type]

    # Therapist behaviour, 6 turns. Annotated: question, reflection, other, question
    # (majority of 3), reflection, therapist_input. Coded: question, reflection, other,
    # reflection, reflection, other. Agreement 4/6.
    # Annotated totals q2 r2 o1 t1; coded q1 r3 o2 t0: p_e = (2*1 + 2*3 + 1*2 + 1*0)/36 = 10/36.
    # kappa = (24/36 - 10/36) / (1 - 10/36) = 14/26.
    # F1: question 2*1/(2*1+0+1) = 2/3; reflection 2*2/(4+1+0) = 4/5; other 2/(2+1+0) = 2/3;
    # therapist_input 0.
    b = r["therapist_behaviour"]
    assert b["n"] == 6
    assert b["accuracy"] == pytest.approx(4 / 6)
    assert b["kappa"] == pytest.approx(14 / 26)
    assert b["per_class"] == pytest.approx(
        {"question": 2 / 3, "reflection": 4 / 5, "therapist_input": 0.0, "other": 2 / 3}
    )
    assert b["macro_f1"] == pytest.approx((2 / 3 + 4 / 5 + 2 / 3 + 0) / 4)

    # Question type on the 2 annotated questions: open -> open, closed -> open.
    # p_o = 1/2; p_e = (1*2 + 1*0)/4 = 1/2; kappa 0. F1 open 2/(2+1) = 2/3, closed 0.
    q = r["question_type"]
    assert (q["n"], q["accuracy"], q["kappa"]) == (2, 0.5, 0.0)
    assert q["per_class"] == pytest.approx({"open": 2 / 3, "closed": 0.0})
    assert q["macro_f1"] == pytest.approx(1 / 3)
    # With "none", over the 6 turns: annotated open, none, none, closed, none, none; coded
    # open, none, none, none, none, none. p_o = 5/6; annotated o1 c1 n4, coded o1 c0 n5:
    # p_e = (1 + 0 + 20)/36 = 21/36; kappa = (30/36 - 21/36) / (15/36) = 3/5.
    assert q["with_none"]["n"] == 6
    assert q["with_none"]["accuracy"] == pytest.approx(5 / 6)
    assert q["with_none"]["kappa"] == pytest.approx(0.6)
    assert q["with_none"]["per_class"] == pytest.approx(
        {"open": 1.0, "closed": 0.0, "none": 2 * 4 / (2 * 4 + 1 + 0)}
    )

    # Reflection type on the 2 annotated reflections: both right.
    rt = r["reflection_type"]
    assert (rt["n"], rt["accuracy"], rt["kappa"], rt["macro_f1"]) == (2, 1.0, 1.0, 1.0)

    # Client talk, 4 turns: change, neutral, sustain, neutral coded change, neutral,
    # neutral, neutral. p_o = 3/4; annotated c1 n2 s1, coded c1 n3 s0:
    # p_e = (1 + 6 + 0)/16 = 7/16; kappa = (12/16 - 7/16) / (9/16) = 5/9.
    # F1 change 1, neutral 2*2/(4+1+0) = 4/5, sustain 0.
    t = r["client_talk"]
    assert (t["n"], t["accuracy"]) == (4, 0.75)
    assert t["kappa"] == pytest.approx(5 / 9)
    assert t["per_class"] == pytest.approx({"change": 1.0, "neutral": 0.8, "sustain": 0.0})
    assert t["macro_f1"] == pytest.approx(0.6)


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    header_only = tmp_path / "header.csv"
    header_only.write_text(TINY.read_text(encoding="utf-8").splitlines()[0] + "\n")
    no_text = tmp_path / "no_text.csv"
    no_text.write_text(
        "\n".join(
            line.replace("utterance_text", "text")
            for line in TINY.read_text(encoding="utf-8").splitlines()
        )
    )
    unclosed = tmp_path / "unclosed.csv"
    lines = TINY.read_text(encoding="utf-8").splitlines()
    unclosed.write_text("\n".join([*lines[:3], 'high,1,"never closed', *lines[3:]]) + "\n")
    notes = tmp_path / "notes.csv"
    notes.write_text("just some notes\nnothing tabular\n")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    return {
        "missing": (tmp_path / "missing.csv", "no such file"),
        "folder": (tmp_path, "is a folder"),
        "header only": (header_only, "no utterances"),
        "missing column": (no_text, ":1: not an AnnoMI-format CSV: missing column(s) "),
        "unclosed quote": (unclosed, ":4: "),
        "binary": (binary, "not a UTF-8 text file"),
        "notes": (notes, ":1: not an AnnoMI-format CSV"),
    }


def test_bad_input_is_a_message_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for case, (path, message) in _bad_files(tmp_path).items():
        assert main(["eval-coder", str(path)]) == 1, case
        err = capsys.readouterr().err
        assert err.startswith(f"rehearse: {path}"), (case, err)
        assert message in err, (case, err)
        assert "Traceback" not in err


def test_eval_coder_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-coder", str(TINY)]) == 0
    out = capsys.readouterr().out
    for label in ("therapist_behaviour", "question_type", "reflection_type", "client_talk"):
        assert label in out
    assert "kappa" in out and "macro-F1" in out and "n=6" in out


def test_eval_coder_command() -> None:
    """The real command, as a person runs it (one process: starting one takes seconds)."""
    done = subprocess.run(
        [sys.executable, "-m", "rehearse", "eval-coder", str(TINY), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == [
        "therapist_behaviour",
        "question_type",
        "reflection_type",
        "client_talk",
    ]
    assert [result[k]["n"] for k in result] == [6, 2, 2, 4]
    for scores in result.values():
        assert {"n", "accuracy", "macro_f1", "kappa", "per_class"} <= set(scores)
        assert -1.0 <= scores["kappa"] <= 1.0
    # The same numbers as the library computes in this process.
    assert result == json.loads(json.dumps(evaluate_file(TINY)))
