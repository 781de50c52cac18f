"""The character's system prompt and the clean-up of what the model says as the character.

The prompt is built from the persona, the scenario, the current hidden state and the
facts revealed so far. Private notes whose condition has not held are not in it at
all: a model cannot leak what it was never told. In a scene with several characters
each prompt holds only that character's persona, state, notes and reveals; of the
others it knows just what anyone in the room would (name, who they are, how it relates
to them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from simulator.prompts import (
    CHARACTER_SYSTEM,
    DIFFICULTY,
    GROUP_OTHERS,
    GROUP_RULES,
    PARTS_FRAME,
    SAFETY_CLAUSE,
)
from simulator.schema import CastMember, Persona, Scenario, compiled
from simulator.state import TurnRecord

__all__ = ["ReplyCleaner", "character_prompt", "clean_stream", "feelings", "revealed_facts"]


def revealed_facts(
    scenario: Scenario, persona: Persona, trajectory: Sequence[TurnRecord]
) -> list[str]:
    """Facts this character may now disclose: a condition that held once stays revealed.

    Conditions are read from this character's point of view, so a plain ``trust`` in its
    note means its own trust in a scene with several characters.
    """
    history = [scenario.view(record["values"], persona.id) for record in trajectory]
    facts = []
    for note in persona.private_notes:
        if note.when and any(compiled(note.when).holds(v) for v in history):
            facts.append(note.fact)
    first = scenario.cast[0].persona_id
    for reveal in scenario.reveals:
        if (reveal.character or first) == persona.id and any(
            compiled(reveal.when).holds(v) for v in history
        ):
            facts.append(reveal.fact)
    return facts


def _listing(items: Sequence[str]) -> str:
    return "; ".join(item.strip().rstrip(".") for item in items) + "."


def _level(value: float, low: float, high: float) -> str:
    share = (value - low) / (high - low)
    return (
        "very low"
        if share < 0.2
        else "low"
        if share < 0.4
        else ("moderate" if share < 0.6 else "high" if share < 0.8 else "very high")
    )


def feelings(scenario: Scenario, values: Mapping[str, float], persona_id: str | None = None) -> str:
    """The hidden state in words ("trust: low; defensiveness: high")."""
    who = persona_id or scenario.cast[0].persona_id
    mine = scenario.view(values, who)
    parts = []
    for name, var in scenario.member_state(who).items():
        level = _level(mine.get(name, var.start), var.min, var.max)
        parts.append(f"{name.replace('_', ' ')}: {level}")
    return "; ".join(parts)


def character_prompt(
    scenario: Scenario,
    member: CastMember,
    difficulty: str,
    trajectory: Sequence[TurnRecord],
) -> str:
    persona = member.persona
    assert isinstance(persona, Persona), "the loader resolves persona references"
    values = trajectory[-1]["values"] if trajectory else scenario.start_state()
    facts = revealed_facts(scenario, persona, trajectory)
    revealed = ""
    if facts:
        revealed = (
            "\nYou are now ready to bring up, in your own words, when it fits:\n"
            + "\n".join(f"- {fact}" for fact in facts)
        )
    level_note = getattr(scenario.difficulty, difficulty, None)
    others, group_rules = _group_parts(scenario, member)
    return CHARACTER_SYSTEM.format(
        name=persona.name,
        who=persona.who,
        voice=persona.voice,
        background=persona.background,
        wants=_listing(persona.wants),
        fears=_listing(persona.fears),
        under_pressure=persona.under_pressure,
        softens=f"\nWhat reaches you: {persona.softens_when}" if persona.softens_when else "",
        intent=(
            f"\nWhat you are trying to do for them: {persona.positive_intent}"
            if persona.positive_intent
            else ""
        )
        + (f"\nWhat you need: {persona.needs}" if persona.needs else ""),
        samples=(
            "Lines in your voice: " + " / ".join(f'"{s}"' for s in persona.sample_lines) + "\n"
            if persona.sample_lines
            else ""
        ),
        setting=scenario.setting,
        user_role=scenario.user_role,
        relationship=f"\nYour relationship: {member.relationship}" if member.relationship else "",
        others=others,
        group_rules=group_rules,
        feelings=feelings(scenario, values, persona.id),
        difficulty=DIFFICULTY[difficulty] + (f" {level_note}" if level_note else "") + "\n",
        revealed=revealed,
        safety=SAFETY_CLAUSE,
    )


def _group_parts(scenario: Scenario, member: CastMember) -> tuple[str, str]:
    """The prompt's view of the other characters, and the rule not to speak for them."""
    if not scenario.is_group:
        return "", ""
    rows, names = [], []
    for other in scenario.cast:
        if other.persona_id == member.persona_id:
            continue
        persona = other.persona
        assert isinstance(persona, Persona)
        names.append(persona.name)
        relation = member.relationships.get(other.persona_id)
        rows.append(
            f"- {persona.name}: {persona.who.strip()}"
            + (f" To you: {relation.strip()}" if relation else "")
        )
    others = GROUP_OTHERS.format(others="\n".join(rows))
    if scenario.category == "inner-parts":
        others += PARTS_FRAME
    rules = GROUP_RULES.format(name=member.persona.name, others=" or ".join(names))  # type: ignore[union-attr]
    return others, rules


