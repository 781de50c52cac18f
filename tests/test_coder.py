"""The skill coder: clear examples of every label, the MITI summary, reading AnnoMI files,
and training that gives the same weights every time."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import simulator.coder as coder_pkg
import simulator.coder.coder as coder_module
from simulator.coder import Coder, CoderDataError, Coding, code_lines, move_counts, skill_summary
from simulator.coder.data import read_annomi
from simulator.coder.metrics import agreement, cohen_kappa, f1_scores
from simulator.coder.model import HEADS, WEIGHTS, Model
from simulator.coder.train import examples, file_sha256, train_model
from simulator.transcript import Line

DATA = Path(__file__).parent / "data"
ANNOMI = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "annomi"
TRAIN_CSV = ANNOMI / "annomi-full-train.csv"
needs_annomi = pytest.mark.skipif(
    not TRAIN_CSV.is_file(),
    reason=f"AnnoMI training data not found at {TRAIN_CSV} (see scripts/train_coder.py)",
)


@pytest.fixture(scope="module")
def coder() -> Coder:
    return Coder()


# -- clear examples of every label ----------------------------------------------------------

USER_TURNS = [
    # (the character's line before, the user's line, behaviour, question type, reflection type)
    (None, "What brings you in today?", "question", "open", None),
    (None, "How do you feel about your drinking?", "question", "open", None),
    ("I had a fight with my wife again.", "What happened?", "question", "open", None),
    (None, "Do you smoke?", "question", "closed", None),
    ("I drink most nights.", "Is that every night?", "question", "closed", None),
    (None, "Are you ready to quit?", "question", "closed", None),
    (
        "I'm worried about my health.",
        "You're worried about your health.",
        "reflection",
        None,
        "simple",
    ),
    (
        "I drink about six beers a night.",
        "You drink about six beers a night.",
        "reflection",
        None,
        "simple",
    ),
    (
        "I don't know, my wife keeps nagging me about the drinking, but it helps me relax.",
        "Part of you sees that drinking helps you unwind, and part of you is tired of it "
        "coming between you and your wife.",
        "reflection",
        None,
        "complex",
    ),
    (
        "I keep saying I'll quit and then I don't.",
        "It sounds like you're feeling stuck, and maybe a bit discouraged with yourself.",
        "reflection",
        None,
        "complex",
    ),
    (
        None,
        "I'd suggest you talk to your doctor about nicotine patches.",
        "therapist_input",
        None,
        None,
    ),
    (
        None,
        "Drinking more than 14 units a week increases the risk of liver disease.",
        "therapist_input",
        None,
        None,
    ),
    # Everyday scenes: the same codes outside therapy.
    ("I've just had a lot on.", "What's been getting in the way?", "question", "open", None),
    ("You wanted to see me?", "Can we talk about the deadlines?", "question", "closed", None),
    (
        "I've been covering for Sam and doing my own work too.",
        "It sounds like you've been stretched thin.",
        "reflection",
        None,
        "simple",
    ),
    (
        "I don't know what to do first.",
        "I think you should prioritise the client work first.",
        "therapist_input",
        None,
        None,
    ),
    (
        "I feel like nobody notices what I do.",
        "You should talk to your manager about it.",
        "therapist_input",
        None,
        None,
    ),
    (None, "Hi, it's nice to meet you.", "other", None, None),
    ("I went to the shop.", "Mm-hmm.", "other", None, None),
]


@pytest.mark.parametrize(("before", "text", "behaviour", "question", "reflection"), USER_TURNS)
def test_user_turns(
    coder: Coder,
    before: str | None,
    text: str,
    behaviour: str,
    question: str | None,
    reflection: str | None,
) -> None:
    coded = coder.code(text, "you", before)
    assert coded.behaviour == behaviour
    assert coded.question_type == question
    if behaviour in ("reflection", "therapist_input"):
        assert coded.reflection_type == reflection
    assert coded.talk is None and coded.is_user


CHARACTER_TURNS = [
    (
        "What would be good about cutting down?",
        "I really want to quit smoking for my kids.",
        "change",
    ),
    ("What do you want to do?", "I'm going to stop drinking on weeknights.", "change"),
    ("How are things?", "I think I need to cut down, my health is getting worse.", "change"),
    ("Where do you work?", "I work at the bank.", "neutral"),
    ("What day is good for you?", "Tuesday.", "neutral"),
    ("How old are your kids?", "They're seven and nine.", "neutral"),
    (
        "How do you feel about your drinking?",
        "I don't think my drinking is a problem. Everybody drinks.",
        "sustain",
    ),
    (
        "Have you thought about quitting?",
        "I don't want to quit. Smoking is the only thing that helps me relax.",
        "sustain",
    ),
    (
        "Would you consider cutting down?",
        "No, I can't, I like drinking with my friends.",
        "sustain",
    ),
]


@pytest.mark.parametrize(("before", "text", "talk"), CHARACTER_TURNS)
def test_character_turns(coder: Coder, before: str, text: str, talk: str) -> None:
    coded = coder.code(text, "character", before)
    assert coded.talk == talk
    assert coded.behaviour is None and not coded.is_user


def test_someone_elses_should_is_a_reflection_not_advice(coder: Coder) -> None:
    coded = coder.code("So you feel you should quit.", "you", "Everyone says I should quit.")
    assert coded.behaviour == "reflection"


def test_conversation_uses_context_and_is_deterministic(coder: Coder) -> None:
    turns = [
        ("client", "I don't think my drinking is a problem."),
        ("therapist", "You don't see it as a problem."),
        ("client", "Well, maybe a bit. My kids have noticed."),
        ("therapist", "What have they noticed?"),
    ]
    first = coder.code_conversation(turns)
    again = coder.code_conversation(turns)
    assert [c.scores for c in first] == [c.scores for c in again]
    assert [c.index for c in first] == [0, 1, 2, 3]
    # Coding one turn with the same context gives the same scores as the batch.
    single = coder.code(turns[1][1], "therapist", turns[0][1])
    for head, probs in single.scores.items():
        assert probs == pytest.approx(first[1].scores[head])
    for c in first:
        for probs in c.scores.values():
            assert sum(probs.values()) == pytest.approx(1.0)


# -- the MITI summary ------------------------------------------------------------------------


def _user(
    turn: int, behaviour: str, question: str | None = None, reflection: str | None = None
) -> Coding:
    return Coding(turn, "you", "", behaviour, question, reflection, turn=turn)


def _char(turn: int, talk: str) -> Coding:
    return Coding(turn, "sam", "", talk=talk, turn=turn)


def test_summary_scores_thresholds_and_turn_links() -> None:
    codings = [
        _char(0, "neutral"),
        _user(1, "question", "open"),
        _char(1, "sustain"),
        _user(2, "reflection", reflection="complex"),
        _char(2, "change"),
        _user(3, "reflection", "closed", "simple"),  # a reflection that ends in a question
        _char(3, "change"),
        _user(4, "reflection", reflection="complex"),
        _char(4, "change"),
        _user(5, "therapist_input"),
        _user(6, "other"),
    ]
    s = skill_summary(codings)
    assert s["questions"] == 2 and s["reflections"] == 3
    assert s["counts"]["open_question"] == {"label": "open question", "n": 1, "turns": [1]}
    assert s["counts"]["complex_reflection"]["turns"] == [2, 4]
    assert s["counts"]["therapist_input"]["turns"] == [5]
    assert s["counts"]["other"]["turns"] == [6]
    rq = s["scores"]["reflection_to_question"]
    assert (rq["value"], rq["fair"], rq["good"], rq["level"]) == (1.5, 1.0, 2.0, "fair")
    oq = s["scores"]["percent_open_questions"]
    assert (oq["value"], oq["level"]) == (50.0, "fair")
    assert "3.1" in oq["source"]
    cr = s["scores"]["percent_complex_reflections"]
    assert (cr["value"], cr["fair"], cr["good"], cr["level"]) == (66.7, 40.0, 50.0, "good")
    assert s["character"]["change"]["turns"] == [2, 3, 4]
    assert s["character"]["sustain"]["turns"] == [1]
    assert s["character"]["change_talk_percent"] == 75.0
    assert s["turns"][5] == {
        "turn": 3,
        "speaker": "you",
        "text": "",
        "codes": ["closed_question", "simple_reflection"],
        "labels": ["closed question", "simple reflection"],
    }
    json.dumps(s)  # JSON-ready


def test_summary_in_plain_words_and_when_undefined() -> None:
    s = skill_summary(
        [_user(1, "reflection", reflection="simple"), _user(2, "therapist_input")], plain=True
    )
    assert s["counts"]["simple_reflection"]["label"] == "reflected what they heard"
    assert s["counts"]["therapist_input"]["label"] == "gave a suggestion"
    assert s["counts"]["open_question"]["label"] == "asked an open question"
    # No question: the ratio and the open share are undefined, not zero or infinite.
    assert s["scores"]["reflection_to_question"]["value"] is None
    assert s["scores"]["reflection_to_question"]["level"] is None
    assert s["scores"]["percent_open_questions"]["value"] is None
    assert s["scores"]["percent_complex_reflections"] == {
        **s["scores"]["percent_complex_reflections"],
        "value": 0.0,
        "level": "below fair",
    }
    assert s["character"]["change_talk_percent"] is None


def test_code_lines_keeps_turn_numbers(coder: Coder) -> None:
    lines = [
        Line(0, "sam", "Sam", "You wanted to see me?"),
        Line(1, "you", "You", "What's been going on for you lately?"),
        Line(1, "sam", "Sam", "Honestly, I want to get my work back on track."),
    ]
    coded = code_lines(lines, coder)
    assert [c.turn for c in coded] == [0, 1, 1]
    assert [c.is_user for c in coded] == [False, True, False]
    assert coded[1].question_type == "open"
    assert move_counts(coded) == {
        "open_question": 1,
        "closed_question": 0,
        "reflection": 0,
        "advice": 0,
    }
    summary = skill_summary(coded, plain=True)
    assert summary["counts"]["open_question"]["turns"] == [1]


def test_sessions_ending_together_load_the_coder_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every debrief asks for the default coder; many at once must share one load."""
    loads: list[Model] = []
    real_load = Model.load

    def slow_load() -> Model:
        time.sleep(0.05)  # the others arrive while the first load is under way
        loads.append(real_load())
        return loads[-1]

    monkeypatch.setattr(coder_module, "_loaded", [])
    monkeypatch.setattr(Model, "load", staticmethod(slow_load))
    start = threading.Barrier(8)
    got: list[Coder] = []

    def ask() -> None:
        start.wait()
        got.append(coder_module.default_coder())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len(got) == 8 and all(c is got[0] for c in got)
    assert got[0].model is loads[0]


