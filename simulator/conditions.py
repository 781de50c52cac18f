"""State conditions such as ``trust >= 6 and defensiveness < 4``.

Scenario authors write conditions for reveals, goals and end conditions. They are
parsed by a tiny grammar rather than ``eval`` so that a scenario file can never run
code: ``NAME OP NUMBER`` clauses joined by ``and`` / ``or`` (``and`` binds tighter).

In a scene with several characters a name may be qualified by a persona id
(``inner-critic.trust >= 6``): each character has its own copy of the hidden variables,
and the state holds them under these qualified names.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Clause", "Condition", "ConditionSyntaxError", "parse_condition"]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
# A persona id (a slug, so it may hold hyphens) and a dot may qualify the variable name.
_NAME = r"(?:[a-z0-9][a-z0-9-]*\.)?[A-Za-z_][A-Za-z0-9_]*"
_CLAUSE = re.compile(rf"^\s*({_NAME})\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")


class ConditionSyntaxError(ValueError):
    """A condition string that does not follow ``name op number [and|or ...]``."""


@dataclass(frozen=True)
class Clause:
    """One comparison of a state variable with a number."""

    variable: str
    op: str
    value: float

    def holds(self, state: Mapping[str, float]) -> bool:
        return _OPERATORS[self.op](state.get(self.variable, 0.0), self.value)

    def distance(self, state: Mapping[str, float]) -> float:
        """How far the variable is from satisfying this clause (0 when it holds)."""
        if self.holds(state):
            return 0.0
        value = state.get(self.variable, 0.0)
        return abs(value - self.value) if self.op != "!=" else 1.0

    def __str__(self) -> str:
        value = int(self.value) if self.value == int(self.value) else self.value
        return f"{self.variable} {self.op} {value}"


@dataclass(frozen=True)
class Condition:
    """A disjunction of conjunctions of clauses: ``any(all(clauses) for group)``."""

    source: str
    groups: tuple[tuple[Clause, ...], ...]

    def holds(self, state: Mapping[str, float]) -> bool:
        return any(all(clause.holds(state) for clause in group) for group in self.groups)

    def distance(self, state: Mapping[str, float]) -> float:
        """How far ``state`` is from satisfying the condition (0 when it holds)."""
        return min(sum(c.distance(state) for c in group) for group in self.groups)

    @property
    def variables(self) -> set[str]:
        return {clause.variable for group in self.groups for clause in group}

    def unknown_variables(self, known: Iterable[str]) -> list[str]:
        return sorted(self.variables - set(known))

    def __str__(self) -> str:
        return self.source


def parse_condition(text: str) -> Condition:
    """Parse ``text``; raise :class:`ConditionSyntaxError` with a readable message."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionSyntaxError("a condition must be a non-empty string like 'trust >= 6'")
    groups = []
    for alternative in re.split(r"\s+or\s+", text.strip()):
        clauses = []
        for part in re.split(r"\s+and\s+", alternative):
            match = _CLAUSE.match(part)
            if match is None:
                raise ConditionSyntaxError(
                    f"cannot read {part.strip()!r} in condition {text!r}; write comparisons "
                    "like 'trust >= 6' (or 'persona-id.trust >= 6') joined by 'and' / 'or'"
                )
            name, op, number = match.groups()
            clauses.append(Clause(name, op, float(number)))
        groups.append(tuple(clauses))
    return Condition(text.strip(), tuple(groups))
