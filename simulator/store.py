"""Where sessions live: LangGraph's SQLite checkpointer plus a small index of sessions.

The checkpointer holds every step of every branch (that is what makes resume and
rewind work); the index holds what a list of sessions needs (scenario, title, status,
when) so listing never has to read checkpoints. Both live in one SQLite file in the
data directory, in WAL mode so a reader never blocks the writer.

Deleting is for real. A deleted session's index row, every checkpoint of every branch
and every pending write go, and then the file itself is rewritten so the text is not
left behind in free pages or in the write-ahead log:

- ``PRAGMA secure_delete=ON`` (set on every connection; Debian's SQLite defaults to it,
  many other builds do not) overwrites deleted rows with zeros;
- ``VACUUM`` then rebuilds the database without the freed pages, and
- ``PRAGMA wal_checkpoint(TRUNCATE)`` copies the result into the main file and empties
  the ``-wal`` file, which otherwise keeps the old pages until the next checkpoint.

Measured on the raw bytes of the file and its -wal: without secure_delete, the delete
plus a checkpoint leaves the deleted lines in the file's free pages (a test keeps this
premise honest); VACUUM without a checkpoint leaves them in the main file until the WAL
is checkpointed; VACUUM plus the TRUNCATE checkpoint removes them with or without
secure_delete (tests/test_privacy_delete.py runs both), and secure_delete alone also
suffices once the WAL is checkpointed. Both are used, so a wipe that another process
delays (it holds the store open) still leaves only zeros once that process closes it.

``REHEARSE_RETENTION_DAYS`` deletes, the same way, sessions not used for that long
whenever a store opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph

from simulator.checkpoint_serde import MessageMemoSerializer
from simulator.errors import RehearseError, UnknownSession
from simulator.graph import builder
from simulator.paths import private_file

__all__ = ["Comment", "Deleted", "SessionInfo", "SessionStore", "open_store", "retention_days"]

_DAY = 24 * 60 * 60

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
    created DOUBLE PRECISION NOT NULL,
    updated DOUBLE PRECISION NOT NULL
)
"""

# A reviewer's (or the owner's) comments on turns of a session. CREATE IF NOT EXISTS is
# the whole migration: a store written by an older version gains the table as it opens.
_COMMENTS = """
CREATE TABLE IF NOT EXISTS rehearse_comments (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL
)
"""
_COMMENTS_INDEX = (
    "CREATE INDEX IF NOT EXISTS rehearse_comments_session ON rehearse_comments (session_id)"
)


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


@dataclass(frozen=True)
class Comment:
    """A comment on one turn of a session (turn 0: the scene's opening lines)."""

    id: str
    session_id: str
    turn: int
    author: str
    text: str
    created: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Deleted:
    """What a deletion removed, and whether its text is already gone from the file.

    ``wiped`` is False when another process had the store open: the rows are deleted
    and zeroed, and the old copies left in the write-ahead log go when the last
    process closes the store.
    """

    ids: list[str]
    wiped: bool


def retention_days() -> float | None:
    """``REHEARSE_RETENTION_DAYS``: keep sessions this many days after their last use.

    Unset or empty: keep them until they are deleted.
    """
    raw = os.environ.get("REHEARSE_RETENTION_DAYS", "").strip()
    if not raw:
        return None
    try:
        days = float(raw)
    except ValueError:
        days = 0.0
    if not days > 0 or days == float("inf"):
        raise RehearseError(
            f"REHEARSE_RETENTION_DAYS must be a number of days above 0, not {raw!r} "
            "(leave it unset to keep sessions until you delete them)."
        )
    return days


# Statuses remembered by checkpoint id: one per active session is all that is read.
_STATUSES_KEPT = 4096
# How often a run waiting for another process's run of the same session looks again (s).
_RUN_LOCK_POLL = 0.05


