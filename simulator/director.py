"""Turn-taking in a scene with several characters: who speaks after the user, and who next.

After each user line the director gives the turn to:

1. everyone present, one after another, when the user spoke to all (``@all``,
   "Both of you, ...");
2. the character the user addressed (``@Name``, or the name as a vocative: "Mum, ...",
   "..., Dad?");
3. the model's choice through structured output, when the assessor is the model;
4. else the character most *activated* by the line: a deterministic score from name
   mentions, the character's own keywords and the words of its wants and fears, and how
   far the line moved its hidden state.

After each character line another present character may answer it (it was named, or
the line touches its keywords or the speaker it relates to), up to the scene's
``director.max_lines_per_turn``. Characters that stepped back are never given the turn.
The model is only a first opinion: any failure, or an answer naming nobody present,
falls back to the rules, so a weak model can never stall the scene.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from simulator.prompts import DIRECTOR_SYSTEM, DIRECTOR_USER
from simulator.schema import CastMember, Persona, Scenario

__all__ = [
    "ANSWER_THRESHOLD",
    "Addressing",
    "DirectorChoice",
    "activation",
    "addressing",
    "aliases",
    "choose",
    "find_member",
]

log = logging.getLogger(__name__)

# A character answers another's line only when it is this drawn in: being named (3) is
# enough on its own; its keywords and a relationship to the speaker can add up to it.
ANSWER_THRESHOLD = 3.0
_NAME_WEIGHT = 3.0
_KEYWORD_WEIGHT = 1.5
_PERSONA_WORD_WEIGHT = 0.5
_PERSONA_WORDS_CAP = 2.0
_RELATIONSHIP_WEIGHT = 1.0
_STATE_WEIGHT = 0.5

# Words that open a line without being a name: "Hey Mum, ...", "Okay both of you, ...".
_FILLER = {
    "hi", "hey", "hello", "ok", "okay", "so", "well", "and", "&", "right", "listen",
    "look", "now", "please", "dear", "oh",
}  # fmt: skip
_TO_ALL = re.compile(
    r"^\W*(?:(?:hi|hey|hello|ok|okay|so|well|right|listen)\W+)*"
    r"(?:everyone|everybody|all of you|both of you|you two|you both|all)\b\s*[,:!?]",
    re.IGNORECASE,
)
_AT = re.compile(r"(?<![\w@])@([A-Za-z][\w-]*)")
_STOPWORDS = {
    "about", "after", "again", "their", "there", "these", "those", "would", "could", "should",
    "being", "other", "which", "while", "where", "someone", "something", "anyone", "nothing",
    "never", "always", "really", "everything", "without", "before", "because", "things",
    "doesn't", "don't", "they're", "you're", "yourself", "itself", "person",
}  # fmt: skip


class Addressing(BaseModel):
    """Who a user line was spoken to."""

    speakers: list[str] = Field(default_factory=list, description="Addressed persona ids.")
    to_all: bool = False


class DirectorChoice(BaseModel):
    """The model's structured choice of who speaks next."""

    speaker: str = Field(description="The persona id of who speaks next, or 'none'.")
    reason: str = Field(default="", description="A few words on why.")


def _persona(member: CastMember) -> Persona:
    assert isinstance(member.persona, Persona), "the loader resolves persona references"
    return member.persona


def aliases(member: CastMember) -> list[str]:
    """How a user may refer to a character: its name (with or without 'The'), its id."""
    name = _persona(member).name.strip().lower()
    found = [name, name.removeprefix("the ").strip(), member.persona_id]
    found.append(member.persona_id.replace("-", " "))
    return list(dict.fromkeys(a for a in found if a))


def _mentions(text: str, alias: str) -> bool:
    return re.search(rf"(?<![\w@]){re.escape(alias)}(?!\w)", text, re.IGNORECASE) is not None


