"""The coach beside the scene: hints on request, tips after a setback.

Both come from the model when it can judge (``assessor == "model"``) and from rules
otherwise or whenever the model fails, so the coach works with the endpoint down. The
coach only reads the session: what it says is shown outside the scene, is never added
to the transcript and never reaches the character's prompt or hidden state.

A *tip* follows a turn that moved the character's state the wrong way, when the
scenario's author enabled it (``coach.tips_after_wrong_turn``): :func:`setback` compares
the state before and after the turn with the scenario's goals (each variable's
``desired`` direction, and each open goal's ``met_when`` condition).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from simulator.assessment import stance
from simulator.context import Context
from simulator.debrief import goal_verdicts
from simulator.moves import analyse, count_moves
from simulator.prompts import HINT_SYSTEM, HINT_USER, TIP_SYSTEM, TIP_USER
from simulator.schema import Scenario, compiled
from simulator.state import State
from simulator.transcript import transcript, user_lines

__all__ = ["Setback", "hint", "rule_hint", "rule_tip", "setback", "tip"]

log = logging.getLogger(__name__)

_MOVE_HINTS = {
    "open_question": "Try an open question (what or how) to find out what matters to them.",
    "reflection": "Say back what you just heard in your own words before answering it.",
    "need_statement": "State your own need plainly, in one sentence that starts with 'I'.",
    "empathy": "Acknowledge how this might feel for them before you make your point.",
}


def rule_hint(ctx: Context, state: State) -> str:
    """A hint from the first open goal and the helpful move used least so far."""
    lines = transcript(state.messages, ctx.scenario)
    said = user_lines(lines)
    verdicts = goal_verdicts(ctx.scenario, state.trajectory, said)
    open_goals = [g for g in verdicts if g["verdict"] != "met"]
    goal = next((g for g in ctx.scenario.goals if open_goals and g.id == open_goals[0]["id"]), None)
    counts = count_moves(said.values())
    wanted = [m for m in (goal.evidence_moves if goal else []) if m in _MOVE_HINTS]
    wanted += [m for m in _MOVE_HINTS if m not in wanted]
    move = min(wanted, key=lambda m: counts.get(m, 0))
    if goal is None:
        return f"Your goals look met. {_MOVE_HINTS[move]}"
    return f"Still open: {goal.description} {_MOVE_HINTS[move]}"


def hint(ctx: Context, state: State) -> str:
    """One short hint for the user's next line; never fails."""
    if ctx.assessor == "rules":  # a model too small to judge is too small to coach
        return rule_hint(ctx, state)
    lines = transcript(state.messages, ctx.scenario)
    said = user_lines(lines)
    verdicts = goal_verdicts(ctx.scenario, state.trajectory, said)
    goals = "; ".join(g["description"] for g in verdicts if g["verdict"] != "met") or "all met"
    text = "\n".join(f"{line.name}: {line.text}" for line in lines[-8:])
    try:
        reply = ctx.model.invoke(
            [
                ("system", HINT_SYSTEM.format(user_role=ctx.scenario.user_role, goals=goals)),
                ("human", HINT_USER.format(transcript=text)),
            ],
            max_tokens=80,  # one sentence
        )
        answer = " ".join(str(reply.content).split())
        if answer:
            return answer
    except Exception as exc:  # a hint is optional; the rules always have one
        log.info("model hint unavailable: %s", exc)
    return rule_hint(ctx, state)


# --- tips after a turn that went the wrong way ---------------------------------------

# The first of the user's moves that explains a setback, and what to try instead.
_TIPS = (
    ("blame", "Blame sounds like a verdict: describe one specific moment, or ask what happened."),
    ("dismissal", "Acknowledge the feeling before you move on: it is real to them."),
    ("threat", "Leave the ultimatum aside; say what you need and ask what they can do."),
    (
        "arguing",
        "Parts soften when they feel heard, not argued with: ask what it is afraid would happen.",
    ),
    ("advice", "Hold the advice for now: ask what they think, or say back what you heard."),
    ("closed_question", "Open the question up: what or how invites more than yes or no."),
)
_NO_HELPFUL_MOVE = "Try a reflection: say back what you heard before making your point."
_STEADY = "Slow down: reflect what they just said before adding anything new."


