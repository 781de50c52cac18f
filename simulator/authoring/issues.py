"""Structured problems for editors: line, field, message and a suggested fix, apart.

The loader writes a suggestion into its message ("unknown key 'fars'; did you mean
'fears'?") because the command line prints one line per problem. An editor wants the
parts apart, to underline the field and offer the fix as a button, so :func:`from_problem`
splits them again instead of the loader being taught a second way to say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Literal

from simulator.errors import Problem

__all__ = ["Issue", "from_problem", "from_problems"]

Severity = Literal["error", "warning"]

# The loader's phrasings of a fix, after the "; " that ends the plain message.
_HINTS = (
    re.compile(r"^(?P<message>.*?); (?P<hint>did you mean .*\?)$", re.DOTALL),
    re.compile(r"^(?P<message>.*?); (?P<hint>allowed keys here: .*)$", re.DOTALL),
    re.compile(r"^(?P<message>.*?); (?P<hint>use one of .*)$", re.DOTALL),
    re.compile(r"^(?P<message>unknown state variable .*?); (?P<hint>.*)$", re.DOTALL),
)


@dataclass(frozen=True)
class Issue:
    """One thing to fix (an error) or to consider (a warning) in a file."""

    file: str
    line: int | None
    field: str | None
    message: str
    suggestion: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        hint = f" ({self.suggestion})" if self.suggestion else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}:{field} {label}{self.message}{hint}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def from_problem(problem: Problem, severity: Severity = "error") -> Issue:
    """The loader's :class:`Problem` with its suggested fix split from its message."""
    message, suggestion = problem.message, None
    for pattern in _HINTS:
        match = pattern.match(problem.message)
        if match:
            message, suggestion = match["message"], match["hint"]
            break
    return Issue(problem.file, problem.line, problem.field, message, suggestion, severity)


def from_problems(problems: list[Problem]) -> list[Issue]:
    return [from_problem(p) for p in problems]
