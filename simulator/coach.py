"""Coaching hints during the scene, from the model with a deterministic fallback."""

from __future__ import annotations

import logging

from simulator.context import Context
from simulator.debrief import goal_verdicts
from simulator.moves import count_moves
from simulator.prompts import HINT_SYSTEM, HINT_USER
from simulator.state import State
from simulator.transcript import transcript, user_lines

__all__ = ["hint", "rule_hint"]

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
