"""The role-play state machine.

    START           -> open_scene -> user_turn (waits for the user: an interrupt)
    user_turn       -> screen_turn | user_turn (a step-back or invite)
                       | grounding_pause (/pause) | debrief (ended)
    screen_turn     -> assess | safety_pause (the screen saw real risk)
    safety_pause    -> user_turn (they say they are safe) | safety_pause | debrief
    assess          -> direct (several characters) | character_reply (one: nobody to
                       choose) | grounding_pause (the words or the state got intense)
    grounding_pause -> direct (continue or step down) | user_turn (the user's own /pause)
                       | debrief (stop)
    direct          -> character_reply (the director chose a speaker)
                       | user_turn | debrief (end condition or max turns reached)
    character_reply -> direct (several characters: another may answer, up to the
                       turn's cap) | user_turn | debrief (one character, as after direct)
    debrief         -> END

The crisis screen is local and deterministic, so the pause works with the model down.

The four nodes every turn passes through (user_turn, screen_turn, assess,
character_reply) choose where the run goes next themselves, returning a ``Command``
with their update. A conditional edge would have LangGraph build a fresh copy of the
whole state for its router after each of them (about 0.2 ms each, four times a turn;
issue #9). The other nodes route with conditional edges.

``builder`` is the uncompiled graph so that callers compile it with their own
checkpointer (SQLite by default, PostgreSQL to scale out, in-memory in tests).
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from simulator.context import Context
from simulator.grounding import pause_node
from simulator.grounding import route_after_pause as route_after_grounding
from simulator.nodes import (
    assess,
    character_reply,
    debrief,
    direct,
    open_scene,
    route_after_direct,
    route_after_pause,
    safety_pause,
    screen_turn,
    user_turn,
)
from simulator.state import InputState, State

__all__ = ["builder", "graph"]

builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("open_scene", open_scene)
builder.add_node("user_turn", user_turn)
builder.add_node("screen_turn", screen_turn)
builder.add_node("safety_pause", safety_pause)
builder.add_node("assess", assess)
builder.add_node("grounding_pause", pause_node)
builder.add_node("direct", direct)
builder.add_node("character_reply", character_reply)
builder.add_node("debrief", debrief)
builder.add_edge(START, "open_scene")
builder.add_edge("open_scene", "user_turn")
builder.add_conditional_edges("safety_pause", route_after_pause)
builder.add_conditional_edges("grounding_pause", route_after_grounding)
builder.add_conditional_edges("direct", route_after_direct)
builder.add_edge("debrief", END)

# For LangGraph Server and quick experiments; sessions use builder.compile(checkpointer=...).
graph = builder.compile(name="Rehearse")
