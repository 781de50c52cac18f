"""Idle sessions are not kept in memory: the studio's per-session tables stay empty.

Many sessions are started, spoken in, finished and read through the studio's handlers
(what the web page and the API run) with a fake model; afterwards nothing per session
may be left in the process: no ``Rehearsal`` object, no run lock, no busy count
(download folders are found again by a keyed hash of the id, not kept in a table).
The test counts objects, not bytes or seconds, so it is exact on any machine;
``benchmarks/bench_memory.py`` measures the bytes.
"""

from __future__ import annotations

import gradio as gr

from benchmarks.bench_memory import live_rehearsals, retained
from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import fake_model
from ui.handlers import Studio

SESSIONS = 30


def test_many_sessions_leave_nothing_per_session_in_the_studio(
    store: SessionStore, test_catalog: Catalog
) -> None:
    studio = Studio(store, fake_model(*["Fine."] * (3 * SESSIONS)), test_catalog, assessor="rules")
    users = [gr.Request(username=f"user-{n % 5}") for n in range(SESSIONS)]
    for number, request in enumerate(users):
        session_id, _opening = studio.api_start_session("test-scene", "medium", request)
        studio.api_send_message(session_id, "What is going on for you?", request)
        if number % 2:  # half of them finished, their debrief shown (download files written)
            studio.end(session_id, request)
            studio.resume(session_id, request)

    assert len(store.list()) == SESSIONS  # every session is in the store ...
    assert live_rehearsals() == 0  # ... and none of them is held in memory
    kept = retained(studio)
    assert kept["locks"] == 0 and kept["busy"] == 0 and kept["starting"] == 0
    assert kept["owner_locks"] <= 5  # one per user who deleted or exported, not per session


def test_a_session_can_still_be_served_one_run_at_a_time_after_its_lock_went(
    store: SessionStore, test_catalog: Catalog
) -> None:
    studio = Studio(store, fake_model("One.", "Two."), test_catalog, assessor="rules")
    session_id, _ = studio.api_start_session("test-scene", "medium", None)
    assert studio.api_send_message(session_id, "First line.", None) == "One."
    assert retained(studio)["locks"] == 0
    with studio.exclusive(session_id):  # while a run holds it, the lock is there ...
        assert retained(studio)["locks"] == 1 and studio.is_busy(session_id)
    assert retained(studio)["locks"] == 0  # ... and it goes with the last run
    assert studio.api_send_message(session_id, "Second line.", None) == "Two."
