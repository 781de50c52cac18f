"""The MITI-style summary the debrief shows: the user's skills, the character's talk.

Trainers of motivational interviewing score practice sessions with the MITI (Motivational
Interviewing Treatment Integrity code). From the coded turns this module computes its
summary scores, each beside its published reference thresholds, and every count keeps
the turn numbers it came from so the user (and the web transcript's colours) can see which
lines were coded how.

Reference thresholds:

- reflection-to-question ratio (R:Q): fair 1:1, good 2:1 (MITI 4.2.1, Moyers, Manuel & Ernst);
- percent complex reflections (%CR): fair 40 %, good 50 % (MITI 4.2.1);
- percent open questions (%OQ): MITI 4.2 dropped %OQ as a summary score, but trainers
  still use the MITI 3.1 thresholds, fair 50 %, good 70 % (MITI 3.1.1, Moyers et al. 2010); shown
  with that source so nobody mistakes it for a 4.2 figure.

The character's change talk versus sustain talk is reported as the share of change talk
among the two (MI research's "percent change talk"), without thresholds: it describes the
character's movement, not the user's skill.

Clinical scenes get MITI's words; other scenes the same codes in plain words ("asked an open
question", "reflected what they heard", "gave a suggestion").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from simulator.coder.coder import Coder, Coding, default_coder

__all__ = [
    "CODES",
    "THRESHOLDS",
    "code_lines",
    "move_counts",
    "skill_summary",
    "turn_codes",
]

# Code -> (MITI words, plain words).
CODES: dict[str, tuple[str, str]] = {
    "open_question": ("open question", "asked an open question"),
    "closed_question": ("closed question", "asked a closed question"),
    "simple_reflection": ("simple reflection", "reflected what they heard"),
    "complex_reflection": ("complex reflection", "reflected what they meant"),
    "therapist_input": ("giving information or advice", "gave a suggestion"),
    "other": ("other", "something else"),
    "change": ("change talk", "talked about changing"),
    "neutral": ("neutral talk", "neither for nor against change"),
    "sustain": ("sustain talk", "argued for things staying as they are"),
}

# Score -> (fair, good, source, MITI words, plain words).
THRESHOLDS: dict[str, tuple[float, float, str, str, str]] = {
    "reflection_to_question": (
        1.0,
        2.0,
        "MITI 4.2.1",
        "reflection-to-question ratio",
        "reflections for each question",
    ),
    "percent_complex_reflections": (
        40.0,
        50.0,
        "MITI 4.2.1",
        "percent complex reflections",
        "share of reflections that went beyond the words",
    ),
    # Not a MITI 4.2 summary score any more; trainers use the MITI 3.1 thresholds.
    "percent_open_questions": (
        50.0,
        70.0,
        "MITI 3.1 (dropped from 4.2)",
        "percent open questions",
        "share of questions that were open",
    ),
}


class _Line(Protocol):
    turn: int
    speaker: str
    text: str


def code_lines(lines: Iterable[_Line], coder: Coder | None = None) -> list[Coding]:
    """Code a transcript's lines (:class:`simulator.transcript.Line`: the user is ``you``),
    keeping each line's turn number."""
    lines = list(lines)
    return (coder or default_coder()).code_conversation(
        ((line.speaker, line.text) for line in lines), numbers=[line.turn for line in lines]
    )


def turn_codes(coding: Coding) -> list[str]:
    """The codes of one turn (keys of :data:`CODES`): a user turn may ask and reflect."""
    if not coding.is_user:
        return [coding.talk] if coding.talk else []
    codes = []
    if coding.question_type:
        codes.append(f"{coding.question_type}_question")
    if coding.reflection_type:
        codes.append(f"{coding.reflection_type}_reflection")
    if coding.behaviour == "therapist_input":
        codes.append("therapist_input")
    return codes or ["other"]


def _where(coding: Coding) -> int:
    return coding.turn if coding.turn is not None else coding.index


def _level(value: float | None, fair: float, good: float) -> str | None:
    if value is None:
        return None
    return "good" if value >= good else "fair" if value >= fair else "below fair"


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def skill_summary(codings: Sequence[Coding], *, plain: bool = False) -> dict[str, Any]:
    """The MITI-style summary of a coded conversation.

    ``counts``: code -> ``{"label", "n", "turns"}``; ``scores``: reflection_to_question,
    percent_open_questions, percent_complex_reflections, each ``{"label", "value", "fair",
    "good", "level", "source"}`` (``value`` and ``level`` are ``None`` when undefined, e.g.
    no question asked); ``character``: change/neutral/sustain counts and
    ``change_talk_percent`` (change among change + sustain); ``turns``: each line in the
    conversation's order with its turn, speaker, words, codes and their labels, for
    colour-coding a transcript (``ui/skills.py``).
    """
    words = 1 if plain else 0
    turns: dict[str, list[int]] = {code: [] for code in CODES}
    per_turn = []
    for c in codings:
        codes = turn_codes(c)
        for code in codes:
            turns[code].append(_where(c))
        per_turn.append(
            {
                "turn": _where(c),
                "speaker": c.speaker,
                "text": c.text,
                "codes": codes,
                "labels": [CODES[code][words] for code in codes],
            }
        )
    n = {code: len(ts) for code, ts in turns.items()}
    questions = n["open_question"] + n["closed_question"]
    reflections = n["simple_reflection"] + n["complex_reflection"]
    values = {
        "reflection_to_question": round(reflections / questions, 2) if questions else None,
        "percent_open_questions": _percent(n["open_question"], questions),
        "percent_complex_reflections": _percent(n["complex_reflection"], reflections),
    }
    scores = {}
    for name, (fair, good, source, miti, plain_words) in THRESHOLDS.items():
        scores[name] = {
            "label": plain_words if plain else miti,
            "value": values[name],
            "fair": fair,
            "good": good,
            "level": _level(values[name], fair, good),
            "source": source,
        }
    talk = n["change"] + n["sustain"]
    return {
        "counts": {
            code: {"label": CODES[code][words], "n": n[code], "turns": turns[code]}
            for code in CODES
            if code not in ("change", "neutral", "sustain")
        },
        "questions": questions,
        "reflections": reflections,
        "scores": scores,
        "character": {
            **{
                code: {"label": CODES[code][words], "n": n[code], "turns": turns[code]}
                for code in ("change", "neutral", "sustain")
            },
            "change_talk_percent": _percent(n["change"], talk),
        },
        "turns": per_turn,
    }


def move_counts(codings: Sequence[Coding]) -> dict[str, int]:
    """User turns with each move, in :func:`simulator.moves.count_moves`'s names, for the
    moves the coder decides (open/closed question, reflection, advice)."""
    users = [c for c in codings if c.is_user]
    return {
        "open_question": sum(c.question_type == "open" for c in users),
        "closed_question": sum(c.question_type == "closed" for c in users),
        "reflection": sum(c.reflection_type is not None for c in users),
        "advice": sum(c.behaviour == "therapist_input" for c in users),
    }
