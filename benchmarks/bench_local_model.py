"""The embedded model: tokens per second through Rehearse vs llama.cpp's server called directly.

The embedded SmolLM2 server starts once (``rehearse.local_model.LocalModelServer``).
"Through Rehearse" is a whole turn of a bundled scenario (``Rehearsal.say``: the crisis
screen, the rules assessor, the director, prompt building, the ChatOpenAI stream every
character reply takes, and the SQLite checkpoint), timed from the call. The baseline, in
the same process, sends the very request body Rehearse sent for that reply (recorded off
the wire) with the OpenAI client, streaming, timed to the end of the stream. Between
rounds the session is rewound to the same point and the same line is said again, so
every round asks for the same reply with the same prompt: llama.cpp's prompt cache
serves both paths alike, and at temperature 0 they generate the same tokens. Rehearse
stops reading a reply once it is whole (a tiny model goes on to write the other
speaker's line), so the direct call is capped at the tokens Rehearse received (counted
by a LangChain callback, one per streamed chunk): both ask for the same tokens.

Tokens per second = those tokens over each path's time to the last one: for Rehearse,
until its reader has the reply's last piece (the whole turn, checkpoint saved, is
reported beside it).

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

from langchain_core.callbacks import BaseCallbackHandler

from benchmarks import Skipped

__all__ = ["run", "summary"]

GOAL = 0.95
SCENARIO = "feedback-missed-deadlines"
LINE = "Thanks for coming in. How have the last few weeks been for you, honestly?"


class _Tokens(BaseCallbackHandler):
    """Counts the pieces of text a chat model streams (llama.cpp sends a token each)."""

    def __init__(self) -> None:
        self.count = 0

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.count += bool(token)


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
    turn_s: list[float] = []  # to the end of the turn: the checkpoint saved
    tokens: list[int] = []
    same_text: list[bool] = []
    scene = Catalog.load().get(SCENARIO)
    with LocalModelServer() as server, tempfile.TemporaryDirectory() as tmp:
        received = _Tokens()
        model = chat_model(settings, base_url=server.base_url).model_copy(
            update={"extra_body": {"max_tokens": max_tokens}, "callbacks": [received]}
        )
        # Listen on the HTTP client ChatOpenAI already built, so the path stays Rehearse's.
        wire = model.root_client._client
        wire.event_hooks = {**wire.event_hooks, "request": [record]}
        client = openai.OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
        store = SessionStore(Path(tmp) / "bench.sqlite")
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")

        def through() -> tuple[float, float, str]:
            """Seconds to the reply's last piece in the reader's hands, to the turn's end."""
            received.count = 0
            started = time.perf_counter()
            last_piece, line = started, ""
            for event in rehearsal.say(LINE):
                if event["type"] == "token":
                    last_piece = time.perf_counter()
                elif event["type"] == "line":
                    line = event["text"]
            return last_piece - started, time.perf_counter() - started, line

        def direct(body: bytes, tokens: int) -> tuple[int, float, str]:
            request = json.loads(body)
            request["stream"] = True
            request["max_tokens"] = tokens
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
            rehearsal.rewind(1)  # the same point, so the same line asks for the same reply
            t_through, t_turn, line = through()
            if bodies[-1] != body:
                raise RuntimeError("Rehearse sent a different request after rewinding")
            n, t_direct, text_direct = direct(body, received.count)
            tokens.append(n)
            direct_s.append(t_direct)
            through_s.append(t_through)
            turn_s.append(t_turn)
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
        "rehearse_turn_s_median": round(med(turn_s), 3),
        "ratio": round(med(direct_s) / med(through_s), 3),
        "whole_turn_ratio": round(med(direct_s) / med(turn_s), 3),
        "same_reply_every_round": all(same_text),
    }


def summary(r: dict[str, Any]) -> str:
    met = "met" if r["ratio"] >= GOAL else "NOT met"
    return (
        f"{r['rehearse_tokens_per_s']:g} tokens/s through Rehearse vs "
        f"{r['direct_tokens_per_s']:g} calling llama.cpp's server directly "
        f"({r['tokens_per_reply']} tokens a reply): ratio {r['ratio']:g} (goal >= {GOAL}: {met}); "
        f"to the end of the turn, checkpoint saved: {r['whole_turn_ratio']:g}"
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
