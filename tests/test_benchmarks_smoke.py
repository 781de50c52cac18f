"""Quick runs of the benchmarks so they never rot (they are not timed tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_storage, bench_turn
from ui.serving import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]


def test_turn_overhead_benchmark_runs() -> None:
    result = bench_turn.run(turns=3, sessions=2)
    assert result["turns"] == 3 and len(result["added_ms_last_10_turns_by_session"]) == 2
    assert result["direct_ms_median"] > 0 and result["rehearse_ms_median"] > 0
    assert result["ratio"] > 0 and result["stock_client_ms_median"] > 0
    assert "schema walk" in bench_turn.summary(result)


def test_storage_benchmark_runs() -> None:
    result = bench_storage.run(turns=4, repeats=1)
    sqlite = result["sqlite"]
    assert result["turns"] == 4 and sqlite["resume_ms_median"] > 0
    assert sqlite["database_kib"] > 0 and sqlite["checkpoint_kib"] >= 0
    assert sqlite["bytes_per_turn_late"] > 0
    # PostgreSQL runs when the test database is configured, and says why not otherwise.
    assert "resume_ms_median" in result["postgres"] or "skipped" in result["postgres"]


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


def quick_run(out: Path, *names: str) -> None:
    """`python -m benchmarks --quick --only NAMES --out OUT`, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", *names, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_command_runs_the_benchmarks_and_writes_the_results(tmp_path: Path) -> None:
    quick_run(tmp_path, "turn", "safety", "coder")
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert report["machine"]["cores"] >= 1 and report["machine"]["python"]
    assert report["machine"]["cpu"]
    assert set(report["benchmarks"]) == {"turn", "safety", "coder"}
    for entry in report["benchmarks"].values():
        assert "result" in entry, entry
        assert entry["summary"]
    table = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "Machine:" in table and "| turn |" in table and "| coder |" in table

    # Rerunning one keeps the others' figures (same machine, same sizes).
    quick_run(tmp_path, "safety")
    merged = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert set(merged["benchmarks"]) == {"turn", "safety", "coder"}
    assert merged["benchmarks"]["turn"] == report["benchmarks"]["turn"]
    assert merged["benchmarks"]["safety"]["when"] == merged["when"]


@pytest.mark.parametrize(("api", "name"), [("gradio", "Gradio API"), ("rest", "REST API")])
def test_concurrency_benchmark_runs(api: str, name: str) -> None:
    from benchmarks import bench_concurrency

    result = bench_concurrency.run(
        users=(1, 2), reply_seconds=0.2, concurrency=(None,), apis=(api,)
    )
    assert list(result["runs"]) == [f"{name}, default limit"]
    rows = result["runs"][f"{name}, default limit"]
    assert [(row["users"], row["api"]) for row in rows] == [(1, api), (2, api)]
    for row in rows:
        assert row["errors"] == 0, row["first_errors"]
        assert row["p50_s"] >= 0.2 and row["total_s"] >= 0.2
        assert row["server_rss_mib"] > 0
        # Every user answered in each round, and the figure is the median round's.
        assert len(row["rounds_total_s"]) == 3
        assert row["total_s"] == sorted(row["rounds_total_s"])[1]
    assert rows[1]["model_calls_at_once"] == 2  # both users reached the model together
    assert "N=2" in bench_concurrency.summary(result)


def test_uptime_benchmark_runs() -> None:
    from benchmarks import bench_uptime

    result = bench_uptime.run(events=40, visitors=8, turns=3)
    assert (result["events"], result["visitors"], result["turns"]) == (40, 8, 3)
    assert result["settings"] == "the studio's"
    for when in ("fresh", "after"):
        assert result[when]["cpu_ms_per_turn"] > 0 and result[when]["wall_ms_median"] > 0
    assert result["cpu_ratio"] > 0 and result["cpu_ms_per_event_last_batch"] >= 0
    assert result["rss_mib_before"] > 0 and result["rss_mib_after"] > 0
    assert "after 40 events" in bench_uptime.summary(result)


@pytest.mark.skipif(
    not os.environ.get("REHEARSE_TEST_DATABASE_URL"), reason="REHEARSE_TEST_DATABASE_URL is not set"
)
def test_concurrency_benchmark_scales_out_over_postgres() -> None:
    from benchmarks import bench_concurrency

    result = bench_concurrency.run(
        users=(1, 2), reply_seconds=0.2, processes=(2,), apis=("gradio",)
    )
    rows = result["runs"]["Gradio API, default limit, 2 processes on PostgreSQL"]
    assert [(row["users"], row["processes"], row["errors"]) for row in rows] == [
        (1, 2, 0),
        (2, 2, 0),
    ]
    assert rows[1]["model_calls_at_once"] == 2
    assert "2 processes on PostgreSQL: N=1" in bench_concurrency.summary(result)


def test_concurrency_benchmark_says_why_it_cannot_scale_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks import bench_concurrency

    monkeypatch.delenv("REHEARSE_TEST_DATABASE_URL", raising=False)
    result = bench_concurrency.run(users=(1,), reply_seconds=0.2, processes=(2,), apis=("rest",))
    assert "REHEARSE_TEST_DATABASE_URL is not set" in bench_concurrency.summary(result)


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing")
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_first_token_benchmark_runs() -> None:
    from benchmarks import bench_first_token

    result = bench_first_token.run(turns=1, delay=0.05)
    # The reply cannot reach the screen before the model's first token does.
    assert result["browser_ms_median"] >= 50
    assert result["direct_client_ms_median"] >= 50
    assert result["api_stream_ms_median"] >= 50  # through the JSON API's stream too
    assert "ms" in bench_first_token.summary(result)


@pytest.mark.e2e
def test_local_model_benchmark_runs() -> None:
    from benchmarks import Skipped, bench_local_model

    try:
        result = bench_local_model.run(rounds=1, max_tokens=8)
    except Skipped as why:
        pytest.skip(str(why))
    assert 0 < result["tokens_per_reply"] <= 8
    assert result["direct_tokens_per_s"] > 0 and result["rehearse_tokens_per_s"] > 0


def test_memory_benchmark_runs() -> None:
    from benchmarks import bench_memory

    result = bench_memory.run(sessions=6)
    assert result["sessions"] == 7 and result["stored_sessions"] == 7
    assert result["live_rehearsals"] == 0
    assert result["heap_bytes_per_session_first"] > 0
    assert "idle sessions" in bench_memory.summary(result)
