"""Grounding pauses: when a scene gets intense, stop for a breath before going on.

A pause is offered when the user's own words say they are overwhelmed (a small local,
deterministic screen: first-person distress language, graded mild / moderate / strong),
when the character's hidden state crosses a threshold (the scenario's
``grounding.when``, or else any variable good practice lowers, such as defensiveness,
climbing high in its range), or when the user asks (``/pause``, a button).

The crisis screen (:mod:`simulator.safety`) runs first and keeps priority: a line that
shows real risk pauses for safety, never merely for grounding.

During the pause the character is silent. The exercise is paced breathing with a
visible timer and a 5-4-3-2-1 senses check, then a choice: continue the same scene,
step the difficulty down (the character eases off: its intensity variables move toward
calm and the difficulty drops a level), or stop with a debrief. Every pause and choice
is logged in the session state and shown in the debrief.

A pause is not offered again for two turns after one, mild words offer one once a
session, and a state threshold offers one once per crossing, so it never nags.

How readily it is offered is the scenario author's call (``grounding.offer``: off, low,
medium, high); without one it follows the category (inner parts and free expression
most readily, clinical practice least, since a trainee's words are not their own state).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from simulator.context import Context, context_of
from simulator.schema import Scenario, compiled
from simulator.state import State

__all__ = [
    "BREATHING",
    "CHOICES",
    "SENSES",
    "Distress",
    "OfferLevel",
    "distress",
    "exercise",
    "offer_level",
    "pause_lines",
    "pause_node",
    "route_after_pause",
    "should_offer",
    "step_down",
    "threshold_crossed",
]

OfferLevel = Literal["off", "low", "medium", "high"]
Choice = Literal["continue", "step_down", "stop"]
CHOICES: tuple[Choice, ...] = ("continue", "step_down", "stop")

# One breathing cycle: (what to do, seconds). 4 in, 4 hold, 6 out: a longer out-breath
# slows the heart; three cycles take 42 seconds.
BREATHING: tuple[tuple[str, int], ...] = (("Breathe in", 4), ("Hold", 4), ("Breathe out", 6))
CYCLES = 3
SENSES: tuple[str, ...] = (
    "5 things you can see around you",
    "4 things you can feel: your feet on the floor, the chair, your hands",
    "3 things you can hear",
    "2 things you can smell, or two smells you like",
    "1 thing you can taste, or take one slow sip of water",
)
MESSAGE = (
    "Let's pause the scene for a moment. The character will wait; nothing you wrote is "
    "lost. Breathe with the timer, then notice your senses. When you are ready: continue, "
    "step it down (the character eases off), or stop here with a debrief."
)

_DEFAULT_BY_CATEGORY: dict[str, OfferLevel] = {
    "inner-parts": "high",
    "expression": "high",
    "difficult-conversation": "medium",
    # A trainee's lines speak for the clinician they play, not for how they feel.
    "clinical-practice": "low",
}
# The lowest distress level each setting offers a pause for, and how far into its range
# a variable that good practice lowers must climb.
_MIN_LEVEL = {"high": 1, "medium": 2, "low": 3}
_SHARE = {"high": 0.7, "medium": 0.8, "low": 0.9}
# Turns after a pause during which none is offered again, so it never nags.
COOLDOWN = 2
# How far a step down moves each intensity variable toward calm, as a share of its range.
STEP_DOWN_SHARE = 0.25
_EASIER = {"hard": "medium", "medium": "easy", "easy": "easy"}

_I = r"\b(?:i\s*'?\s*m|i\s+am|i\s+feel|i'?ve\s+been|i\s+have\s+been|i\s+was|im|feeling)\s+"
_DEGREE = r"(?:so\s+|really\s+|very\s+|totally\s+|completely\s+|a\s+bit\s+|quite\s+|kind\s+of\s+)*"
_CUES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        3,
        re.compile(
            r"\b(?:panic\s+attack|can'?t\s+breathe|cannot\s+breathe|heart\s+is\s+(?:racing|"
            r"pounding)|falling\s+apart|too\s+much\s+for\s+me|can'?t\s+(?:cope|stop\s+(?:crying|"
            r"shaking)|take\s+(?:this|it)\s+any\s*more|think\s+straight))\b"
            rf"|{_I}{_DEGREE}(?:panicking|shaking|freaking\s+out|losing\s+it|falling\s+apart)\b",
            re.IGNORECASE,
        ),
    ),
    (
        2,
        re.compile(
            rf"{_I}{_DEGREE}(?:overwhelmed|flooded|frozen|numb|panicky|terrified|dizzy|shaky|"
            r"sick|crying|in\s+tears|spiralling|spiraling)\b"
            r"|\b(?:this\s+is\s+(?:too\s+much|a\s+lot)|hard\s+to\s+breathe|my\s+chest\s+is\s+tight|"
            r"i\s+need\s+(?:a\s+(?:break|minute|moment)|to\s+(?:stop|breathe)))\b",
            re.IGNORECASE,
        ),
    ),
    (
        1,
        re.compile(
            rf"{_I}{_DEGREE}(?:anxious|nervous|stressed|tense|on\s+edge|uneasy|wound\s+up|"
            r"worked\s+up|upset|scared|shaken)\b",
            re.IGNORECASE,
        ),
    ),
)
_NEGATED = re.compile(r"\b(?:not|n't|never|no\s+longer|wasn't)\s+(?:\w+\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Distress:
    """How strongly one line says the user is overwhelmed: 0 (not at all) to 3."""

    level: int
    matched: str = ""


def distress(text: str) -> Distress:
    """The strongest first-person distress cue in ``text`` (negated cues do not count)."""
    for level, cue in _CUES:
        for match in cue.finditer(text):
            # "I'm not feeling overwhelmed", "it's not a panic attack": said to be absent.
            if _NEGATED.search(text[: match.start()]):
                continue
            return Distress(level, " ".join(match.group(0).split()))
    return Distress(0)


def offer_level(scenario: Scenario) -> OfferLevel:
    """How readily this scenario offers a pause: its own setting, else by category."""
    return scenario.grounding.offer or _DEFAULT_BY_CATEGORY.get(scenario.category, "medium")


def threshold_crossed(
    scenario: Scenario, values: Mapping[str, float], previous: Mapping[str, float] | None
) -> str:
    """The condition (as text) that now holds but did not before, or "".

    Only a crossing counts: a character who stays defensive is not paused for every turn.
    """
    level = offer_level(scenario)
    if level == "off":
        return ""
    before = previous or {}
    if scenario.grounding.when:
        condition = compiled(scenario.grounding.when)
        if condition.holds(values) and not (before and condition.holds(before)):
            return scenario.grounding.when
        return ""
    for name, var in scenario.variables().items():
        if var.desired != "down":
            continue
        limit = var.min + _SHARE[level] * (var.max - var.min)
        now, then = values.get(name, var.start), before.get(name, var.start)
        if now >= limit > then:
            return f"{name} >= {limit:g}"
    return ""


def should_offer(
    scenario: Scenario,
    *,
    turn: int,
    text: str,
    values: Mapping[str, float],
    previous: Mapping[str, float] | None,
    log: Sequence[Mapping[str, Any]],
) -> dict[str, Any] | None:
    """The "offered" event for this turn, or None: the user's words first, then the state."""
    level = offer_level(scenario)
    if level == "off":
        return None
    last = [e["turn"] for e in log if e["event"] == "offered"]
    if last and turn - last[-1] <= COOLDOWN:
        return None
    said = distress(text)
    # Mild words ("I'm nervous") are common in practice: they offer a pause once a session.
    mild_before = any(e.get("trigger") == "words" and e.get("level") == 1 for e in log)
    if said.level >= _MIN_LEVEL[level] and not (said.level == 1 and mild_before):
        return {
            "turn": turn,
            "event": "offered",
            "trigger": "words",
            "matched": said.matched,
            "level": said.level,
        }
    crossed = threshold_crossed(scenario, values, previous)
    if crossed:
        return {"turn": turn, "event": "offered", "trigger": "state", "matched": crossed}
    return None


