"""Session storage: how long it takes to resume a long session (SQLite).

A 200-turn session is played with a fake chat model, then reopened from a fresh
SessionStore the way `rehearse resume` does it (open the store, read the status and
the transcript). The baseline, in the same process, is reading the same transcript
back from a JSON export of it: the least any store could cost.

    python -m benchmarks.bench_storage [--turns 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator.report import export_json
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model, long_test_scene

LINE = "What would help you with that?"


def run(turns: int = 200, repeats: int = 5) -> dict[str, Any]:
    scene = long_test_scene(turns)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        store = SessionStore(path)
        model = fake_model(*["I suppose it would help to have a plan, yes."] * turns)
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
        list(rehearsal.start())
        for _ in range(turns):
            list(rehearsal.say(LINE))
        session_id = rehearsal.session_id
        exported = Path(tmp) / "export.json"
        exported.write_text(
            export_json(store.get(session_id).as_dict(), rehearsal.lines(), None),
            encoding="utf-8",
        )
        store.close()
        resume, baseline = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            again = SessionStore(path)
            reopened = Rehearsal(again, session_id, scene)
            status, lines = reopened.status, reopened.lines()
            resume.append(time.perf_counter() - started)
            again.close()
            assert status == "awaiting_user" and len(lines) == 2 * turns + 1
            started = time.perf_counter()
            data = json.loads(exported.read_text(encoding="utf-8"))
            baseline.append(time.perf_counter() - started)
            assert len(data["transcript"]) == len(lines)
        size = path.stat().st_size
    med = statistics.median
    return {
        "turns": turns,
        "resume_ms_median": round(med(resume) * 1000, 1),
        "json_baseline_ms_median": round(med(baseline) * 1000, 2),
        "ratio": round(med(resume) / med(baseline), 1),
        "database_kib": round(size / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    for key, value in run(parser.parse_args().turns).items():
        print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
