"""The nodes of the role-play graph and its routers.

See :mod:`simulator.graph` for how they connect. Each node returns a partial update.
``user_turn`` and ``safety_pause`` do nothing before ``interrupt`` because resuming
re-runs a node from its start.
"""

from __future__ import annotations

import re
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
from simulator.safety import crisis_resources, safety_message, screen
from simulator.schema import Persona, compiled
from simulator.state import State

__all__ = [
    "SAFE_REPLY",
    "assess",
    "character_reply",
    "debrief",
    "open_scene",
    "route_after_pause",
    "route_after_reply",
    "route_after_screen",
    "route_after_user",
    "safety_pause",
    "screen_turn",
    "user_turn",
]

# "I'm safe", "yes, I am okay", "I'm fine now": a clear statement that the user is safe.
SAFE_REPLY = re.compile(
    r"^\W*(?:yes|yeah|yep|yes,? )?\W*(?:i'?m|i am|im)\s+(?:safe|ok|okay|fine|alright|all right)\b"
    r"|^\W*(?:yes|yeah|yep)\W*(?:i'?m|i am)?\W*(?:safe)?\W*$",
    re.IGNORECASE,
)
_NOT_SAFE = re.compile(
    r"\b(?:not|n't|never|un)\s*(?:really\s+)?(?:safe|ok|okay|fine|alright)\b", re.IGNORECASE
)


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
        if message.additional_kwargs.get("out_of_scene"):
            continue  # a line the crisis screen took out of the role-play
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
    chunks = ctx.model.stream(prompt, max_tokens=ctx.reply_tokens)
    stream = _ModelStream(chunks)
    parts = []
    try:
        for piece in clean_stream(cleaner, iter(stream)):
            parts.append(piece)
            write({"speaker": persona.id, "name": persona.name, "text": piece})
    except Exception as exc:
        # Raising keeps the checkpoint before this node: a half reply is never saved,
        # and the user's line is kept for a retry.
        raise ModelUnavailable(f"The model did not answer: {describe_failure(exc)}") from exc
    finally:
        # Once the reply is complete, closing the stream ends the request so the server
        # stops generating text nobody will see.
        chunks.close()
    if stream.cut_off and not cleaner.done:
        raise ModelUnavailable("The model did not answer: the reply was cut off mid-stream.")
    text = "".join(parts).strip() or "..."
    return {"messages": [AIMessage(content=text, name=persona.id)]}


class _ModelStream:
    """The text of a model's stream, noting whether the provider said it was finished.

    An OpenAI-compatible server whose connection drops mid-reply ends the stream
    quietly; only the missing ``finish_reason`` tells a cut-off reply from a whole one.
    """

    def __init__(self, chunks: Any) -> None:
        self._chunks = chunks
        self._reports = False  # the provider reports finish reasons at all
        self._finished = False

    def __iter__(self) -> Any:
        for chunk in self._chunks:
            meta = chunk.response_metadata
            self._reports = self._reports or "model_provider" in meta
            self._finished = self._finished or bool(meta.get("finish_reason"))
            yield str(chunk.content)

    @property
    def cut_off(self) -> bool:
        return self._reports and not self._finished


def debrief(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The debrief: always produced, with model-written parts marked when unavailable."""
    return {"debrief": build_debrief(state, runtime.context)}


def _previous_user_line(state: State) -> str | None:
    said = [m for m in state.messages if isinstance(m, HumanMessage)]
    return str(said[-2].content) if len(said) > 1 else None


def screen_turn(state: State) -> dict[str, Any]:
    """Screen the user's line for real risk, locally, before the character may answer."""
    line = state.messages[-1]
    result = screen(str(line.content), _previous_user_line(state))
    if not result.flagged:
        return {}
    # The line stays in the transcript, marked so the character never answers it.
    marked = HumanMessage(
        content=line.content,
        id=line.id,
        additional_kwargs={**line.additional_kwargs, "out_of_scene": True},
    )
    event = {
        "turn": state.turn,
        "event": "flagged",
        "category": result.category,
        "matched": result.matched,
    }
    return {"messages": [marked], "safety": [event]}


def safety_pause(state: State) -> dict[str, Any]:
    """Rehearse speaks as itself: resources, a check-in, and the way on only when safe.

    Resume with ``{"safe": True}``, ``{"end": True}`` or ``{"text": ...}`` (a reply to
    the check-in, which continues the practice only if it clearly says they are safe).
    """
    answer = interrupt(
        {
            "awaiting": "safety",
            "turn": state.turn,
            "message": safety_message(),
            "resources": crisis_resources(),
        }
    )
    if isinstance(answer, str):
        answer = {"text": answer}
    if not isinstance(answer, dict):
        raise TypeError(f"safety_pause expects a dict or str, got {type(answer).__name__}")
    base = {"turn": state.turn, "category": state.safety[-1]["category"]}
    if answer.get("end"):
        return {"user_ended": True, "safety": [{**base, "event": "ended", "matched": ""}]}
    text = str(answer.get("text", "")).strip()
    risk = screen(text) if text else None
    safe = bool(answer.get("safe")) or (
        bool(SAFE_REPLY.search(text)) and not _NOT_SAFE.search(text) and not (risk and risk.flagged)
    )
    event = "resumed" if safe else "still_paused"
    return {
        "safety": [{**base, "event": event, "matched": risk.matched if risk else "", "reply": text}]
    }


def route_after_user(state: State) -> Literal["screen_turn", "debrief"]:
    return "debrief" if state.user_ended else "screen_turn"


def route_after_screen(state: State) -> Literal["assess", "safety_pause"]:
    return "safety_pause" if state.paused else "assess"


def route_after_pause(state: State) -> Literal["user_turn", "safety_pause", "debrief"]:
    if state.user_ended:
        return "debrief"
    return "safety_pause" if state.paused else "user_turn"


def route_after_reply(state: State, runtime: Runtime[Context]) -> Literal["user_turn", "debrief"]:
    scenario = runtime.context.scenario
    if state.turn >= scenario.end.max_turns:
        return "debrief"
    if scenario.end.when and compiled(scenario.end.when).holds(state.values):
        return "debrief"
    return "user_turn"
