"""A studio that has been up a while: does a turn cost more after many events?

``rehearse serve`` runs in its own process (as in :mod:`benchmarks.bench_concurrency`),
against the fake OpenAI-compatible server answering at once. One user plays ``turns``
turns through Gradio's API, one after the other, and the server's CPU time per turn is
read from ``/proc``; then ``events`` cheap calls (``list_scenarios``, from eight clients at
once) go through Gradio's queue, as a day of use would send; then the same number of
turns again. Reported: CPU and wall time per turn fresh and after, their ratio (the
baseline is the same server, fresh), and the server's CPU per cheap call over the first
and the last tenth of them.

Gradio's queue keeps a record of its last 10,000 events and rebuilt a pandas summary of
them after each one, so the full run sends that many. ``--gradio-defaults`` serves with
Gradio's own settings for it instead of the studio's (``ui/app.py``), to compare.

    python -m benchmarks.bench_uptime [--events 10000] [--turns 30] [--gradio-defaults]
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

from benchmarks.bench_concurrency import REPLY, _call, _cpu_seconds, _send, _Server, _start
from tests.fake_openai import FakeOpenAI

__all__ = ["run", "summary"]

GOAL = 1.2  # no growth beyond this machine's spread between two batches of turns
CLIENTS = 8
SESSIONS = 6  # the turns go round these (a scene ends after a dozen turns)
# Gradio's own settings for its event history: a record of each of the last 10,000
# events, summarised after every event.
GRADIO_DEFAULTS = {"GRADIO_ANALYTICS_MAX_EVENTS": "10000", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1"}


def _turns(server: _Server, turns: int) -> dict[str, float]:
    """``turns`` Gradio API turns, one after another: CPU and wall time per turn (ms)."""
    sessions = [_start(server.base, "user", "gradio") for _ in range(SESSIONS)]
    walls: list[float] = []
    cpu = -_cpu_seconds(server.process.pid)
    for i in range(turns):
        started = time.perf_counter()
        reply = _send(server.base, sessions[i % SESSIONS], f"Line {i}, please.", "user", "gradio")
        walls.append(time.perf_counter() - started)
        if reply != REPLY:
            raise RuntimeError(f"unexpected reply {reply!r}")
    cpu += _cpu_seconds(server.process.pid)
    return {
        "cpu_ms_per_turn": round(cpu / turns * 1000, 1),
        "wall_ms_median": round(statistics.median(walls) * 1000, 1),
    }


def _events(server: _Server, events: int) -> tuple[float, float]:
    """``events`` cheap calls from eight clients at once: the server's CPU per call (ms)
    over the first tenth of them and over the last tenth."""
    tenth = max(1, events // 10)
    batches = [tenth, events - 2 * tenth, tenth]
    per_call: list[float] = []
    with ThreadPoolExecutor(CLIENTS) as pool:
        # Each client's first call makes its Gradio session (20 ms): not part of the figure.
        list(
            pool.map(
                lambda k: _call(server.base, "list_scenarios", tab=f"client-{k}"), range(CLIENTS)
            )
        )
        for size in batches:
            cpu = -_cpu_seconds(server.process.pid)

            def client(k: int, size: int = size) -> None:
                for _ in range(k, size, CLIENTS):  # each its own Gradio session
                    _call(server.base, "list_scenarios", tab=f"client-{k}")

            list(pool.map(client, range(CLIENTS)))
            cpu += _cpu_seconds(server.process.pid)
            per_call.append(cpu / size * 1000 if size else 0.0)
    return round(per_call[0], 2), round(per_call[2], 2)


def run(events: int = 10_000, turns: int = 30, gradio_defaults: bool = False) -> dict[str, Any]:
    with FakeOpenAI(reply=REPLY) as model, tempfile.TemporaryDirectory() as tmp:
        env = GRADIO_DEFAULTS if gradio_defaults else None
        server = _Server(model.base_url, Path(tmp), None, env=env)
        try:
            # Warm-up: the first session and turn load what every later one reuses.
            _send(server.base, _start(server.base, "user", "gradio"), "Hello.", "user", "gradio")
            fresh = _turns(server, turns)
            started = time.perf_counter()
            first, last = _events(server, events)
            seconds = time.perf_counter() - started
            after = _turns(server, turns)
        finally:
            server.stop()
    return {
        "settings": "Gradio's defaults" if gradio_defaults else "the studio's",
        "events": events,
        "turns": turns,
        "fresh": fresh,
        "after": after,
        "cpu_ratio": round(after["cpu_ms_per_turn"] / fresh["cpu_ms_per_turn"], 2),
        "wall_ratio": round(after["wall_ms_median"] / fresh["wall_ms_median"], 2),
        "events_seconds": round(seconds, 1),
        "cpu_ms_per_event_first_tenth": first,
        "cpu_ms_per_event_last_tenth": last,
    }


def summary(r: dict[str, Any]) -> str:
    met = r["cpu_ratio"] <= GOAL
    return (
        f"Gradio API turn, server CPU {r['fresh']['cpu_ms_per_turn']} ms fresh and "
        f"{r['after']['cpu_ms_per_turn']} ms after {r['events']:,} events: "
        f"{r['cpu_ratio']}x (goal <= {GOAL}x: {'met' if met else 'NOT met'}); wall "
        f"{r['fresh']['wall_ms_median']} and {r['after']['wall_ms_median']} ms "
        f"({r['wall_ratio']}x); a cheap call {r['cpu_ms_per_event_first_tenth']} ms of CPU "
        f"in the first tenth of the events, {r['cpu_ms_per_event_last_tenth']} ms in the "
        f"last ({r['events_seconds']} s for all); {r['settings']} settings for Gradio's "
        "event history"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument(
        "--gradio-defaults",
        action="store_true",
        help="serve with Gradio's own event-history settings, to compare",
    )
    args = parser.parse_args()
    result = run(args.events, args.turns, args.gradio_defaults)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
