"""How one user turn moves the character's hidden state and the user's goals.

Two assessors share one result shape (:class:`TurnAssessment`):

- the model's structured output, when the context asks for it;
- a deterministic rule-based assessment from the turn's moves, used when the model is
  not asked, cannot do structured output, times out or returns nonsense. A session
  never fails because a model could not judge a turn.

Difficulty scales the rules: an easy character rewards good moves more and punishes
bad ones less; a hard one the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from simulator.moves import HARMFUL, HELPFUL, analyse
from simulator.prompts import ASSESSOR_SYSTEM, ASSESSOR_USER
from simulator.schema import Scenario

__all__ = ["StateChange", "TurnAssessment", "assess_turn", "by_model", "by_rules"]

log = logging.getLogger(__name__)

MAX_STEP = 2.0
# (reward for a helpful move, penalty for a harmful one) per difficulty.
SCALE = {"easy": (1.5, 0.6), "medium": (1.0, 1.0), "hard": (0.6, 1.5)}


class StateChange(BaseModel):
    variable: str = Field(description="Name of a hidden state variable.")
    change: float = Field(description="Change between -2 and 2.")


class TurnAssessment(BaseModel):
    """The model's structured judgement of one user turn."""

    changes: list[StateChange] = Field(description="One entry per variable that moves.")
    goals: list[str] = Field(description="Ids of goals this line is evidence for.")
    note: str = Field(description="One sentence on what the line did.")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _goal_evidence(scenario: Scenario, text: str, moves: frozenset[str]) -> list[str]:
    lowered = text.lower()
    return [
        goal.id
        for goal in scenario.goals
        if moves.intersection(goal.evidence_moves)
        or any(word.lower() in lowered for word in goal.keywords)
    ]


def by_rules(scenario: Scenario, difficulty: str, text: str) -> TurnAssessment:
    """The deterministic assessment: helpful moves build rapport, harmful ones break it."""
    moves = analyse(text)
    reward, penalty = SCALE[difficulty]
    helpful, harmful = len(moves & HELPFUL), len(moves & HARMFUL)
    # Diminishing returns: a second good move in one turn adds half as much as the first.
    quality = reward * (1 + 0.5 * (helpful - 1)) if helpful else 0.0
    quality -= penalty * (1.5 + 0.5 * (harmful - 1)) if harmful else 0.0
    if "advice" in moves and not moves & HELPFUL:
        quality -= 0.5 * penalty  # advice before understanding usually lands as pressure
    quality = _clamp(quality, -MAX_STEP, MAX_STEP)
    changes = [
        StateChange(variable=name, change=quality if var.desired == "up" else -quality)
        for name, var in scenario.state.items()
        if quality
    ]
    named = ", ".join(sorted(moves)) or "no clear move"
    return TurnAssessment(
        changes=changes, goals=_goal_evidence(scenario, text, moves), note=f"Rules: {named}."
    )


def by_model(
    model: BaseChatModel,
    scenario: Scenario,
    values: Mapping[str, float],
    previous: str,
    text: str,
) -> TurnAssessment:
    """The model's judgement through structured output; raises when it cannot give one."""
    persona = scenario.persona()
    variables = "\n".join(
        f"- {name} ({var.min:g}-{var.max:g}, good practice moves it {var.desired})"
        + (f": {var.description}" if var.description else "")
        for name, var in scenario.state.items()
    )
    goals = "\n".join(f"- {g.id}: {g.description} Success: {g.success}" for g in scenario.goals)
    system = ASSESSOR_SYSTEM.format(
        user_role=scenario.user_role,
        name=persona.name,
        goals=goals,
        variables=variables,
        values=", ".join(f"{k}={v:g}" for k, v in values.items()),
    )
    user = ASSESSOR_USER.format(name=persona.name, previous=previous, line=text)
    judge = model.with_structured_output(TurnAssessment)
    result = judge.invoke([("system", system), ("human", user)])
    if not isinstance(result, TurnAssessment):
        raise TypeError(f"structured output returned {type(result).__name__}")
    return result


def assess_turn(
    *,
    model: BaseChatModel | None,
    scenario: Scenario,
    difficulty: str,
    values: Mapping[str, float],
    previous: str,
    text: str,
) -> tuple[dict[str, float], dict[str, float], list[str], str, str]:
    """Assess one turn: ``(new values, applied deltas, goal ids, note, source)``.

    ``model=None`` means rules only. Model output is sanitised: unknown variables and
    goals are dropped and every change is clamped, so a confused model cannot push the
    state outside the scenario's bounds.
    """
    source = "rules"
    result: TurnAssessment | None = None
    if model is not None:
        try:
            result = by_model(model, scenario, values, previous, text)
            source = "model"
        except Exception as exc:  # any failure of the judge falls back to the rules
            log.info("model assessment unavailable, using rules: %s", exc)
    if result is None:
        result = by_rules(scenario, difficulty, text)
    deltas: dict[str, float] = {}
    new_values = dict(values)
    for change in result.changes:
        var = scenario.state.get(change.variable)
        if var is None:
            continue
        before = new_values.get(change.variable, var.start)
        after = _clamp(before + _clamp(change.change, -MAX_STEP, MAX_STEP), var.min, var.max)
        new_values[change.variable] = round(after, 2)
        deltas[change.variable] = round(after - before, 2)
    known_goals = {g.id for g in scenario.goals}
    goals = [g for g in dict.fromkeys(result.goals) if g in known_goals]
    if source == "model":
        # The deterministic evidence still counts: a model may miss an explicit ask.
        goals = list(dict.fromkeys(goals + _goal_evidence(scenario, text, analyse(text))))
    return new_values, deltas, goals, result.note, source
