"""``rehearse thinking-traps``: one JSON line in, one JSON line out.

Each input line is ``{"text": ...}``; each output line is ``{"line", "traps"}`` (plus
``"explanations"`` when asked), or ``{"line", "error"}`` naming the line that could not
be read, so a bad line never stops the rest or shows a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.thinking_traps.detector import detect

__all__ = ["annotate_line"]


def annotate_line(number: int, raw: bytes, explain: bool = False) -> dict[str, Any]:
    """The output row for input line ``number`` (bytes, so bad encoding is an error row)."""
    try:
        item = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {"line": number, "error": f"line {number}: not a JSON line ({exc})"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"line": number, "error": f'line {number}: expected {{"text": "..."}}'}
    detection = detect(item["text"])
    row: dict[str, Any] = {"line": number, "traps": detection.traps}
    if explain:
        row["explanations"] = detection.explanations
    return row
