"""Memory per idle session in the web studio, and proof that old sessions are not kept.

Sessions are started, and one line is said in each, through the studio's API handlers
(``Studio.api_start_session`` and ``api_send_message``, what a ``gradio_client`` call
runs) as different signed-in users, with a fake chat model; then they sit idle. Two
equal batches are played one after the other, and after each the process is measured:

- ``tracemalloc``: Python memory still allocated, per session of the batch. The first
  batch pays for warm-up (imports, caches, SQLite's page cache filling); the second
  shows what one more idle session costs. Its ratio to the first is the figure to watch:
  far below 1 means idle sessions are not held in memory.
- RSS (``/proc/self/statm``) growth per session, which also counts SQLite's page cache
  and allocator slack;
- what is retained: ``Rehearsal`` objects still alive after garbage collection (each
  one holds a session's scenario and model: there should be none), and the sizes of the
  studio's tables keyed by session or user (run locks, busy counters).

    python -m benchmarks.bench_memory [--sessions 200]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import gradio as gr

from simulator.catalog import Catalog
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, fake_model
from ui.handlers import Studio

__all__ = ["live_rehearsals", "retained", "run", "summary"]

REPLY = "Honestly, the spec changed twice and nobody told me."


def live_rehearsals() -> int:
    """``Rehearsal`` objects alive in this process after a full garbage collection."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Rehearsal))


def retained(studio: Studio) -> dict[str, int]:
    """Sizes of the studio's tables that are keyed by session or user."""
    return {
        "locks": len(studio._locks),
        "busy": len(studio._busy),
        "starting": len(studio._starting),
        "owner_locks": len(studio._owner_locks),
        "archives": len(studio._archives),
    }


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _play(studio: Studio, first: int, count: int) -> None:
    for number in range(first, first + count):
        request = gr.Request(username=f"user-{number}")
        session_id, _opening = studio.api_start_session("test-scene", "medium", request)
        studio.api_send_message(session_id, "What is going on for you?", request)


def run(sessions: int = 200) -> dict[str, Any]:
    """Two batches of ``sessions // 2`` idle sessions; memory after each."""
    half = max(1, sessions // 2)
    catalog = Catalog.load([("test", DATA / "scenarios", DATA / "personas")])
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(Path(tmp) / "sessions.sqlite")
        model = fake_model(*[REPLY] * (2 * half + 2))
        studio = Studio(store, model, catalog, model_name="fake", assessor="rules")
        _play(studio, 0, 1)  # warm-up: imports and first-use caches are not a session's
        gc.collect()
        tracemalloc.start()
        try:
            base_heap, base_rss = tracemalloc.get_traced_memory()[0], _rss()
            _play(studio, 1, half)
            gc.collect()
            first_heap = tracemalloc.get_traced_memory()[0]
            _play(studio, 1 + half, half)
            gc.collect()
            second_heap, second_rss = tracemalloc.get_traced_memory()[0], _rss()
        finally:
            tracemalloc.stop()
        result = {
            "sessions": 2 * half + 1,
            "heap_bytes_per_session_first": round((first_heap - base_heap) / half),
            "heap_bytes_per_session_second": round((second_heap - first_heap) / half),
            "rss_bytes_per_session": round((second_rss - base_rss) / (2 * half)),
            "live_rehearsals": live_rehearsals(),
            "retained": retained(studio),
            "stored_sessions": len(store.list()),
        }
        first = result["heap_bytes_per_session_first"]
        result["second_to_first_ratio"] = (
            round(result["heap_bytes_per_session_second"] / first, 3) if first > 0 else None
        )
        store.close()
    return result


def summary(r: dict[str, Any]) -> str:
    kept = ", ".join(f"{k} {v}" for k, v in r["retained"].items() if v)
    return (
        f"{r['sessions']} idle sessions: {r['heap_bytes_per_session_second']:,} B of Python "
        f"heap per extra session (first batch {r['heap_bytes_per_session_first']:,} B, "
        f"ratio {r['second_to_first_ratio']}), RSS {r['rss_bytes_per_session']:,} B per "
        f"session; {r['live_rehearsals']} Rehearsal objects alive; per-session tables: "
        f"{kept or 'all empty'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    result = run(args.sessions)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
