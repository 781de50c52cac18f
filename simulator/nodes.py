"""The nodes of the role-play graph and its routers.

See :mod:`simulator.graph` for how they connect. Each node returns a partial update.
``user_turn`` and ``safety_pause`` do nothing before ``interrupt`` because resuming
re-runs a node from its start.

With several characters, ``direct`` picks who speaks after each user line and after
each character line (see :mod:`simulator.director`); ``character_reply`` speaks as the
chosen one. With one character ``direct`` always picks it, once per turn.
"""

from __future__ import annotations

import re
import weakref
from typing import Any, Literal

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from simulator import grounding
from simulator.assessment import assess_turn
from simulator.character import ReplyCleaner, character_prompt, clean_stream
from simulator.context import Context, context_of
from simulator.debrief import build_debrief
from simulator.director import Addressing, addressing, choose
from simulator.errors import ModelUnavailable, describe_failure
from simulator.moves import analyse
from simulator.safety import crisis_resources, safety_message, screen
from simulator.schema import Persona, Scenario, compiled
from simulator.state import State

__all__ = [
    "SAFE_REPLY",
    "assess",
    "character_reply",
    "debrief",
    "direct",
    "open_scene",
    "route_after_direct",
    "route_after_pause",
    "route_after_reply",
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
    """Every cast member present says their opening line; the hidden state starts."""
    scenario = context_of(runtime).scenario
    lines = [
        AIMessage(content=m.opening_line, name=m.persona_id) for m in scenario.cast if m.present
    ]
    start = {
        "turn": 0,
        "values": scenario.start_state(),
        "deltas": {},
        "moves": [],
        "goals": [],
        "source": "start",
        "note": "Start of the scene.",
    }
    waiting = [m.persona_id for m in scenario.cast if not m.present]
    return {"messages": lines, "trajectory": [start], "stepped_back": waiting}


def _stage(state: State, scenario: Scenario, event: str, who: Any) -> dict[str, Any]:
    """Step a character back or invite one in; not a turn, so the user speaks next."""
    ids = [m.persona_id for m in scenario.cast]
    if who not in ids:
        raise ValueError(f"{who!r} is not in the cast ({', '.join(ids)})")
    away = [p for p in state.stepped_back if p != who]
    # "turn" is unchanged; it tells the session which turn an opening line belongs to.
    update: dict[str, Any] = {"action": "stage", "turn": state.turn}
    if event == "step_back":
        away.append(who)
    else:
        spoke = any(isinstance(m, AIMessage) and m.name == who for m in state.messages)
        if not spoke:  # a character invited for the first time opens with its line
            line = scenario.member(who).opening_line
            update["messages"] = [AIMessage(content=line, name=who)]
    update["stepped_back"] = [p for p in ids if p in away]
    update["presence"] = [{"turn": state.turn, "event": event, "speaker": who}]
    return update


def user_turn(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["screen_turn", "user_turn", "grounding_pause", "debrief"]]:
    """Wait for the user. Resume with ``{"text": ...}`` to speak or ``{"end": True}``.

    In a scene with several characters ``{"step_back": persona_id}`` and
    ``{"invite": persona_id}`` change who is present without taking a turn. A line
    goes to the crisis screen; an end to the debrief.
    """
    answer = interrupt({"awaiting": "user", "turn": state.turn + 1})
    if isinstance(answer, str):
        answer = {"text": answer}
    if not isinstance(answer, dict):
        raise TypeError(f"user_turn expects a dict or str to resume, got {type(answer).__name__}")
    if answer.get("end"):
        return Command(update={"user_ended": True}, goto="debrief")
    if answer.get("pause"):  # the user asks for a grounding pause; not a turn
        offered = {"turn": state.turn, "event": "offered", "trigger": "user", "matched": ""}
        return Command(update={"action": "pause", "grounding": [offered]}, goto="grounding_pause")
    for event in ("step_back", "invite"):
        if event in answer:
            staged = _stage(state, context_of(runtime).scenario, event, answer[event])
            return Command(update=staged, goto="user_turn")  # not a turn: the user again
    text = str(answer.get("text", "")).strip()
    if not text:
        raise ValueError("an empty user turn cannot be sent")
    line = {"messages": [HumanMessage(content=text)], "turn": state.turn + 1, "action": "line"}
    return Command(update=line, goto="screen_turn")


def _present(state: State, scenario: Scenario) -> list[str]:
    return [m.persona_id for m in scenario.cast if m.persona_id not in state.stepped_back]


def _last_character_line(messages: list[AnyMessage]) -> str:
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage):
            return str(message.content)
    return ""