def step_down(
    scenario: Scenario, values: Mapping[str, float], difficulty: str
) -> tuple[dict[str, float], dict[str, float], str]:
    """Ease the character off: (new values, their changes, the easier difficulty).

    Every variable good practice lowers (defensiveness, anger, tension) moves a quarter
    of its range toward its minimum; the rest are the user's to move.
    """
    new = dict(values)
    deltas: dict[str, float] = {}
    for name, var in scenario.variables().items():
        if var.desired != "down":
            continue
        now = values.get(name, var.start)
        calmer = round(max(var.min, now - STEP_DOWN_SHARE * (var.max - var.min)), 2)
        if calmer != now:
            new[name] = calmer
            deltas[name] = round(calmer - now, 2)
    return new, deltas, _EASIER.get(difficulty, difficulty)


def exercise(trigger: str) -> dict[str, Any]:
    """What the pause shows: the message, the breathing pattern and the senses steps."""
    why = {
        "words": "What you wrote sounded like a lot to hold.",
        "state": "The scene has become intense.",
        "user": "You asked for a pause.",
    }.get(trigger, "")
    return {
        "message": f"{why} {MESSAGE}".strip(),
        "breathing": [{"step": step, "seconds": seconds} for step, seconds in BREATHING],
        "cycles": CYCLES,
        "senses": list(SENSES),
        "choices": list(CHOICES),
    }


