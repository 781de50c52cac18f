"""The coder's model: one logistic-regression head per decision, over shared features.

Heads, each a softmax over its labels:

- therapist (user) turns: ``behaviour``, ``has_question``, ``question_type``,
  ``has_reflection``, ``reflection_type``;
- client (character) turns: ``client_talk``.

A head reads some of the feature views (see :mod:`simulator.coder.features`), each with a
weight; an utterance's feature values are those weights divided by the length of its
feature vector, so long and short turns are on one scale. The weights live in
``weights.npz`` beside this file; ``scripts/train_coder.py`` rebuilds it from AnnoMI.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator.coder.data import BEHAVIOURS, CLIENT_TALK, QUESTION_TYPES, REFLECTION_TYPES
from simulator.coder.features import VIEWS
from simulator.errors import RehearseError

__all__ = ["HEADS", "WEIGHTS", "HeadSpec", "HeadWeights", "Model", "row_values"]

WEIGHTS = Path(__file__).with_name("weights.npz")
YES_NO: tuple[str, ...] = ("no", "yes")


@dataclass(frozen=True)
class HeadSpec:
    """What one head decides, for whom, from which views, with which training settings."""

    name: str
    speaker: str  # "therapist" or "client": whose utterances it codes
    labels: tuple[str, ...]
    views: Mapping[str, float]  # view -> weight of its features
    l2: float  # penalty on the weights (per training utterance)
    balance: float = 0.5  # class weights (n / (k * n_class)) ** balance; 0 = none


# Settings chosen by 5-fold cross-validation by transcript (scripts/train_coder.py --cv).
# The question type reads the question alone: the turns before only added noise there. The
# speaker's own previous turn helps wherever a therapist's turn continues across a "Mm-hmm".
_CONTEXT = {"text": 1.0, "previous": 0.5, "own": 0.5}
HEADS: tuple[HeadSpec, ...] = (
    HeadSpec("behaviour", "therapist", BEHAVIOURS, _CONTEXT, 3e-4),
    HeadSpec("has_question", "therapist", YES_NO, {"text": 1.0, "question": 1.0}, 3e-4),
    HeadSpec("question_type", "therapist", QUESTION_TYPES, {"text": 1.0, "question": 1.0}, 1e-3),
    HeadSpec("has_reflection", "therapist", YES_NO, _CONTEXT, 3e-4),
    HeadSpec("reflection_type", "therapist", REFLECTION_TYPES, _CONTEXT, 1e-3),
    HeadSpec("client_talk", "client", CLIENT_TALK, _CONTEXT, 3e-4),
)


def row_values(scales: Sequence[float]) -> np.ndarray:
    """The values of one utterance's known features: each view's weight over the norm."""
    values = np.asarray(scales, dtype=np.float64)
    norm = float(np.sqrt(np.multiply(values, values).sum()))
    return values / norm if norm else values


@dataclass(frozen=True)
class HeadWeights:
    """A trained head: its features (names), weights ``(features, labels)`` and bias."""

    spec: HeadSpec
    features: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray


class Model:
    """All heads, ready to score utterances (see :meth:`scores`)."""

    def __init__(self, heads: Sequence[HeadWeights], meta: Mapping[str, Any] | None = None):
        self.heads = {h.spec.name: h for h in heads}
        self.meta = dict(meta or {})
        names = sorted({f for h in heads for f in h.features})
        self._ids = {f: i for i, f in enumerate(names)}
        # One matrix for all heads (zeros where a head lacks a feature) so that an
        # utterance's features are looked up once; `_known` counts each head's own.
        columns = [len(h.spec.labels) for h in heads]
        self._offsets = np.cumsum([0, *columns])
        self._matrix = np.zeros((len(names), self._offsets[-1]), dtype=np.float32)
        self._known = np.zeros((len(names), len(heads)), dtype=np.float32)
        for k, h in enumerate(heads):
            rows = np.fromiter((self._ids[f] for f in h.features), dtype=np.int64)
            self._matrix[rows, self._offsets[k] : self._offsets[k + 1]] = h.weights
            self._known[rows, k] = 1.0
        self._specs = [h.spec for h in heads]
        self._bias = np.concatenate([h.bias for h in heads]).astype(np.float64)
        self._column_head = np.repeat(np.arange(len(heads)), columns)
        # (head, view) -> the weight of that view's features in that head (0: not read).
        self._view_weight = np.array(
            [[h.spec.views.get(v, 0.0) for v in VIEWS] for h in heads], dtype=np.float64
        )
        self._heads_of = {
            who: [k for k, spec in enumerate(self._specs) if spec.speaker == who]
            for who in ("therapist", "client")
        }
        self.views_of = {
            who: tuple(v for j, v in enumerate(VIEWS) if self._view_weight[ks, j].any())
            for who, ks in self._heads_of.items()
        }

    def scores(
        self, views: Mapping[str, Sequence[str]], speaker: str
    ) -> dict[str, dict[str, float]]:
        """Each of the speaker's heads (``therapist`` or ``client``): label -> probability,
        for one utterance's feature views."""
        return self.scores_many([(views, speaker)])[0]

    def scores_many(
        self, items: Sequence[tuple[Mapping[str, Sequence[str]], str]]
    ) -> list[dict[str, dict[str, float]]]:
        """:meth:`scores` for many utterances at once (one pass of numpy over all of them)."""
        if not items:
            return []
        n_views, get = len(VIEWS), self._ids.get
        rows: list[int] = []
        segments: list[int] = []  # utterance * n_views + view, for each row
        for n, (views, _) in enumerate(items):
            for j, view in enumerate(VIEWS):
                names = views.get(view)
                if names:
                    found = [i for i in map(get, names) if i is not None]
                    rows.extend(found)
                    segments.extend([n * n_views + j] * len(found))
        sums = np.zeros((len(items) * n_views, self._matrix.shape[1]))
        counts = np.zeros((len(items) * n_views, len(self._specs)))
        if rows:
            seg = np.asarray(segments)
            starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
            picked = np.asarray(rows)
            sums[seg[starts]] = np.add.reduceat(self._matrix[picked], starts, axis=0)
            counts[seg[starts]] = np.add.reduceat(self._known[picked], starts, axis=0)
        sums = sums.reshape(len(items), n_views, -1)
        counts = counts.reshape(len(items), n_views, -1)
        # A head's feature values are its view weights over the length of the vector.
        norm = np.sqrt(np.einsum("hv,nvh->nh", self._view_weight**2, counts))
        coef = self._view_weight[None] / np.where(norm > 0, norm, 1.0)[:, :, None]
        z = np.einsum("ncv,nvc->nc", coef[:, self._column_head, :], sums) + self._bias
        out: list[dict[str, dict[str, float]]] = []
        for logits, (_, speaker) in zip(z.tolist(), items, strict=True):
            coded = {}
            for k in self._heads_of[speaker]:
                spec = self._specs[k]
                part = logits[self._offsets[k] : self._offsets[k + 1]]
                top = max(part)
                e = [math.exp(x - top) for x in part]
                total = sum(e)
                coded[spec.name] = {label: e[i] / total for i, label in enumerate(spec.labels)}
            out.append(coded)
        return out

    # -- storage ---------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the heads as float16 weights in a compressed ``.npz`` (byte-for-byte
        reproducible: numpy writes zip entries with a fixed date)."""
        arrays: dict[str, np.ndarray] = {}
        specs = []
        for h in self.heads.values():
            arrays[f"{h.spec.name}.features"] = np.array("\n".join(h.features))
            arrays[f"{h.spec.name}.weights"] = h.weights.astype(np.float16)
            arrays[f"{h.spec.name}.bias"] = h.bias.astype(np.float32)
            specs.append(
                {
                    "name": h.spec.name,
                    "speaker": h.spec.speaker,
                    "labels": list(h.spec.labels),
                    "views": dict(h.spec.views),
                    "l2": h.spec.l2,
                    "balance": h.spec.balance,
                }
            )
        meta = {**self.meta, "heads": specs}
        arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path = WEIGHTS) -> Model:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                heads = []
                for s in meta["heads"]:
                    spec = HeadSpec(
                        s["name"],
                        s["speaker"],
                        tuple(s["labels"]),
                        s["views"],
                        s["l2"],
                        s["balance"],
                    )
                    heads.append(
                        HeadWeights(
                            spec,
                            tuple(str(data[f"{spec.name}.features"]).split("\n")),
                            data[f"{spec.name}.weights"].astype(np.float32),
                            data[f"{spec.name}.bias"].astype(np.float32),
                        )
                    )
        except (OSError, KeyError, ValueError) as exc:
            raise RehearseError(
                f"{path}: the skill coder's weights cannot be read ({exc}); "
                "rebuild them with scripts/train_coder.py"
            ) from None
        return cls(heads, meta)
