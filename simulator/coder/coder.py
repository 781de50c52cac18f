"""Coding a conversation turn by turn: the user's skills, the character's talk.

The user plays the practitioner (AnnoMI's "therapist"), the character the other person
("client"). Each user turn gets a main behaviour (question | reflection | therapist_input
| other) and, where it holds a question or a reflection, its type (open | closed, simple |
complex); each character turn gets change | neutral | sustain talk. The turn before, and
the speaker's own previous turn, are read as context.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from simulator.coder.features import views
from simulator.coder.model import Model

__all__ = ["Coder", "Coding", "code_conversation", "decide", "default_coder", "role"]

# Speaker names that mean the practitioner; every other speaker is a character.
_USER_NAMES = frozenset({"user", "you", "therapist"})


def role(speaker: str) -> str:
    """``"therapist"`` for the user (``user``, ``you``, ``therapist``), else ``"client"``."""
    return "therapist" if speaker.strip().lower() in _USER_NAMES else "client"


@dataclass(frozen=True)
class Coding:
    """How one turn was coded. ``None`` where a code does not apply to the turn."""

    index: int  # position in the conversation, from 0
    speaker: str  # as given: "you", a persona id, "therapist", "client"...
    text: str
    behaviour: str | None = None  # user turns: question | reflection | therapist_input | other
    question_type: str | None = None  # user turns with a question: open | closed
    reflection_type: str | None = None  # user turns with a reflection: simple | complex
    talk: str | None = None  # character turns: change | neutral | sustain
    turn: int | None = None  # the transcript's turn number, when known
    # Each head's probabilities, including the type heads on turns without a question or
    # reflection (evaluation against annotated questions reads them).
    scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict, compare=False)

    @property
    def is_user(self) -> bool:
        return self.behaviour is not None


def _top(probs: Mapping[str, float]) -> str:
    """The most likely label (the first listed on a tie)."""
    return max(probs, key=probs.__getitem__)


# Advice in so many words. AnnoMI has few examples of it (its therapists rarely direct), so
# the model under-calls it in everyday scenes; on AnnoMI this rule fires on 18 turns, 15 of
# them annotated therapist_input, and leaves the cross-validated kappa as it was (0.691).
# "You feel you should..." reflects someone else's "should": not advice.
_DIRECTIVE = re.compile(
    r"\b(?:(?<!feel )(?<!think )(?<!believe )(?<!know )(?<!if )(?<!whether )"
    r"you (?:should|ought to|'d better)|i (?:think|suggest|recommend|would suggest|'d suggest|"
    r"advise) (?:that )?you (?:should|need|try|could|might)|i'd suggest|i suggest|i recommend|"
    r"i would recommend|my advice|i want you to|i need you to|i'd like you to|"
    r"make sure (?:you|to)|don't forget to)\b"
)
_SENTENCES = re.compile(r"[^.?!]+[.?!]*")


def _directs(text: str) -> bool:
    low = text.lower().replace("\u2019", "'")
    return bool(_DIRECTIVE.search(low)) and not low.rstrip().endswith("?")


def decide(
    scores: Mapping[str, Mapping[str, float]], speaker_role: str, text: str = ""
) -> dict[str, str | None]:
    """The codes from the heads' probabilities (and, for advice, the words of ``text``).

    A question (reflection) is present when it is the main behaviour or when the presence
    head says so: a reflection that ends in a question is still a question.
    """
    if speaker_role == "client":
        return {"talk": _top(scores["client_talk"])}
    directs = _directs(text)
    behaviour = "therapist_input" if directs else _top(scores["behaviour"])
    has_q = behaviour == "question" or scores["has_question"]["yes"] > 0.5
    has_r = behaviour == "reflection" or scores["has_reflection"]["yes"] > 0.5
    if directs and len([s for s in _SENTENCES.findall(text) if s.strip()]) < 2:
        has_r = False  # one sentence of advice is not also a reflection
    return {
        "behaviour": behaviour,
        "question_type": _top(scores["question_type"]) if has_q else None,
        "reflection_type": _top(scores["reflection_type"]) if has_r else None,
    }


class Coder:
    """The offline coder: feature views, then the model's heads, then :func:`decide`."""

    def __init__(self, model: Model | None = None) -> None:
        self.model = model if model is not None else Model.load()

    def code(
        self,
        text: str,
        speaker: str = "user",
        previous: str | None = None,
        own_previous: str | None = None,
        *,
        index: int = 0,
        turn: int | None = None,
    ) -> Coding:
        """One turn, given the turn before it and the same speaker's last turn."""
        who = role(speaker)
        scores = self.model.scores(
            views(text, previous, own_previous, self.model.views_of[who]), who
        )
        return Coding(index, speaker, text, turn=turn, scores=scores, **decide(scores, who, text))

    def code_conversation(
        self, turns: Iterable[tuple[str, str]], *, numbers: Iterable[int | None] | None = None
    ) -> list[Coding]:
        """Every turn of a conversation given as ``(speaker, text)`` pairs, in order;
        ``numbers`` are the transcript's turn numbers to keep on the codings."""
        turns = list(turns)
        numbered = list(numbers) if numbers is not None else [None] * len(turns)
        last: dict[str, str] = {}
        previous: str | None = None
        items = []
        for speaker, text in turns:
            who = role(speaker)
            items.append((views(text, previous, last.get(who), self.model.views_of[who]), who))
            last[who] = text
            previous = text
        out = []
        for index, ((speaker, text), (_, who), scores, turn) in enumerate(
            zip(turns, items, self.model.scores_many(items), numbered, strict=True)
        ):
            out.append(
                Coding(index, speaker, text, turn=turn, scores=scores, **decide(scores, who, text))
            )
        return out


_loaded: list[Coder] = []  # the default coder, once it is loaded
_loading = threading.Lock()


def default_coder() -> Coder:
    """The coder with the committed weights, loaded once per process.

    On a busy server many sessions can end at the same moment, and every debrief asks
    for the coder. Loading it takes about 0.1 s of CPU; an ``lru_cache`` lets each
    caller that arrives before the first load ends load it again, and 32 sessions
    ending together then spent 4 s loading it (issue #9's many-users benchmark). So
    the first caller loads it and the others wait for that one load.
    """
    if not _loaded:
        with _loading:
            if not _loaded:
                _loaded.append(Coder())
    return _loaded[0]


def code_conversation(turns: Iterable[tuple[str, str]]) -> list[Coding]:
    """:meth:`Coder.code_conversation` with the committed weights."""
    return default_coder().code_conversation(turns)
