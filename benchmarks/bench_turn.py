"""Overhead per turn: what Rehearse adds on top of the model's own time.

A full turn through the graph (screening, assessment, prompt building, streaming,
the SQLite checkpoint) against a local fake OpenAI-compatible server that answers at
once, compared in the same process with the same HTTP call made directly with the
OpenAI client. Reported: medians in milliseconds, the difference, the ratio, and how
the overhead grows between the start of a session and 50 turns in.

    python -m benchmarks.bench_turn [--turns 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import openai

from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import long_test_scene
from tests.fake_openai import FakeOpenAI

REPLY = "I hear you, and honestly it has been a hard few weeks for the whole team."
LINE = "What has made this week hard for you? It sounds like a lot."


def _direct_turn(client: openai.OpenAI, messages: list[dict[str, str]]) -> float:
    started = time.perf_counter()
    stream = client.chat.completions.create(model="fake", messages=messages, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == REPLY
    return time.perf_counter() - started


def run(turns: int = 50) -> dict[str, Any]:
    scene = long_test_scene(turns)
    with FakeOpenAI(reply=REPLY) as server, tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(Path(tmp) / "bench.sqlite")
        client = openai.OpenAI(base_url=server.base_url, api_key="bench", max_retries=0)
        rehearsal = Rehearsal.begin(store, scene, server.chat_model(), assessor="rules")
        list(rehearsal.start())
        messages = [{"role": "system", "content": "x" * 3000}]
        through: list[float] = []
        direct: list[float] = []
        for _ in range(turns):
            # Interleaved so that both see the same machine load at the same moment.
            messages += [{"role": "user", "content": LINE}]
            direct.append(_direct_turn(client, messages))
            messages += [{"role": "assistant", "content": REPLY}]
            started = time.perf_counter()
            events = list(rehearsal.say(LINE))
            through.append(time.perf_counter() - started)
            assert events[-1]["text"] == REPLY
        store.close()
    early, late = slice(0, 10), slice(turns - 10, turns)
    med = statistics.median
    return {
        "turns": turns,
        "direct_ms_median": round(med(direct) * 1000, 2),
        "rehearse_ms_median": round(med(through) * 1000, 2),
        "added_ms_median": round((med(through) - med(direct)) * 1000, 2),
        "ratio": round(med(through) / med(direct), 2),
        "added_ms_first_10_turns": round((med(through[early]) - med(direct[early])) * 1000, 2),
        "added_ms_last_10_turns": round((med(through[late]) - med(direct[late])) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    result = run(parser.parse_args().turns)
    for key, value in result.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
