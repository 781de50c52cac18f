"""What the studio shows, as plain values: Markdown strings, chat messages, a DataFrame.

Nothing here touches Gradio or the session store, so every view can be checked with a
scenario and a debrief dict alone. The debrief dict is the shape
:func:`simulator.debrief.build_debrief` writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from simulator.schema import Persona, Scenario
from simulator.store import SessionInfo
from simulator.transcript import USER, Line

__all__ = [
    "CATEGORY_NAMES",
    "brief_markdown",
    "chart_frame",
    "chart_steps",
    "chat_messages",
    "debrief_sections",
    "escape",
    "scenario_card",
    "session_label",
    "turn_choices",
    "version_label",
]

CATEGORY_NAMES = {
    "difficult-conversation": "Difficult conversations",
    "inner-parts": "Inner parts",
    "clinical-practice": "Clinical practice",
}
VERDICTS = {"met": "● Met", "partly": "◐ Partly", "not_yet": "○ Not yet"}
ENDED = {
    "user": "you ended it",
    "condition": "the scene reached its natural end",
    "max_turns": "the turn limit was reached",
}
MOVE_NAMES = {
    "open_question": "Open questions",
    "reflection": "Reflections",
    "empathy": "Empathy",
    "need_statement": "Need statements",
    "closed_question": "Closed questions",
    "advice": "Advice",
    "blame": "Blame",
    "dismissal": "Dismissal",
    "threat": "Threats",
}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def escape(text: str) -> str:
    """User or model text made inert inside Markdown (no markup, no HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _quote(text: str) -> str:
    return f"“{escape(text)}”"


# --- choosing ------------------------------------------------------------------------


def _cast_line(scenario: Scenario) -> str:
    people = []
    for member in scenario.cast:
        persona = member.persona
        assert isinstance(persona, Persona)
        who = member.relationship or persona.who
        people.append(f"**{escape(persona.name)}**: {escape(who)}")
    return "  \n".join(people)


def scenario_card(scenario: Scenario) -> str:
    """Everything someone needs to decide whether to practise this scene."""
    out = [
        f"## {escape(scenario.title)}",
        f"<span class='meta'>{CATEGORY_NAMES.get(scenario.category, scenario.category)}"
        f" · suggested difficulty: {scenario.difficulty.default}</span>",
        "",
        escape(scenario.summary),
        "",
        f"**You are** {escape(scenario.user_role)}",
        "",
        f"**Where** {escape(scenario.setting)}",
        "",
        _cast_line(scenario),
    ]
    if scenario.practises:
        out += ["", "### What you practise"]
        out += [f"- {escape(p)}" for p in scenario.practises]
    out += ["", "### Your goals"]
    out += [f"- **{escape(g.description)}** {escape(g.success)}" for g in scenario.goals]
    if scenario.learning.before:
        out += ["", "### Before you start", "", escape(scenario.learning.before)]
    return "\n".join(out)


# --- practising ----------------------------------------------------------------------


def brief_markdown(scenario: Scenario, difficulty: str) -> str:
    """The side panel during practice: goals first, then who and where."""
    out = ["### Your goals"]
    for i, goal in enumerate(scenario.goals, 1):
        out.append(f"{i}. **{escape(goal.description)}**  \n{escape(goal.success)}")
    out += [
        "",
        "### The scene",
        f"**You are** {escape(scenario.user_role)}",
        "",
        f"**Where** {escape(scenario.setting)}",
        "",
        _cast_line(scenario),
        "",
        f"<span class='meta'>Difficulty: {difficulty}</span>",
    ]
    return "\n".join(out)


def character_message(name: str, text: str) -> dict[str, Any]:
    """One chat message of a character; the name leads so a cast of two stays clear."""
    return {"role": "assistant", "content": f"**{escape(name)}**\n{text}"}


def chat_messages(lines: Sequence[Line]) -> list[dict[str, Any]]:
    """Transcript lines as Gradio Chatbot message dicts."""
    out = []
    for line in lines:
        if line.speaker == USER:
            out.append({"role": "user", "content": line.text})
        else:
            out.append(character_message(line.name, line.text))
    return out


def _short(text: str, width: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def turn_choices(lines: Sequence[Line]) -> list[tuple[str, int]]:
    """The user's turns, as (label, turn) choices for the rewind picker."""
    return [(f"Turn {ln.turn}: “{_short(ln.text)}”", ln.turn) for ln in lines if ln.speaker == USER]


def _turns(count: int) -> str:
    return f"{count} turn{'' if count == 1 else 's'}"


def version_label(index: int, total: int, lines: Sequence[Line]) -> str:
    said = [ln for ln in lines if ln.speaker == USER]
    last = f", last: “{_short(said[-1].text, 36)}”" if said else ""
    newest = " (newest)" if index == 0 else ""
    return f"Version {total - index}{newest}: {_turns(len(said))}{last}"


# --- sessions ------------------------------------------------------------------------


def session_label(info: SessionInfo) -> str:
    when = time.strftime("%d %b %H:%M", time.localtime(info.updated))
    state = "debrief ready" if info.status == "finished" else "in progress"
    turns = _turns(info.turns)
    return f"{info.title} · {info.difficulty} · {turns} · {state} · {when}"


# --- debrief -------------------------------------------------------------------------


def step_label(turn: int) -> str:
    return "start" if turn == 0 else f"turn {turn}"


def chart_frame(debrief: dict[str, Any]) -> pd.DataFrame:
    """The hidden state per turn in long form for a line plot.

    Columns: ``turn`` (int), ``step`` (its label on the x axis: "start", "turn 1", ...),
    ``value`` and ``measure`` (the variable, with which way is better).
    """
    variables = debrief["state"]["variables"]
    rows = []
    for record in debrief["state"]["turns"]:
        turn = int(record["turn"])
        for name, value in record["values"].items():
            desired = variables.get(name, {}).get("desired", "up")
            better = "higher" if desired == "up" else "lower"
            rows.append(
                {
                    "turn": turn,
                    "step": step_label(turn),
                    "value": float(value),
                    "measure": f"{name.replace('_', ' ')} ({better} is better)",
                }
            )
    return pd.DataFrame(rows, columns=["turn", "step", "value", "measure"])


def chart_steps(frame: pd.DataFrame) -> list[str]:
    """The x axis in turn order (a category axis would otherwise sort "turn 10" first)."""
    return [step_label(t) for t in sorted(set(frame["turn"]))]


def _goals(debrief: dict[str, Any]) -> str:
    out = ["### Your goals"]
    for goal in debrief["goals"]:
        out += [
            "",
            f"<span class='verdict {goal['verdict']}'>{VERDICTS[goal['verdict']]}</span> "
            f"**{escape(goal['description'])}**",
            "",
            f"<span class='meta'>What it looks like: {escape(goal['success'])}</span>",
        ]
        for evidence in goal["evidence"][:3]:
            if evidence["quote"]:
                out += ["", f"> Turn {evidence['turn']}: {_quote(evidence['quote'])}"]
        if not goal["evidence"]:
            out += ["", "<span class='meta'>No line of yours showed this yet.</span>"]
    return "\n".join(out)


def _movement(debrief: dict[str, Any]) -> str:
    state = debrief["state"]
    out = []
    for name, var in state["variables"].items():
        way = "up" if var["desired"] == "up" else "down"
        out.append(
            f"- **{escape(name.replace('_', ' '))}** {var['start']:g} → {var['end']:g} "
            f"<span class='meta'>(you want it to go {way})</span>"
        )
    if state.get("best_turn"):
        best = state["best_turn"]
        out += ["", f"**What helped most**, turn {best['turn']}: {_quote(best['quote'])}"]
    if state.get("worst_turn"):
        worst = state["worst_turn"]
        out += ["", f"**What cost most**, turn {worst['turn']}: {_quote(worst['quote'])}"]
    return "\n".join(out)


def _moves(debrief: dict[str, Any]) -> str:
    counts = debrief["moves"]
    rows = ["| Move | Times |", "| --- | ---: |"]
    for key, label in MOVE_NAMES.items():
        if key in counts and (counts[key] or key in ("open_question", "reflection", "empathy")):
            rows.append(f"| {label} | {counts[key]} |")
    return "### Your moves\n\n" + "\n".join(rows)


def _try_instead(debrief: dict[str, Any]) -> str:
    tip = debrief["try_instead"]
    out = ["### Try instead"]
    if tip["original"]:
        out += ["", f"You said (turn {tip['turn']}):", "", f"> {_quote(tip['original'])}"]
    if tip["rewrite"]:
        out += ["", "Try:", "", f"> **{_quote(tip['rewrite'])}**"]
    else:
        out += ["", escape(tip["unavailable"] or "")]
    return "\n".join(out)


_SAFETY = {
    "flagged": "the practice paused to check you were safe",
    "still_paused": "the practice stayed paused",
    "resumed": "you said you were safe and the practice carried on",
    "ended": "the session ended during the pause",
}


def _next(debrief: dict[str, Any]) -> str:
    out = ["### Next practice", "", escape(debrief["next_practice"])]
    if debrief.get("safety"):
        out += ["", "### A pause for safety", ""]
        out += [
            f"- Turn {e['turn']}: {_SAFETY.get(e['event'], e['event'])}." for e in debrief["safety"]
        ]
        out += [
            "",
            "If things are hard right now, the support line at the top of the page is there "
            "for you.",
        ]
    if debrief.get("learning_note"):
        out += ["", "### To take with you", "", escape(debrief["learning_note"])]
    return "\n".join(out)


def debrief_sections(debrief: dict[str, Any]) -> dict[str, str]:
    """The debrief as Markdown sections, keyed by where the page shows them."""
    heading = (
        f"## {escape(debrief['scenario']['title'])}\n"
        f"<span class='meta'>{debrief['difficulty']} · {_turns(debrief['user_turns'])} · "
        f"{ENDED[debrief['ended_by']]}</span>"
    )
    return {
        "heading": heading,
        "goals": _goals(debrief),
        "movement": _movement(debrief),
        "moves": _moves(debrief),
        "try_instead": _try_instead(debrief),
        "next": _next(debrief),
    }
