"""What the studio shows, as plain values: Markdown strings, chat messages, a DataFrame.

Nothing here touches Gradio or the session store, so every view can be checked with a
scenario and a debrief dict alone. The debrief dict is the shape
:func:`simulator.debrief.build_debrief` writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulator.schema import Persona, Scenario
from simulator.store import SessionInfo
from simulator.transcript import USER, Line
from ui.learning import notes_panel
from ui.skills import skills_markdown

__all__ = [
    "CATEGORY_NAMES",
    "YOU_COLOUR",
    "Member",
    "brief_markdown",
    "cast_members",
    "character_message",
    "chart_colours",
    "chart_frame",
    "chart_range",
    "chart_steps",
    "chat_messages",
    "coach_tip",
    "debrief_sections",
    "escape",
    "group_sections",
    "presence_note",
    "say_placeholder",
    "scenario_card",
    "session_label",
    "speaker_colours",
    "turn_choices",
    "user_message",
    "version_label",
]

CATEGORY_NAMES = {
    "difficult-conversation": "Difficult conversations",
    "inner-parts": "Inner parts",
    "clinical-practice": "Clinical practice",
    "expression": "Free expression",
    "reframing": "Reframing a thought",
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
# What a free expression scene (no goals) says where others list their goals.
NO_GOAL = "Nothing to reach here: say whatever is on your mind, at your own pace."
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
    if not scenario.goals:  # a free expression scene
        out[-1] = f"### No goal\n\n{NO_GOAL}"
    if scenario.learning.before:
        out += ["", "### Before you start", "", escape(scenario.learning.before)]
    if scenario.learning.notes:
        out += ["", notes_panel(scenario.learning.notes, "### The technique")]
    return "\n".join(out)


# --- who is who (scenes with several characters) -------------------------------------

# Muted, distinct and readable on white; a character keeps its colour by cast order, in
# the chat, the cast panel and the debrief chart alike. "You" have the page's own teal.
YOU_COLOUR = "#2f6f6a"
CAST_COLOURS = ("#b0603a", "#4f6d9a", "#8a5a8c", "#6b7f3a", "#a0782a", "#5b6770")


@dataclass(frozen=True)
class Member:
    """One character of a group scene as the cast panel shows it."""

    persona_id: str
    name: str
    colour: str
    present: bool
    waiting: bool = False  # never in the conversation yet: it joins when invited

    @property
    def label(self) -> str:
        """The cast panel's line: a coloured name and where they are."""
        where = (
            "here" if self.present else "waiting to be invited" if self.waiting else "stepped back"
        )
        return f"{_who(self.name, self.colour)} <span class='meta'>· {where}</span>"


def speaker_colours(scenario: Scenario) -> dict[str, str]:
    """Persona id: colour, by cast order (the palette repeats past six characters)."""
    return {m.persona_id: CAST_COLOURS[i % len(CAST_COLOURS)] for i, m in enumerate(scenario.cast)}


def cast_members(
    scenario: Scenario, present: Sequence[str], lines: Sequence[Line] = ()
) -> list[Member]:
    """The cast in order, with who is in the conversation now (and who never was)."""
    colours = speaker_colours(scenario)
    spoke = {line.speaker for line in lines}
    return [
        Member(
            m.persona_id,
            scenario.persona(m.persona_id).name,
            colours[m.persona_id],
            m.persona_id in present,
            waiting=m.persona_id not in present and m.persona_id not in spoke,
        )
        for m in scenario.cast
    ]


def _who(name: str, colour: str) -> str:
    return f"<span class='who' style='color: {colour}'>● {escape(name)}</span>"


def say_placeholder(scenario: Scenario) -> str:
    """What the text box suggests; in a group scene, how to speak to one or to all."""
    if not scenario.is_group:
        return "What would you say?"
    first = scenario.persona(scenario.cast[0].persona_id).name
    return (
        f"What would you say? Start with @{first.split()[-1]} for one of them, @all for everyone."
    )


# --- practising ----------------------------------------------------------------------


def brief_markdown(scenario: Scenario, difficulty: str) -> str:
    """The side panel during practice: goals first, then who and where."""
    out = ["### Your goals" if scenario.goals else f"### No goal\n{NO_GOAL}"]
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
    if scenario.learning.notes:
        out += ["", notes_panel(scenario.learning.notes, "### The technique")]
    return "\n".join(out)


