"""The role-play state machine.

    START -> open_scene -> user_turn --(said something)--> assess -> character_reply
                              ^   |                                        |
                              |   +--(ended by the user)--> debrief -> END |
                              +-----------(scene goes on)------------------+
                                          (end condition / max turns) -> debrief

``builder`` is the uncompiled graph so that callers compile it with their own
checkpointer (SQLite by default, PostgreSQL to scale out, in-memory in tests).
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from simulator.context import Context
from simulator.nodes import (
    assess,
    character_reply,
    debrief,
    open_scene,
    route_after_reply,
    route_after_user,
    user_turn,
)
from simulator.state import InputState, State

__all__ = ["builder", "graph"]

builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("open_scene", open_scene)
builder.add_node("user_turn", user_turn)
builder.add_node("assess", assess)
builder.add_node("character_reply", character_reply)
builder.add_node("debrief", debrief)
builder.add_edge(START, "open_scene")
builder.add_edge("open_scene", "user_turn")
builder.add_conditional_edges("user_turn", route_after_user)
builder.add_edge("assess", "character_reply")
builder.add_conditional_edges("character_reply", route_after_reply)
builder.add_edge("debrief", END)

# For LangGraph Server and quick experiments; sessions use builder.compile(checkpointer=...).
graph = builder.compile(name="Rehearse")