_SENTENCE_END = re.compile(r"[.!?]+[\"')]?(?=\s+\S)")


class ReplyCleaner:
    """Turns the model's raw stream into the character's spoken words, incrementally.

    Small models often prefix their own name, wrap the line in quotes, or carry on
    writing the user's next line ("User: ..."). Text is held back only while it could
    still become such a tag (a line that so far spells "Us", a trailing "<"), so clean
    text streams out at once and what is shown is exactly what is saved.
    """

    MAX_SENTENCES = 4  # people speak in short turns; small models ramble without a cap

    def __init__(
        self, name: str, others: Sequence[str] = ("User", "You", "Me"), cast: Sequence[str] = ()
    ) -> None:
        # ``cast``: the other characters of a group scene. A reply that *opens* with one of
        # their tags is the model speaking for them, so nothing of it is this character's.
        speakers = (*others, *cast, "Assistant", "System", name)
        self._foreign = (
            re.compile(
                rf"^\s*\"?\s*(?:\*\*)?(?:{'|'.join(re.escape(c) for c in cast)})(?:\*\*)?\s*:",
                re.IGNORECASE,
            )
            if cast
            else None
        )
        self._cast_tags = [c.lower() + ":" for c in cast]
        alternatives = "|".join(re.escape(s) for s in speakers)
        self._own = re.compile(rf"^\s*(?:\*\*)?{re.escape(name)}(?:\*\*)?\s*:\s*", re.IGNORECASE)
        self._stop = re.compile(
            rf"\n\s*(?:\*\*)?(?:{alternatives})(?:\*\*)?\s*:|\n\s*\n|<\||\[/?INST", re.IGNORECASE
        )
        self._name_tag = name.lower() + ":"
        self._line_tags = [s.lower() + ":" for s in speakers]
        self._raw = ""
        self._sent = 0
        self._done = False
        self._stopped = False  # the reply ended itself: a tag, or the sentence cap

    def _held(self, text: str) -> int:
        """How many trailing characters of ``text`` could still turn into a tag."""
        if self._sent == 0 and "\n" not in text:
            start = self._raw.lstrip().replace("*", "").lower()
            if not self._own.match(self._raw) and self._name_tag.startswith(start):
                return len(text)  # maybe our own name prefix, still arriving
            if any(tag.startswith(start.lstrip('"')) for tag in self._cast_tags):
                return len(text)  # maybe another character's tag: the reply is not ours
        if "\n" in text:
            cut = text.rindex("\n")
            line = text[cut + 1 :].lstrip().lstrip("*").lower()
            if not line or any(tag.startswith(line) for tag in self._line_tags):
                return len(text) - cut
        for size in range(min(6, len(text)), 0, -1):
            end = text[-size:].lower()
            if any(tag.startswith(end) for tag in ("<|", "[inst", "[/inst")):
                return size
        return 0

    def feed(self, piece: str) -> str:
        """Add raw text; return the clean text that is now safe to show."""
        if self._done:
            return ""
        self._raw += piece
        return self._emit(final=False)

    @property
    def done(self) -> bool:
        """Whether the reply is complete (a tag or the sentence cap was reached)."""
        return self._stopped

    def finish(self) -> str:
        """The rest of the clean text once the stream has ended."""
        out = "" if self._done else self._emit(final=True)
        self._done = True
        return out

    def _emit(self, final: bool) -> str:
        if self._foreign is not None and self._foreign.match(self._raw):
            self._done = self._stopped = True
            return ""
        text = self._own.sub("", self._raw, count=1).lstrip().lstrip('"')
        stop = self._stop.search(text)
        if stop:
            text, final, self._done = text[: stop.start()], True, True
            self._stopped = True
        ends = list(_SENTENCE_END.finditer(text))
        if len(ends) >= self.MAX_SENTENCES:
            text, final, self._done = text[: ends[self.MAX_SENTENCES - 1].end()], True, True
            self._stopped = True
        if final:
            text = text.rstrip()
            if self._raw.lstrip().startswith('"') or self._own.match(self._raw):
                text = text.removesuffix('"').rstrip()
        else:
            text = text[: len(text) - self._held(text)]
            # Trailing space may precede a tag; a trailing quote may be the closing one.
            text = text.rstrip().rstrip('"')
        chunk = text[self._sent :] if len(text) > self._sent else ""
        self._sent = max(self._sent, len(text))
        return chunk


def clean_stream(cleaner: ReplyCleaner, pieces: Iterator[str]) -> Iterator[str]:
    """Feed raw pieces through ``cleaner``, yielding clean text as it becomes safe."""
    for piece in pieces:
        out = cleaner.feed(piece)
        if out:
            yield out
        if cleaner.done:
            break  # the caller closes the model's stream, which ends the request
    rest = cleaner.finish()
    if rest:
        yield rest
