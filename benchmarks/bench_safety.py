"""How fast is the crisis screen? Run: ``python benchmarks/bench_safety.py``.

It screens the dev set's lines, repeated, and prints utterances per second next to a
baseline measured in the same process over the same texts: ``str.lower()`` plus one
``re.search``, the least any regex screen could cost. The ratio travels between machines
better than the absolute figure does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.safety import screen  # noqa: E402

DEV = ROOT / "tests" / "data" / "safety_dev.jsonl"
BASELINE = re.compile(r"\bkill(?:ing)? myself\b")


def _texts(repeat: int) -> list[tuple[str, str | None]]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    return [(r["text"], r.get("previous")) for r in rows] * repeat


def _rate(run: Callable[[str, str | None], object], texts: list[tuple[str, str | None]]) -> float:
    """Utterances per second: the best of three passes, so a hiccup does not count."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for text, previous in texts:
            run(text, previous)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def _baseline(text: str, previous: str | None) -> object:
    return BASELINE.search(text.lower())


def run(repeat: int = 50) -> dict[str, Any]:
    texts = _texts(repeat)
    screened = _rate(screen, texts)
    baseline = _rate(_baseline, texts)
    return {
        "utterances": len(texts),
        "screen_per_s": round(screened),
        "baseline_per_s": round(baseline),
        "ratio": round(baseline / screened, 1),
    }


def summary(r: dict[str, Any]) -> str:
    return (
        f"{r['screen_per_s']:,} utterances/s ({r['ratio']:g}x the cost of one "
        "lower()+re.search per utterance)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="passes over the dev set")
    r = run(parser.parse_args().repeat)
    lines = r["utterances"]
    print(f"screen():                  {r['screen_per_s']:>12,} utterances/s ({lines} lines)")
    print(f"baseline lower()+search(): {r['baseline_per_s']:>12,} utterances/s")
    print(f"screen() costs {r['ratio']:.0f}x the baseline per utterance")


if __name__ == "__main__":
    main()
