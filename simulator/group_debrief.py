"""The debrief of a scene with several characters: one section per character.

For each character: what it showed it protects, fears and needs (its persona, with its
own lines as quotes), how its hidden state moved, and whether it felt heard (its
variables ended up moved the way good practice moves them). For inner-parts scenes
also the user's stance: how many turns came from curiosity or compassion (the "Self"
stance) and how many argued with or dismissed a part, with examples. Finally a short
journal entry of the session (model-written when the assessor is the model, otherwise
and on any failure from a template) and, per character, a short visual description the
user could draw.

Everything is deterministic except the model-written journal, so the debrief stands
with the model down.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from simulator.assessment import ARGUING, COMPASSION, CURIOSITY, stance
from simulator.prompts import JOURNAL_SYSTEM, JOURNAL_USER
from simulator.schema import Persona, Scenario
from simulator.transcript import USER, Line
from simulator.writing import ask

if TYPE_CHECKING:
    from simulator.context import Context
    from simulator.state import State

__all__ = ["group_debrief", "looks_like", "parts_work"]

log = logging.getLogger(__name__)
MAX_QUOTES = 3
MAX_EXAMPLES = 3


def _persona(scenario: Scenario, persona_id: str) -> Persona:
    return scenario.persona(persona_id)


def _sentence(text: str) -> str:
    return text.strip().rstrip(".")


def looks_like(persona: Persona) -> str:
    """A short picture of the character, from ``looks_like`` or else from its persona."""
    if persona.looks_like:
        return " ".join(persona.looks_like.split())
    who = re.split(r"(?<=[.!?])\s", " ".join(persona.who.split()), maxsplit=1)[0]
    guard = persona.positive_intent or persona.wants[0]
    return (
        f"{_sentence(who)}. Draw it with an expression that shows its fear "
        f"({_sentence(persona.fears[0]).lower()}), holding something that stands for what it "
        f"guards: {_sentence(guard).lower()}."
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z']{3,}", text.lower()))


def _quotes(persona: Persona, lines: list[Line]) -> list[dict[str, Any]]:
    """The character's lines that say most about what it protects, fears and needs."""
    mine = [line for line in lines if line.speaker == persona.id and line.turn > 0]
    if not mine:
        return []
    about = _words(
        " ".join(
            [*persona.wants, *persona.fears, persona.positive_intent or "", persona.needs or ""]
        )
    )
    ranked = sorted(
        enumerate(mine), key=lambda item: (-len(_words(item[1].text) & about), -item[0])
    )
    chosen = sorted(ranked[:MAX_QUOTES], key=lambda item: item[0])
    return [{"turn": line.turn, "quote": line.text} for _, line in chosen]


def _character(
    scenario: Scenario, state: State, persona_id: str, lines: list[Line]
) -> dict[str, Any]:
    persona = _persona(scenario, persona_id)
    start, end = state.trajectory[0]["values"], state.trajectory[-1]["values"]
    variables = {}
    progress = 0.0
    heard_turns = []
    for name, var in scenario.member_state(persona_id).items():
        key = scenario.qualify(persona_id, name)
        before, after = start.get(key, var.start), end.get(key, var.start)
        variables[name] = {"start": before, "end": after, "desired": var.desired}
        progress += (after - before) if var.desired == "up" else (before - after)
    for record in state.trajectory[1:]:
        moved = 0.0
        for name, var in scenario.member_state(persona_id).items():
            delta = record["deltas"].get(scenario.qualify(persona_id, name), 0.0)
            moved += delta if var.desired == "up" else -delta
        if moved > 0:
            heard_turns.append(record["turn"])
    return {
        "id": persona_id,
        "name": persona.name,
        "protects": persona.positive_intent or "; ".join(persona.wants),
        "fears": list(persona.fears),
        "needs": persona.needs,
        "lines": sum(1 for line in lines if line.speaker == persona_id and line.turn > 0),
        "quotes": _quotes(persona, lines),
        "state": variables,
        "progress": round(progress, 2),
        # Heard: its variables ended up moved the way good practice moves them.
        "felt_heard": progress > 0,
        "heard_turns": heard_turns,
        "stepped_back_at": [
            p["turn"]
            for p in state.presence
            if p["speaker"] == persona_id and p["event"] == "step_back"
        ],
        # A picture to draw is for parts; a real person gets one only if the file says so.
        "looks_like": (
            looks_like(persona)
            if scenario.category == "inner-parts" or persona.looks_like
            else None
        ),
    }


