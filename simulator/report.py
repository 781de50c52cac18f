"""Debriefs and transcripts as text: for the terminal, and as Markdown or JSON exports."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from simulator.learning import note_markdown, notes_reference
from simulator.transcript import Line

if TYPE_CHECKING:
    from simulator.store import Comment

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
    summary = debrief.get("expression")
    if summary:  # a free expression scene: what the user said comes first
        source = " (written by the model)" if summary["source"] == "model" else ""
        out.append(f"In your own words{source}")
        out += ["  " + row for row in textwrap.wrap(summary["text"], width=90)] + [""]
    if debrief["goals"]:
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
    # With several characters the per-character sections below replace the table.
    if len(turns) > 1 and "characters" not in debrief:
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
    if "characters" in debrief:
        out += _characters_text(debrief)
    out += _skills_text(debrief.get("skills"))
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
    if debrief.get("grounding"):
        from simulator.grounding import pause_lines

        out += ["", "Pauses to breathe"] + [f"  {row}" for row in pause_lines(debrief["grounding"])]
    if debrief.get("learning_note") or debrief.get("techniques"):
        out += ["", "To take with you"]
        if debrief.get("learning_note"):
            out.append(f"  {debrief['learning_note']}")
        if debrief.get("techniques"):
            out += textwrap.wrap(
                notes_reference(debrief["techniques"]),
                width=90,
                initial_indent="  ",
                subsequent_indent="  ",
            )
    return "\n".join(out)


def _characters_text(debrief: dict[str, Any]) -> list[str]:
    """The sections of a scene with several characters: each one, parts work, journal."""
    out = ["", "The characters"]
    for c in debrief["characters"]:
        heard = "yes" if c["felt_heard"] else "not yet"
        if c["heard_turns"]:
            turns = ", ".join(map(str, c["heard_turns"]))
            heard += (
                f" (moved your way at turn {turns})"
                if c["felt_heard"]
                else f" overall, though it moved your way at turn {turns}"
            )
        out.append(f"  {c['name']}: {c['lines']} line(s); felt heard: {heard}")
        out.append(f"    Protects: {c['protects']}")
        out.append(f"    Fears: {'; '.join(c['fears'])}")
        if c["needs"]:
            out.append(f"    Needs: {c['needs']}")
        out.append(
            "    "
            + ", ".join(f"{n}: {v['start']:g} -> {v['end']:g}" for n, v in c["state"].items())
        )
        if c["stepped_back_at"]:
            turns = ", ".join(map(str, c["stepped_back_at"]))
            out.append(f"    You asked it to step back at turn {turns}.")
        for quote in c["quotes"]:
            out.append(f"      {c['name']}, {_quote(quote)}")
    work = debrief.get("parts_work")
    if work:
        out += ["", "How you met the parts"]
        out.append(
            f"  From curiosity or compassion: {work['self_turns']} turn(s) (curious "
            f"{work['curious_turns']}, compassionate {work['compassionate_turns']}); "
            f"arguing or dismissing: {work['arguing_turns']} turn(s)"
        )
        for example in work["self_examples"]:
            out.append(f"    Self: {_quote(example)}")
        for example in work["arguing_examples"]:
            out.append(f"    Arguing: {_quote(example)}")
    journal = debrief.get("journal")
    if journal:
        out += [
            "",
            "Journal entry" + (" (written by the model)" if journal["source"] == "model" else ""),
        ]
        out += ["  " + row for row in textwrap.wrap(journal["text"], width=90)]
    pictures = [c for c in debrief["characters"] if c["looks_like"]]
    if pictures:
        out += ["", "Draw them"]
    for c in pictures:
        out += ["  " + row for row in textwrap.wrap(f"{c['name']}: {c['looks_like']}", width=90)]
    return out


def export_markdown(
    meta: dict[str, Any],
    lines: Sequence[Line],
    debrief: dict[str, Any] | None,
    *,
    other_branches: Sequence[Sequence[Line]] | None = None,
    comments: Sequence[Comment] | None = None,
) -> str:
    """The session as Markdown; ``other_branches`` adds the transcripts left by rewinds.

    ``comments`` (a reviewer's notes on turns) are quoted under the last line of their turn.
    """
    out = [
        f"# {meta['title']}",
        "",
        f"Session `{meta['id']}`, scenario `{meta['scenario_id']}`, difficulty "
        f"{meta['difficulty']}, model `{meta['model'] or 'unknown'}`.",
        "",
        "## Transcript",
        "",
    ]
    notes: dict[int, list[Comment]] = {}
    for comment in comments or ():
        notes.setdefault(comment.turn, []).append(comment)
    for index, line in enumerate(lines):
        out.append(f"**{line.name}** (turn {line.turn}): {line.text}  ")
        last_of_turn = index + 1 == len(lines) or lines[index + 1].turn != line.turn
        if last_of_turn and notes.get(line.turn):
            out += ["", *(_comment_markdown(c) for c in notes.pop(line.turn)), ""]
    for orphans in notes.values():  # on a turn the current branch no longer has
        out += ["", *(_comment_markdown(c) for c in orphans), ""]
    out += ["", "## Debrief", ""]
    if debrief is None:
        out.append("_The session is not finished; there is no debrief yet._")
    else:
        out += ["```", debrief_text(debrief), "```"]
    if debrief and debrief.get("techniques"):
        out += ["", "## Learning notes", ""]
        out += ["\n\n".join(note_markdown(note) for note in debrief["techniques"])]
    for number, branch in enumerate(other_branches or (), start=1):
        out += ["", f"## Earlier branch {number} (left by a rewind)", ""]
        out += [f"**{line.name}** (turn {line.turn}): {line.text}  " for line in branch]
    return "\n".join(out) + "\n"


def export_json(
    meta: dict[str, Any],
    lines: Sequence[Line],
    debrief: dict[str, Any] | None,
    *,
    other_branches: Sequence[Sequence[Line]] | None = None,
    comments: Sequence[Comment] | None = None,
) -> str:
    """The session as JSON; ``other_branches`` adds the transcripts left by rewinds."""
    data: dict[str, Any] = {
        "session": meta,
        "transcript": [line.as_dict() for line in lines],
        "debrief": debrief,
    }
    if other_branches is not None:
        data["other_branches"] = [[line.as_dict() for line in b] for b in other_branches]
    if comments is not None:
        data["comments"] = [c.as_dict() for c in comments]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _comment_markdown(comment: Comment) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(comment.created))
    author = comment.author or "local user"
    text = comment.text.replace("\n", "\n> ")
    return f"> **Comment on turn {comment.turn}** by {author}, {when}: {text}"


def _skills_text(skills: dict[str, Any] | None) -> list[str]:
    """The skill coder's summary: scores beside their MITI thresholds, and the other side's talk."""
    if not skills:
        return []
    out = ["", "Skills (coded like a practice supervisor would)"]
    for score in skills["scores"].values():
        value = "n/a" if score["value"] is None else f"{score['value']:g}"
        out.append(
            f"  {score['label']}: {value} ({score['level']}; fair {score['fair']:g}, "
            f"good {score['good']:g}, {score['source']})"
        )
    for code in skills["counts"].values():
        if code["n"]:
            turns = ", ".join(map(str, code["turns"]))
            out.append(f"  {code['label']}: {code['n']} (turn {turns})")
    talk = skills["character"]
    if talk.get("change_talk_percent") is not None:
        out.append(
            f"  The other side: change talk {talk['change']['n']}, sustain talk "
            f"{talk['sustain']['n']} ({talk['change_talk_percent']:g}% change of the two)"
        )
    return out
