"""The free expression space: a listener, and a summary in the user's own words.

A scene of category ``expression`` has no goals: the user talks or writes to a patient,
non-judgemental listener for as long as they like. At the end the debrief gives back a
short summary of what they said, mostly in their own words, never advice.

A capable model may write the summary, but its text is only kept when it stays close
to the user's words (most of its content words are theirs) and gives no advice; in
every other case (a tiny or failing model, a summary that drifts or advises) the
summary is built extractively from the user's own sentences, so it works offline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel

from simulator.prompts import LISTENER_SUMMARY_SYSTEM, LISTENER_SUMMARY_USER
from simulator.transcript import USER, Line
from simulator.writing import ask

__all__ = ["NO_REWRITE", "extractive_summary", "gives_advice", "listener_summary"]

log = logging.getLogger(__name__)

MAX_QUOTES = 4
MAX_QUOTE_WORDS = 24
# Share of a model summary's content words that must be the user's own.
MIN_OVERLAP = 0.5
NO_REWRITE = {
    "turn": None,
    "original": None,
    "rewrite": None,
    "unavailable": "Nothing to rewrite: this was a space to say things your own way.",
}

_ADVICE = re.compile(
    r"\b(?:you\s+(?:should|must|need\s+to|ought\s+to|could\s+try|might\s+(?:try|want|consider))"
    r"|try\s+to|consider\s+\w+ing|i\s+(?:suggest|recommend|advise)|it\s+(?:might|may|would)\s+"
    r"help|make\s+sure|remember\s+to|don'?t\s+forget)\b",
    re.IGNORECASE,
)
_FEELING = re.compile(
    r"\b(?:feel\w*|felt|sad|angry|scared|afraid|tired|lonely|alone|happy|glad|hurt\w*|miss\w*|"
    r"worr\w+|anxious|ashamed|guilty|proud|love\w*|hate\w*|want\w*|wish\w*|hope\w*|need\w*|"
    r"heavy|lost|stuck|grief|griev\w+|cry\w*|cried)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself)\b", re.IGNORECASE)
_REASON = re.compile(r"\b(?:because|but|when|since|so|though)\b", re.IGNORECASE)
_STOP = frozenset(
    re.findall(
        r"\S+",
        "that this with have from they them their there what when were been about would could "
        "said says your yours just like really into over also than then some more very much "
        "because which while where being does done dont it's that's",
    )
)


def gives_advice(text: str) -> bool:
    """Whether a text tells the user what to do (a summary never should)."""
    return bool(_ADVICE.search(text))


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?…])\s+|\n+", " ".join(text.split("\n")).strip())
    return [p.strip() for p in parts if len(p.split()) >= 3]


def _trim(sentence: str) -> str:
    words = sentence.split()
    if len(words) <= MAX_QUOTE_WORDS:
        return sentence
    return " ".join(words[:MAX_QUOTE_WORDS]).rstrip(",;:") + "…"


def _score(sentence: str) -> float:
    words = len(sentence.split())
    return (
        2.0 * bool(_FEELING.search(sentence))
        + 1.0 * bool(_FIRST_PERSON.search(sentence))
        + 0.5 * bool(_REASON.search(sentence))
        + min(words, 25) / 25
        - 1.5 * sentence.rstrip().endswith("?")  # a question to the listener says less of them
    )


def extractive_summary(lines: Sequence[Line]) -> dict[str, Any]:
    """The user's own sentences that say most, in the order they said them."""
    candidates = [
        (line.turn, index, sentence)
        for line in lines
        if line.speaker == USER
        for index, sentence in enumerate(_sentences(line.text))
    ]
    if not candidates:
        return {
            "text": "You did not put anything into words this time, and that is alright.",
            "quotes": [],
            "source": "extractive",
        }
    best = sorted(candidates, key=lambda c: -_score(c[2]))[:MAX_QUOTES]
    chosen = sorted(best, key=lambda c: (c[0], c[1]))
    quotes = [{"turn": turn, "quote": _trim(sentence)} for turn, _, sentence in chosen]
    text = "In your own words: " + " … ".join(f"“{q['quote']}”" for q in quotes)
    return {"text": text, "quotes": quotes, "source": "extractive"}


def _content(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z']{3,}", text.lower()) if w not in _STOP}


def _stems(words: set[str]) -> set[str]:
    return {w[:5] for w in words}  # "worried" and "worry" count as the same word


def listener_summary(lines: Sequence[Line], model: BaseChatModel | None) -> dict[str, Any]:
    """``{"text", "quotes", "source": "model" | "extractive"}``: what the user said."""
    fallback = extractive_summary(lines)
    said = [line.text for line in lines if line.speaker == USER]
    if model is None or not said:
        return fallback
    try:
        text = ask(
            model,
            LISTENER_SUMMARY_SYSTEM,
            LISTENER_SUMMARY_USER.format(said="\n".join(f"- {s}" for s in said)),
            max_tokens=200,
        )
        if gives_advice(text):
            raise ValueError("the summary gives advice")
        theirs = _stems(_content(" ".join(said)))
        words = _stems(_content(text))
        if not words or len(words & theirs) / len(words) < MIN_OVERLAP:
            raise ValueError("the summary is not in the user's own words")
        return {"text": text, "quotes": fallback["quotes"], "source": "model"}
    except Exception as exc:  # the user's own sentences always make a summary
        log.info("listener summary by the model unavailable, using their sentences: %s", exc)
        return fallback
