"""Train the skill coder on AnnoMI and write simulator/coder/weights.npz.

    python scripts/train_coder.py            # retrain, write the weights (about a minute)
    python scripts/train_coder.py --check    # retrain, and fail if the committed file differs
    python scripts/train_coder.py --cv       # 5-fold cross-validation by transcript, with
                                             # the bag-of-words and regex baselines

Deterministic: the same data gives the same file, byte for byte (sorted vocabulary, fixed
folds, an optimiser without randomness, float16 weights in a zip with fixed dates). The
data: AnnoMI (Wu et al., ICASSP 2022; Future Internet 15(3):110, 2023), training part only;
see ../shared/data/annomi/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.coder.coder import Coding, decide, role  # noqa: E402
from simulator.coder.data import NA, QUESTION_TYPES, read_annomi  # noqa: E402
from simulator.coder.evaluate import LABELS, evaluate  # noqa: E402
from simulator.coder.metrics import cohen_kappa  # noqa: E402
from simulator.coder.model import HEADS, WEIGHTS, HeadSpec, Model  # noqa: E402
from simulator.coder.train import (  # noqa: E402
    Example,
    bag_of_words,
    cross_validate,
    examples,
    file_sha256,
    train_model,
)
from simulator.errors import RehearseError  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "annomi" / "annomi-full-train.csv"
VERSION = 1


def _coder_predict(heads: Sequence[HeadSpec], rules: bool = True):
    """Train on each fold's rest, code the fold (``rules``: with the advice rule)."""

    def predict(train: Sequence[Example], test: Sequence[Example]) -> list[Coding]:
        model = train_model(train, heads)
        out = []
        for ex in test:
            who = role(ex.utterance.speaker)
            scores = model.scores(ex.views, who)
            coded = decide(scores, who, ex.utterance.text if rules else "")
            out.append(Coding(0, ex.utterance.speaker, "", scores=scores, **coded))
        return out

    return predict


def _regex_codings(items: Sequence[Example]) -> list[Coding]:
    """The engine's regex reader (simulator.moves) mapped onto the labels it can give."""
    from simulator.moves import analyse

    out = []
    for ex in items:
        if ex.utterance.speaker == "client":
            out.append(Coding(0, "client", "", talk="neutral", scores={}))
            continue
        moves = analyse(ex.utterance.text)
        asked = moves & {"open_question", "closed_question"}
        behaviour = (
            "question"
            if asked
            else "reflection"
            if "reflection" in moves
            else "therapist_input"
            if "advice" in moves
            else "other"
        )
        qtype = "open" if "open_question" in moves else "closed"
        out.append(
            Coding(
                0,
                "therapist",
                "",
                behaviour=behaviour,
                question_type=qtype if asked else None,
                reflection_type="simple" if "reflection" in moves else None,
                scores={
                    "question_type": {q: float(q == qtype) for q in QUESTION_TYPES},
                    "reflection_type": {"simple": 1.0, "complex": 0.0},
                },
            )
        )
    return out


def _table(title: str, result: dict) -> str:
    rows = [title]
    for name in LABELS:
        r = result[name]
        line = (
            f"  {name:<20} n={r['n']:<5} kappa {r['kappa']:.3f}  acc {r['accuracy']:.3f}  "
            f"macro-F1 {r['macro_f1']:.3f}  "
            + "  ".join(f"{k} {v:.2f}" for k, v in r["per_class"].items())
        )
        if "with_none" in r:
            w = r["with_none"]
            line += f"  | with none: kappa {w['kappa']:.3f} acc {w['accuracy']:.3f}"
        rows.append(line)
    return "\n".join(rows)


_COLUMNS = {
    "therapist_behaviour": ("main_therapist_behaviour", "therapist"),
    "question_type": ("question_subtype", "therapist"),
    "reflection_type": ("reflection_subtype", "therapist"),
    "client_talk": ("client_talk_type", "client"),
}


def _fleiss(items: list[list[str]]) -> float:
    raters = len(items[0])
    totals: Counter[str] = Counter()
    agree = 0.0
    for ratings in items:
        counts = Counter(ratings)
        totals.update(counts)
        agree += (sum(c * c for c in counts.values()) - raters) / (raters * (raters - 1))
    p_bar = agree / len(items)
    p_e = sum((c / (len(items) * raters)) ** 2 for c in totals.values())
    return (p_bar - p_e) / (1 - p_e)


