"""The debrief: what worked, what moved the other person, and what to try next.

Everything is computed from the session's state except one model-written part (the
"try instead" rewrite of the weakest turn). When the model fails, that part says it is
unavailable and the rest of the debrief stands. The result is plain JSON-ready data;
:mod:`simulator.report` renders it for the terminal and for exports.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from simulator.coder import code_lines, move_counts, skill_summary
from simulator.coder.refine import model_coder_wanted, refine_codings
from simulator.expression import NO_REWRITE, listener_summary
from simulator.group_debrief import group_debrief
from simulator.learning import note_dicts
from simulator.moves import HELPFUL, count_moves
from simulator.prompts import REWRITE_SYSTEM, REWRITE_USER
from simulator.schema import Scenario, compiled
from simulator.transcript import Line, transcript, user_lines

if TYPE_CHECKING:
    from simulator.context import Context
    from simulator.state import State, TurnRecord

__all__ = ["DEBRIEF_VERSION", "build_debrief", "goal_verdicts", "state_movement"]

log = logging.getLogger(__name__)
_SPEAKER_TAG = re.compile(r"^\s*(?:\*\*)?[A-Z][\w .'-]{0,30}?(?:\*\*)?:\s+")
DEBRIEF_VERSION = 2  # 2: "skills" from the trained skill coder


def _progress(scenario: Scenario, record: TurnRecord) -> float:
    """How far one turn moved the state in the direction good practice moves it."""
    total = 0.0
    variables = scenario.variables()
    for name, delta in record["deltas"].items():
        var = variables.get(name)
        if var is not None:
            total += delta if var.desired == "up" else -delta
    return total


def _user_turns(trajectory: list[TurnRecord]) -> list[TurnRecord]:
    """The records of the user's turns: not the start, not a grounding step-down (the
    character eased off because the user paused, not because of what they said)."""
    return [r for r in trajectory[1:] if r.get("source") != "grounding"]


def _quote(lines: dict[int, str], turn: int) -> dict[str, Any]:
    return {"turn": turn, "quote": lines.get(turn, "")}


def goal_verdicts(
    scenario: Scenario, trajectory: list[TurnRecord], said: dict[int, str]
) -> list[dict[str, Any]]:
    """Each goal: met / partly / not_yet, with the user's lines as evidence."""
    out = []
    turns = _user_turns(trajectory)
    for goal in scenario.goals:
        evidence = [r["turn"] for r in turns if goal.id in r["goals"]]
        criteria: list[bool] = []
        reached_at = None
        closer = False
        if goal.met_when:
            condition = compiled(goal.met_when)
            reached_at = next((r["turn"] for r in turns if condition.holds(r["values"])), None)
            criteria.append(reached_at is not None)
            start, end = trajectory[0]["values"], trajectory[-1]["values"]
            closer = condition.distance(end) < condition.distance(start)
        if goal.evidence_moves or goal.keywords or not criteria:
            criteria.append(bool(evidence))
        if all(criteria):
            verdict = "met"
        elif any(criteria) or evidence or closer:
            verdict = "partly"
        else:
            verdict = "not_yet"
        cited = sorted(set(evidence + ([reached_at] if reached_at else [])))
        out.append(
            {
                "id": goal.id,
                "description": goal.description,
                "success": goal.success,
                "verdict": verdict,
                "condition": goal.met_when,
                "condition_reached_at": reached_at,
                "evidence": [_quote(said, t) for t in cited],
            }
        )
    return out


def state_movement(
    scenario: Scenario, trajectory: list[TurnRecord], said: dict[int, str]
) -> dict[str, Any]:
    """The hidden state turn by turn, and the turns that moved each variable most."""
    variables = {}
    for name, var in scenario.variables().items():
        moves = [(r["deltas"].get(name, 0.0), r["turn"]) for r in _user_turns(trajectory)]
        rise = max(moves, default=(0.0, None))
        drop = min(moves, default=(0.0, None))
        variables[name] = {
            "start": var.start,
            "end": trajectory[-1]["values"].get(name, var.start),
            "desired": var.desired,
            "biggest_rise": ({"change": rise[0], **_quote(said, rise[1])} if rise[0] > 0 else None),
            "biggest_drop": ({"change": drop[0], **_quote(said, drop[1])} if drop[0] < 0 else None),
        }
    scored = [(_progress(scenario, r), r["turn"]) for r in _user_turns(trajectory)]
    best = max(scored, default=(0.0, None))
    worst = min(scored, default=(0.0, None))
    return {
        "turns": [
            {"turn": r["turn"], "values": r["values"], "source": r["source"], "note": r["note"]}
            for r in trajectory
        ],
        "variables": variables,
        "best_turn": {"progress": best[0], **_quote(said, best[1])} if best[0] > 0 else None,
        "worst_turn": {"progress": worst[0], **_quote(said, worst[1])} if worst[0] < 0 else None,
    }


def _weakest_turn(scenario: Scenario, trajectory: list[TurnRecord]) -> int | None:
    """The turn that helped least: least progress, then fewest helpful moves, then earliest."""
    turns = _user_turns(trajectory)
    if not turns:
        return None
    chosen = min(
        turns,
        key=lambda r: (_progress(scenario, r), len(HELPFUL.intersection(r["moves"])), r["turn"]),
    )
    return int(chosen["turn"])


