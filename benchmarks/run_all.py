"""Run every benchmark and write the results beside the machine they ran on.

    python -m benchmarks                 # all of them, full size (several minutes)
    python -m benchmarks --only turn storage   # reruns these, keeps the other figures
    python -m benchmarks --quick --out /tmp/bench   # tiny sizes: does everything still run?

Writes ``results.json`` (every figure) and ``results.md`` (one line per benchmark, with
its goal and whether it is met) into ``--out`` (default: this folder). A benchmark that
cannot run here (no browser, no PostgreSQL) is recorded as skipped with its reason; one
that fails is recorded with its error and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import Skipped
from benchmarks.machine import describe, machine

__all__ = ["BENCHMARKS", "Benchmark", "main", "run_all", "write"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str
    title: str
    full: dict[str, Any] = field(default_factory=dict)
    quick: dict[str, Any] = field(default_factory=dict)


BENCHMARKS = [
    Benchmark(
        "turn",
        "benchmarks.bench_turn",
        "Overhead per turn",
        {"turns": 50, "sessions": 5},
        {"turns": 3, "sessions": 1},
    ),
    Benchmark(
        "first_token",
        "benchmarks.bench_first_token",
        "Time to first token in the browser",
        {"turns": 10},
        {"turns": 1},
    ),
    Benchmark(
        "concurrency",
        "benchmarks.bench_concurrency",
        "Many users at once (web API)",
        {"processes": (1, 2)},
        {
            "users": (1, 2),
            "reply_seconds": 0.2,
            "concurrency": (None,),
            "processes": (1, 2),
            "rounds": 2,
        },
    ),
    Benchmark(
        "uptime",
        "benchmarks.bench_uptime",
        "A studio up a while (after many events)",
        {"events": 10_000, "visitors": 2_000, "turns": 30},
        {"events": 40, "visitors": 8, "turns": 3},
    ),
    Benchmark(
        "local_model",
        "benchmarks.bench_local_model",
        "Embedded model, tokens per second",
        {},
        {"rounds": 1, "max_tokens": 8},
    ),
    Benchmark("safety", "benchmarks.bench_safety", "Crisis screen", {}, {"repeat": 1}),
    Benchmark("coder", "benchmarks.bench_coder", "Skill coder", {}, {"n": 200, "repeat": 1}),
    Benchmark(
        "storage",
        "benchmarks.bench_storage",
        "Session storage (resume a long session)",
        {"turns": 200},
        {"turns": 4, "repeats": 1},
    ),
    Benchmark("memory", "benchmarks.bench_memory", "Memory", {}, {"sessions": 10}),
    Benchmark(
        "authoring",
        "benchmarks.bench_authoring",
        "Author tab: live check of a scenario",
        {},
        {"repeat": 2},
    ),
]


def _generic_summary(result: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in result.items() if not isinstance(v, dict | list))


def run_one(bench: Benchmark, quick: bool) -> dict[str, Any]:
    """One benchmark's entry: its result and summary, or why it was skipped or failed."""
    started = time.perf_counter()
    entry: dict[str, Any] = {"title": bench.title}
    try:
        module = importlib.import_module(bench.module)
    except ModuleNotFoundError as exc:
        if exc.name != bench.module:
            raise
        return {**entry, "skipped": f"{bench.module} does not exist yet"}
    run: Callable[..., dict[str, Any]] | None = getattr(module, "run", None)
    if run is None:
        return {**entry, "skipped": f"{bench.module} has no run()"}
    try:
        result = run(**(bench.quick if quick else bench.full))
    except Skipped as why:
        return {**entry, "skipped": str(why)}
    except Exception as exc:  # recorded; the other benchmarks still run
        return {**entry, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    summary = getattr(module, "summary", _generic_summary)
    return {
        **entry,
        "result": result,
        "summary": summary(result),
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_all(names: list[str] | None = None, *, quick: bool = False) -> dict[str, Any]:
    chosen = [b for b in BENCHMARKS if not names or b.name in names]
    unknown = set(names or ()) - {b.name for b in BENCHMARKS}
    if unknown:
        raise SystemExit(f"No benchmark called {', '.join(sorted(unknown))}.")
    report: dict[str, Any] = {
        "machine": machine(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": quick,
        "benchmarks": {},
    }
    for bench in chosen:
        print(f"{bench.name}: {bench.title} ...", flush=True)
        entry = {**run_one(bench, quick), "when": report["when"]}
        report["benchmarks"][bench.name] = entry
        print(f"  {_line(entry)}", flush=True)
    return report


def _line(entry: dict[str, Any]) -> str:
    if "skipped" in entry:
        return f"skipped: {entry['skipped']}"
    if "error" in entry:
        return f"FAILED: {entry['error']}"
    return str(entry["summary"])


def merged(report: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """``report`` (a run of some benchmarks) over an earlier full run on the same machine.

    Rerunning one benchmark after a change keeps the others' figures; each row says when
    it ran. A run of another size or on another machine replaces the file instead.
    """

    def fixed(facts: dict[str, Any]) -> dict[str, Any]:  # the machine, not how busy it was
        return {k: v for k, v in facts.items() if k != "load_average"}

    if previous.get("quick") != report["quick"] or fixed(previous.get("machine", {})) != fixed(
        report["machine"]
    ):
        return report
    old = {
        name: {**entry, "when": entry.get("when", previous.get("when"))}
        for name, entry in previous.get("benchmarks", {}).items()
    }
    return {**report, "benchmarks": {**old, **report["benchmarks"]}}


def markdown(report: dict[str, Any]) -> str:
    def when(entry: dict[str, Any]) -> str:
        ran = entry.get("when", report["when"])
        return "" if ran == report["when"] else f" (run {ran})"

    rows = [
        f"| {name} | {entry['title']} | {_line(entry).replace('|', '/')}{when(entry)} |"
        for name, entry in report["benchmarks"].items()
    ]
    quick = " (quick sizes: a smoke run, not a measurement)" if report["quick"] else ""
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"Run on {report['when']}{quick} with `python -m benchmarks`.",
            "",
            f"Machine: {describe(report['machine'])}.",
            "",
            "| name | benchmark | result |",
            "| --- | --- | --- |",
            *rows,
            "",
            "Every figure is in `results.json`; each benchmark's module says how it measures.",
            "",
        ]
    )


def write(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    as_json, as_md = out / "results.json", out / "results.md"
    as_json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    as_md.write_text(markdown(report), encoding="utf-8")
    return as_json, as_md


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the results")
    args = parser.parse_args(argv)
    report = run_all(args.only, quick=args.quick)
    earlier = args.out / "results.json"
    if args.only and earlier.exists():
        report = merged(report, json.loads(earlier.read_text(encoding="utf-8")))
    as_json, as_md = write(report, args.out)
    print(f"Wrote {as_json} and {as_md}")
    failed = [n for n, e in report["benchmarks"].items() if "error" in e]
    return 1 if failed else 0
