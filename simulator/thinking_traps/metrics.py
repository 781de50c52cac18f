"""Measuring the detector on a labelled JSON-lines file: per-trap precision and recall.

A test set has one JSON object per line, ``{"text": ..., "traps": [...]}``, with trap
names spelled as in :data:`~simulator.thinking_traps.catalog.TRAPS` (an empty list for a
balanced thought). A line that cannot be read is a :class:`TrapDataError` naming the file
and the line, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import RehearseError
from simulator.thinking_traps.catalog import TRAPS
from simulator.thinking_traps.detector import detect

__all__ = ["Example", "TrapDataError", "evaluate", "format_report", "read_examples"]


class TrapDataError(RehearseError):
    """A labelled thinking-trap file that cannot be read (file and line in the message)."""


@dataclass(frozen=True)
class Example:
    text: str
    traps: frozenset[str]


def read_examples(path: str | Path) -> list[Example]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TrapDataError(f"{path}: cannot read it ({exc.strerror or exc}).") from None
    examples = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TrapDataError(f"{where}: not a JSON line ({exc}).") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise TrapDataError(f'{where}: expected {{"text": "...", "traps": [...]}}.')
        traps = item.get("traps")
        if not isinstance(traps, list) or not all(isinstance(t, str) for t in traps):
            raise TrapDataError(f'{where}: "traps" must be a list of trap names.')
        unknown = [t for t in traps if t not in TRAPS]
        if unknown:
            raise TrapDataError(
                f"{where}: unknown trap {unknown[0]!r}; the names are: {', '.join(TRAPS)}."
            )
        examples.append(Example(item["text"], frozenset(traps)))
    if not examples:
        raise TrapDataError(f"{path}: no labelled thoughts in it.")
    return examples


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def evaluate(examples: list[Example]) -> dict[str, Any]:
    """Per-trap counts, precision and recall, and micro-averaged precision, recall and F1."""
    counts = {trap: {"tp": 0, "fp": 0, "fn": 0} for trap in TRAPS}
    exact = 0
    for example in examples:
        predicted = set(detect(example.text).traps)
        exact += predicted == example.traps
        for trap in TRAPS:
            if trap in predicted and trap in example.traps:
                counts[trap]["tp"] += 1
            elif trap in predicted:
                counts[trap]["fp"] += 1
            elif trap in example.traps:
                counts[trap]["fn"] += 1
    per_trap = {}
    for trap, c in counts.items():
        per_trap[trap] = {
            **c,
            "support": c["tp"] + c["fn"],
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        }
    tp = sum(c["tp"] for c in counts.values())
    fp = sum(c["fp"] for c in counts.values())
    fn = sum(c["fn"] for c in counts.values())
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else 0.0
    )
    return {
        "n": len(examples),
        "balanced": sum(not e.traps for e in examples),
        "exact_match": exact / len(examples),
        "per_trap": per_trap,
        "micro": {"precision": precision, "recall": recall, "f1": f1},
    }


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def format_report(result: dict[str, Any], name: str = "") -> str:
    lines = [
        f"{name + ': ' if name else ''}{result['n']} thoughts ({result['balanced']} balanced), "
        f"exact match {result['exact_match']:.2f}",
        f"{'trap':<30} {'n':>3} {'precision':>9} {'recall':>6}",
    ]
    for trap, row in result["per_trap"].items():
        lines.append(
            f"{trap:<30} {row['support']:>3} {_fmt(row['precision']):>9} {_fmt(row['recall']):>6}"
        )
    micro = result["micro"]
    lines.append(
        f"micro: precision {_fmt(micro['precision'])}, recall {_fmt(micro['recall'])}, "
        f"F1 {micro['f1']:.2f}"
    )
    return "\n".join(lines)