def find_member(scenario: Scenario, text: str) -> str | None:
    """The persona id that ``text`` names ("Critic", "the critic", "@critic", an id)."""
    wanted = text.strip().lstrip("@").strip().lower()
    if not wanted:
        return None
    for member in scenario.cast:
        if wanted in aliases(member):
            return member.persona_id
    squashed = re.sub(r"[\s_-]+", "", wanted)
    matches = [
        m.persona_id
        for m in scenario.cast
        if any(re.sub(r"[\s_-]+", "", a).startswith(squashed) for a in aliases(m))
    ]
    # A prefix ("@Ma") only counts when it points at one character.
    return matches[0] if len(matches) == 1 and len(squashed) >= 3 else None


def addressing(scenario: Scenario, text: str, present: Sequence[str]) -> Addressing:
    """Who the user spoke to: ``@Name``, ``@all``, or names used as a vocative."""
    if not scenario.is_group:
        return Addressing()
    lowered = text.lower()
    tags = [tag.lower() for tag in _AT.findall(text)]
    if "all" in tags or "everyone" in tags or _TO_ALL.search(text):
        return Addressing(speakers=list(present), to_all=True)
    found: list[str] = []
    for tag in tags:
        who = find_member(scenario, tag)
        if who is not None:
            found.append(who)
    # "Mum, ...", "Mum, Dad, ...", "Dad and Mum: ...": leading segments of only names.
    segments = re.split(r"[,:!?.]", lowered)
    for words in segments[:-1]:
        named = []
        for member in scenario.cast:
            for alias in sorted(aliases(member), key=len, reverse=True):
                if _mentions(words, alias):
                    named.append(member.persona_id)
                    words = re.sub(rf"(?<!\w){re.escape(alias)}(?!\w)", " ", words)
                    break
        leftover = [w for w in re.findall(r"[\w&']+", words) if w not in _FILLER]
        if leftover:
            break
        found += named  # a segment of only fillers ("Well, Dad, ...") is passed over
    # "..., Dad?" at the end of the line.
    for member in scenario.cast:
        for alias in aliases(member):
            if re.search(rf",\s*{re.escape(alias)}\s*[.?!]*\s*$", lowered):
                found.append(member.persona_id)
    ordered = [m.persona_id for m in scenario.cast if m.persona_id in found]
    return Addressing(speakers=ordered)


def _persona_words(persona: Persona) -> frozenset[str]:
    """Content words of what a character wants, fears and needs (what it reacts to)."""
    text = " ".join(
        [*persona.wants, *persona.fears, persona.positive_intent or "", persona.needs or ""]
    ).lower()
    return frozenset(w for w in re.findall(r"[a-z][a-z']{4,}", text) if w not in _STOPWORDS)


def activation(
    scenario: Scenario,
    persona_id: str,
    text: str,
    deltas: Mapping[str, float] | None = None,
    speaker: str | None = None,
) -> float:
    """How strongly ``text`` (the user's, or ``speaker``'s) draws this character in."""
    member = scenario.member(persona_id)
    persona = _persona(member)
    lowered = text.lower()
    score = 0.0
    if any(_mentions(lowered, alias) for alias in aliases(member)):
        score += _NAME_WEIGHT
    score += _KEYWORD_WEIGHT * sum(1 for k in member.keywords if k.lower() in lowered)
    words = set(re.findall(r"[a-z][a-z']{4,}", lowered))
    score += min(_PERSONA_WORDS_CAP, _PERSONA_WORD_WEIGHT * len(words & _persona_words(persona)))
    if speaker is not None and speaker in member.relationships:
        score += _RELATIONSHIP_WEIGHT
    if deltas:
        prefix = persona_id + "."
        moved = sum(abs(v) for k, v in deltas.items() if k.startswith(prefix))
        score += _STATE_WEIGHT * moved
    return round(score, 3)


