"""Measuring the coder against annotations (what ``rehearse eval-coder`` prints).

Four labels, each scored on the utterances the annotators gave that label:

- ``therapist_behaviour``: every therapist utterance;
- ``question_type``: the utterances annotated with a question (open | closed), scored
  with the coder's question-type head: how well it types a question it is given;
- ``reflection_type``: the same for reflections (simple | complex);
- ``client_talk``: every client utterance.

The question and reflection types also get a ``with_none`` score over every therapist
utterance (open | closed | none): the coder must find the question as well as type it.
That is the footing of the published human agreement for these two labels (Fleiss' kappa
with "no question" as a category: 0.74 and 0.50), so compare with it there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from simulator.coder.coder import Coder, Coding, default_coder
from simulator.coder.data import (
    BEHAVIOURS,
    CLIENT_TALK,
    QUESTION_TYPES,
    REFLECTION_TYPES,
    Utterance,
    read_annomi,
)
from simulator.coder.metrics import agreement

__all__ = ["LABELS", "code_utterances", "evaluate", "evaluate_file", "format_report"]

NONE = "none"
LABELS: dict[str, tuple[str, ...]] = {
    "therapist_behaviour": BEHAVIOURS,
    "question_type": QUESTION_TYPES,
    "reflection_type": REFLECTION_TYPES,
    "client_talk": CLIENT_TALK,
}


def code_utterances(utterances: Sequence[Utterance], coder: Coder) -> list[Coding]:
    """Code each transcript as one conversation, in the order given."""
    out: list[Coding] = []
    for _, group in groupby(utterances, key=lambda u: u.transcript_id):
        items = list(group)
        out.extend(coder.code_conversation((u.speaker, u.text) for u in items))
    return out


def _top(probs: Mapping[str, float]) -> str:
    return max(probs, key=probs.__getitem__)


def pairs(
    utterances: Sequence[Utterance], codings: Sequence[Coding]
) -> dict[str, tuple[list[str], list[str], tuple[str, ...]]]:
    """Label -> (annotated, coded, label set), the utterances each label is scored on."""
    out: dict[str, tuple[list[str], list[str], tuple[str, ...]]] = {
        "therapist_behaviour": ([], [], BEHAVIOURS),
        "question_type": ([], [], QUESTION_TYPES),
        "reflection_type": ([], [], REFLECTION_TYPES),
        "client_talk": ([], [], CLIENT_TALK),
        "question_type_with_none": ([], [], (*QUESTION_TYPES, NONE)),
        "reflection_type_with_none": ([], [], (*REFLECTION_TYPES, NONE)),
    }

    def add(label: str, gold: str, coded: str | None) -> None:
        out[label][0].append(gold)
        out[label][1].append(coded or NONE)

    for u, c in zip(utterances, codings, strict=True):
        if u.speaker == "client":
            if u.client_talk is not None:
                add("client_talk", u.client_talk, c.talk)
            continue
        if u.behaviour is not None:
            add("therapist_behaviour", u.behaviour, c.behaviour)
        if u.question_type is not None:
            add("question_type", u.question_type, _top(c.scores["question_type"]))
        if u.reflection_type is not None:
            add("reflection_type", u.reflection_type, _top(c.scores["reflection_type"]))
        add("question_type_with_none", u.question_type or NONE, c.question_type)
        add("reflection_type_with_none", u.reflection_type or NONE, c.reflection_type)
    return out


def evaluate(utterances: Sequence[Utterance], codings: Sequence[Coding]) -> dict[str, Any]:
    """For each label: ``n``, ``accuracy``, ``macro_f1``, ``kappa``, ``per_class`` (F1)."""
    scored = {
        name: agreement(g, p, labels) for name, (g, p, labels) in pairs(utterances, codings).items()
    }
    result = {name: scored[name] for name in LABELS}
    result["question_type"]["with_none"] = scored["question_type_with_none"]
    result["reflection_type"]["with_none"] = scored["reflection_type_with_none"]
    return result


def evaluate_file(path: str | Path, coder: Coder | None = None) -> dict[str, Any]:
    utterances = read_annomi(path)
    return evaluate(utterances, code_utterances(utterances, coder or default_coder()))


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.3f}"


def _is_training_file(path: Path, coder: Coder) -> bool:
    trained_on = getattr(getattr(coder, "model", None), "meta", {}).get("data_sha256")
    try:
        return trained_on == hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return False


def format_report(result: dict[str, Any], source: str | Path, coder: Coder | None = None) -> str:
    """The plain-text table ``rehearse eval-coder`` prints."""
    lines = [f"Skill coder against the annotations in {source}", ""]
    if _is_training_file(Path(source), coder or default_coder()):
        lines[1:1] = [
            "Note: the coder was trained on this very file, so these figures flatter it; "
            "scripts/train_coder.py --cv gives cross-validated ones.",
        ]
    for name in LABELS:
        r = result[name]
        per_class = "  ".join(f"{k} {_fmt(v)}" for k, v in r["per_class"].items())
        lines.append(
            f"{name:<20} n={r['n']:<5} accuracy {_fmt(r['accuracy'])}  "
            f"macro-F1 {_fmt(r['macro_f1'])}  kappa {_fmt(r['kappa'])}"
        )
        lines.append(f"{'':<20} F1: {per_class}")
        if "with_none" in r:
            w = r["with_none"]
            lines.append(
                f"{'':<20} with 'none' (finding the {name.split('_')[0]} too): n={w['n']} "
                f"accuracy {_fmt(w['accuracy'])}  kappa {_fmt(w['kappa'])}"
            )
    lines += [
        "",
        "Trained human coders (AnnoMI, Fleiss' kappa): behaviour 0.74, question type 0.74 and "
        "reflection type 0.50 (both with 'none'), client talk 0.47.",
    ]
    return "\n".join(lines)
