"""Overhead per turn: what Rehearse adds on top of the model's own time.

A full turn through the graph (screening, assessment, prompt building, streaming,
the SQLite checkpoint) against a local fake OpenAI-compatible server that answers at
once, compared in the same process with the same HTTP call made directly with the
OpenAI client: each turn, the request body Rehearse sent (recorded off the wire) is
sent again, streaming, so both sides pay the same for the same prompt. Reported:
medians in milliseconds, the difference, the ratio, and how the overhead grows between
the start of a session and 50 turns in. Several sessions are played one after the
other, and "the last 10 turns" pools turns 41 to 50 of every session (50 samples with
five): one session's ten turns alone moved the figure by a millisecond or more from
run to run. Each session's own figure is reported too.

The direct call goes through the OpenAI client the way Rehearse's own calls do
(``rehearse.completions``: a plain transcript skips the client's schema walk, which
changes nothing in it, and the reply's pieces come as dicts instead of typed chunks).
The same body through the stock ``client.chat.completions`` is timed too and reported
beside it: what the walk and the typed pieces would cost, which neither side pays.

    python -m benchmarks.bench_turn [--turns 50] [--sessions 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import openai
from openai.resources.chat.completions import Completions

from rehearse.completions import PlainMessagesCompletions
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import long_test_scene
from tests.fake_openai import FakeOpenAI

REPLY = "I hear you, and honestly it has been a hard few weeks for the whole team."
GOAL_MS = 10
LINE = "What has made this week hard for you? It sounds like a lot."


def _text(chunk: Any) -> str:
    if isinstance(chunk, dict):  # rehearse.completions: the piece's JSON as it came
        choices = chunk.get("choices") or []
        return str(choices[0]["delta"].get("content") or "") if choices else ""
    return (chunk.choices[0].delta.content or "") if chunk.choices else ""


def _direct_turn(completions: Completions, body: bytes) -> None:
    text = "".join(_text(c) for c in completions.create(**json.loads(body)))
    assert text == REPLY


def _say(rehearsal: Rehearsal, events: list[dict[str, Any]]) -> None:
    events.extend(rehearsal.say(LINE))


class _Clock:
    """Wall-clock and CPU seconds (this process, every thread) of each timed call."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, call: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def run(turns: int = 50, sessions: int = 5) -> dict[str, Any]:
    scene = long_test_scene(turns)
    # One clock per turn number, each holding that turn of every session.
    direct, through, stock = ([_Clock() for _ in range(turns)] for _ in range(3))
    with FakeOpenAI(reply=REPLY) as server, tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(Path(tmp) / "bench.sqlite")
        client = openai.OpenAI(base_url=server.base_url, api_key="bench", max_retries=0)
        quick = PlainMessagesCompletions(client)
        model = server.chat_model()
        bodies: list[bytes] = []  # what Rehearse sent, read off its own HTTP client
        wire = model.root_client._client
        wire.event_hooks = {**wire.event_hooks, "request": [lambda r: bodies.append(r.read())]}
        for _ in range(sessions):
            rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
            list(rehearsal.start())
            for turn in range(turns):
                events: list[dict[str, Any]] = []
                through[turn].time(partial(_say, rehearsal, events))
                assert events[-1]["text"] == REPLY
                # Right after, so that both see the same machine load at the same moment.
                direct[turn].time(partial(_direct_turn, quick, bodies[-1]))
                stock[turn].time(partial(_direct_turn, client.chat.completions, bodies[-1]))
        store.close()
    early, late = slice(0, 10), slice(turns - 10, turns)
    med = statistics.median

    def pooled(clocks: list[_Clock], clock: str, part: slice = slice(None)) -> list[float]:
        return [t for c in clocks[part] for t in getattr(c, clock)]

    def added(clock: str, part: slice = slice(None)) -> float:
        return _ms(med(pooled(through, clock, part)) - med(pooled(direct, clock, part)))

    return {
        "turns": turns,
        "sessions": sessions,
        "direct_ms_median": _ms(med(pooled(direct, "wall"))),
        "rehearse_ms_median": _ms(med(pooled(through, "wall"))),
        "added_ms_median": added("wall"),
        "ratio": round(med(pooled(through, "wall")) / med(pooled(direct, "wall")), 2),
        "added_ms_first_10_turns": added("wall", early),
        "added_ms_last_10_turns": added("wall", late),
        # CPU time is what other work on a busy machine cannot inflate (waiting for the
        # disk, though, is not CPU time: the wall-clock figures include it).
        "direct_cpu_ms_median": _ms(med(pooled(direct, "cpu"))),
        "rehearse_cpu_ms_median": _ms(med(pooled(through, "cpu"))),
        "added_cpu_ms_first_10_turns": added("cpu", early),
        "added_cpu_ms_last_10_turns": added("cpu", late),
        # The same request through the stock client, schema walk, typed pieces and all.
        "stock_client_ms_median": _ms(med(pooled(stock, "wall"))),
        "stock_client_ms_last_10_turns": _ms(med(pooled(stock, "wall", late))),
        "direct_ms_last_10_turns": _ms(med(pooled(direct, "wall", late))),
        # The spread between sessions: each session's own last-10-turns figure.
        "added_ms_last_10_turns_by_session": [
            _ms(med([c.wall[n] for c in through[late]]) - med([c.wall[n] for c in direct[late]]))
            for n in range(sessions)
        ],
    }


def summary(r: dict[str, Any]) -> str:
    met = "met" if r["added_ms_last_10_turns"] < GOAL_MS else "NOT met"
    return (
        f"{r['rehearse_ms_median']:g} ms vs {r['direct_ms_median']:g} ms direct: "
        f"+{r['added_ms_median']:g} ms per turn (ratio {r['ratio']:g}); "
        f"+{r['added_ms_first_10_turns']:g} ms in the first 10 turns, "
        f"+{r['added_ms_last_10_turns']:g} ms in the last 10 (goal < {GOAL_MS} ms: {met}; "
        f"{r['sessions']} sessions, each alone "
        f"+{min(r['added_ms_last_10_turns_by_session']):g} to "
        f"+{max(r['added_ms_last_10_turns_by_session']):g}); "
        f"CPU +{r['added_cpu_ms_first_10_turns']:g} ms early, "
        f"+{r['added_cpu_ms_last_10_turns']:g} ms late. The stock OpenAI client's schema "
        f"walk and typed pieces, which Rehearse's calls skip, would add "
        f"{r['stock_client_ms_last_10_turns'] - r['direct_ms_last_10_turns']:.1f} ms "
        "in the last 10 turns"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args()
    result = run(args.turns, args.sessions)
    for key, value in result.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
