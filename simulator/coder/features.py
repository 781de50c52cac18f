"""The features the coder reads from an utterance and the turns before it.

Four *views*, each a list of feature names with its own prefix, so that every head of the
model can use the views that help it (measured by cross-validation, see
``scripts/train_coder.py``):

- ``text``: the utterance's words and word pairs, how it and its last sentence start,
  how many sentences and questions it has, and cues from MI coding manuals (reflective
  stems, hedges, change-talk and sustain-talk phrases);
- ``question``: its questions alone: their word pairs, first and last words, whether they
  offer a choice ("... or ...?"). A question's first words decide open or closed more than
  anything else in the turn, so they get a view of their own;
- ``previous``: the turn before (the other speaker's): its words and cues, whether it
  asked something, and how much of it this utterance repeats (a simple reflection
  repeats; a complex one adds);
- ``own``: the speaker's own previous turn (words and cues): client talk runs in streaks.

Character n-grams were measured too: no better by cross-validation, three times slower.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from itertools import pairwise

__all__ = ["VIEWS", "tokens", "views"]

VIEWS: tuple[str, ...] = ("text", "question", "previous", "own")

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!]")
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


# Words that open a sentence without deciding what it is ("So, what...", "Okay, and do...").
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FILLERS = _words(
    "so and but um uh uhm er well okay ok alright right yeah yes mm hmm mhm now oh like "
    "then just hm huh"
)
_STOP = _words(
    "a an the and or but so to of in on at for with is are was were be been it its it's "
    "that this i you me my your we he she they them um uh yeah like just do did does "
    "have has had not no yes mm hmm mhm oh well really very know i'm you're"
)
_WH = _words("what how why where when who which whose")
_AUX = _words(
    "do does did is are was were can could will would should have has had may might shall "
    "isn't aren't don't didn't won't wouldn't can't couldn't doesn't haven't hasn't"
)


def _cues(*patterns: tuple[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern)) for name, pattern in patterns)


# Cues from MI coding manuals (MITI 4.2, MISC 2.5) and MI texts; the model weighs them.
_CUES = _cues(
    ("sounds_like", r"\b(?:it )?(?:sounds|seems|looks) (?:like|as if|as though)\b"),
    ("you_feel", r"\byou(?:'re| are)? ?(?:feel|feeling|felt)\b"),
    ("you_re", r"^(?:so,? |and,? )?you(?:'re| are| were| have|'ve| feel| think| want)\b"),
    ("so_you", r"\bso,? you\b"),
    ("part_of_you", r"\b(?:part of you|on (?:the )?one hand|on the other hand)\b"),
    ("hearing", r"\b(?:what i(?:'m| am) hearing|i hear|if i understand|you(?:'re| are) saying)\b"),
    ("hedge", r"\b(?:i wonder|i guess|maybe|perhaps|kind of|kinda|sort of|i'm wondering)\b"),
    ("tell_me", r"\b(?:tell me|help me understand|walk me through|say more|talk about)\b"),
    ("or_question", r"\bor\b[^.?!]*\?"),
    ("or_not", r"\bor not\?"),
    ("scale", r"\b(?:scale|zero to ten|one to ten|0 to 10|1 to 10|ruler)\b"),
    ("permission", r"\b(?:is it okay|would it be okay|mind if|would you like|can i|may i)\b"),
    (
        "advice",
        r"\b(?:you should|you need to|you have to|you might want|i'd suggest|i suggest|"
        r"i recommend|my advice|try to|why don't you|you could)\b",
    ),
    (
        "info",
        r"\b(?:research|studies|percent|doctors?|guidelines?|recommend(?:ed)?|"
        r"the risk|increases?|reduces?)\b",
    ),
    (
        "affirm",
        r"\b(?:good for you|great job|well done|that's great|i appreciate|impressive|"
        r"you did (?:it|well|great))\b",
    ),
    ("greeting", r"\b(?:hi|hello|welcome|nice to meet|thank you|thanks|goodbye|bye|see you)\b"),
    ("backchannel", r"^(?:mm+-?hmm+|mhm|uh-huh|yeah|yes|okay|ok|right|sure|hmm+|mm+)\W*$"),
    ("change_want", r"\bi (?:really )?(?:want|wanna|need|have|got) to\b"),
    ("change_will", r"\bi(?:'ll| will| am going to|'m going to|'m gonna| am gonna| gonna)\b"),
    ("change_could", r"\bi (?:could|can|might|would like to|'d like to)\b"),
    (
        "change_reason",
        r"\b(?:healthier|better for|worried about|scared|afraid|kids|"
        r"my health|feel better|save money|cut (?:down|back)|quit|stop|give up|try)\b",
    ),
    ("change_already", r"\bi(?:'ve| have) (?:been|started|stopped|cut|tried)\b"),
    ("sustain_dont", r"\bi (?:don't|do not|didn't) (?:want|need|think|see|care)\b"),
    ("sustain_cant", r"\bi (?:can't|cannot|couldn't|won't)\b"),
    (
        "sustain_fine",
        r"\b(?:not (?:a|that big|really a) (?:problem|deal|big deal)|i'm fine|"
        r"it's fine|no big deal|not that bad|i like|i enjoy|it helps me|relax(?:es)?|everybody)\b",
    ),
    ("sustain_but", r"\bbut\b"),
    ("negation", r"\b(?:not|no|never|don't|can't|won't|didn't|isn't|wasn't|nothing)\b"),
    ("first_person", r"\b(?:i|i'm|i've|i'll|i'd|me|my|myself)\b"),
    ("second_person", r"\b(?:you|you're|you've|you'll|you'd|your|yourself)\b"),
    ("cut_off", r"-\s*$"),
    ("continues", r"^\s*-"),
)


def _bucket(n: float, edges: tuple[float, ...]) -> int:
    return sum(n > e for e in edges)


def _normal(text: str) -> str:
    return " ".join(text.lower().translate(_APOSTROPHES).split())


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, plus ``?`` and ``!`` as tokens of their own."""
    return _TOKEN.findall(_normal(text))


