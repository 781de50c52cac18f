"""The session's messages as numbered transcript lines.

Turn 0 holds the opening lines; the user's n-th line and the replies to it are turn n.
The debrief quotes these numbers as evidence, and every view (terminal, web, export)
numbers lines the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from langchain_core.messages import AnyMessage, HumanMessage

from simulator.schema import Scenario

__all__ = ["USER", "Line", "transcript", "user_lines"]

USER = "you"


@dataclass(frozen=True)
class Line:
    turn: int
    speaker: str  # a persona id, or "you"
    name: str  # what to show
    text: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def transcript(messages: Sequence[AnyMessage], scenario: Scenario) -> list[Line]:
    names = {m.persona_id: scenario.persona(m.persona_id).name for m in scenario.cast}
    lines = []
    turn = 0
    for message in messages:
        if isinstance(message, HumanMessage):
            turn += 1
            lines.append(Line(turn, USER, "You", str(message.content)))
        else:
            speaker = message.name or scenario.cast[0].persona_id
            lines.append(Line(turn, speaker, names.get(speaker, speaker), str(message.content)))
    return lines


def user_lines(lines: Sequence[Line]) -> dict[int, str]:
    """The user's line of each turn."""
    return {line.turn: line.text for line in lines if line.speaker == USER}
