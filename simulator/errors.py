"""The errors Rehearse shows to people, never as tracebacks.

RehearseError                 -- base: the CLI prints str(error) and exits 1
├── ScenarioFileError         -- one or more problems in a scenario or persona file
├── UnknownScenario           -- no scenario with that id
├── UnknownSession            -- no session with that id
├── ModelUnavailable          -- the model endpoint failed, timed out or is not configured
└── LocalModelError           -- the embedded model server could not be started
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LocalModelError",
    "ModelUnavailable",
    "Problem",
    "RehearseError",
    "ScenarioFileError",
    "UnknownScenario",
    "UnknownSession",
    "describe_failure",
]


class RehearseError(Exception):
    """Something went wrong that the user can act on; the message says what."""


@dataclass(frozen=True)
class Problem:
    """One problem in a file: where it is and what is wrong, in plain words."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ScenarioFileError(RehearseError):
    """A scenario or persona file that cannot be used as it is."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnknownScenario(RehearseError):
    """No scenario with that id."""


class UnknownSession(RehearseError):
    """No session with that id."""


class ModelUnavailable(RehearseError):
    """The model endpoint failed, timed out, or is not configured."""


class LocalModelError(RehearseError):
    """The embedded model server could not be started."""


def describe_failure(exc: BaseException) -> str:
    """A one-line, user-facing account of why a model call failed."""
    name = type(exc).__name__
    if "Timeout" in name:
        return "it took longer than the configured timeout."
    if "Connection" in name:
        return "the endpoint could not be reached (is the server running, is the URL right?)."
    status = getattr(exc, "status_code", None)
    if status == 401:
        return "the endpoint refused the API key (401)."
    if status == 404:
        return "the endpoint does not know that model (404)."
    if status == 429:
        return "the endpoint is rate-limiting requests (429); wait a moment and retry."
    if status:
        return f"the endpoint answered with an error ({status})."
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{name}: {detail}" if detail else name
