"""Technique notes as text: for the terminal, the debrief and Markdown exports.

A note (:class:`~simulator.schema.TechniqueNote`) lives in ``learning/`` and is shared by
the scenes that practise its technique. The debrief keeps a copy of each note as plain
data (:func:`note_dicts`), so an exported session still carries the notes it linked to,
even if the file changes later; the functions here accept either form.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

from simulator.schema import Scenario, TechniqueNote

__all__ = ["note_dicts", "note_markdown", "note_text", "notes_brief", "notes_reference"]

NoteLike = TechniqueNote | Mapping[str, Any]


def _data(note: NoteLike) -> dict[str, Any]:
    return note.model_dump() if isinstance(note, TechniqueNote) else dict(note)


def note_dicts(scenario: Scenario) -> list[dict[str, Any]]:
    """The scenario's technique notes as JSON-ready dicts (what the debrief stores)."""
    return [note.model_dump() for note in scenario.learning.notes]


def _wrap(text: str, indent: str, first: str = "", width: int = 90) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width=width,
        initial_indent=indent + first,
        subsequent_indent=indent + " " * len(first),
    )


def note_text(note: NoteLike, width: int = 90) -> str:
    """One note in full, as the terminal shows it (``/learn``, ``rehearse learn ID``)."""
    data = _data(note)
    out = [f"{data['technique']}  [{data['id']}]", ""]
    out += _wrap(data["summary"], "  ", width=width)
    out += ["", "  How to do it"]
    for number, step in enumerate(data["steps"], 1):
        out += _wrap(step, "    ", f"{number}. ", width)
    if data.get("example"):
        out += ["", "  For example"]
        out += _wrap(data["example"], "    ", width=width)
    if data.get("pitfalls"):
        out += ["", "  Watch out for"]
        for pitfall in data["pitfalls"]:
            out += _wrap(pitfall, "    ", "- ", width)
    if data.get("further_reading"):
        out += ["", "  Further reading"]
        for source in data["further_reading"]:
            out += _wrap(source, "    ", "- ", width)
    return "\n".join(out)


def notes_brief(notes: Iterable[NoteLike], width: int = 90) -> list[str]:
    """Each note's name and summary, the few lines shown before a scene starts."""
    out = []
    for note in notes:
        data = _data(note)
        out += _wrap(f"{data['technique']}: {data['summary']}", "  ", width=width)
    return out


def notes_reference(notes: Iterable[NoteLike]) -> str:
    """The debrief's pointer to the notes: their names and how to read them again."""
    found = [_data(note) for note in notes]
    if not found:
        return ""
    names = "; ".join(f"{d['technique']} (rehearse learn {d['id']})" for d in found)
    return f"The technique behind this scene: {names}."


def note_markdown(note: NoteLike, level: int = 3) -> str:
    """One note in full as Markdown (exports), under a heading of ``level``.

    The text comes from scenario authors, never from the model or the user; it is still
    written as plain paragraphs and list items, without raw HTML.
    """
    data = _data(note)
    hashes = "#" * level
    out = [f"{hashes} {data['technique']}", "", " ".join(data["summary"].split()), ""]
    out += [f"{number}. {' '.join(step.split())}" for number, step in enumerate(data["steps"], 1)]
    if data.get("example"):
        out += ["", f"> {' '.join(data['example'].split())}"]
    if data.get("pitfalls"):
        out += ["", "Watch out for:", ""]
        out += [f"- {' '.join(p.split())}" for p in data["pitfalls"]]
    if data.get("further_reading"):
        out += ["", "Further reading:", ""]
        out += [f"- {' '.join(s.split())}" for s in data["further_reading"]]
    return "\n".join(out)
