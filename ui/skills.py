"""The debrief's skills panel: the skill coder's counts, MITI scores and the coded transcript.

Reads ``debrief["skills"]`` (:func:`simulator.coder.skill_summary`) alone and returns one
Markdown string with inline HTML, for a ``gr.Markdown``:

- the three MITI-style scores beside their published thresholds (fair, good, source);
- each count with links to the lines it counts;
- the other side's change talk against sustain talk;
- a legend, then the conversation with every line tinted by its code. The colour never
  carries the code alone: each line shows its code as a small written tag and in a
  ``title`` (a tooltip, read by screen readers).

Lines are anchored ``coded-line-N`` (N: the line's place in the conversation, from 0), so
a count's links jump to them. The words are HTML-escaped: they sit inside HTML blocks,
where Markdown's backslash escapes would show.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.coder.summary import CODES

__all__ = [
    "CODE_COLOURS",
    "TALK_CODES",
    "UNSCORED",
    "USER_CODES",
    "coded_line_id",
    "skills_markdown",
]

# The user's codes, then the character's, in the order the legend shows them.
USER_CODES: tuple[str, ...] = (
    "open_question",
    "closed_question",
    "simple_reflection",
    "complex_reflection",
    "therapist_input",
    "other",
)
TALK_CODES: tuple[str, ...] = ("change", "neutral", "sustain")
# Background tints chosen to stay apart for the common colour-vision deficiencies (blue
# against orange, light against dark); the written tag carries the code anyway.
CODE_COLOURS: dict[str, str] = {
    "open_question": "#cfe3fb",
    "closed_question": "#eaf2fc",
    "simple_reflection": "#e3f1ea",
    "complex_reflection": "#b9e0cb",
    "therapist_input": "#fde3c4",
    "other": "#efeeea",
    "change": "#cdebd9",
    "neutral": "#efeeea",
    "sustain": "#f8d3c5",
}
UNSCORED = frozenset({"expression"})  # scenario categories that get no skills panel
_LEVELS = {"good": "good", "fair": "fair", "below fair": "below fair", None: "not enough to say"}


def coded_line_id(index: int) -> str:
    """The anchor of the ``index``-th line of the coded conversation."""
    return f"coded-line-{index}"


def _label(code: str, plain: bool) -> str:
    return CODES[code][1 if plain else 0]


def _is_plain(skills: Mapping[str, Any]) -> bool:
    """Whether the summary was written in plain words (scenes other than clinical ones)."""
    label = skills.get("counts", {}).get("open_question", {}).get("label")
    return label == CODES["open_question"][1]


def _threshold(name: str, value: float) -> str:
    if name == "reflection_to_question":
        return f"{value:g}:1"
    return f"{value:g} %"


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return _threshold(name, value)


def _scores(skills: Mapping[str, Any]) -> list[str]:
    rows = ["| Measure | Yours | Fair | Good | Level |", "| --- | ---: | ---: | ---: | --- |"]
    sources = []
    for name, score in skills["scores"].items():
        rows.append(
            f"| {html.escape(score['label'])} | {_value(name, score['value'])} | "
            f"{_threshold(name, score['fair'])} | {_threshold(name, score['good'])} | "
            f"{_LEVELS.get(score['level'], score['level'])} |"
        )
        sources.append(f"{score['label']}: {score['source']}")
    note = (
        "<span class='meta'>Thresholds from the MITI (Motivational Interviewing Treatment "
        "Integrity code) for a practice session: " + html.escape("; ".join(sources)) + ".</span>"
    )
    return [*rows, "", note]


def _links(indices: Sequence[int], turns: Sequence[int], linked: bool) -> str:
    """The turns, each a link to its coded line when the panel shows the lines."""
    if not linked:
        return ", ".join(f"turn {t}" for t in turns)
    return ", ".join(
        f"<a href='#{coded_line_id(i)}' title='Go to turn {t}'>turn {t}</a>"
        for i, t in zip(indices, turns, strict=True)
    )


def _where(entries: Sequence[Mapping[str, Any]], code: str) -> tuple[list[int], list[int]]:
    """The lines (places in the conversation) and turns that have ``code``."""
    places = [i for i, e in enumerate(entries) if code in e["codes"]]
    return places, [int(entries[i]["turn"]) for i in places]


def _counts(
    skills: Mapping[str, Any], entries: Sequence[Mapping[str, Any]], linked: bool
) -> list[str]:
    out = []
    for code in USER_CODES:
        count = skills["counts"].get(code)
        if not count:
            continue
        places, turns = _where(entries, code)
        where = f": {_links(places, turns, linked)}" if places else ""
        out.append(f"- {_chip(code, count['label'])} **{count['n']}**{where}")
    return out


def _talk(
    skills: Mapping[str, Any], entries: Sequence[Mapping[str, Any]], linked: bool
) -> list[str]:
    talk = skills["character"]
    out = []
    for code in TALK_CODES:
        places, turns = _where(entries, code)
        where = f": {_links(places, turns, linked)}" if places else ""
        out.append(f"- {_chip(code, talk[code]['label'])} **{talk[code]['n']}**{where}")
    share = talk.get("change_talk_percent")
    if share is not None:
        out += [
            "",
            f"Change talk was **{share:g} %** of their change and sustain talk together "
            "(how far they argued for changing rather than for staying as they are).",
        ]
    return out


def _chip(code: str, label: str) -> str:
    """A code's label on its colour: the written label is the code, the colour a help."""
    return (
        f"<span class='code-tag code-{code}' style='background:{CODE_COLOURS[code]}'>"
        f"{html.escape(label)}</span>"
    )