# --- the graph's side: the pause node and where it leads ----------------------------------


def pause_node(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The scene waits while the user breathes; then continue, step down or stop.

    Resume with ``{"choice": "continue" | "step_down" | "stop"}`` (``{"end": True}`` is
    a stop). Nothing goes before ``interrupt``: resuming re-runs the node from its start.
    """
    offered = state.grounding[-1]
    answer = interrupt(
        {"awaiting": "grounding", "turn": state.turn, **exercise(offered.get("trigger", ""))}
    )
    if isinstance(answer, str):
        answer = {"choice": answer}
    if not isinstance(answer, dict):
        raise TypeError(f"the grounding pause expects a dict or str, got {type(answer).__name__}")
    choice = "stop" if answer.get("end") else str(answer.get("choice", "continue"))
    if choice not in CHOICES:
        raise ValueError(f"choose one of {', '.join(CHOICES)}, not {choice!r}")
    event: dict[str, Any] = {"turn": state.turn, "trigger": offered.get("trigger", "")}
    if choice == "stop":
        return {"user_ended": True, "grounding": [{**event, "event": "stopped"}]}
    if choice == "continue":
        return {"grounding": [{**event, "event": "continued"}]}
    scenario = context_of(runtime).scenario
    values, deltas, easier = step_down(scenario, state.values, state.difficulty)
    last = state.trajectory[-1] if state.trajectory else {}
    record = {
        # Same turn, same addressees: the director still answers the line that was said.
        **{k: v for k, v in last.items() if k in ("addressed", "to_all")},
        "turn": state.turn,
        "values": values,
        "deltas": deltas,
        "moves": [],
        "goals": [],
        "source": "grounding",
        "note": "You stepped the scene down after a pause; the character eases off.",
    }
    stepped = {**event, "event": "stepped_down", "difficulty": easier, "changes": deltas}
    return {"difficulty": easier, "trajectory": [record], "grounding": [stepped]}


def route_after_pause(state: State) -> Literal["user_turn", "direct", "debrief"]:
    """Stop: the debrief. A pause the user asked for returns to them; one offered in the
    middle of a turn lets the character answer the line that was said, as it would have."""
    if state.user_ended:
        return "debrief"
    offered = [e for e in state.grounding if e["event"] == "offered"]
    if offered and offered[-1].get("trigger") == "user":
        return "user_turn"
    return "direct"


# --- the debrief's side ---------------------------------------------------------------

_TRIGGERS = {
    "words": "what you wrote sounded overwhelming",
    "state": "the scene grew intense",
    "user": "you asked for it",
}


def pause_lines(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """One sentence per grounding pause for the debrief: when, why, and what came next."""
    out = []
    for event in events:
        if event["event"] == "offered":
            why = _TRIGGERS.get(event.get("trigger", ""), "the scene paused")
            out.append(f"Turn {event['turn']}: a pause to breathe ({why}).")
        elif event["event"] == "continued":
            out.append(f"Turn {event['turn']}: you carried on with the scene as it was.")
        elif event["event"] == "stepped_down":
            out.append(
                f"Turn {event['turn']}: you stepped it down; the character eased off "
                f"(difficulty {event.get('difficulty', 'lower')})."
            )
        elif event["event"] == "stopped":
            out.append(f"Turn {event['turn']}: you stopped there, which is a fine choice.")
    return out