def _try_instead(ctx: Context, lines: list[Line], turn: int | None) -> dict[str, Any]:
    said = user_lines(lines)
    if turn is None:
        return {
            "turn": None,
            "original": None,
            "rewrite": None,
            "unavailable": "There was no turn of yours to rewrite.",
        }
    scenario = ctx.scenario
    before = [line.text for line in lines if line.turn == turn - 1 and line.speaker != "you"]
    goals = "; ".join(g.description for g in scenario.goals)
    try:
        reply = ctx.model.invoke(
            [
                ("system", REWRITE_SYSTEM.format(user_role=scenario.user_role, goals=goals)),
                (
                    "human",
                    REWRITE_USER.format(
                        name=scenario.persona().name,
                        previous=before[-1] if before else "",
                        line=said[turn],
                    ),
                ),
            ],
            max_tokens=120,  # a line of speech, not an essay
        )
        rewrite = " ".join(str(reply.content).split()).strip('"')
        # Small models label the line ("You: ...", "Jordan: ..."): keep only the words.
        rewrite = _SPEAKER_TAG.sub("", rewrite, count=1).strip('"')
        if not rewrite:
            raise ValueError("the model returned an empty rewrite")
        return {"turn": turn, "original": said[turn], "rewrite": rewrite, "unavailable": None}
    except Exception as exc:  # the debrief must survive any model failure
        log.info("rewrite unavailable: %s", exc)
        return {
            "turn": turn,
            "original": said[turn],
            "rewrite": None,
            "unavailable": f"The model could not write a suggestion ({type(exc).__name__}).",
        }


def _next_practice(
    scenario: Scenario, difficulty: str, goals: list[dict[str, Any]], moves: dict[str, int]
) -> str:
    open_goals = [g for g in goals if g["verdict"] != "met"]
    if open_goals:
        goal = open_goals[0]
        advice = f"Practise this again with one aim: {goal['description']} ({goal['success']})"
    elif difficulty != "hard":
        harder = "hard" if difficulty == "medium" else "medium"
        advice = f"You met every goal. Try the scene again at {harder} difficulty."
    else:
        advice = f"You met every goal at hard difficulty. Try another {scenario.category} scene."
    if not moves.get("open_question"):
        advice += " Open with a what or how question before you explain yourself."
    elif not moves.get("reflection"):
        advice += " Add one reflection: say back what you heard before you answer it."
    return advice


def build_debrief(state: State, ctx: Context) -> dict[str, Any]:
    scenario = ctx.scenario
    lines = transcript(state.messages, scenario)
    said = user_lines(lines)
    trajectory = state.trajectory
    goals = goal_verdicts(scenario, trajectory, said)
    # The trained coder counts questions, reflections and advice; the regex reader keeps
    # the moves the coder does not code (empathy, needs, blame...).
    codings = code_lines(lines)
    moves = {**count_moves(said.values()), **move_counts(codings)}
    if state.user_ended:
        ended_by = "user"
    elif scenario.end.when and compiled(scenario.end.when).holds(state.values):
        ended_by = "condition"
    else:
        ended_by = "max_turns"
    result = {
        "version": DEBRIEF_VERSION,
        "scenario": {"id": scenario.id, "title": scenario.title, "category": scenario.category},
        "difficulty": state.difficulty,
        "ended_by": ended_by,
        "user_turns": state.turn,
        "goals": goals,
        "state": state_movement(scenario, trajectory, said),
        "moves": moves,
        "skills": skill_summary(codings, plain=scenario.category != "clinical-practice"),
        "try_instead": (
            NO_REWRITE  # a free expression scene: the user's words are not to be corrected
            if scenario.category == "expression"
            else _try_instead(ctx, lines, _weakest_turn(scenario, trajectory))
        ),
        "next_practice": _next_practice(scenario, state.difficulty, goals, moves),
        "learning_note": scenario.learning.after,
        # A copy of each technique note, so an export keeps the notes it links to.
        "techniques": note_dicts(scenario),
        "safety": [dict(event) for event in state.safety],
        # Grounding pauses and what the user chose after each (simulator.grounding).
        "grounding": [dict(event) for event in state.grounding],
    }
    if scenario.category == "expression":
        # What the user said, in their own words (a capable model may write it).
        model = ctx.model if ctx.assessor == "model" else None
        result["expression"] = listener_summary(lines, model)
        result["next_practice"] = "Come back whenever you want to put something into words."
    if scenario.is_group:
        # Several characters: "characters", "journal" and (inner parts) "parts_work".
        result.update(group_debrief(state, ctx, lines))
    if ctx.assessor == "model" and model_coder_wanted():
        # A capable model may correct the offline codes (simulator/coder/refine.py); the
        # offline coder stays the fallback, and "coder" says which had the last word.
        codings, coder = refine_codings(codings, ctx.model)
        result["skills"] = {
            **skill_summary(codings, plain=scenario.category != "clinical-practice"),
            "coder": coder,
        }
        result["moves"].update(move_counts(codings))
    return result