def human_reference(path: Path) -> tuple[set[str], dict[str, dict[str, float]]]:
    """Agreement among the annotators of the transcripts coded by several, in this file:
    Fleiss' kappa with "n/a" as a category (how AnnoMI reports it), the mean Cohen's kappa
    of two annotators, and of one annotator against the majority of the others (types
    only where both sides saw a question or reflection)."""
    rows: dict[tuple[str, str], dict[str, dict[str, str]]] = defaultdict(dict)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[(row["transcript_id"], row["utterance_id"])][row["annotator_id"]] = row
    multi = {k: v for k, v in rows.items() if len(v) > 1}
    transcripts = {k[0] for k in multi}
    out = {}
    for label, (column, speaker) in _COLUMNS.items():
        groups = [g for g in multi.values() if next(iter(g.values()))["interlocutor"] == speaker]
        coders = sorted({a for g in groups for a in g})
        fleiss = _fleiss([[g[a][column] for a in coders] for g in groups if len(g) == len(coders)])
        pairwise, versus = [], []
        for a, b in combinations(coders, 2):
            both = [(g[a][column], g[b][column]) for g in groups if a in g and b in g]
            both = [(x, y) for x, y in both if x != NA and y != NA]
            pairwise.append(cohen_kappa([x for x, _ in both], [y for _, y in both]))
        for a in coders:
            pairs = []
            for g in groups:
                others = Counter(g[o][column] for o in g if o != a).most_common(1)[0][0]
                if a in g and g[a][column] != NA and others != NA:
                    pairs.append((g[a][column], others))
            versus.append(cohen_kappa([x for x, _ in pairs], [y for _, y in pairs]))
        out[label] = {
            "fleiss_with_na": round(fleiss, 3),
            "cohen_pairwise_mean": round(sum(pairwise) / len(pairwise), 3),
            "cohen_one_vs_majority_mean": round(sum(versus) / len(versus), 3),
        }
    return transcripts, out


def run_cv(data: Path, items: list[Example], as_json: bool) -> None:
    utterances = [ex.utterance for ex in items]
    results: dict[str, object] = {}
    started = time.perf_counter()
    coded = cross_validate(items, _coder_predict(HEADS))
    results["coder"] = evaluate(utterances, coded)
    results["coder_seconds"] = round(time.perf_counter() - started, 1)
    multi, humans = human_reference(data)
    chosen = [i for i, u in enumerate(utterances) if u.transcript_id in multi]
    results["coder_vs_majority"] = evaluate(
        [utterances[i] for i in chosen], [coded[i] for i in chosen]
    )
    results["humans"] = humans
    bow_items = [Example(ex.utterance, bag_of_words(ex.utterance.text)) for ex in items]
    bow_heads = [HeadSpec(h.name, h.speaker, h.labels, {"text": 1.0}, 1e-3, 0.0) for h in HEADS]
    results["bag_of_words"] = evaluate(
        utterances, cross_validate(bow_items, _coder_predict(bow_heads, rules=False))
    )
    results["regex_moves"] = evaluate(utterances, _regex_codings(items))
    if as_json:
        print(json.dumps(results, indent=2))
        return
    print(_table("Coder (5-fold CV by transcript):", results["coder"]))
    print(
        _table(
            f"Coder on the {len(multi)} transcripts with several annotators, against their "
            "majority (same CV):",
            results["coder_vs_majority"],
        )
    )
    print("Annotators of those transcripts among themselves:")
    for label, h in humans.items():
        print(
            f"  {label:<20} Fleiss (n/a as a category) {h['fleiss_with_na']:.3f}  "
            f"Cohen, two annotators {h['cohen_pairwise_mean']:.3f}  "
            f"Cohen, one vs the others' majority {h['cohen_one_vs_majority_mean']:.3f}"
        )
    print(
        _table(
            "Bag-of-words baseline (same folds, unigrams, no class weights):",
            results["bag_of_words"],
        )
    )
    print(
        _table(
            "Regex moves reader (simulator.moves, no training; talk always neutral):",
            results["regex_moves"],
        )
    )
    print(f"({results['coder_seconds']} s for the coder's cross-validation)")


def build(data: Path) -> Model:
    items = examples(read_annomi(data))
    meta = {
        "version": VERSION,
        "data": data.name,
        "data_sha256": file_sha256(data),
        "utterances": len(items),
        "credit": "AnnoMI: Wu et al., ICASSP 2022; Future Internet 15(3):110, 2023",
    }
    return train_model(items, HEADS, meta)


def _difference(fresh: Path, committed: Path) -> str:
    """How far apart two weight files are (numpy's exp and log may round differently on
    another CPU, which can flip the last bit of a float16 weight)."""
    try:
        new, old = Model.load(fresh), Model.load(committed)
    except RehearseError as exc:
        return str(exc)
    if new.meta.get("data_sha256") != old.meta.get("data_sha256"):
        return "they were trained on different data"
    worst = 0.0
    for name, head in new.heads.items():
        other = old.heads.get(name)
        if other is None or other.features != head.features:
            return f"head {name}: different features"
        worst = max(worst, float(np.abs(head.weights - other.weights).max()))
    return f"largest weight difference {worst:.2g}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="AnnoMI-full training CSV")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="weights file to write")
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    parser.add_argument("--cv", action="store_true", help="cross-validate instead of training")
    parser.add_argument("--json", action="store_true", help="--cv results as JSON")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"train_coder: no data at {args.data} (see --data)", file=sys.stderr)
        return 2
    if args.cv:
        run_cv(args.data, examples(read_annomi(args.data)), args.json)
        return 0
    started = time.perf_counter()
    model = build(args.data)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "weights.npz"
            model.save(fresh)
            same = args.out.is_file() and fresh.read_bytes() == args.out.read_bytes()
            if same:
                print(f"{args.out}: reproduced exactly")
                return 0
            print(f"{args.out}: DIFFERS from a fresh training; {_difference(fresh, args.out)}")
            return 1
    model.save(args.out)
    size = args.out.stat().st_size
    print(f"Wrote {args.out} ({size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
