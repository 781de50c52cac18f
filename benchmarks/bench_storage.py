"""Session storage: resuming a long session, and how many bytes its checkpoints take.

A 200-turn session is played with a fake chat model, then reopened from a fresh
SessionStore the way `rehearse resume` does it (open the store, read the status and
the transcript). The baseline, in the same process, is reading the same transcript
back from a JSON export of it: the least any store could cost.

It runs on SQLite, and on PostgreSQL too when ``REHEARSE_TEST_DATABASE_URL`` names one
(the session is deleted from it afterwards). Checkpoint bytes are what the session's
rows hold in the checkpointer's tables; the bytes a turn adds, early and late in the
session, show whether a checkpoint copies the whole transcript (growth with the
session's length) or only what the turn changed.

    python -m benchmarks.bench_storage [--turns 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator.report import export_json
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model, long_test_scene

__all__ = ["checkpoint_bytes", "run", "summary"]

LINE = "What would help you with that?"
REPLY = "I suppose it would help to have a plan, yes."

_SQLITE_BYTES = """
SELECT (SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0)
        FROM checkpoints WHERE thread_id = ?)
     + (SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes WHERE thread_id = ?)
"""
_PG_BYTES = """
SELECT (SELECT COALESCE(SUM(pg_column_size(checkpoint) + pg_column_size(metadata)), 0)
        FROM checkpoints WHERE thread_id = %s)
     + (SELECT COALESCE(SUM(octet_length(blob)), 0) FROM checkpoint_blobs WHERE thread_id = %s)
     + (SELECT COALESCE(SUM(octet_length(blob)), 0) FROM checkpoint_writes WHERE thread_id = %s)
"""


def checkpoint_bytes(store: SessionStore, session_id: str) -> int:
    """Bytes the session's checkpoints and pending writes take in the checkpointer."""
    if store._pg:
        with store._lock, store._conn.cursor() as cursor:
            cursor.execute(_PG_BYTES, (session_id,) * 3)
            row = cursor.fetchone()
    else:
        with store._lock:
            row = store._conn.execute(_SQLITE_BYTES, (session_id,) * 2).fetchone()
    return int(row[0]) if row else 0


def _one(where: str | Path, turns: int, repeats: int, tmp: Path) -> dict[str, Any]:
    scene = long_test_scene(turns)
    store = SessionStore(where)
    model = fake_model(*[REPLY] * turns)
    rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
    list(rehearsal.start())
    early = min(10, turns)
    sizes: dict[int, int] = {0: checkpoint_bytes(store, rehearsal.session_id)}
    for turn in range(1, turns + 1):
        list(rehearsal.say(LINE))
        if turn in (early - 1, early, turns - 1, turns):
            sizes[turn] = checkpoint_bytes(store, rehearsal.session_id)
    session_id = rehearsal.session_id
    exported = tmp / "export.json"
    exported.write_text(
        export_json(store.get(session_id).as_dict(), rehearsal.lines(), None), encoding="utf-8"
    )
    store.close()
    resume, baseline = [], []
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            again = SessionStore(where)
            reopened = Rehearsal(again, session_id, scene)
            status, lines = reopened.status, reopened.lines()
            resume.append(time.perf_counter() - started)
            again.close()
            assert status == "awaiting_user" and len(lines) == 2 * turns + 1
            started = time.perf_counter()
            data = json.loads(exported.read_text(encoding="utf-8"))
            baseline.append(time.perf_counter() - started)
            assert len(data["transcript"]) == len(lines)
    finally:
        if isinstance(where, str):  # PostgreSQL: leave the shared database as it was
            cleanup = SessionStore(where)
            cleanup.delete(session_id)
            cleanup.close()
    med = statistics.median
    result: dict[str, Any] = {
        "resume_ms_median": round(med(resume) * 1000, 1),
        "json_baseline_ms_median": round(med(baseline) * 1000, 2),
        "ratio": round(med(resume) / med(baseline), 1),
        "checkpoint_kib": round(sizes[turns] / 1024),
        "bytes_per_turn_early": sizes[early] - sizes[early - 1],
        "bytes_per_turn_late": sizes[turns] - sizes[turns - 1],
    }
    if isinstance(where, Path):
        result["database_kib"] = round(where.stat().st_size / 1024)
    return result


def run(turns: int = 200, repeats: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result: dict[str, Any] = {
            "turns": turns,
            "sqlite": _one(Path(tmp) / "bench.sqlite", turns, repeats, Path(tmp)),
        }
        url = os.environ.get("REHEARSE_TEST_DATABASE_URL")
        result["postgres"] = (
            _one(url, turns, repeats, Path(tmp))
            if url
            else {"skipped": "REHEARSE_TEST_DATABASE_URL is not set"}
        )
    return result


def summary(r: dict[str, Any]) -> str:
    parts = []
    for name in ("sqlite", "postgres"):
        s = r[name]
        if "skipped" in s:
            parts.append(f"{name}: skipped ({s['skipped']})")
            continue
        parts.append(
            f"{name}: resume {s['resume_ms_median']:g} ms, checkpoints "
            f"{s['checkpoint_kib']:,} KiB, a turn adds {s['bytes_per_turn_early']:,} B "
            f"at turn 10 and {s['bytes_per_turn_late']:,} B at turn {r['turns']}"
        )
    return f"{r['turns']}-turn session. " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    result = run(parser.parse_args().turns)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
