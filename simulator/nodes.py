"""The nodes of the role-play graph and its routers.

open_scene -> user_turn (interrupt) -> assess -> character_reply -> user_turn ... -> debrief

Each node returns a partial update. ``user_turn`` does nothing before ``interrupt``
because resuming re-runs the node from its start.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from simulator.assessment import assess_turn
from simulator.character import ReplyCleaner, character_prompt, clean_stream
from simulator.context import Context
from simulator.debrief import build_debrief
from simulator.errors import ModelUnavailable, describe_failure
from simulator.moves import analyse
from simulator.schema import Persona, compiled
from simulator.state import State

__all__ = [
    "assess",
    "character_reply",
    "debrief",
    "open_scene",
    "route_after_reply",
    "route_after_user",
    "user_turn",
]


def open_scene(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Every cast member says their opening line; the hidden state starts."""
    scenario = runtime.context.scenario
    lines = [AIMessage(content=m.opening_line, name=m.persona_id) for m in scenario.cast]
    start = {
        "turn": 0,
        "values": scenario.start_state(),
        "deltas": {},
        "moves": [],
        "goals": [],
        "source": "start",
        "note": "Start of the scene.",
    }
    return {"messages": lines, "trajectory": [start]}


def user_turn(state: State) -> dict[str, Any]:
    """Wait for the user. Resume with ``{"text": ...}`` to speak or ``{"end": True}``."""
    answer = interrupt({"awaiting": "user", "turn": state.turn + 1})
    if isinstance(answer, str):
        answer = {"text": answer}
    if not isinstance(answer, dict):
        raise TypeError(f"user_turn expects a dict or str to resume, got {type(answer).__name__}")
    if answer.get("end"):
        return {"user_ended": True}
    text = str(answer.get("text", "")).strip()
    if not text:
        raise ValueError("an empty user turn cannot be sent")
    return {"messages": [HumanMessage(content=text)], "turn": state.turn + 1}


def _last_character_line(messages: list[AnyMessage]) -> str:
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage):
            return str(message.content)
    return ""


def assess(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Move the hidden state and record goal evidence for the user's latest line."""
    ctx = runtime.context
    text = str(state.messages[-1].content)
    values, deltas, goals, note, source = assess_turn(
        model=ctx.model if ctx.assessor == "model" else None,
        scenario=ctx.scenario,
        difficulty=state.difficulty,
        values=state.values,
        previous=_last_character_line(state.messages),
        text=text,
    )
    record = {
        "turn": state.turn,
        "values": values,
        "deltas": deltas,
        "moves": sorted(analyse(text)),
        "goals": goals,
        "source": source,
        "note": note,
    }
    return {"trajectory": [record]}


def _conversation(state: State, persona: Persona) -> list[AnyMessage]:
    """The transcript from this character's point of view."""
    out: list[AnyMessage] = []
    for message in state.messages:
        if isinstance(message, AIMessage) and message.name == persona.id:
            out.append(AIMessage(content=message.content))
        elif isinstance(message, AIMessage):
            out.append(HumanMessage(content=f"({message.name}) {message.content}"))
        else:
            out.append(HumanMessage(content=message.content))
    return out


def character_reply(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The character answers in voice; clean text is streamed as it arrives."""
    ctx = runtime.context
    member = ctx.scenario.cast[0]
    persona = member.persona
    assert isinstance(persona, Persona)
    prompt = [
        SystemMessage(
            content=character_prompt(ctx.scenario, member, state.difficulty, state.trajectory)
        )
    ]
    prompt += _conversation(state, persona)
    write = get_stream_writer()
    cleaner = ReplyCleaner(persona.name)
    raw = (str(chunk.content) for chunk in ctx.model.stream(prompt, max_tokens=ctx.reply_tokens))
    parts = []
    try:
        for piece in clean_stream(cleaner, raw):
            parts.append(piece)
            write({"speaker": persona.id, "name": persona.name, "text": piece})
    except Exception as exc:
        # Raising keeps the checkpoint before this node: a half reply is never saved,
        # and the user's line is kept for a retry.
        raise ModelUnavailable(f"The model did not answer: {describe_failure(exc)}") from exc
    text = "".join(parts).strip() or "..."
    return {"messages": [AIMessage(content=text, name=persona.id)]}


def debrief(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The debrief: always produced, with model-written parts marked when unavailable."""
    return {"debrief": build_debrief(state, runtime.context)}


def route_after_user(state: State) -> Literal["assess", "debrief"]:
    return "debrief" if state.user_ended else "assess"


def route_after_reply(state: State, runtime: Runtime[Context]) -> Literal["user_turn", "debrief"]:
    scenario = runtime.context.scenario
    if state.turn >= scenario.end.max_turns:
        return "debrief"
    if scenario.end.when and compiled(scenario.end.when).holds(state.values):
        return "debrief"
    return "user_turn"
