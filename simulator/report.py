"""Debriefs and transcripts as text: for the terminal, and as Markdown or JSON exports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from simulator.transcript import Line

__all__ = ["debrief_text", "export_json", "export_markdown"]

_VERDICT = {"met": "met", "partly": "partly", "not_yet": "not yet"}
_SAFETY = {
    "flagged": "the practice paused to check you were safe, and support resources were shown",
    "still_paused": "the practice stayed paused; resources were shown again",
    "resumed": "you said you were safe and the practice continued",
    "ended": "the session ended during the safety pause",
}
_ENDED = {
    "user": "you ended it",
    "condition": "the scene reached its end",
    "max_turns": "the turn limit was reached",
}


def _quote(evidence: dict[str, Any]) -> str:
    return f'turn {evidence["turn"]}: "{evidence["quote"]}"'


def debrief_text(debrief: dict[str, Any]) -> str:
    """The debrief as plain text, the way the terminal shows it."""
    out = [
        f"DEBRIEF: {debrief['scenario']['title']} ({debrief['difficulty']}, "
        f"{debrief['user_turns']} turns; {_ENDED[debrief['ended_by']]})",
        "",
    ]
    out.append("Goals")
    for goal in debrief["goals"]:
        out.append(f"  [{_VERDICT[goal['verdict']]}] {goal['description']}")
        for evidence in goal["evidence"][:3]:
            out.append(f"      {_quote(evidence)}")
    out += ["", "How the other side moved"]
    for name, var in debrief["state"]["variables"].items():
        line = f"  {name}: {var['start']:g} -> {var['end']:g}"
        for key, words in (("biggest_rise", "up"), ("biggest_drop", "down")):
            if var[key]:
                line += f"; {words} most at turn {var[key]['turn']} ({var[key]['change']:+g})"
        out.append(line)
    turns = debrief["state"]["turns"]
    if len(turns) > 1:
        names = list(turns[0]["values"])
        out.append("  turn  " + "  ".join(f"{n[:12]:>12}" for n in names))
        for record in turns:
            out.append(
                f"  {record['turn']:>4}  "
                + "  ".join(f"{record['values'].get(n, 0):>12g}" for n in names)
            )
    best, worst = debrief["state"]["best_turn"], debrief["state"]["worst_turn"]
    if best:
        out.append(f"  What helped most: {_quote(best)}")
    if worst:
        out.append(f"  What cost most: {_quote(worst)}")
    out += ["", "Your moves"]
    out.append("  " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in debrief["moves"].items()))
    out += ["", "Try instead"]
    tip = debrief["try_instead"]
    if tip["original"]:
        out.append(f'  You said (turn {tip["turn"]}): "{tip["original"]}"')
    out.append(f'  Try: "{tip["rewrite"]}"' if tip["rewrite"] else f"  {tip['unavailable']}")
    out += ["", "Next practice", f"  {debrief['next_practice']}"]
    if debrief.get("safety"):
        out += ["", "Safety"]
        for event in debrief["safety"]:
            out.append(f"  turn {event['turn']}: {_SAFETY[event['event']]}")
    if debrief.get("learning_note"):
        out += ["", "To take with you", f"  {debrief['learning_note']}"]
    return "\n".join(out)


def export_markdown(
    meta: dict[str, Any], lines: Sequence[Line], debrief: dict[str, Any] | None
) -> str:
    out = [
        f"# {meta['title']}",
        "",
        f"Session `{meta['id']}`, scenario `{meta['scenario_id']}`, difficulty "
        f"{meta['difficulty']}, model `{meta['model'] or 'unknown'}`.",
        "",
        "## Transcript",
        "",
    ]
    for line in lines:
        out.append(f"**{line.name}** (turn {line.turn}): {line.text}  ")
    out += ["", "## Debrief", ""]
    if debrief is None:
        out.append("_The session is not finished; there is no debrief yet._")
    else:
        out += ["```", debrief_text(debrief), "```"]
    return "\n".join(out) + "\n"


def export_json(meta: dict[str, Any], lines: Sequence[Line], debrief: dict[str, Any] | None) -> str:
    return (
        json.dumps(
            {"session": meta, "transcript": [line.as_dict() for line in lines], "debrief": debrief},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