def parts_work(said: dict[int, str]) -> dict[str, Any]:
    """The user's stance toward the parts: Self (curious, compassionate) vs arguing."""
    self_turns, arguing_turns = [], []
    curious = compassionate = 0
    for turn, text in sorted(said.items()):
        moves = stance(text)
        if moves & CURIOSITY:
            curious += 1
        if moves & COMPASSION:
            compassionate += 1
        if moves & (CURIOSITY | COMPASSION):
            self_turns.append({"turn": turn, "quote": text})
        if moves & ARGUING:
            arguing_turns.append({"turn": turn, "quote": text})
    return {
        "curious_turns": curious,
        "compassionate_turns": compassionate,
        "self_turns": len(self_turns),
        "arguing_turns": len(arguing_turns),
        "self_examples": self_turns[:MAX_EXAMPLES],
        "arguing_examples": arguing_turns[:MAX_EXAMPLES],
    }


def _journal_template(
    scenario: Scenario, characters: list[dict[str, Any]], work: dict[str, Any] | None
) -> str:
    names = [c["name"] for c in characters]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    if scenario.category == "inner-parts":
        out = [
            f"Today I sat with {listed}, parts of me, in this scene: {_sentence(scenario.setting)}."
        ]
    else:
        out = [f"Today I practised a conversation with {listed}: {_sentence(scenario.summary)}."]
    for c in characters:
        fear = _sentence(c["fears"][0]).lower() if c["fears"] else "something I did not name"
        verb = "to be protecting" if scenario.category == "inner-parts" else "to want"
        out.append(
            f"{c['name']} seemed {verb} this: {_sentence(c['protects']).lower()}; "
            f"underneath, a fear: {fear}."
        )
    if work is not None:
        out.append(
            f"I spoke from curiosity or compassion {work['self_turns']} "
            f"time{'s' if work['self_turns'] != 1 else ''}, and argued or pushed "
            f"{work['arguing_turns']} time{'s' if work['arguing_turns'] != 1 else ''}."
        )
    softened = [c["name"] for c in characters if c["felt_heard"]]
    guarded = [c["name"] for c in characters if not c["felt_heard"]]
    if softened:
        out.append(f"{' and '.join(softened)} softened a little when I listened.")
    if guarded:
        out.append(f"{' and '.join(guarded)} stayed guarded; maybe next time.")
    return " ".join(out)


def _journal(
    ctx: Context, characters: list[dict[str, Any]], work: dict[str, Any] | None
) -> dict[str, Any]:
    scenario = ctx.scenario
    template = _journal_template(scenario, characters, work)
    if ctx.assessor != "model":  # a model too small to judge is too small to write this
        return {"text": template, "source": "template"}
    facts = [template]
    for c in characters:
        facts += [f"{c['name']} said (turn {q['turn']}): {q['quote']}" for q in c["quotes"]]
    try:
        human = JOURNAL_USER.format(
            title=scenario.title, summary=scenario.summary, facts="\n".join(facts)
        )
        text = " ".join(ask(ctx.model, JOURNAL_SYSTEM, human, max_tokens=300).split())
        return {"text": text, "source": "model"}
    except Exception as exc:  # the debrief must survive any model failure
        log.info("journal unavailable, using the template: %s", exc)
        return {"text": template, "source": "template"}


def group_debrief(state: State, ctx: Context, lines: list[Line]) -> dict[str, Any]:
    """The per-character part of the debrief (scenes with several characters)."""
    scenario = ctx.scenario
    characters = [_character(scenario, state, m.persona_id, lines) for m in scenario.cast]
    # A character never invited said nothing and was never moved: leave it out.
    characters = [
        c
        for c, m in zip(characters, scenario.cast, strict=True)
        if m.present or c["lines"] or any(p["speaker"] == m.persona_id for p in state.presence)
    ]
    said = {line.turn: line.text for line in lines if line.speaker == USER}
    work = parts_work(said) if scenario.category == "inner-parts" else None
    out: dict[str, Any] = {"characters": characters, "journal": _journal(ctx, characters, work)}
    if work is not None:
        out["parts_work"] = work
    return out
