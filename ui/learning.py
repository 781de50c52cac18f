"""Technique notes in the studio: a collapsible panel per note.

The scenario card, the practice room's side panel and the debrief all show the same
panel (closed by default, so the scene stays in front). Each has an anchor,
``learn-<note id>``, so the debrief can link to the note. Note text comes from scenario
authors; it is HTML-escaped all the same.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from simulator.schema import TechniqueNote

__all__ = ["note_panel", "notes_panel"]


def _data(note: TechniqueNote | Mapping[str, Any]) -> dict[str, Any]:
    return note.model_dump() if isinstance(note, TechniqueNote) else dict(note)


def _text(value: str) -> str:
    return html.escape(" ".join(value.split()))


def _items(tag: str, values: Iterable[str]) -> str:
    return f"<{tag}>" + "".join(f"<li>{_text(v)}</li>" for v in values) + f"</{tag}>"


def note_panel(note: TechniqueNote | Mapping[str, Any], *, opened: bool = False) -> str:
    """One note as a ``<details>`` panel: the summary in view, the rest one click away."""
    data = _data(note)
    parts = [
        f"<details class='learn' id='learn-{html.escape(data['id'])}'"
        + (" open" if opened else "")
        + ">",
        f"<summary>Learn: {_text(data['technique'])}</summary>",
        f"<p>{_text(data['summary'])}</p>",
        "<p><b>How to do it</b></p>",
        _items("ol", data["steps"]),
    ]
    if data.get("example"):
        parts.append(f"<p><b>For example</b></p><blockquote>{_text(data['example'])}</blockquote>")
    if data.get("pitfalls"):
        parts += ["<p><b>Watch out for</b></p>", _items("ul", data["pitfalls"])]
    if data.get("further_reading"):
        parts += ["<p class='meta'>Further reading</p>", _items("ul", data["further_reading"])]
    parts.append("</details>")
    return "".join(parts)


def notes_panel(notes: Iterable[TechniqueNote | Mapping[str, Any]], heading: str = "") -> str:
    """Every note's panel under an optional Markdown heading ("" when there is none)."""
    panels = [note_panel(note) for note in notes]
    if not panels:
        return ""
    return "\n\n".join(([heading] if heading else []) + panels)