def assess(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["direct", "character_reply", "grounding_pause"]]:
    """Move the hidden state and record goal evidence for the user's latest line.

    Then the scene pauses to breathe if the words or the state got intense; otherwise
    the director chooses who answers, or with one character it simply answers (the
    director's step would only say so, and every step costs each turn time; issue #9).
    """
    ctx = context_of(runtime)
    text = str(state.messages[-1].content)
    targets: list[str] | None = None
    if ctx.scenario.is_group:
        present = _present(state, ctx.scenario)
        spoken_to = addressing(ctx.scenario, text, present)
        # The addressed characters are moved, else everyone present; never the absent.
        targets = [p for p in spoken_to.speakers if p in present] or present
    values, deltas, goals, note, source = assess_turn(
        model=ctx.model if ctx.assessor == "model" else None,
        scenario=ctx.scenario,
        difficulty=state.difficulty,
        values=state.values,
        previous=_last_character_line(state.messages),
        text=text,
        targets=targets,
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
    if ctx.scenario.is_group:
        record["addressed"] = spoken_to.speakers
        record["to_all"] = spoken_to.to_all
    update: dict[str, Any] = {"trajectory": [record]}
    offered = grounding.should_offer(
        ctx.scenario,
        turn=state.turn,
        text=text,
        values=values,
        previous=state.values,
        log=state.grounding,
    )
    if offered is not None:  # the scene pauses before anyone answers
        update["grounding"] = [offered]
        return Command(update=update, goto="grounding_pause")
    return Command(update=update, goto="direct" if ctx.scenario.is_group else "character_reply")


def _turn_lines(state: State) -> list[AIMessage]:
    """The character lines spoken since the user's latest line."""
    out: list[AIMessage] = []
    for message in reversed(state.messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage):
            out.append(message)
    return out[::-1]


def _recent(state: State, scenario: Scenario, count: int = 8) -> str:
    names = {m.persona_id: scenario.persona(m.persona_id).name for m in scenario.cast}
    lines = [
        f"{names.get(m.name or '', m.name) if isinstance(m, AIMessage) else 'User'}: {m.content}"
        for m in state.messages
        if not m.additional_kwargs.get("out_of_scene")
    ]
    return "\n".join(lines[-count:])


def direct(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Decide who speaks next this turn (nobody: the user's turn comes back)."""
    ctx = context_of(runtime)
    scenario = ctx.scenario
    record = state.trajectory[-1]
    spoken = [d["speaker"] for d in state.director if d["turn"] == state.turn and d["speaker"]]
    lines = _turn_lines(state)
    before = [
        m.name
        for m in state.messages[: len(state.messages) - len(lines) - 1]
        if isinstance(m, AIMessage)
    ]
    decision = choose(
        scenario,
        present=_present(state, scenario),
        addressed=Addressing(
            speakers=record.get("addressed", []), to_all=record.get("to_all", False)
        ),
        user_line=str(
            next(m.content for m in reversed(state.messages) if isinstance(m, HumanMessage))
        ),
        deltas=record["deltas"],
        spoken=spoken,
        last_line=(lines[-1].name or "", str(lines[-1].content)) if spoken and lines else None,
        previous_speaker=before[-1] if before else None,
        model=ctx.model if ctx.assessor == "model" and scenario.is_group else None,
        recent=_recent(state, scenario) if scenario.is_group else "",
    )
    update: dict[str, Any] = {"next_speaker": decision["speaker"]}
    if decision["speaker"] is not None:
        update["director"] = [{"turn": state.turn, **decision}]
    return update


def _conversation(state: State, scenario: Scenario, persona: Persona) -> list[AnyMessage]:
    """The transcript from this character's point of view.

    With several characters every line the character did not say comes as the other
    side's message, tagged with who said it ("You: ...", "Dad: ..."), so it can answer
    the right person and never mistakes another's line for its own.
    """
    names = {m.persona_id: scenario.persona(m.persona_id).name for m in scenario.cast}
    out: list[AnyMessage] = []
    for message in state.messages:
        if message.additional_kwargs.get("out_of_scene"):
            continue  # a line the crisis screen took out of the role-play
        if isinstance(message, AIMessage) and message.name == persona.id:
            out.append(_seen(message, _OWN))
        elif isinstance(message, AIMessage):
            who = names.get(message.name or "", message.name)
            out.append(_seen(message, f"{who}: "))
        else:
            out.append(_seen(message, "You: " if scenario.is_group else ""))
    return out


# How the character sees each transcript line, for as long as the line itself lives.
# Between turns the checkpoint's memo (simulator/checkpoint_serde.py) hands back the
# same message objects, so a turn builds only the lines it added, not the whole
# transcript again (0.8 ms of CPU at turn 50, growing with the session; issue #9). An
# entry goes when its line is freed: a deleted session leaves none of its words here.
_OWN = "\0own"  # the character's own line: its words as its own, untagged
_views: dict[tuple[int, str], AnyMessage] = {}


def _seen(message: AnyMessage, tag: str) -> AnyMessage:
    """``message`` as the character sees it: its own line, or another's after ``tag``."""
    key = (id(message), tag)
    view = _views.get(key)
    if view is None:
        if tag == _OWN:
            view = AIMessage(content=message.content)
        else:
            view = HumanMessage(content=f"{tag}{message.content}" if tag else message.content)
        _views[key] = view
        weakref.finalize(message, _views.pop, key, None)
    return view


def character_reply(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["direct", "user_turn", "debrief"]]:
    """The chosen character answers in voice; clean text is streamed as it arrives.

    Then, with several characters, the director picks who (if anyone) speaks next; with
    one, its answer was the turn's only line: the user's turn, or the debrief if the
    scene has reached its end (the director's step would only say so again).
    """
    ctx = context_of(runtime)
    member = ctx.scenario.member(state.next_speaker or ctx.scenario.cast[0].persona_id)
    persona = member.persona
    assert isinstance(persona, Persona)
    prompt = [
        SystemMessage(
            content=character_prompt(ctx.scenario, member, state.difficulty, state.trajectory)
        )
    ]
    prompt += _conversation(state, ctx.scenario, persona)
    write = ctx.on_token or get_stream_writer()
    names = [ctx.scenario.persona(m.persona_id).name for m in ctx.scenario.cast]
    # The cleaner stops at any other cast member's name tag, with or without "The".
    others = list(
        dict.fromkeys(alias for n in names if n != persona.name for alias in (n, _short(n)))
    )
    cleaner = ReplyCleaner(persona.name, cast=others)
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
    update = {"messages": [AIMessage(content=text, name=persona.id)], "next_speaker": None}
    # The reply changes neither the turn nor the hidden state, which the end depends on.
    goto = "direct" if ctx.scenario.is_group else route_after_reply(state, runtime)
    return Command(update=update, goto=goto)


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


def _short(name: str) -> str:
    """'The Critic' -> 'Critic': small models tag lines either way."""
    return name.removeprefix("The ").removeprefix("the ")


def debrief(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """The debrief: always produced, with model-written parts marked when unavailable."""
    return {"debrief": build_debrief(state, context_of(runtime))}


def _previous_user_line(state: State) -> str | None:
    said = [m for m in state.messages if isinstance(m, HumanMessage)]
    return str(said[-2].content) if len(said) > 1 else None


def screen_turn(state: State) -> Command[Literal["assess", "safety_pause"]]:
    """Screen the user's line for real risk, locally, before the character may answer.

    Real risk pauses the role-play (``safety_pause``); otherwise the line is assessed.
    """
    line = state.messages[-1]
    result = screen(str(line.content), _previous_user_line(state))
    if not result.flagged:
        return Command(goto="assess")
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
    return Command(update={"messages": [marked], "safety": [event]}, goto="safety_pause")


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


def route_after_pause(state: State) -> Literal["user_turn", "safety_pause", "debrief"]:
    if state.user_ended:
        return "debrief"
    return "safety_pause" if state.paused else "user_turn"


def route_after_direct(
    state: State, runtime: Runtime[Context]
) -> Literal["character_reply", "user_turn", "debrief"]:
    if state.next_speaker is not None:
        return "character_reply"
    return route_after_reply(state, runtime)


def route_after_reply(state: State, runtime: Runtime[Context]) -> Literal["user_turn", "debrief"]:
    scenario = context_of(runtime).scenario
    if state.turn >= scenario.end.max_turns:
        return "debrief"
    if scenario.end.when and compiled(scenario.end.when).holds(state.values):
        return "debrief"
    return "user_turn"
