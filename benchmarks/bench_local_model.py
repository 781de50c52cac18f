"""The embedded model: tokens per second through Rehearse vs llama.cpp's server called directly.

The embedded SmolLM2 server starts once (``rehearse.local_model.LocalModelServer``).
"Through Rehearse" is a whole turn of a bundled scenario (``Rehearsal.say``: the crisis
screen, the rules assessor, the director, prompt building, the ChatOpenAI stream every
character reply takes, and the SQLite checkpoint), timed from the call to the end of the
turn. The baseline, in the same process, sends the very request body Rehearse sent for
that reply (recorded off the wire) with the OpenAI client, streaming, timed to the end of
the stream. Between rounds the session is rewound to the same point and the same line is
said again, so every round asks for the same reply with the same prompt: llama.cpp's
prompt cache serves both paths alike, and at temperature 0 they generate the same tokens.
Tokens per second = the tokens llama.cpp streamed for that reply (one per chunk) over
each path's time.

Goal: Rehearse at least 0.95 of the direct rate.

    python -m benchmarks.bench_local_model [--rounds 5] [--max-tokens 120]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Skipped

__all__ = ["run", "summary"]

GOAL = 0.95
SCENARIO = "feedback-missed-deadlines"
LINE = "Thanks for coming in. How have the last few weeks been for you, honestly?"


def run(rounds: int = 5, max_tokens: int = 120) -> dict[str, Any]:
    try:
        import httpx
        import openai

        from rehearse.local_model import LocalModelServer, gguf_path
        from rehearse.models import LOCAL, ModelSettings, chat_model

        gguf_path()
    except Exception as exc:  # no llama-cpp-python, no model file
        raise Skipped(f"the embedded model is not available: {exc}") from None
    from simulator.catalog import Catalog
    from simulator.session import Rehearsal
    from simulator.store import SessionStore

    settings = ModelSettings(
        name=LOCAL,
        base_url=None,
        api_key=None,
        timeout=120,
        max_retries=0,
        temperature=0.0,
        assessor="rules",
    )
    bodies: list[bytes] = []  # what Rehearse sent to the chat completions endpoint

    def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            bodies.append(request.read())

    direct_s: list[float] = []
    through_s: list[float] = []
    tokens: list[int] = []
    same_text: list[bool] = []
    scene = Catalog.load().get(SCENARIO)
    with LocalModelServer() as server, tempfile.TemporaryDirectory() as tmp:
        model = chat_model(settings, base_url=server.base_url).model_copy(
            update={"extra_body": {"max_tokens": max_tokens}}
        )
        # Listen on the HTTP client ChatOpenAI already built, so the path stays Rehearse's.
        wire = model.root_client._client
        wire.event_hooks = {**wire.event_hooks, "request": [record]}
        client = openai.OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
        store = SessionStore(Path(tmp) / "bench.sqlite")
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")

        def through() -> tuple[float, str]:
            started = time.perf_counter()
            events = list(rehearsal.say(LINE))
            elapsed = time.perf_counter() - started
            lines = [e["text"] for e in events if e["type"] == "line"]
            return elapsed, lines[-1] if lines else ""

        def direct(body: bytes) -> tuple[int, float, str]:
            request = json.loads(body)
            request["stream"] = True
            started = time.perf_counter()
            count, parts = 0, []
            for chunk in client.chat.completions.create(**request):
                text = chunk.choices[0].delta.content if chunk.choices else ""
                if text:
                    count += 1
                    parts.append(text)
            return count, time.perf_counter() - started, "".join(parts)

        try:
            list(rehearsal.start())
            through()  # warm-up: the first call evaluates the prompt, later ones reuse it
        except Exception as exc:
            code = server._process.poll() if server._process else None
            if code is None:
                raise
            raise RuntimeError(
                f"the embedded model server died (exit code {code}) answering a request "
                f"({exc}); see {server.log_path}"
            ) from None
        body = bodies[-1]
        for _ in range(rounds):
            n, t_direct, text_direct = direct(body)
            rehearsal.rewind(1)  # the same point, so the same line asks for the same reply
            t_through, line = through()
            if bodies[-1] != body:
                raise RuntimeError("Rehearse sent a different request after rewinding")
            tokens.append(n)
            direct_s.append(t_direct)
            through_s.append(t_through)
            # Rehearse shows the reply cleaned (no speaker label, no line for the user).
            same_text.append(bool(line) and line.strip(" .") in text_direct)
        store.close()
    med = statistics.median
    n = med(tokens)
    return {
        "rounds": rounds,
        "scenario": SCENARIO,
        "tokens_per_reply": int(n),
        "direct_tokens_per_s": round(n / med(direct_s), 1),
        "rehearse_tokens_per_s": round(n / med(through_s), 1),
        "direct_s_median": round(med(direct_s), 3),
        "rehearse_s_median": round(med(through_s), 3),
        "ratio": round(med(direct_s) / med(through_s), 3),
        "same_reply_every_round": all(same_text),
    }


def summary(r: dict[str, Any]) -> str:
    met = "met" if r["ratio"] >= GOAL else "NOT met"
    return (
        f"{r['rehearse_tokens_per_s']:g} tokens/s through Rehearse vs "
        f"{r['direct_tokens_per_s']:g} calling llama.cpp's server directly "
        f"({r['tokens_per_reply']} tokens a reply): ratio {r['ratio']:g} (goal >= {GOAL}: {met})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=120)
    args = parser.parse_args()
    result = run(args.rounds, args.max_tokens)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
