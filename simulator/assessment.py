"""How one user turn moves the character's hidden state and the user's goals.

Two assessors share one result shape (:class:`TurnAssessment`):

- the model's structured output, when the context asks for it;
- a deterministic rule-based assessment from the turn's moves, used when the model is
  not asked, cannot do structured output, times out or returns nonsense. A session
  never fails because a model could not judge a turn.

Difficulty scales the rules: an easy character rewards good moves more and punishes
bad ones less; a hard one the other way round.

With several characters, a line moves the state of the characters it was addressed to,
or of everyone present when it named nobody; a character that stepped back is not
moved. In inner-parts scenes with several parts the rules read the user's *stance*
(:func:`stance`): curiosity and compassion (open questions, reflections, empathy) soften
a part; arguing with it or dismissing it hardens it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from simulator.moves import HARMFUL, HELPFUL, analyse
from simulator.prompts import ASSESSOR_SYSTEM, ASSESSOR_USER
from simulator.schema import Scenario

__all__ = [
    "ARGUING",
    "COMPASSION",
    "CURIOSITY",
    "StateChange",
    "TurnAssessment",
    "assess_turn",
    "by_model",
    "by_rules",
    "stance",
]

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


# The user's stance toward a part (inner-parts scenes): which moves count as which.
CURIOSITY = frozenset({"open_question", "reflection"})
COMPASSION = frozenset({"empathy"})
ARGUING = frozenset({"blame", "dismissal", "threat", "arguing"})

# Arguing with a part: contradicting it, ordering it about, telling it it is wrong.
_ARGUING = re.compile(
    r"\b(?:that(?:'s| is) (?:not true|wrong|ridiculous|silly|stupid|nonsense)|you(?:'re| are) "
    r"wrong|you(?:'re| are) not (?:helping|real)|stop (?:it|that|talking|worrying)|go away|"
    r"leave me alone|be quiet|just relax|you have to|you need to|you should|snap out of|"
    r"there's nothing to (?:be )?(?:afraid|scared|worried))\b|^\s*no[,.!]",
    re.IGNORECASE,
)


def stance(text: str) -> frozenset[str]:
    """The user's stance in one line toward a part: its moves plus ``arguing``.

    ``stance(text) & (CURIOSITY | COMPASSION)`` is the "Self" stance; ``& ARGUING`` is
    arguing with or dismissing the part.
    """
    moves = set(analyse(text))
    if any(_ARGUING.search(sentence) for sentence in re.split(r"(?<=[.!?])\s+", text)):
        moves.add("arguing")
    return frozenset(moves)


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


def by_rules(
    scenario: Scenario, difficulty: str, text: str, targets: Sequence[str] | None = None
) -> TurnAssessment:
    """The deterministic assessment: helpful moves build rapport, harmful ones break it.

    ``targets``: the persona ids whose state the line moves (default: everyone's).
    """
    moves = analyse(text)
    reward, penalty = SCALE[difficulty]
    good, bad = HELPFUL, HARMFUL
    if scenario.is_group and scenario.category == "inner-parts":
        moves = stance(text)
        good, bad = CURIOSITY | COMPASSION, ARGUING
    helpful, harmful = len(moves & good), len(moves & bad)
    # Diminishing returns: a second good move in one turn adds half as much as the first.
    quality = reward * (1 + 0.5 * (helpful - 1)) if helpful else 0.0
    quality -= penalty * (1.5 + 0.5 * (harmful - 1)) if harmful else 0.0
    if "advice" in moves and not moves & good:
        quality -= 0.5 * penalty  # advice before understanding usually lands as pressure
    quality = _clamp(quality, -MAX_STEP, MAX_STEP)
    changes = [
        StateChange(variable=name, change=quality if var.desired == "up" else -quality)
        for name, var in scenario.variables().items()
        if quality and (targets is None or scenario.owner(name) in targets)
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
    targets: Sequence[str] | None = None,
) -> TurnAssessment:
    """The model's judgement through structured output; raises when it cannot give one."""
    persona = scenario.persona()
    name = persona.name
    if scenario.is_group:
        ids = list(targets) if targets else [m.persona_id for m in scenario.cast]
        name = " and ".join(scenario.persona(i).name for i in ids)
    variables = "\n".join(
        f"- {var_name} ({var.min:g}-{var.max:g}, good practice moves it {var.desired})"
        + (f": {var.description}" if var.description else "")
        for var_name, var in scenario.variables().items()
        if targets is None or scenario.owner(var_name) in targets
    )
    goals = "\n".join(f"- {g.id}: {g.description} Success: {g.success}" for g in scenario.goals)
    system = ASSESSOR_SYSTEM.format(
        user_role=scenario.user_role,
        name=name,
        goals=goals,
        variables=variables,
        values=", ".join(f"{k}={v:g}" for k, v in values.items()),
    )
    user = ASSESSOR_USER.format(name=name, previous=previous, line=text)
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
    targets: Sequence[str] | None = None,
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
            result = by_model(model, scenario, values, previous, text, targets)
            source = "model"
        except Exception as exc:  # any failure of the judge falls back to the rules
            log.info("model assessment unavailable, using rules: %s", exc)
    if result is None:
        result = by_rules(scenario, difficulty, text, targets)
    deltas: dict[str, float] = {}
    new_values = dict(values)
    variables = scenario.variables()
    for change in result.changes:
        var = variables.get(change.variable)
        if var is None or (targets is not None and scenario.owner(change.variable) not in targets):
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
