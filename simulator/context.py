"""Run-time settings of the role-play graph, passed as ``context=`` on every call.

They are not checkpointed: a session resumed later gets the context of that run
(the same scenario by id, possibly another model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from simulator.errors import RehearseError
from simulator.schema import Scenario

__all__ = ["Context", "context_of"]


@dataclass(kw_only=True)
class Context:
    """What a run of the graph needs besides its state."""

    scenario: Scenario
    model: BaseChatModel
    # "model": structured output from the model, falling back to rules when it fails;
    # "rules": the deterministic assessment only (right for tiny models that cannot judge).
    assessor: Literal["model", "rules"] = "model"
    # Longest character reply, in tokens: real people speak in short turns.
    reply_tokens: int = 160
    # Where a character's reply goes piece by piece as it streams. Rehearsal passes one
    # (see simulator/session.py: LangGraph's "custom" stream mode would run every step
    # of the turn in a worker thread); without it, LangGraph's stream writer gets them,
    # as under LangGraph Server.
    on_token: Callable[[dict[str, Any]], None] | None = None


def context_of(runtime: Runtime[Context]) -> Context:
    """The run's context; a run started without one (LangGraph Server, a script) is told
    what to pass instead of failing on a missing attribute deep in a node."""
    if runtime.context is None:
        raise RehearseError(
            'This run has no context: pass context={"scenario_id": "..."} with every run '
            "(see simulator/server_graph.py), or use simulator.session.Rehearsal."
        )
    return runtime.context
