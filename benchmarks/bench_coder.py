"""How fast is the skill coder? Run: ``python benchmarks/bench_coder.py [--n 4000]``.

It codes AnnoMI's utterances (the hand-made test CSV, repeated, when ../shared/data/annomi
is absent) and prints utterances per second next to a baseline measured in the same process
over the same texts: the regex moves reader it replaces, ``simulator.moves.analyse``. The
ratio travels between machines better than the absolute figures do. The coder's parse cache
is cleared before each pass, so repeated texts do not flatter it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.coder import Coder  # noqa: E402
from simulator.coder.data import read_annomi  # noqa: E402
from simulator.coder.features import _analysed  # noqa: E402
from simulator.moves import analyse  # noqa: E402

ANNOMI = ROOT.parent / "shared" / "data" / "annomi" / "annomi-full-train.csv"
TINY = ROOT / "tests" / "data" / "coder_tiny.csv"


def _rate(run: Callable[[], object], n: int, repeat: int) -> float:
    """Utterances per second: the best of ``repeat`` passes, so a hiccup does not count."""
    best = float("inf")
    for _ in range(repeat):
        _analysed.cache_clear()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def run(n: int = 4000, repeat: int = 3) -> dict[str, Any]:
    source = ANNOMI if ANNOMI.is_file() else TINY
    utterances = read_annomi(source)
    while len(utterances) < n:
        utterances = utterances * 2
    turns = [(u.speaker, u.text) for u in utterances[:n]]
    texts = [text for _, text in turns]
    coder = Coder()  # loading the weights (once per process) is not timed

    def one_by_one() -> None:
        for i, (speaker, text) in enumerate(turns):
            coder.code(text, speaker, turns[i - 1][1] if i else None)

    regex = _rate(lambda: [analyse(t) for t in texts], n, repeat)
    conversation = _rate(lambda: coder.code_conversation(turns), n, repeat)
    single = _rate(one_by_one, n, repeat)
    return {
        "source": source.name,
        "utterances": n,
        "regex_per_s": regex,
        "coder_conversation_per_s": conversation,
        "coder_one_turn_per_s": single,
        "ratio": regex / conversation,
    }


def summary(r: dict[str, Any]) -> str:
    return (
        f"{r['coder_conversation_per_s']:,.0f} utterances/s for a whole conversation, "
        f"{r['coder_one_turn_per_s']:,.0f} one turn at a time "
        f"({r['ratio']:.1f}x the regex moves reader)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="utterances per pass")
    parser.add_argument("--repeat", type=int, default=3, help="passes (the best counts)")
    args = parser.parse_args()
    r = run(args.n, args.repeat)
    print(f"{r['utterances']} utterances from {r['source']}, best of {args.repeat} passes")
    print(f"regex moves reader (baseline):   {r['regex_per_s']:>10,.0f} utterances/s")
    print(f"coder, a whole conversation:     {r['coder_conversation_per_s']:>10,.0f} utterances/s")
    print(f"coder, one turn at a time:       {r['coder_one_turn_per_s']:>10,.0f} utterances/s")
    print(f"the coder costs {r['ratio']:.1f}x the regex reader per utterance")


if __name__ == "__main__":
    main()