# -- metrics ------------------------------------------------------------------------------


def test_metrics_by_hand() -> None:
    gold = ["a", "a", "b", "b"]
    pred = ["a", "b", "b", "b"]
    # p_o = 3/4; p_e = (2*1 + 2*3) / 16 = 1/2; kappa = (3/4 - 1/2) / (1/2) = 1/2.
    assert cohen_kappa(gold, pred) == pytest.approx(0.5)
    # a: tp 1, fp 0, fn 1 -> 2/3; b: tp 2, fp 1, fn 0 -> 4/5.
    assert f1_scores(gold, pred, ["a", "b"]) == pytest.approx({"a": 2 / 3, "b": 0.8})
    assert agreement(gold, pred, ["a", "b"])["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0
    assert agreement([], [], ["a"])["kappa"] is None


# -- reading AnnoMI files ---------------------------------------------------------------------


def test_majority_label_across_annotators() -> None:
    utterances = read_annomi(DATA / "coder_tiny.csv")
    assert len(utterances) == 10
    first_of_2 = next(u for u in utterances if u.transcript_id == "2")
    # Two annotators say closed question, one says simple reflection: the majority wins.
    assert (first_of_2.behaviour, first_of_2.question_type, first_of_2.reflection_type) == (
        "question",
        "closed",
        None,
    )
    assert [u.utterance_id for u in utterances[:5]] == [0, 1, 2, 3, 4]
    assert utterances[1].client_talk == "change" and utterances[1].behaviour is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        (
            "a,b,c\n1,2,3\n",
            re.escape(":1: not an AnnoMI-format CSV: missing column(s) transcript_id"),
        ),
        (None, "not a UTF-8 text file"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "bad.csv"
    if content is None:
        path.write_bytes(b"\xff\xfe\x00\x01binary\x00")
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CoderDataError, match=message) as info:
        read_annomi(path)
    assert str(path) in str(info.value)


def test_bad_rows_name_their_line(tmp_path: Path) -> None:
    lines = (DATA / "coder_tiny.csv").read_text(encoding="utf-8").splitlines()
    # Line 6 of the file is "Mm-hmm.", coded "other".
    wrong_label = [*lines[:5], lines[5].replace(",other,", ",chatting,"), *lines[6:]]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(wrong_label) + "\n", encoding="utf-8")
    with pytest.raises(CoderDataError, match=r"labels\.csv:6: main_therapist_behaviour"):
        read_annomi(path)
    short = [*lines[:3], "high,1,x", *lines[3:]]
    path.write_text("\n".join(short) + "\n", encoding="utf-8")
    with pytest.raises(CoderDataError, match=r"labels\.csv:4: expected 18 fields, found 3"):
        read_annomi(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CoderDataError, match="no such file"):
        read_annomi(tmp_path / "nope.csv")