def character_message(name: str, text: str, colour: str | None = None) -> dict[str, Any]:
    """One chat message of a character; the name leads (in its colour in a group scene)."""
    who = escape(name) if colour is None else _who(name, colour)
    return {"role": "assistant", "content": f"**{who}**\n{text}"}


def user_message(text: str, scenario: Scenario | None = None) -> dict[str, Any]:
    """One of the user's lines; in a group scene it is signed "You" like the others'."""
    if scenario is None or not scenario.is_group:
        return {"role": "user", "content": text}
    return {"role": "user", "content": f"**{_who('You', YOU_COLOUR)}**\n{text}"}


def coach_tip(text: str) -> str:
    """The coach's tip after a setback, for the coach box beside the chat (not in it)."""
    return f"**Coach** {escape(text)}"


def presence_note(name: str, present: bool) -> dict[str, Any]:
    """A stage note in the chat: someone stepped back or joined (not anyone's line)."""
    said = "joins the conversation" if present else "steps back"
    return {
        "role": "assistant",
        "content": f"<span class='stage'>{escape(name)} {said}.</span>",
    }


def chat_messages(
    lines: Sequence[Line],
    scenario: Scenario | None = None,
    presence: Sequence[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Transcript lines as Gradio Chatbot message dicts.

    With a group ``scenario`` every line is signed in its speaker's colour, and the
    ``presence`` log (``State.presence``: ``{"turn", "event", "speaker"}``) becomes stage
    notes where they happened: after the replies of their turn, each first invitation
    just before the opening line it brought.
    """
    if scenario is None or not scenario.is_group:
        return [
            user_message(ln.text) if ln.speaker == USER else character_message(ln.name, ln.text)
            for ln in lines
        ]
    colours = speaker_colours(scenario)
    names = {m.persona_id: scenario.persona(m.persona_id).name for m in scenario.cast}

    def said(line: Line) -> dict[str, Any]:
        if line.speaker == USER:
            return user_message(line.text, scenario)
        return character_message(line.name, line.text, colours.get(line.speaker))

    first_turn: dict[str, int] = {}
    for line in lines:
        first_turn.setdefault(line.speaker, line.turn)
    by_turn: dict[int, list[Line]] = {}
    for line in lines:
        by_turn.setdefault(line.turn, []).append(line)
    notes: dict[int, list[dict[str, Any]]] = {}
    for change in presence:
        notes.setdefault(int(change["turn"]), []).append(change)

    out: list[dict[str, Any]] = []
    for turn in sorted(set(by_turn) | set(notes)):
        spoken = list(by_turn.get(turn, []))
        changes = notes.get(turn, [])
        # A character invited for the first time opens with its line: those lines close
        # the turn, in the order of the invitations.
        opened: set[str] = set()
        openers: list[str] = []
        for change in changes:
            who = change["speaker"]
            if change["event"] == "invite" and first_turn.get(who) == turn and who not in opened:
                opened.add(who)
                openers.append(who)
        tail: dict[str, Line] = {}
        for line in reversed(spoken):
            if line.speaker in openers and line.speaker not in tail and len(tail) < len(openers):
                tail[line.speaker] = line
            else:
                break
        held = set(map(id, tail.values()))
        out += [said(line) for line in spoken if id(line) not in held]
        for change in changes:
            who = change["speaker"]
            out.append(presence_note(names.get(who, who), change["event"] == "invite"))
            if who in tail:
                out.append(said(tail.pop(who)))
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


def _better(desired: str) -> str:
    return "higher" if desired == "up" else "lower"


def _series(debrief: dict[str, Any], scenario: Scenario | None) -> dict[str, str]:
    """Variable name (as the session state has it): its label in the chart legend.

    In a group scene the names are qualified ("mum.trust"): split on the first "." and
    led by the character's name; a character the debrief leaves out (never invited)
    has no series.
    """
    variables = debrief["state"]["variables"]
    names = {c["id"]: c["name"] for c in debrief.get("characters", [])}
    if scenario is not None and scenario.is_group:
        shown = names or {m.persona_id: scenario.persona(m.persona_id).name for m in scenario.cast}
        order = {m.persona_id: i for i, m in enumerate(scenario.cast)}
    elif names:
        shown, order = names, {pid: i for i, pid in enumerate(names)}
    else:
        shown, order = {}, {}
    labels: dict[str, str] = {}
    keys = list(variables)
    if shown:
        keys.sort(key=lambda k: order.get(k.split(".", 1)[0], len(order)))
    for key in keys:
        better = _better(variables[key].get("desired", "up"))
        plain = key.replace("_", " ")
        if shown and "." in key:
            who, var = key.split(".", 1)
            if who not in shown:
                continue
            plain = f"{shown[who]}: {var.replace('_', ' ')}"
        labels[key] = f"{plain} ({better} is better)"
    return labels


def chart_frame(debrief: dict[str, Any], scenario: Scenario | None = None) -> pd.DataFrame:
    """The hidden state per turn in long form for a line plot.

    Columns: ``turn`` (int), ``step`` (its label on the x axis: "start", "turn 1", ...),
    ``value`` and ``measure`` (the variable, with which way is better). In a group scene
    each character has its own series, "Name: variable (higher is better)".
    """
    labels = _series(debrief, scenario)
    rows = []
    for record in debrief["state"]["turns"]:
        turn = int(record["turn"])
        for name in labels:
            if name in record["values"]:
                rows.append(
                    {
                        "turn": turn,
                        "step": step_label(turn),
                        "value": float(record["values"][name]),
                        "measure": labels[name],
                    }
                )
    for record in debrief["state"]["turns"]:  # values the debrief lists no variable for
        for name, value in record["values"].items():
            if name not in labels and name not in debrief["state"]["variables"]:
                rows.append(
                    {
                        "turn": int(record["turn"]),
                        "step": step_label(int(record["turn"])),
                        "value": float(value),
                        "measure": f"{name.replace('_', ' ')} (higher is better)",
                    }
                )
    return pd.DataFrame(rows, columns=["turn", "step", "value", "measure"])


def _tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white: a character's second, third... variable."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def chart_colours(debrief: dict[str, Any], scenario: Scenario) -> dict[str, str] | None:
    """Legend label: colour, one hue per character (lighter for its later variables).

    None for a scene with one character: the chart keeps Gradio's own colours.
    """
    if not scenario.is_group:
        return None
    colours = speaker_colours(scenario)
    seen: dict[str, int] = {}
    out = {}
    for key, label in _series(debrief, scenario).items():
        who = key.split(".", 1)[0]
        index = seen.get(who, 0)
        seen[who] = index + 1
        out[label] = _tint(colours.get(who, CAST_COLOURS[-1]), min(0.45 * index, 0.7))
    return out


def chart_range(scenario: Scenario) -> list[float]:
    """The y axis: the lowest and highest value any of the scene's variables can take."""
    variables = scenario.variables().values()
    return [min(v.min for v in variables), max(v.max for v in variables)]


def chart_steps(frame: pd.DataFrame) -> list[str]:
    """The x axis in turn order (a category axis would otherwise sort "turn 10" first)."""
    return [step_label(t) for t in sorted(set(frame["turn"]))]


def _goals(debrief: dict[str, Any]) -> str:
    summary = debrief.get("expression")
    if summary:  # a free expression scene has no goals: what the user said, in their words
        source = " · written by the model" if summary["source"] == "model" else ""
        return (
            f"### In your own words\n<span class='meta'>What you said{source}</span>\n\n"
            f"{escape(summary['text'])}"
        )
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
    names = {c["id"]: c["name"] for c in debrief.get("characters", [])}
    for name, var in state["variables"].items():
        way = "up" if var["desired"] == "up" else "down"
        label = name.replace("_", " ")
        if names and "." in name:  # a group scene: "mum.trust" is Mum's trust
            who, plain = name.split(".", 1)
            if who not in names:
                continue  # never in the room
            label = f"{names[who]}: {plain.replace('_', ' ')}"
        out.append(
            f"- **{escape(label)}** {var['start']:g} → {var['end']:g} "
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
    if debrief.get("grounding"):
        from simulator.grounding import pause_lines

        out += ["", "### Pauses to breathe", ""]
        out += [f"- {escape(row)}" for row in pause_lines(debrief["grounding"])]
    if debrief.get("learning_note"):
        out += ["", "### To take with you", "", escape(debrief["learning_note"])]
    if debrief.get("techniques"):
        out += ["", notes_panel(debrief["techniques"], "### The technique, to read again")]
    return "\n".join(out)


def _character_card(character: dict[str, Any], colour: str | None) -> str:
    heard = "felt heard" if character["felt_heard"] else "not yet heard"
    if character["heard_turns"]:
        turns = ", ".join(map(str, character["heard_turns"]))
        plural = "s" if len(character["heard_turns"]) > 1 else ""
        # Not heard overall, yet moved at some turn: it came your way, then went back.
        heard += (
            f" (moved your way at turn{plural} {turns})"
            if character["felt_heard"]
            else f" overall, though it moved your way at turn{plural} {turns}"
        )
    lines = character["lines"]
    name = escape(character["name"]) if colour is None else _who(character["name"], colour)
    out = [
        f"#### {name}",
        f"<span class='meta'>{lines} line{'' if lines == 1 else 's'} · {heard}</span>",
        "",
        f"**Protects** {escape(character['protects'])}",
    ]
    if character["fears"]:
        fears = "; ".join(f.strip().rstrip(".") for f in character["fears"])
        out += ["", f"**Fears** {escape(fears)}."]
    if character.get("needs"):
        out += ["", f"**Needs** {escape(character['needs'])}"]
    if character.get("stepped_back_at"):
        turns = ", ".join(map(str, character["stepped_back_at"]))
        out += ["", f"<span class='meta'>You asked them to step back at turn {turns}.</span>"]
    for quote in character["quotes"]:
        out += ["", f"> Turn {quote['turn']}: {_quote(quote['quote'])}"]
    if character.get("looks_like"):
        out += ["", f"**If you drew them** {escape(character['looks_like'])}"]
    return "\n".join(out)


def _characters(debrief: dict[str, Any], colours: dict[str, str]) -> str:
    cards = [_character_card(c, colours.get(c["id"])) for c in debrief["characters"]]
    return "### The characters\n\n" + "\n\n---\n\n".join(cards)


def _parts_work(work: dict[str, Any]) -> str:
    self_turns, arguing = work["self_turns"], work["arguing_turns"]
    out = [
        "### How you met the parts",
        "",
        "| | Turns |",
        "| --- | ---: |",
        f"| From curiosity or compassion | {self_turns} |",
        f"| Curious | {work['curious_turns']} |",
        f"| Compassionate | {work['compassionate_turns']} |",
        f"| Arguing or dismissing | {arguing} |",
    ]
    if work["self_examples"]:
        out += ["", "**When you met them from Self**"]
        out += [f"> Turn {e['turn']}: {_quote(e['quote'])}\n" for e in work["self_examples"]]
    if work["arguing_examples"]:
        out += ["", "**When you argued or pushed**"]
        out += [f"> Turn {e['turn']}: {_quote(e['quote'])}\n" for e in work["arguing_examples"]]
    return "\n".join(out)


def _journal(journal: dict[str, Any]) -> str:
    source = " · written by the model" if journal.get("source") == "model" else ""
    return (
        f"### Journal entry\n<span class='meta'>For you to keep or rewrite{source}</span>\n\n"
        f"{escape(journal['text'])}"
    )


def group_sections(debrief: dict[str, Any], colours: dict[str, str] | None = None) -> str:
    """The panels of a scene with several characters, as one Markdown block.

    A card per character, "How you met the parts" (inner-parts scenes) and the journal
    entry; each only when the debrief has its key, so "" for a one-character scene.
    """
    out = []
    if debrief.get("characters"):
        out.append(_characters(debrief, colours or {}))
    if debrief.get("parts_work"):
        out.append(_parts_work(debrief["parts_work"]))
    if debrief.get("journal"):
        out.append(_journal(debrief["journal"]))
    return "\n\n".join(out)


def debrief_sections(debrief: dict[str, Any], scenario: Scenario | None = None) -> dict[str, str]:
    """The debrief as Markdown sections, keyed by where the page shows them.

    ``group`` holds the per-character panels (:func:`group_sections`); it is "" for a
    scene with one character.
    """
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
        "group": group_sections(debrief, speaker_colours(scenario) if scenario else None),
        # The skill coder's panel: scores, counts linked to their lines, the coded lines.
        "skills": skills_markdown(debrief, _names(scenario)),
    }


def _names(scenario: Scenario | None) -> dict[str, str]:
    """Persona id -> name, for the speakers of the coded conversation."""
    if scenario is None:
        return {}
    return {m.persona_id: scenario.persona(m.persona_id).name for m in scenario.cast}