def _legend(plain: bool) -> str:
    yours = " ".join(_chip(code, _label(code, plain)) for code in USER_CODES)
    theirs = " ".join(_chip(code, _label(code, plain)) for code in TALK_CODES)
    return (
        f"<div class='code-legend'><b>Your lines:</b> {yours}<br><b>Their lines:</b> {theirs}</div>"
    )


def _line(index: int, entry: Mapping[str, Any], names: Mapping[str, str]) -> str:
    speaker = str(entry["speaker"])
    who = "You" if speaker == "you" else names.get(speaker, speaker)
    codes = list(entry["codes"])
    labels = [str(label) for label in entry["labels"]]
    title = f"Turn {entry['turn']}, {who}: " + "; ".join(labels)
    tags = " ".join(_chip(code, label) for code, label in zip(codes, labels, strict=True))
    tint = CODE_COLOURS.get(codes[0], "#ffffff") if codes else "#ffffff"
    classes = " ".join(["coded-line", *(f"code-{c}" for c in codes)])
    return (
        f"<div id='{coded_line_id(index)}' class='{classes}' "
        f"title='{html.escape(title, quote=True)}' style='border-left:6px solid {tint}'>"
        f"<span class='meta'>Turn {entry['turn']} · {html.escape(who)}</span> {tags}<br>"
        f"{html.escape(str(entry.get('text', '')))}</div>"
    )


def _checked(skills: Mapping[str, Any]) -> list[str]:
    """Who had the last word, when a model was asked to check the codes."""
    coder = skills.get("coder")
    if not coder:
        return []
    if coder["source"] == "model":
        turns = ", ".join(map(str, coder["changed_turns"]))
        where = f" (turn {turns})" if turns else ""
        return [
            "",
            f"<span class='meta'>Checked by the model: {html.escape(coder['note'])}{where}</span>",
        ]
    return ["", f"<span class='meta'>{html.escape(coder['note'])}</span>"]


def skills_markdown(debrief: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The skills panel of a debrief ("" for a debrief written before the skill coder, and
    for a free expression scene, where nothing the user says is scored).

    ``names``: persona id -> the name to show for a character's lines.
    """
    skills = debrief.get("skills")
    # A free expression scene has nothing to practise: the user's words are not scored.
    if not skills or debrief.get("scenario", {}).get("category") in UNSCORED:
        return ""
    plain = _is_plain(skills)
    entries = list(skills.get("turns", []))
    # Debriefs written before the lines' words were kept: counts, but no lines to link to.
    shown = bool(entries) and all("text" in e for e in entries)
    out = [
        "### Your skills, coded",
        "<span class='meta'>Each line coded the way a motivational-interviewing supervisor "
        "counts a practice session, by an offline coder trained on expert-annotated "
        "sessions (AnnoMI). A coder agrees with a trained human only part of the time: "
        "read the codes as a second opinion.</span>",
        *_checked(skills),
        "",
        *_scores(skills),
        "",
        "#### What you did",
        "",
        *_counts(skills, entries, shown),
        "",
        "#### How the other side talked about change",
        "",
        *_talk(skills, entries, shown),
    ]
    if shown:
        out += [
            "",
            "#### The conversation, coded",
            "",
            _legend(plain),
            "",
        ]
        for index, entry in enumerate(entries):
            out += [_line(index, entry, names or {}), ""]
    return "\n".join(out).rstrip() + "\n"