@dataclass(frozen=True)
class Setback:
    """How one turn moved the state the wrong way."""

    turn: int
    loss: float  # how far, in the variables' desired directions (positive: the wrong way)
    variable: str | None  # the variable that moved most the wrong way
    change: float  # its change
    goal: str | None  # an open goal the turn moved away from (its description)


def _label(scenario: Scenario, variable: str) -> str:
    """'defensiveness', or in a group scene "the Critic's trust"."""
    if scenario.is_group and "." in variable:
        who, name = variable.split(".", 1)
        return f"{scenario.persona(who).name}'s {name.replace('_', ' ')}"
    return variable.replace("_", " ")


def setback(scenario: Scenario, trajectory: list[dict[str, Any]]) -> Setback | None:
    """The latest turn's setback, or None if it did not move the state the wrong way enough.

    A turn is a setback when the sum of its changes against each variable's ``desired``
    direction, or its step away from an open goal's ``met_when`` condition, reaches the
    scenario's ``coach.setback``.
    """
    if len(trajectory) < 2:
        return None
    before, record = trajectory[-2], trajectory[-1]
    variables = scenario.variables()
    worst: tuple[float, str | None, float] = (0.0, None, 0.0)
    progress = 0.0
    for name, delta in record["deltas"].items():
        var = variables.get(name)
        if var is None:
            continue
        signed = delta if var.desired == "up" else -delta
        progress += signed
        if signed < worst[0]:
            worst = (signed, name, delta)
    drift, goal = 0.0, None
    for g in scenario.goals:
        if not g.met_when:
            continue
        condition = compiled(g.met_when)
        if condition.holds(before["values"]):
            continue  # already reached before this turn: nothing to move away from
        step = condition.distance(record["values"]) - condition.distance(before["values"])
        if step > drift:
            drift, goal = step, g.description
    loss = max(-progress, drift)
    if loss < scenario.coach.setback:
        return None
    return Setback(int(record["turn"]), loss, worst[1], worst[2], goal)


def _moved(scenario: Scenario, found: Setback) -> str:
    if found.variable is None:
        return f"That moved away from a goal: {found.goal}"
    way = "up" if found.change > 0 else "down"
    label = _label(scenario, found.variable)
    return f"{label[:1].upper()}{label[1:]} went {way} ({found.change:+g})."


def rule_tip(ctx: Context, state: State, found: Setback) -> str:
    """A short tip from the moves of the turn that went the wrong way."""
    said = user_lines(transcript(state.messages, ctx.scenario)).get(found.turn, "")
    # "Arguing" (contradicting, ordering about) is read in parts work only: elsewhere
    # "you should" is advice, which has its own tip.
    moves = stance(said) if ctx.scenario.category == "inner-parts" else analyse(said)
    advice = next((text for move, text in _TIPS if move in moves), None)
    if advice is None:
        helpful = moves & {"open_question", "reflection", "empathy", "need_statement"}
        advice = _STEADY if helpful else _NO_HELPFUL_MOVE
    return f"{_moved(ctx.scenario, found)} {advice}"


def tip(ctx: Context, state: State) -> str | None:
    """A tip after the latest turn if it was a setback (and the author wants tips); never fails.

    None when tips are off or the turn did not move the state the wrong way.
    """
    if not ctx.scenario.coach.tips_after_wrong_turn:
        return None
    found = setback(ctx.scenario, state.trajectory)
    if found is None:
        return None
    if ctx.assessor == "rules":
        return rule_tip(ctx, state, found)
    lines = transcript(state.messages, ctx.scenario)
    said = user_lines(lines).get(found.turn, "")
    replies = " ".join(ln.text for ln in lines if ln.turn == found.turn and ln.speaker != "you")
    goals = "; ".join(g.description for g in ctx.scenario.goals)
    try:
        reply = ctx.model.invoke(
            [
                ("system", TIP_SYSTEM.format(user_role=ctx.scenario.user_role, goals=goals)),
                (
                    "human",
                    TIP_USER.format(line=said, reply=replies, moved=_moved(ctx.scenario, found)),
                ),
            ],
            max_tokens=80,  # one or two sentences
        )
        answer = " ".join(str(reply.content).split())
        if answer:
            return answer
    except Exception as exc:  # a tip is optional; the rules always have one
        log.info("model tip unavailable: %s", exc)
    return rule_tip(ctx, state, found)
