"""A deterministic reading of what the user did in one turn ("moves").

This is the small interface the debrief and the rule-based assessment rely on:
:func:`analyse` returns the set of moves in one turn, :func:`count_moves` totals them
over a session. It is a transparent first approximation built from surface cues
(question words, reflective stems, advice verbs, "I need" statements); a validated
skill coder can replace it behind the same two functions.

Helpful moves: open_question, reflection, empathy, need_statement.
Neutral: closed_question, advice (helpful in some scenes, premature in others).
Harmful: blame, dismissal, threat (they raise defensiveness in the rule-based assessment).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["HARMFUL", "HELPFUL", "MOVES", "analyse", "count_moves"]

MOVES: tuple[str, ...] = (
    "open_question",
    "closed_question",
    "reflection",
    "empathy",
    "need_statement",
    "advice",
    "blame",
    "dismissal",
    "threat",
)
HELPFUL = frozenset({"open_question", "reflection", "empathy", "need_statement"})
HARMFUL = frozenset({"blame", "dismissal", "threat"})


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(patterns) + r")", re.IGNORECASE)


_OPEN_START = _any(
    r"^(?:so,?\s+|and\s+|but\s+)?(?:what|how|why|tell me|help me understand|"
    r"in what way|where|when|who|which)\b"
)
_OPEN_ANYWHERE = _any(
    r"\b(?:what|how)\b[^.?!]*\?",
    r"\btell me (?:more|about)\b",
    r"\bhelp me understand\b",
    r"\bi(?:'m| am) curious\b",
)
_CLOSED_START = _any(
    r"^(?:so,?\s+)?(?:do|does|did|is|are|was|were|can|could|will|would|should|"
    r"have|has|had|may|might|shall|isn't|aren't|don't|didn't|won't|wouldn't)\b"
)
_REFLECTION = _any(
    r"\b(?:it )?(?:sounds|seems|looks) (?:like|as if|as though)\b",
    r"\bso you(?:'re| are| feel| felt| think| want| mean|'ve| have)\b",
    r"\byou(?:'re| are) (?:feeling|worried|saying|not sure|torn|caught)\b",
    r"\byou feel\b",
    r"\bwhat i(?:'m| am) hearing\b",
    r"\bif i understand\b",
    r"\bon (?:the )?one hand\b",
    r"\bpart of you\b",
    r"\byou(?:'ve| have) been\b",
    r"\byou(?:'re| are) wondering\b",
    r"\bi hear (?:you|that)\b",
)
_EMPATHY = _any(
    r"\bthat (?:must|sounds|seems) (?:be |have been )?(?:hard|difficult|painful|tough|awful|"
    r"frustrating|exhausting|scary|lonely)\b",
    r"\bi(?:'m| am) (?:so )?sorry\b",
    r"\bi understand\b",
    r"\bi can see (?:why|how|that)\b",
    r"\bmakes sense\b",
    r"\bthank you for (?:telling|sharing|saying)\b",
    r"\bi appreciate\b",
    r"\bi care about\b",
    r"\bof course you\b",
    r"\bthat's understandable\b",
)
_NEED = _any(
    r"\bi (?:need|want|would like|'d like|am asking|'m asking|am requesting)\b",
    r"\bi(?:'d| would) (?:like|prefer)\b",
    r"\bit(?:'s| is) important to me\b",
    r"\bit matters to me\b",
    r"\bmy (?:need|request|ask) is\b",
    r"\bi(?:'m| am) not (?:okay|ok) with\b",
    r"\bi(?:'m| am) asking (?:you|for)\b",
    r"\bwhat i(?:'m| am) asking\b",
    r"\bi feel\b[^.?!]*\bwhen\b",
)
_ADVICE = _any(
    r"\byou (?:should|need to|have to|must|ought to|could try|might try|might want to)\b",
    r"\bwhy don't you\b",
    r"\bhave you tried\b",
    r"\bmy advice\b",
    r"\bif i were you\b",
    r"\bthe best thing (?:to do|would be)\b",
    r"^(?:just|try|stop|start|go|make sure)\b",
)
_BLAME = _any(
    r"\byou (?:always|never|constantly)\b",
    r"\byour fault\b",
    r"\bbecause of you\b",
    r"\byou(?:'re| are) (?:being )?(?:ridiculous|impossible|selfish|lazy|useless|stupid|crazy|"
    r"pathetic|unreasonable)\b",
    r"\bwhat(?:'s| is) wrong with you\b",
)
_DISMISSAL = _any(
    r"\bget over it\b",
    r"\bcalm down\b",
    r"\bwhatever\b",
    r"\bthat's (?:not|no) (?:a )?big deal\b",
    r"\byou(?:'re| are) overreacting\b",
    r"\bstop (?:complaining|whining|being)\b",
    r"\bit(?:'s| is) not (?:that|a) big deal\b",
    r"\bi don't care\b",
    r"\bshut up\b",
)
_THREAT = _any(
    r"\bor else\b",
    r"\bi(?:'ll| will) (?:quit|leave|report|sue)\b(?!\s+(?:it|that))",
    r"\byou(?:'ll| will) regret\b",
    r"\bunless you\b",
)

_SENTENCE = re.compile(r"[^.?!]+[.?!]*")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def analyse(text: str) -> frozenset[str]:
    """The moves in one user turn (a turn may hold several)."""
    found: set[str] = set()
    for sentence in _sentences(text):
        if sentence.endswith("?"):
            if _OPEN_START.search(sentence) or _OPEN_ANYWHERE.search(sentence):
                found.add("open_question")
            elif _CLOSED_START.search(sentence) or sentence.count(" ") < 12:
                found.add("closed_question")
            else:
                found.add("open_question")
        elif _OPEN_START.match(sentence) and _OPEN_ANYWHERE.search(sentence + "?"):
            # "Tell me more about that." is an open question without a question mark.
            found.add("open_question")
        if _REFLECTION.search(sentence) and not sentence.endswith("?"):
            found.add("reflection")
        for move, pattern in (
            ("empathy", _EMPATHY),
            ("need_statement", _NEED),
            ("advice", _ADVICE),
            ("blame", _BLAME),
            ("dismissal", _DISMISSAL),
            ("threat", _THREAT),
        ):
            if pattern.search(sentence):
                found.add(move)
    return frozenset(found)


def count_moves(turns: Iterable[str]) -> dict[str, int]:
    """How many of the user's turns contain each move (every move listed, zeros included)."""
    counts = Counter(move for turn in turns for move in analyse(turn))
    return {move: counts.get(move, 0) for move in MOVES}