# -- the committed weights and their training ---------------------------------------------------


def test_committed_weights_are_small_and_match_the_heads() -> None:
    assert WEIGHTS.stat().st_size < 2_000_000
    model = Model.load()
    assert [h["name"] for h in model.meta["heads"]] == [h.name for h in HEADS]
    for spec in HEADS:
        assert model.heads[spec.name].spec == spec


@needs_annomi
def test_committed_weights_come_from_the_training_file() -> None:
    model = Model.load()
    assert model.meta["data_sha256"] == file_sha256(TRAIN_CSV)
    assert model.meta["utterances"] == len(read_annomi(TRAIN_CSV))


def test_training_is_deterministic(tmp_path: Path) -> None:
    """Two trainings on the same (small, hand-made) data write identical files. The full
    retraining (`python scripts/train_coder.py --check`) takes a minute and compares with
    the committed weights byte for byte."""
    items = examples(read_annomi(DATA / "coder_tiny.csv")) * 3
    for n, path in enumerate((tmp_path / "a.npz", tmp_path / "b.npz")):
        train_model(items, meta={"run": "test"}, max_iter=30).save(path)
        assert path.is_file(), n
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    reloaded = Model.load(tmp_path / "a.npz")
    coded = Coder(reloaded).code("Do you drink every day?", "you")
    assert coded.behaviour in ("question", "reflection", "therapist_input", "other")


@needs_annomi
def test_training_on_a_slice_of_annomi_is_deterministic() -> None:
    utterances = [u for u in read_annomi(TRAIN_CSV) if u.transcript_id in {"0", "1", "2", "3"}]
    items = examples(utterances)
    first = train_model(items, max_iter=40)
    second = train_model(items, max_iter=40)
    for name, head in first.heads.items():
        assert head.features == second.heads[name].features
        assert np.array_equal(head.weights, second.heads[name].weights)
        assert np.array_equal(head.bias, second.heads[name].bias)


def test_public_names_are_exported() -> None:
    for name in coder_pkg.__all__:
        assert hasattr(coder_pkg, name), name


def test_benchmark_runs() -> None:
    """A quick pass of benchmarks/bench_coder.py so it never rots (not a timed test)."""
    from benchmarks import bench_coder

    result = bench_coder.run(n=40, repeat=1)
    assert result["utterances"] == 40
    assert result["coder_conversation_per_s"] > 0 and result["ratio"] > 0