def _core(words: list[str]) -> list[str]:
    """The words after the opening fillers."""
    start = 0
    while start < len(words) and words[start] in _FILLERS:
        start += 1
    return words[start:]


def _starts(prefix: str, words: list[str], out: list[str]) -> None:
    """How a sentence starts, with and without its opening fillers."""
    if not words:
        return
    out.append(f"{prefix}1:{words[0]}")
    out.append(f"{prefix}2:{'_'.join(words[:2])}")
    core = _core(words)
    if core:
        out.append(f"{prefix}c1:{core[0]}")
        out.append(f"{prefix}c2:{'_'.join(core[:2])}")
        kind = "wh" if core[0] in _WH else "aux" if core[0] in _AUX else "other"
        out.append(f"{prefix}kind:{kind}")
        if core[0] in _WH and len(core) > 1:
            out.append(f"{prefix}wh+:{core[0]}_{'aux' if core[1] in _AUX else 'x'}")


def _content(words: list[str]) -> set[str]:
    return {w for w in words if w not in _STOP and w.isalpha() and len(w) > 2}


class _Parsed:
    """One utterance, normalised and split once for all views."""

    __slots__ = ("low", "questions", "sentences", "words")

    def __init__(self, text: str) -> None:
        self.low = _normal(text)
        self.words = _TOKEN.findall(self.low)
        self.sentences = [
            (s.strip(), ws) for s in _SENTENCE.findall(self.low) if (ws := _TOKEN.findall(s))
        ]
        self.questions = [
            [w for w in ws if w != "?"] for s, ws in self.sentences if s.endswith("?")
        ]


