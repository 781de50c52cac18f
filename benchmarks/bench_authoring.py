"""How fast is a live check in the Author tab? Run: ``python -m benchmarks.bench_authoring``.

An editor checks the whole text on every pause in typing. This measures
``Workspace.check`` on a bundled scenario (the longest clinical one) three ways, in one
process:

- cold: a new workspace, which reads every persona and technique note first;
- warm: the same workspace again, which keeps them until a file changes;
- baseline: the loader's ``scenario_from_text`` with the personas and notes already in
  memory, the least any check of this text could cost.

The ratios (warm / baseline, cold / warm) travel between machines better than the
milliseconds do.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.authoring.workspace import Workspace
from simulator.loader import scenario_from_text

__all__ = ["run", "summary"]

SCENARIO = "cbt-guided-discovery"


def _best_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def run(repeat: int = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        text = Workspace(Path(home)).source_text("scenario", SCENARIO)

        def cold() -> object:
            return Workspace(Path(home)).check(text, "scenario")

        warm_workspace = Workspace(Path(home))
        personas, notes = warm_workspace.personas(), warm_workspace.notes()
        cold_ms = _best_ms(cold, max(3, repeat // 4))
        warm_ms = _best_ms(lambda: warm_workspace.check(text, "scenario"), repeat)
        base_ms = _best_ms(lambda: scenario_from_text(text, "<draft>", personas, notes), repeat)
        guessed_ms = _best_ms(lambda: warm_workspace.check(text), repeat)
    return {
        "scenario": SCENARIO,
        "bytes": len(text.encode("utf-8")),
        "cold_ms": round(cold_ms, 1),
        "warm_ms": round(warm_ms, 1),
        "kind_guessed_ms": round(guessed_ms, 1),
        "baseline_ms": round(base_ms, 1),
        "warm_vs_baseline": round(warm_ms / base_ms, 2),
        "cold_vs_warm": round(cold_ms / warm_ms, 1),
    }


def summary(r: dict[str, Any]) -> str:
    return (
        f"live check {r['warm_ms']:g} ms ({r['warm_vs_baseline']:g}x the loader alone; "
        f"a cold workspace {r['cold_vs_warm']:g}x slower)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="checks per measurement")
    r = run(parser.parse_args().repeat)
    print(f"{r['scenario']} ({r['bytes']:,} bytes), best of the runs:")
    print(f"  cold workspace check:        {r['cold_ms']:>7.1f} ms")
    print(f"  warm workspace check:        {r['warm_ms']:>7.1f} ms")
    print(f"  warm, kind guessed:          {r['kind_guessed_ms']:>7.1f} ms")
    print(f"  baseline (loader alone):     {r['baseline_ms']:>7.1f} ms")
    print(
        f"warm costs {r['warm_vs_baseline']:.2f}x the baseline; cold {r['cold_vs_warm']:.1f}x warm"
    )


if __name__ == "__main__":
    main()
