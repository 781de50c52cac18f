"""Where sessions live: LangGraph's SQLite checkpointer plus a small index of sessions.

The checkpointer holds every step of every branch (that is what makes resume and
rewind work); the index holds what a list of sessions needs (scenario, title, status,
when) so listing never has to read checkpoints. Both live in one SQLite file in the
data directory, in WAL mode so a reader never blocks the writer.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph

from simulator.errors import UnknownSession
from simulator.graph import builder

__all__ = ["SessionInfo", "SessionStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rehearse_sessions (
    id TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL,
    title TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    model TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active',
    turns INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL
)
"""


@dataclass(frozen=True)
class SessionInfo:
    id: str
    scenario_id: str
    title: str
    difficulty: str
    model: str
    owner: str
    status: str  # "active" or "finished"
    turns: int
    created: float
    updated: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SessionStore:
    """All sessions of one data directory, and the graph compiled against them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self.checkpointer = SqliteSaver(self._conn)
        self.checkpointer.setup()
        with self._lock, self._conn:
            self._conn.execute(_SCHEMA)
        self.graph: CompiledStateGraph = builder.compile(checkpointer=self.checkpointer)

    def close(self) -> None:
        self._conn.close()

    def create(
        self, scenario_id: str, title: str, difficulty: str, model: str, owner: str = ""
    ) -> str:
        session_id = uuid.uuid4().hex[:12]
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO rehearse_sessions (id, scenario_id, title, difficulty, model, owner,"
                " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, scenario_id, title, difficulty, model, owner, now, now),
            )
        return session_id

    def update(self, session_id: str, *, turns: int, finished: bool) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "UPDATE rehearse_sessions SET turns = ?, status = ?, updated = ? WHERE id = ?",
                (turns, "finished" if finished else "active", time.time(), session_id),
            )

    def get(self, session_id: str, owner: str | None = None) -> SessionInfo:
        """One session; with ``owner``, only if it belongs to that owner."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM rehearse_sessions WHERE id = ?", (session_id,)
            ).fetchone()
        if row is None or (owner is not None and row[5] != owner):
            raise UnknownSession(
                f"No session with id {session_id!r}. `rehearse sessions` lists them."
            )
        return SessionInfo(*row)

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        """Sessions, most recently used first; with ``owner``, only theirs."""
        query = "SELECT * FROM rehearse_sessions"
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " WHERE owner = ?"
            args = (owner,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY updated DESC", args).fetchall()
        return [SessionInfo(*row) for row in rows]
