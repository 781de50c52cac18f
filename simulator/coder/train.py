"""Training and cross-validating the coder on AnnoMI (used by ``scripts/train_coder.py``).

Deterministic from end to end: the vocabulary is sorted, folds are assigned by a fixed
rule, and the optimiser (:mod:`simulator.coder.learn`) has no randomness.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.coder.data import Utterance, read_annomi
from simulator.coder.features import tokens, views
from simulator.coder.learn import Sparse, fit_logreg
from simulator.coder.model import HEADS, YES_NO, HeadSpec, HeadWeights, Model, row_values

__all__ = [
    "Example",
    "assign_folds",
    "examples",
    "file_sha256",
    "fit_head",
    "target",
    "train_model",
]

MIN_COUNT = 2  # a feature must occur in this many training utterances of a head


@dataclass(frozen=True)
class Example:
    """One utterance with its feature views (computed once, shared by every head)."""

    utterance: Utterance
    views: dict[str, list[str]]


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def examples(utterances: Sequence[Utterance]) -> list[Example]:
    """Feature views of each utterance, with its transcript's previous turns as context."""
    out = []
    last_by: dict[str, str] = {}
    previous: Utterance | None = None
    for u in utterances:
        if previous is None or previous.transcript_id != u.transcript_id:
            last_by, previous = {}, None
        out.append(
            Example(u, views(u.text, previous.text if previous else None, last_by.get(u.speaker)))
        )
        last_by[u.speaker] = u.text
        previous = u
    return out


def target(head: str, u: Utterance) -> str | None:
    """The label a head learns for an utterance (``None``: not that head's business)."""
    if head == "has_question":
        return None if u.speaker != "therapist" else YES_NO[u.question_type is not None]
    if head == "has_reflection":
        return None if u.speaker != "therapist" else YES_NO[u.reflection_type is not None]
    if head == "client_talk":
        return u.client_talk
    value: str | None = getattr(u, head)
    return value


def _rows(spec: HeadSpec, items: Sequence[Example], ids: dict[str, int]) -> Sparse:
    indptr, indices, values = [0], [], []
    for ex in items:
        known: list[int] = []
        scales: list[float] = []
        for view, weight in spec.views.items():
            for f in ex.views[view]:
                i = ids.get(f)
                if i is not None:
                    known.append(i)
                    scales.append(weight)
        indices.extend(known)
        values.extend(row_values(scales).tolist())
        indptr.append(len(indices))
    return Sparse(
        np.asarray(indptr, dtype=np.int64),
        np.asarray(indices, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
        len(ids),
    )


def fit_head(spec: HeadSpec, items: Sequence[Example], max_iter: int = 300) -> HeadWeights:
    """Train one head on the examples that have its label."""
    mine = [ex for ex in items if target(spec.name, ex.utterance) is not None]
    counts = Counter(f for ex in mine for v in spec.views for f in ex.views[v])
    features = tuple(sorted(f for f, c in counts.items() if c >= MIN_COUNT))
    ids = {f: i for i, f in enumerate(features)}
    x = _rows(spec, mine, ids)
    y = np.array([spec.labels.index(str(target(spec.name, ex.utterance))) for ex in mine])
    k = len(spec.labels)
    n_class = np.bincount(y, minlength=k).astype(np.float64)
    class_weight = (n_class.sum() / (k * np.maximum(n_class, 1.0))) ** spec.balance
    weights, bias = fit_logreg(
        x, y, k, l2=spec.l2, sample_weight=class_weight[y], max_iter=max_iter
    )
    return HeadWeights(spec, features, weights, bias)


def train_model(
    items: Sequence[Example],
    heads: Sequence[HeadSpec] = HEADS,
    meta: dict[str, Any] | None = None,
    max_iter: int = 300,
) -> Model:
    return Model([fit_head(spec, items, max_iter) for spec in heads], meta)


def assign_folds(items: Sequence[Example], k: int = 5) -> dict[str, int]:
    """Transcript -> fold: largest transcripts first, each to the lightest fold so far."""
    sizes = Counter(ex.utterance.transcript_id for ex in items)
    load = [0] * k
    folds = {}
    for tid in sorted(sizes, key=lambda t: (-sizes[t], t)):
        fold = min(range(k), key=lambda i: (load[i], i))
        folds[tid] = fold
        load[fold] += sizes[tid]
    return folds


def cross_validate(
    items: Sequence[Example],
    predict: Callable[[Sequence[Example], Sequence[Example]], list[dict[str, str | None]]],
    k: int = 5,
) -> list[dict[str, str | None]]:
    """Out-of-fold predictions for every example; ``predict(train, test)`` codes ``test``."""
    folds = assign_folds(items, k)
    out: list[dict[str, str | None]] = [{} for _ in items]
    for fold in range(k):
        train = [ex for ex in items if folds[ex.utterance.transcript_id] != fold]
        test_ids = [i for i, ex in enumerate(items) if folds[ex.utterance.transcript_id] == fold]
        for i, coded in zip(test_ids, predict(train, [items[i] for i in test_ids]), strict=True):
            out[i] = coded
    return out


def bag_of_words(text: str) -> dict[str, list[str]]:
    """The baseline's only view: the words of the utterance."""
    return {"text": [f"w:{w}" for w in dict.fromkeys(tokens(text))]}


def load(path: str | Path) -> list[Example]:
    return examples(read_annomi(path))
