"""A studio that has been up a while: does a turn cost more after many events, and does
the server's memory keep growing?

``rehearse serve`` runs in its own process (as in :mod:`benchmarks.bench_concurrency`),
against the fake OpenAI-compatible server answering at once, and lives through a day of
use: ``events`` cheap calls (``list_scenarios``) from ``visitors`` Gradio sessions (a
browser tab, or an API client, is one), eight at a time, in ten batches. Then a second
server starts, fresh, and one user plays ``turns`` turns through Gradio's API on each,
five on one and five on the other in turn, the server's CPU time read from ``/proc``.
Reported: CPU and wall time per turn on the old server and on the fresh one (the
baseline, measured in the same minutes), their ratio, the old server's CPU per cheap
call in the first and the last batch, and its resident memory before and after the day.

Gradio's queue kept a record of its last 10,000 events and rebuilt a pandas summary of
them after each one, and Gradio keeps each session's copy of the page's state until
10,000 newer sessions have come; the full run sends 10,000 events from 2,000 sessions.
``--gradio-defaults`` serves with Gradio's own settings for its event history instead of
the studio's (``ui/app.py``), to compare.

    python -m benchmarks.bench_uptime [--events 10000] [--visitors 2000] [--turns 30]
                                      [--gradio-defaults]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.bench_concurrency import (
    REPLY,
    _call,
    _cpu_seconds,
    _rss_kib,
    _send,
    _Server,
    _start,
)
from tests.fake_openai import FakeOpenAI

__all__ = ["run", "summary"]

GOAL = 1.2  # no growth beyond this machine's spread between two batches of turns
CLIENTS = 8
SESSIONS = 6  # the turns go round these (a scene ends after a dozen turns)
BATCH = 5  # turns in a row on one server before the other's
# Gradio's own settings for its event history: a record of each of the last 10,000
# events, summarised after every event.
GRADIO_DEFAULTS = {"GRADIO_ANALYTICS_MAX_EVENTS": "10000", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1"}


class _Player:
    """One user's Gradio API turns on one server, with its CPU time and wall times."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.sessions = [_start(server.base, "user", "gradio") for _ in range(SESSIONS)]
        self.played = 0
        self.cpu = 0.0
        self.walls: list[float] = []

    def play(self, turns: int) -> None:
        pid = self.server.process.pid
        cpu = -_cpu_seconds(pid)
        for _ in range(turns):
            session = self.sessions[self.played % SESSIONS]
            started = time.perf_counter()
            reply = _send(self.server.base, session, f"Line {self.played}.", "user", "gradio")
            self.walls.append(time.perf_counter() - started)
            if reply != REPLY:
                raise RuntimeError(f"unexpected reply {reply!r}")
            self.played += 1
        self.cpu += cpu + _cpu_seconds(pid)

    def figures(self) -> dict[str, float]:
        return {
            "cpu_ms_per_turn": round(self.cpu / self.played * 1000, 1),
            "wall_ms_median": round(statistics.median(self.walls) * 1000, 1),
        }


def _warm(server: _Server) -> None:
    """The first sessions and turns load what every later one reuses."""
    _Player(server).play(SESSIONS * 2)


def _events(server: _Server, events: int, visitors: int) -> dict[str, float]:
    """``events`` cheap calls from ``visitors`` Gradio sessions (browser tabs opened over
    a day, each making its share of the calls), eight at a time, in ten batches: the
    server's CPU per call over the first batch and the last, and its memory."""
    pid = server.process.pid
    calls = max(1, events // visitors)
    batch = max(1, visitors // 10)
    per_call: list[float] = []
    rss_before = _rss_kib(pid)

    def visitor(j: int) -> None:
        for _ in range(calls):
            _call(server.base, "list_scenarios", tab=f"visitor-{j}")

    with ThreadPoolExecutor(CLIENTS) as pool:
        for first in range(0, visitors, batch):
            chosen = range(first, min(first + batch, visitors))
            cpu = -_cpu_seconds(pid)
            list(pool.map(visitor, chosen))
            cpu += _cpu_seconds(pid)
            per_call.append(cpu / (len(chosen) * calls) * 1000)
    rss_after = _rss_kib(pid)
    return {
        "cpu_ms_per_event_first_batch": round(per_call[0], 2),
        "cpu_ms_per_event_last_batch": round(per_call[-1], 2),
        "rss_mib_before": round(rss_before / 1024, 1),
        "rss_mib_after": round(rss_after / 1024, 1),
        "rss_kib_per_visitor": round((rss_after - rss_before) / visitors, 1),
    }


def run(
    events: int = 10_000, visitors: int = 2_000, turns: int = 30, gradio_defaults: bool = False
) -> dict[str, Any]:
    env = GRADIO_DEFAULTS if gradio_defaults else None
    with FakeOpenAI(reply=REPLY) as model, tempfile.TemporaryDirectory() as tmp:
        servers: list[_Server] = []
        try:
            servers.append(_Server(model.base_url, Path(tmp) / "old", None, env=env))
            _warm(servers[0])
            started = time.perf_counter()
            day = _events(servers[0], events, visitors)
            seconds = time.perf_counter() - started
            # Against a server started now, turns taken in turn: this machine's speed
            # swings by half from one minute to the next, so a comparison with the same
            # server before its day said more about the minute than the server.
            servers.append(_Server(model.base_url, Path(tmp) / "new", None, env=env))
            _warm(servers[1])
            old, new = _Player(servers[0]), _Player(servers[1])
            size = min(BATCH, turns)
            for batch in range(max(1, turns // size)):
                for player in (old, new) if batch % 2 == 0 else (new, old):
                    player.play(size)
        finally:
            for server in servers:
                server.stop()
    after, fresh = old.figures(), new.figures()
    return {
        "settings": "Gradio's own" if gradio_defaults else "the studio's",
        "events": events,
        "visitors": visitors,
        "turns": old.played,
        "fresh": fresh,
        "after": after,
        "cpu_ratio": round(after["cpu_ms_per_turn"] / fresh["cpu_ms_per_turn"], 2),
        "wall_ratio": round(after["wall_ms_median"] / fresh["wall_ms_median"], 2),
        "events_seconds": round(seconds, 1),
        **day,
    }


def summary(r: dict[str, Any]) -> str:
    met = r["cpu_ratio"] <= GOAL
    return (
        f"Gradio API turn, server CPU {r['after']['cpu_ms_per_turn']} ms after "
        f"{r['events']:,} events and {r['fresh']['cpu_ms_per_turn']} ms on a fresh server "
        f"(turns taken in turn): "
        f"{r['cpu_ratio']}x (goal <= {GOAL}x: {'met' if met else 'NOT met'}); wall "
        f"{r['after']['wall_ms_median']} and {r['fresh']['wall_ms_median']} ms "
        f"({r['wall_ratio']}x). The events came from {r['visitors']:,} tabs: a cheap call "
        f"{r['cpu_ms_per_event_first_batch']} ms of CPU in the first tenth, "
        f"{r['cpu_ms_per_event_last_batch']} ms in the last ({r['events_seconds']} s for "
        f"all); server memory {r['rss_mib_before']} MiB before, {r['rss_mib_after']} MiB "
        f"after ({r['rss_kib_per_visitor']:,} KiB a tab on average); {r['settings']} "
        "settings for Gradio's event history"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument(
        "--visitors", type=int, default=2_000, help="Gradio sessions they come from"
    )
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument(
        "--gradio-defaults",
        action="store_true",
        help="serve with Gradio's own event-history settings, to compare",
    )
    args = parser.parse_args()
    result = run(args.events, args.visitors, args.turns, args.gradio_defaults)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
