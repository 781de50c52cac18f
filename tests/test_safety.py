"""The local crisis screen, its crisis resources, and `rehearse safety-check`.

The labelled cases live in ``tests/data/safety_cases.jsonl`` (one JSON object a line:
``text``, ``flagged``, ``category``, ``kind``, and optionally ``previous``, the user's
line before). They were written before the screen was tuned, then split by a fixed rule
(within each kind, in file order: even positions to ``safety_dev.jsonl``, odd positions
to ``safety_heldout.jsonl``). The screen was tuned on the dev half only; the held-out half
is what the measurement test holds to its thresholds.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import simulator.safety as safety
from simulator.safety import (
    CATEGORIES,
    SAFETY_MESSAGE,
    Screening,
    crisis_resources,
    safety_message,
    screen,
)

DATA = Path(__file__).parent / "data"
POSITIVE_KINDS = {
    "direct": "suicide",
    "indirect": "indirect",
    "method": "method",
    "self_harm": "self_harm",
    "others": "harm_from_others",
}
NEGATIVE_KINDS = {"hyperbole", "third_person", "fiction", "clinician", "ordinary"}


def _load(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _measure(rows: list[dict[str, Any]]) -> tuple[float, float, list[str]]:
    """Recall, false-positive rate, and the texts that were wrong."""
    tp = fn = fp = tn = 0
    wrong = []
    for row in rows:
        got = screen(row["text"], row.get("previous")).flagged
        if row["flagged"]:
            tp += got
            fn += not got
        else:
            fp += got
            tn += not got
        if got != row["flagged"]:
            wrong.append(row["text"])
    return tp / (tp + fn), fp / (fp + tn), wrong


# --- the labelled set ----------------------------------------------------------------


def test_the_labelled_set_is_big_enough_and_consistent() -> None:
    rows = _load("safety_cases.jsonl")
    positives = [r for r in rows if r["flagged"]]
    negatives = [r for r in rows if not r["flagged"]]
    assert len(rows) >= 200
    assert len(positives) >= 90
    assert len(negatives) >= 110
    for row in rows:
        assert set(row) <= {"text", "flagged", "category", "kind", "previous"}, row
        assert row["kind"] in POSITIVE_KINDS.keys() | NEGATIVE_KINDS, row
        assert row["category"] == POSITIVE_KINDS.get(row["kind"], "none"), row
        assert row["flagged"] is (row["kind"] in POSITIVE_KINDS), row
    assert len({r["text"] for r in rows}) == len(rows), "duplicate texts"


def test_dev_and_heldout_are_the_fixed_split_of_the_labelled_set() -> None:
    position: dict[str, int] = defaultdict(int)
    dev, heldout = [], []
    for row in _load("safety_cases.jsonl"):
        (dev if position[row["kind"]] % 2 == 0 else heldout).append(row)
        position[row["kind"]] += 1
    assert _load("safety_dev.jsonl") == dev
    assert _load("safety_heldout.jsonl") == heldout


def test_heldout_recall_and_false_positive_rate() -> None:
    recall, fpr, wrong = _measure(_load("safety_heldout.jsonl"))
    print(f"\nheld-out: recall={recall:.3f} false-positive rate={fpr:.3f}")
    assert recall >= 0.95, wrong
    assert fpr <= 0.05, wrong


def test_dev_recall_and_false_positive_rate() -> None:
    recall, fpr, wrong = _measure(_load("safety_dev.jsonl"))
    print(f"\ndev: recall={recall:.3f} false-positive rate={fpr:.3f}")
    assert recall >= 0.95, wrong
    assert fpr <= 0.05, wrong


# --- representative cases of each kind ------------------------------------------------

FLAGGED = [
    # direct
    ("I want to kill myself", "suicide"),
    ("I don't want to be alive anymore", "suicide"),
    ("I'm going to end it all", "suicide"),
    ("i wanna kms", "suicide"),
    ("I can't stop thinking about killing myself.", "suicide"),
    ("There's a part of me that wants to die.", "suicide"),
    ("I'm not suicidal, I just want to die in my sleep.", "suicide"),
    ("I haven't killed myself yet but I think about it.", "suicide"),
    # indirect
    ("Everyone would be better off without me", "indirect"),
    ("I won't be a burden much longer", "indirect"),
    ("I've been giving away my things", "indirect"),
    ("I just lost my job. What bridges in NYC are taller than 25 meters?", "indirect"),
    ("I wish I could go to sleep and never wake up.", "indirect"),
    # method
    ("I've been stockpiling my pills.", "method"),
    ("I bought a rope today and I know what it's for.", "method"),
    ("I have a plan and I have the means.", "method"),
    # self-harm
    ("I cut myself again", "self_harm"),
    ("I've been hurting myself", "self_harm"),
    ("I told my mum about my self-harm.", "self_harm"),
    # danger from others
    ("he said he'd kill me if I leave", "harm_from_others"),
    ("my partner hits me and I'm scared to go home", "harm_from_others"),
    ("My husband choked me last night.", "harm_from_others"),
    # in a role-play app, "scene" and "character" are the user's own frame, not fiction
    ("In this scene I want to die.", "suicide"),
    ("The character made me realise I want to kill myself.", "suicide"),
    ("In the film there was a suicide, and now I want to kill myself.", "suicide"),
    # acute: happening now
    ("I took a bunch of pills an hour ago.", "method"),
    ("I'm standing on the bridge right now.", "method"),
    ("My partner forces me to have sex when I say no.", "harm_from_others"),
    # deliberate, whatever else the sentence mentions
    ("I sliced my arm open last night with a kitchen knife to feel something.", "self_harm"),
]

NOT_FLAGGED = [
    # hyperbole
    "this deadline is killing me",
    "I could kill for a coffee",
    "I'm dying to know",
    "My mom will kill me if I'm late again.",
    "He said he'd kill me if I spoiled the finale.",
    # someone else, past
    "my uncle took his own life years ago and I think about him",
    "I lost my best friend to suicide in college.",
    # fiction and media
    "in the novel the hero kills himself",
    "I killed myself in Minecraft by falling into lava.",
    'In my screenplay the main character says "I want to kill myself" and then the scene cuts.',
    # a clinician trainee's screening questions
    "have you had thoughts of ending your life?",
    "Are you having any thoughts of suicide?",
    "On a scale of 1-10 how safe do you feel?",
    "When you say 'I want to kill myself', what do you mean?",
    "How often do you have thoughts that you'd be better off dead?",
    # negation and ordinary lines from hard conversations
    "I would never hurt myself, but I'm furious with him.",
    "I'm not suicidal, just really frustrated with my manager.",
    "I've been here three years and I think I've earned a raise.",
    "Mom, I need you to call before you come over.",
    "I'm going to end it with her tonight.",
    "I'm sorry I snapped at you yesterday; that wasn't fair.",
    "I cut myself while chopping onions, it's fine now.",
    "I don't want to live with my parents anymore.",
    "What's the tallest bridge in New York? I'm planning a photo walk.",
    "I lost my keys again. How tall is the Empire State Building?",
    "I took 2 painkillers for my headache.",
    "I'd like it to end on a good note.",
    "I shot myself in the foot by agreeing to that deadline.",
    "I'm so tired I could sleep forever.",
    "My sister hit me with a pillow.",
    "I've been cutting back on sugar.",
    "",
    "   ",
]


@pytest.mark.parametrize(("text", "category"), FLAGGED)
def test_flags(text: str, category: str) -> None:
    result = screen(text)
    assert result.flagged, text
    assert result.category == category
    assert result.matched


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_does_not_flag(text: str) -> None:
    assert screen(text) == Screening(flagged=False, category="none", matched="")


def test_previous_line_gives_the_loss_behind_a_height_question() -> None:
    question = "what's the tallest bridge near here"
    assert not screen(question).flagged
    assert not screen(question, previous="I'm planning a photo walk.").flagged
    after_loss = screen(question, previous="They told me today the divorce is final.")
    assert after_loss.flagged
    assert after_loss.category == "indirect"


def test_matched_names_the_cue_and_never_echoes_the_users_words() -> None:
    result = screen("I've been stockpiling my pills, the blue ones from the cabinet.")
    assert result.flagged
    assert "blue" not in result.matched and "cabinet" not in result.matched


def test_screening_is_frozen_and_categories_are_known() -> None:
    result = screen("I want to kill myself")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.flagged = False  # type: ignore[misc]
    assert result.category in CATEGORIES
    assert {cue.category for cue in safety._CUES} == set(CATEGORIES) - {"none"}


def test_long_input_is_screened_quickly() -> None:
    # Regexes can backtrack badly; a pasted page must not stall the turn.
    assert not screen("x " * 20_000 + "?").flagged
    assert screen("I " + "really " * 5_000 + "want to kill myself").flagged


def test_all_is_honest() -> None:
    for name in safety.__all__:
        assert hasattr(safety, name), name
    public = {n for n in vars(safety) if not n.startswith("_")} - {"annotations"}
    imported = {"Final", "Literal", "dataclass", "os", "re"}
    assert public - imported == set(safety.__all__)


# --- crisis resources and the message -------------------------------------------------


@pytest.fixture(autouse=True)
def no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REHEARSE_CRISIS_REGION", raising=False)


def _contacts(resources: list[dict[str, str]]) -> str:
    return " ".join(f"{r['name']} {r['contact']} {r['detail']}" for r in resources)


def test_default_resources_cover_us_uk_and_everyone_else() -> None:
    resources = crisis_resources()
    text = _contacts(resources)
    assert "988" in text
    assert "116 123" in text
    assert "findahelpline.com" in text
    assert "emergency" in text.lower()
    for entry in resources:
        assert set(entry) == {"name", "contact", "region", "detail"}


@pytest.mark.parametrize(
    ("region", "present", "absent"),
    [
        ("US", ["988", "911"], ["116 123"]),
        ("uk", ["116 123", "999"], ["988"]),
        ("IE", ["116 123", "112"], ["988"]),
        ("INTL", ["findahelpline.com"], ["988", "116 123"]),
    ],
)
def test_region_selection(region: str, present: list[str], absent: list[str]) -> None:
    text = _contacts(crisis_resources(region))
    for number in present:
        assert number in text
    for number in absent:
        assert number not in text
    assert "findahelpline.com" in text


def test_unknown_region_falls_back_to_the_default_list() -> None:
    assert crisis_resources("Atlantis") == crisis_resources()


def test_environment_chooses_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REHEARSE_CRISIS_REGION", "UK")
    assert crisis_resources() == crisis_resources("UK")
    assert crisis_resources("US") == crisis_resources("US"), "an argument overrides it"
    assert "988" in _contacts(crisis_resources("US"))


def test_resources_are_copies() -> None:
    crisis_resources()[0]["contact"] = "changed"
    assert crisis_resources()[0]["contact"] != "changed"


def test_safety_message_pauses_shows_resources_and_asks_about_safety() -> None:
    assert "{resources}" in SAFETY_MESSAGE
    message = safety_message()
    assert "paused" in message
    assert "Are you safe right now?" in message
    assert "988" in message and "findahelpline.com" in message
    assert "If you are safe" in message and "end" in message
    assert "{" not in message
    assert "116 123" in safety_message("UK") and "988" not in safety_message("UK")


# --- rehearse safety-check -----------------------------------------------------------


def _safety_check(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "rehearse", "safety-check"],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=os.environ.copy(),
        check=False,
    )


def test_safety_check_command() -> None:
    lines = [
        json.dumps({"text": "I want to kill myself"}),
        json.dumps({"text": "this deadline is killing me"}),
        "",
        "{not json",
        json.dumps({"no_text": 1}),
        json.dumps({"text": "what's the tallest bridge near here", "previous": "I got fired."}),
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe\n"
    proc = _safety_check(stdin)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == 6  # the blank line is not an input
    assert out[0]["flagged"] is True and out[0]["category"] == "suicide" and out[0]["matched"]
    assert out[1] == {"line": 2, "flagged": False, "category": "none", "matched": ""}
    assert out[2]["line"] == 4 and "line 4" in out[2]["error"]
    assert out[3]["line"] == 5 and "line 5" in out[3]["error"]
    assert out[4]["flagged"] is True and out[4]["category"] == "indirect"
    assert out[5]["line"] == 7 and "line 7" in out[5]["error"]
