"""Review and supervision: who may read whose sessions, comments on turns, annotated exports.

A *reviewer* (a supervisor, a trainer) reads the sessions of the users assigned to them
and comments on specific turns; everyone else reads only their own sessions. The
assignment is a small text file given to ``rehearse serve --reviewers FILE``, one
reviewer per line::

    # reviewer: the users whose sessions they review
    dr-lee: alice, bob
    sam: carol

Comments live in the session store beside the session (:meth:`SessionStore.add_comment`)
and go when the session is deleted. The annotated transcript is the ordinary export
(:mod:`simulator.report`) with each comment quoted under the turn it is about.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The archive's reader of one session: the current branch, and speakers by id when the
# scenario file has gone since, so a reviewer can still read what was said.
from simulator.archive import _session as session_content
from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.report import export_json, export_markdown
from simulator.store import Comment, SessionInfo, SessionStore
from simulator.transcript import Line

__all__ = [
    "MAX_COMMENT",
    "Reviewed",
    "Reviewers",
    "add_comment",
    "annotated_json",
    "annotated_markdown",
    "read_reviewers",
    "reviewable",
    "reviewed",
    "session_label",
]

MAX_COMMENT = 4000  # characters: a paragraph of feedback, not a file pasted by mistake
_NAME = re.compile(r"^[^\s:,#]+$")


@dataclass(frozen=True)
class Reviewers:
    """Which users each reviewer may read; nobody else reads anyone's sessions but their own."""

    assigned: dict[str, frozenset[str]] = field(default_factory=dict)

    def owners_visible_to(self, viewer: str) -> frozenset[str]:
        """Whose sessions ``viewer`` may read: their own, and their assignees'."""
        return frozenset({viewer}) | self.assigned.get(viewer, frozenset())

    def can_read(self, viewer: str, info: SessionInfo) -> bool:
        return info.owner in self.owners_visible_to(viewer)

    def is_reviewer(self, viewer: str) -> bool:
        return bool(self.assigned.get(viewer))


def read_reviewers(path: Path | str, users: Iterable[str] | None = None) -> Reviewers:
    """Read a reviewers file (see the module's docstring); errors name ``file:line``.

    With ``users`` (the names ``--auth`` knows), every name must be one of them: a typo
    would otherwise silently give a reviewer nobody, or nobody a reviewer.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RehearseError(f"{path}: cannot read the reviewers file ({exc}).") from None
    known = set(users) if users is not None else None
    assigned: dict[str, set[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path}:{number}"
        reviewer, colon, rest = line.partition(":")
        reviewer = reviewer.strip()
        names = [n.strip() for n in rest.split(",") if n.strip()]
        if not colon or not reviewer or not names:
            raise RehearseError(
                f"{where}: expected `reviewer: user, user` (a reviewer, a colon, and the "
                "users whose sessions they review, separated by commas)."
            )
        for name in [reviewer, *names]:
            if not _NAME.match(name):
                raise RehearseError(f"{where}: {name!r} is not a user name (no spaces).")
            if known is not None and name not in known:
                raise RehearseError(
                    f"{where}: {name!r} is not one of the users given to --auth "
                    f"({', '.join(sorted(known))})."
                )
        if reviewer in names:
            raise RehearseError(f"{where}: {reviewer!r} is listed as their own reviewer.")
        assigned.setdefault(reviewer, set()).update(names)
    if not assigned:
        raise RehearseError(f"{path}: no `reviewer: user, user` lines found.")
    return Reviewers({r: frozenset(n) for r, n in assigned.items()})


def reviewable(
    store: SessionStore,
    viewer: str,
    reviewers: Reviewers | None,
    scenario_id: str | None = None,
) -> list[SessionInfo]:
    """The sessions ``viewer`` may read, by scenario and then newest first."""
    allowed = (reviewers or Reviewers()).owners_visible_to(viewer)
    sessions = [
        s
        for s in store.list()
        if s.owner in allowed and (not scenario_id or s.scenario_id == scenario_id)
    ]
    sessions.sort(key=lambda s: -s.created)
    sessions.sort(key=lambda s: (s.title.casefold(), s.scenario_id))  # stable: dates stay
    return sessions


@dataclass(frozen=True)
class Reviewed:
    """One session as a reviewer reads it."""

    info: SessionInfo
    lines: list[Line]
    debrief: dict[str, Any] | None
    comments: list[Comment]

    @property
    def turns(self) -> list[int]:
        return sorted({line.turn for line in self.lines})


def reviewed(store: SessionStore, catalog: Catalog, info: SessionInfo) -> Reviewed:
    """Transcript (the current branch), debrief and comments of a session.

    A session whose scenario file has gone is still readable (speakers by id).
    """
    lines, debrief, _others = session_content(store, catalog, info)
    return Reviewed(info, lines, debrief, store.comments(info.id))


def add_comment(
    store: SessionStore, session: Reviewed, turn: int | str | None, author: str, text: str
) -> Comment:
    """Comment on one turn of a session the caller may read; bad input is a RehearseError."""
    text = (text or "").strip()
    if not text:
        raise RehearseError("Write the comment first.")
    if len(text) > MAX_COMMENT:
        raise RehearseError(
            f"A comment can be up to {MAX_COMMENT} characters; this one has {len(text)}."
        )
    try:
        number = int(str(turn).strip())
    except ValueError:
        number = -1
    if number not in session.turns:
        have = session.turns
        span = f"turns {have[0]} to {have[-1]}" if have else "no turns yet"
        raise RehearseError(f"There is no turn {turn} in this session ({span}).")
    return store.add_comment(session.info.id, number, author, text)


def annotated_markdown(session: Reviewed) -> str:
    """The transcript with its debrief and every comment under its turn, as Markdown."""
    return export_markdown(
        session.info.as_dict(), session.lines, session.debrief, comments=session.comments
    )


def annotated_json(session: Reviewed) -> str:
    """The same as JSON: the usual export plus a ``comments`` list."""
    return export_json(
        session.info.as_dict(), session.lines, session.debrief, comments=session.comments
    )


def session_label(info: SessionInfo, comments: Sequence[Comment] = ()) -> str:
    """One line for a list of sessions to review: date, scenario, who, how far."""
    day = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created))
    who = f" · {info.owner}" if info.owner else ""
    noted = f" · {len(comments)} comment(s)" if comments else ""
    return f"{info.title} · {day}{who} · {info.status}, {info.turns} turn(s){noted}"
