"""Quick runs of the benchmarks so they never rot (they are not timed tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks import bench_storage, bench_turn

ROOT = Path(__file__).resolve().parents[1]


def test_turn_overhead_benchmark_runs() -> None:
    result = bench_turn.run(turns=3)
    assert result["turns"] == 3
    assert result["direct_ms_median"] > 0 and result["rehearse_ms_median"] > 0
    assert result["ratio"] > 0


def test_storage_benchmark_runs() -> None:
    result = bench_storage.run(turns=4, repeats=1)
    assert result["turns"] == 4 and result["resume_ms_median"] > 0
    assert result["database_kib"] > 0


def test_safety_benchmark_runs() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_safety.py", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "utterances/s" in done.stdout


def test_memory_benchmark_runs() -> None:
    from benchmarks import bench_memory

    result = bench_memory.run(sessions=6)
    assert result["sessions"] == 7 and result["stored_sessions"] == 7
    assert result["live_rehearsals"] == 0
    assert result["heap_bytes_per_session_first"] > 0
    assert "idle sessions" in bench_memory.summary(result)