def _by_model(
    model: BaseChatModel,
    scenario: Scenario,
    candidates: Sequence[str],
    recent: str,
    follow_up: bool,
) -> DirectorChoice:
    cast = "\n".join(
        f"- {m.persona_id}: {_persona(m).name}, {_persona(m).who}"
        for m in scenario.cast
        if m.persona_id in candidates
    )
    system = DIRECTOR_SYSTEM.format(
        setting=scenario.setting,
        cast=cast,
        question=(
            "Should one of them answer the line just spoken? Name them, or 'none' if the "
            "user should speak next."
            if follow_up
            else "Who answers the user's line? Name exactly one."
        ),
    )
    judge = model.with_structured_output(DirectorChoice)
    result = judge.invoke([("system", system), ("human", DIRECTOR_USER.format(recent=recent))])
    if not isinstance(result, DirectorChoice):
        raise TypeError(f"structured output returned {type(result).__name__}")
    return result


def choose(
    scenario: Scenario,
    *,
    present: Sequence[str],
    addressed: Addressing,
    user_line: str,
    deltas: Mapping[str, float],
    spoken: Sequence[str],
    last_line: tuple[str, str] | None,
    previous_speaker: str | None,
    model: BaseChatModel | None = None,
    recent: str = "",
) -> dict[str, Any]:
    """The next speaker of this turn: ``{"speaker": id | None, "source", "reason"}``.

    ``spoken`` lists who already spoke after this user line, in order; ``last_line`` is
    ``(persona id, text)`` of the latest character line of this turn, if any;
    ``previous_speaker`` is who spoke last before the user's line (the user is most
    likely answering them).
    """

    def none(reason: str) -> dict[str, Any]:
        return {"speaker": None, "source": "rules", "reason": reason}

    if not present:
        return none("everyone has stepped back")
    if not scenario.is_group:
        if spoken:
            return none("the only character has answered")
        return {"speaker": present[0], "source": "only", "reason": "the only character"}
    cap = scenario.director.max_lines_per_turn
    if addressed.to_all:
        cap = max(cap, len(present))
    if len(spoken) >= cap:
        return none(f"{len(spoken)} lines this turn, the most allowed")

    # Everyone the user spoke to answers, in cast order, before anyone else.
    queue = [p for p in (addressed.speakers if not addressed.to_all else present) if p in present]
    waiting = [p for p in queue if p not in spoken]
    if waiting:
        source = "all" if addressed.to_all else "address"
        return {"speaker": waiting[0], "source": source, "reason": "the user spoke to them"}
    if addressed.to_all:
        return none("everyone spoken to has answered")

    if not spoken:
        candidates = list(present)
    else:
        last = spoken[-1]
        candidates = [p for p in present if p != last]
        if not candidates:
            return none("nobody else is present")
    follow_up = bool(spoken)
    if model is not None:
        try:
            choice = _by_model(model, scenario, candidates, recent, follow_up)
            picked = choice.speaker.strip()
            if picked.lower() == "none" and follow_up:
                return {"speaker": None, "source": "model", "reason": choice.reason}
            if picked in candidates:
                return {"speaker": picked, "source": "model", "reason": choice.reason}
            log.info("director: the model chose %r, not a present character", picked)
        except Exception as exc:  # a weak or down model must never stall the scene
            log.info("model director unavailable, using rules: %s", exc)

    if not follow_up:
        scores = {p: activation(scenario, p, user_line, deltas) for p in candidates}
        order = [m.persona_id for m in scenario.cast]
        best = max(
            candidates,
            key=lambda p: (scores[p], p == previous_speaker, -order.index(p)),
        )
        return {
            "speaker": best,
            "source": "activation",
            "reason": f"most drawn in by the line ({scores[best]:g})",
        }
    assert last_line is not None
    speaker, said = last_line
    scores = {p: activation(scenario, p, said, speaker=speaker) for p in candidates}
    best = max(candidates, key=lambda p: scores[p])
    if scores[best] >= ANSWER_THRESHOLD:
        return {
            "speaker": best,
            "source": "answer",
            "reason": f"answers {speaker} ({scores[best]:g})",
        }
    return none("nobody is drawn in enough to answer")
