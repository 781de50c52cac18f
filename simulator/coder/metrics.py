"""Agreement between two codings: accuracy, per-class and macro F1, Cohen's kappa.

Plain Python on purpose: the numbers are few, and a reader can check them by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

__all__ = ["agreement", "cohen_kappa", "f1_scores"]


def cohen_kappa(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Cohen's kappa: (p_o - p_e) / (1 - p_e); 1.0 when both codings use one same label."""
    n = len(gold)
    if n == 0:
        return float("nan")
    observed = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    gold_counts, pred_counts = Counter(gold), Counter(predicted)
    expected = sum(gold_counts[c] * pred_counts[c] for c in gold_counts) / (n * n)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def f1_scores(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, float]:
    """F1 of each label (0.0 for a label neither coding uses)."""
    out = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        out[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return out


def agreement(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """``n``, ``accuracy``, ``macro_f1`` (over ``labels``), ``kappa`` and ``per_class`` F1."""
    n = len(gold)
    per_class = f1_scores(gold, predicted, labels)
    return {
        "n": n,
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / n if n else None,
        "macro_f1": sum(per_class.values()) / len(per_class) if n else None,
        "kappa": cohen_kappa(gold, predicted) if n else None,
        "per_class": per_class,
    }