class SessionStore:
    """All sessions of one data directory, and the graph compiled against them.

    When ``REHEARSE_RETENTION_DAYS`` is set, sessions not updated for that many days
    are deleted as the store opens; :attr:`expired` lists their ids.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = path
        # Reentrant: with SQLite the checkpointer shares it (see _open_sqlite).
        self._lock = threading.RLock()
        # Each turn reads the transcript back; its lines are decoded once, not every turn.
        self.serde = MessageMemoSerializer()
        # Where each run in this process left its session: newest checkpoint id -> status.
        self._statuses: OrderedDict[str, str] = OrderedDict()
        self._statuses_lock = threading.Lock()
        self._pg = isinstance(path, str) and path.startswith(("postgresql://", "postgres://"))
        if self._pg:
            self._open_postgres(str(path))
        else:
            self._open_sqlite(Path(path))
        self._execute(_SCHEMA)
        self._execute(_COMMENTS)
        self._execute(_COMMENTS_INDEX)
        self.graph: CompiledStateGraph = builder.compile(checkpointer=self.checkpointer)
        days = retention_days()
        self.expired: list[str] = self.purge_older_than(days).ids if days else []

    def _open_sqlite(self, path: Path) -> None:
        # Created owner-only before SQLite opens it: SQLite gives the -wal and -shm files
        # it creates the main file's permissions, whatever the umask.
        private_file(path)
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.execute("PRAGMA journal_mode=WAL")
        # A turn commits three or four times (checkpoint, writes, index); with the default
        # FULL each commit waits for the disk (5 ms each measured here, most of a turn's
        # overhead). In WAL mode NORMAL stays consistent and loses nothing when the process
        # is killed; only a power cut may lose the last turns (SQLite's documented trade).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self.checkpointer = SqliteSaver(self._conn, serde=self.serde)
        # One connection, so one lock: with a lock each, the index could start a
        # transaction inside one of the checkpointer's ("cannot start a transaction
        # within a transaction", seen with six users starting sessions at once).
        self.checkpointer.lock = self._lock  # type: ignore[assignment]
        self.checkpointer.setup()
        for suffix in ("-wal", "-shm"):  # left with looser modes by an older version
            side = Path(f"{path}{suffix}")
            if side.exists():
                private_file(side)

    def _open_postgres(self, url: str) -> None:
        # Imported here: PostgreSQL is the scale-out path, an optional extra.
        try:
            import psycopg
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
        except ImportError:
            raise RehearseError(
                "REHEARSE_DATABASE_URL names PostgreSQL: install the extra with "
                "`pip install 'rehearse[postgres]'`."
            ) from None
        try:
            self._conn = psycopg.connect(url, autocommit=True)
            saver = psycopg.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
        except psycopg.OperationalError as exc:
            raise RehearseError(f"Cannot reach the database: {exc}".strip()) from None
        self._saver_conn = saver
        self.checkpointer = PostgresSaver(saver, serde=self.serde)  # type: ignore[assignment]
        self.checkpointer.setup()

    def _execute(
        self, sql: str, args: Sequence[Any] = (), *, many: bool = False
    ) -> list[tuple[Any, ...]]:
        """One statement on the index, committed; the rows it returns."""
        with self._lock:
            if self._pg:
                with self._conn.cursor() as cursor:
                    query = sql.replace("?", "%s")
                    if many:
                        cursor.executemany(query, args)
                    else:
                        cursor.execute(query, args)
                    return list(cursor.fetchall()) if cursor.description else []
            with self._conn:
                if many:
                    return self._conn.executemany(sql, args).fetchall()
                return self._conn.execute(sql, args).fetchall()

    def close(self) -> None:
        self._conn.close()
        if self._pg:
            self._saver_conn.close()

    def create(
        self, scenario_id: str, title: str, difficulty: str, model: str, owner: str = ""
    ) -> str:
        session_id = uuid.uuid4().hex[:12]
        now = time.time()
        self._execute(
            "INSERT INTO rehearse_sessions (id, scenario_id, title, difficulty, model, owner,"
            " created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, scenario_id, title, difficulty, model, owner, now, now),
        )
        return session_id

    def update(self, session_id: str, *, turns: int, finished: bool) -> None:
        self._execute(
            "UPDATE rehearse_sessions SET turns = ?, status = ?, updated = ? WHERE id = ?",
            (turns, "finished" if finished else "active", time.time(), session_id),
        )

    def get(self, session_id: str, owner: str | None = None) -> SessionInfo:
        """One session; with ``owner``, only if it belongs to that owner."""
        rows = self._execute("SELECT * FROM rehearse_sessions WHERE id = ?", (session_id,))
        row = rows[0] if rows else None
        if row is None or (owner is not None and row[5] != owner):
            raise UnknownSession(
                f"No session with id {session_id!r}. `rehearse sessions` lists them."
            )
        return SessionInfo(*row)

    def head(self, session_id: str) -> str | None:
        """The id of the session's newest checkpoint (its branch head), read cheaply.

        The same query the checkpointers make to find the latest checkpoint (both keep
        ``checkpoints(thread_id, checkpoint_ns, checkpoint_id)``, ids sortable by time),
        without deserialising the checkpoint.
        """
        rows = self._execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''"
            " ORDER BY checkpoint_id DESC LIMIT 1",
            (session_id,),
        )
        return str(rows[0][0]) if rows else None

    @contextlib.contextmanager
    def running(self, session_id: str) -> Iterator[None]:
        """One run of the session's graph at a time, across every process sharing it.

        In one process the studio queues a session's runs itself. Processes sharing
        PostgreSQL behind a load balancer that does not keep a user on one process
        could each take a line of the same session at once (two tabs, a double
        click): both runs would start from the same checkpoint, and the later save
        would leave the other turn on a side branch, gone from the conversation. So a
        run holds a PostgreSQL advisory lock named by the session, on this process's
        connection, which the server drops if the process dies. With SQLite there is
        one process: nothing to hold.
        """
        if not self._pg:
            yield
            return
        key = int.from_bytes(
            hashlib.blake2b(f"rehearse-run:{session_id}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        # Tried, not waited for on the connection: this process's other queries share it.
        while not self._execute("SELECT pg_try_advisory_lock(?)", (key,))[0][0]:
            time.sleep(_RUN_LOCK_POLL)
        try:
            yield
        finally:
            self._execute("SELECT pg_advisory_unlock(?)", (key,))

    def remember_status(self, checkpoint_id: str, status: str) -> None:
        """Note the status a finished run left its session in, at its newest checkpoint.

        The web APIs open a session afresh for every request, and reading the status
        back means deserialising the checkpoint and replaying LangGraph's bookkeeping
        (about 1 ms of CPU a turn, before the model is even asked; issue #9). A
        checkpoint does not change once its run has ended, and anything that happens
        to the session after writes a newer one: an entry can be missing, never wrong.
        """
        with self._statuses_lock:
            self._statuses[checkpoint_id] = status
            if len(self._statuses) > _STATUSES_KEPT:
                self._statuses.popitem(last=False)

    def status_at(self, checkpoint_id: str) -> str | None:
        """The status a run in this process left at ``checkpoint_id``, if one did."""
        return self._statuses.get(checkpoint_id)

    def leaves(self, session_id: str) -> list[str]:
        """The ids of the session's branch tips (checkpoints no other one continues),
        newest first, read from the index columns without deserialising a checkpoint:
        walking the whole history would read every checkpoint, each holding the whole
        transcript of its moment, which costs the square of the session's length.
        """
        rows = self._execute(
            "SELECT c.checkpoint_id FROM checkpoints c WHERE c.thread_id = ?"
            " AND c.checkpoint_ns = '' AND NOT EXISTS (SELECT 1 FROM checkpoints d"
            " WHERE d.thread_id = c.thread_id AND d.checkpoint_ns = ''"
            " AND d.parent_checkpoint_id = c.checkpoint_id)"
            " ORDER BY c.checkpoint_id DESC",
            (session_id,),
        )
        return [str(row[0]) for row in rows]

    def list(self, owner: str | None = None) -> list[SessionInfo]:
        """Sessions, most recently used first; with ``owner``, only theirs."""
        query = "SELECT * FROM rehearse_sessions"
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " WHERE owner = ?"
            args = (owner,)
        rows = self._execute(query + " ORDER BY updated DESC", args)
        return [SessionInfo(*row) for row in rows]

    # --- comments -----------------------------------------------------------------------

    def add_comment(self, session_id: str, turn: int, author: str, text: str) -> Comment:
        """Store a comment on ``turn`` of a session (which must exist)."""
        self.get(session_id)
        comment = Comment(uuid.uuid4().hex[:12], session_id, turn, author, text, time.time())
        self._execute(
            "INSERT INTO rehearse_comments (id, session_id, turn, author, text, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (comment.id, session_id, turn, author, text, comment.created),
        )
        return comment

    def comments(self, session_id: str) -> list[Comment]:
        """A session's comments, by turn and then in the order they were written."""
        rows = self._execute(
            "SELECT id, session_id, turn, author, text, created FROM rehearse_comments"
            " WHERE session_id = ? ORDER BY turn, created",
            (session_id,),
        )
        return [Comment(*row) for row in rows]

    # --- deleting -----------------------------------------------------------------------

    def delete(self, session_id: str, owner: str | None = None) -> Deleted:
        """Delete one session for good; with ``owner``, only if it is theirs."""
        self.get(session_id, owner)  # UnknownSession, also for someone else's session
        self._erase([session_id])
        return Deleted([session_id], self._reclaim())

    def forget_all(self, owner: str | None = None) -> Deleted:
        """Delete every session (with ``owner``: every one of theirs).

        Without an owner, checkpoints of threads missing from the index go too, so
        nothing at all is left.
        """
        ids = [info.id for info in self.list(owner)]
        threads: list[str] = []
        if owner is None:
            writes = "checkpoint_writes" if self._pg else "writes"
            threads = [
                row[0]
                for row in self._execute(
                    f"SELECT thread_id FROM checkpoints UNION SELECT thread_id FROM {writes}"
                )
            ]
        self._erase(ids, threads)
        return Deleted(ids, self._reclaim())

    def purge_older_than(self, days: float, owner: str | None = None) -> Deleted:
        """Delete the sessions (of ``owner``) last updated more than ``days`` ago."""
        cutoff = time.time() - days * _DAY
        ids = [info.id for info in self.list(owner) if info.updated < cutoff]
        if not ids:
            return Deleted([], True)
        self._erase(ids)
        return Deleted(ids, self._reclaim())

    def _erase(self, session_ids: Sequence[str], other_threads: Sequence[str] = ()) -> None:
        # Checkpoints first: if this stops half-way, the index row is still there, so the
        # session still shows in the list and can be deleted again.
        for thread_id in dict.fromkeys([*session_ids, *other_threads]):
            # All of a thread's rows in every table the checkpointer has (`checkpoints`:
            # every step of every branch; `writes`: pending writes), in any namespace.
            self.checkpointer.delete_thread(thread_id)
        gone = [(i,) for i in dict.fromkeys([*session_ids, *other_threads])]
        if gone:  # the comments quote the session: they go with it
            self._execute("DELETE FROM rehearse_comments WHERE session_id = ?", gone, many=True)
        if session_ids:
            self._execute(
                "DELETE FROM rehearse_sessions WHERE id = ?",
                [(i,) for i in session_ids],
                many=True,
            )
        # The decoded lines kept in memory (simulator.checkpoint_serde) go with them.
        self.serde.forget()

    def _reclaim(self) -> bool:
        """Rewrite the file without freed pages and empty the WAL; False if blocked."""
        if self._pg:
            # VACUUM FULL rewrites each table into new files without the dead rows.
            with self.checkpointer.lock, self._lock:
                self._conn.execute(
                    "VACUUM FULL checkpoints, checkpoint_blobs, checkpoint_writes, "
                    "rehearse_sessions, rehearse_comments"
                )
            return True
        # The checkpointer's lock too: VACUUM fails while any statement on this
        # connection is still running (a history being listed in another thread).
        with self.checkpointer.lock, self._lock:
            try:
                self._conn.execute("VACUUM")
                busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.OperationalError:  # "database is locked": another writer
                return False
        return busy == 0


def open_store() -> SessionStore:
    """The configured store: ``REHEARSE_DATABASE_URL`` (PostgreSQL) or SQLite in the home.

    With PostgreSQL, several ``rehearse serve`` processes (behind a load balancer) share
    every session; SQLite is one file on one machine.
    """
    from simulator.paths import home

    url = os.environ.get("REHEARSE_DATABASE_URL")
    store = SessionStore(url if url else home() / "sessions.sqlite")
    days = retention_days()
    if days:
        # Saved reframes are the user's words as much as sessions are: same retention.
        from simulator.reframing import ReframeJournal

        ReframeJournal().forget(older_than_days=days)
    return store
