"""The role-play graph's state: what a session holds between turns.

Everything else (the current hidden values, revealed facts, goal progress) is derived
from these fields, so a checkpoint never disagrees with itself.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = ["EndedBy", "InputState", "State", "TurnRecord"]

EndedBy = Literal["user", "condition", "max_turns"]

# One entry per assessed turn (turn 0 is the scene's start):
#   {"turn": int, "values": {var: float}, "deltas": {var: float}, "moves": [str],
#    "goals": [goal ids this turn is evidence for], "source": "model" | "rules", "note": str,
#    "addressed": [persona ids the line was addressed to; scenes with several characters]}
# With several characters the variable names are qualified by persona id
# ("inner-critic.trust"): each character has its own copy (see Scenario.variables).
TurnRecord = dict[str, Any]


@dataclass(kw_only=True)
class InputState:
    """What a caller provides to start a session."""

    scenario_id: str
    difficulty: Literal["easy", "medium", "hard"] = "medium"


@dataclass(kw_only=True)
class State(InputState):
    """The full state of one practice session."""

    # The transcript. Character lines carry the persona id as ``name``.
    messages: Annotated[list[AnyMessage], add_messages] = field(default_factory=list)
    # How many turns the user has taken.
    turn: int = 0
    # The hidden state after every turn, appended by the assessment.
    trajectory: Annotated[list[TurnRecord], operator.add] = field(default_factory=list)
    # Set when the user ends the scene themselves.
    user_ended: bool = False
    # The crisis screen's log: {"turn", "event": "flagged" | "still_paused" | "resumed" |
    # "ended", "category", "matched"}. Never dropped; shown in the debrief.
    safety: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    # Persona ids out of the conversation now: stepped back by the user, or not yet invited.
    # Replaced whole on every change (the last value wins).
    stepped_back: list[str] = field(default_factory=list)
    # {"turn", "event": "step_back" | "invite", "speaker": persona id}, in order.
    presence: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    # What the user's latest input was: a spoken "line", a "stage" change (step back,
    # invite), which routes straight back to the user without a turn, or a "pause" they
    # asked for (a grounding exercise).
    action: Literal["line", "stage", "pause"] = "line"
    # The director's decisions: {"turn", "speaker": persona id | None, "source":
    # "only" | "address" | "all" | "model" | "activation" | "answer", "reason": str}.
    director: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    # Who speaks next, set by the director and cleared by the character's reply.
    next_speaker: str | None = None
    # Grounding pauses (simulator.grounding): {"turn", "event": "offered", "trigger":
    # "words" | "state" | "user", "matched"}, then {"turn", "event": "continued" |
    # "stepped_down" | "stopped", ...}. Never dropped; shown in the debrief.
    grounding: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    # Written once by the debrief node; its presence means the session is finished.
    debrief: dict[str, Any] | None = None

    @property
    def paused(self) -> bool:
        """Whether the role-play is paused by the crisis screen."""
        return bool(self.safety) and self.safety[-1]["event"] in ("flagged", "still_paused")

    @property
    def grounding_pending(self) -> bool:
        """Whether a grounding pause has been offered and not yet answered."""
        return bool(self.grounding) and self.grounding[-1]["event"] == "offered"

    @property
    def values(self) -> dict[str, float]:
        """The current hidden state values."""
        return dict(self.trajectory[-1]["values"]) if self.trajectory else {}