def _text(p: _Parsed, prefix: str, out: list[str]) -> None:
    words = p.words
    out.extend(f"{prefix}w:{w}" for w in words)
    padded = ["<s>", *words, "</s>"]
    out.extend(f"{prefix}b:{a}_{b}" for a, b in pairwise(padded))
    out.append(f"{prefix}len:{_bucket(len(words), (1, 2, 3, 6, 12, 25, 50))}")
    out.append(f"{prefix}nsent:{min(len(p.sentences), 4)}")
    out.append(f"{prefix}nq:{min(len(p.questions), 3)}")
    out.append(f"{prefix}endq:{int(p.low.rstrip(' -').endswith('?'))}")
    _starts(f"{prefix}s", words, out)
    if p.sentences:
        _starts(f"{prefix}ls", p.sentences[-1][1], out)
    for q in p.questions:
        _starts(f"{prefix}q", q, out)
        out.append(f"{prefix}qlen:{_bucket(len(q), (3, 6, 10, 20))}")
        out.extend(f"{prefix}qw:{w}" for w in q)
    out.extend(f"{prefix}cue:{name}" for name, pattern in _CUES if pattern.search(p.low))


def _question(p: _Parsed, out: list[str]) -> None:
    for n, q in enumerate(p.questions):
        padded = ["<q>", *q, "</q>"]
        out.extend(f"Q:b:{a}_{b}" for a, b in pairwise(padded))
        out.append(f"Q:end2:{'_'.join(q[-2:])}")
        out.append(f"Q:end1:{q[-1] if q else ''}")
        wh = next((w for w in q[:6] if w in _WH), "none")
        out.append(f"Q:wh6:{wh}")
        if "or" in q:
            out.append("Q:or")
        if n == len(p.questions) - 1:
            core = _core(q)
            out.append(f"Q:last1:{core[0] if core else ''}")
            out.append(f"Q:last2:{'_'.join(core[:2])}")


@lru_cache(maxsize=4096)
def _analysed(text: str) -> tuple[_Parsed, tuple[str, ...]]:
    """An utterance parsed, with its ``text`` view. Cached: in a conversation each turn is
    read again as the next turn's ``previous`` and the one after's ``own``."""
    p = _Parsed(text)
    out: list[str] = []
    _text(p, "", out)
    return p, tuple(dict.fromkeys(out))


def views(
    text: str,
    previous: str | None = None,
    own_previous: str | None = None,
    which: Collection[str] = VIEWS,
) -> dict[str, list[str]]:
    """The feature names of one utterance in each view (see the module docstring).

    ``previous`` is the turn just before (``None`` at the start of a conversation);
    ``own_previous`` the same speaker's last turn before it. ``which`` leaves out views a
    caller does not need.
    """
    p, text_view = _analysed(text)
    out: dict[str, list[str]] = {}
    if "text" in which:
        out["text"] = list(text_view)
    if "question" in which:
        question_view: list[str] = []
        _question(p, question_view)
        out["question"] = list(dict.fromkeys(question_view))
    if "previous" in which:
        if previous is None:
            out["previous"] = ["p:none"]
        else:
            before, before_view = _analysed(previous)
            previous_view = [f"p:{f}" for f in before_view]
            mine, theirs = _content(p.words), _content(before.words)
            if mine:
                shared = len(mine & theirs) / len(mine)
                previous_view.append(f"overlap:{_bucket(shared, (0.0, 0.2, 0.4, 0.6))}")
            ratio = len(p.words) / max(len(before.words), 1)
            previous_view.append(f"lenratio:{_bucket(ratio, (0.25, 0.5, 1.0, 2.0))}")
            out["previous"] = previous_view
    if "own" in which:
        if own_previous is None:
            out["own"] = ["pp:none"]
        else:
            own_view = _analysed(own_previous)[1]
            out["own"] = [f"pp:{f}" for f in own_view if f.startswith(("w:", "cue:"))]
    return out
