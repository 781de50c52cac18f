"""The embedded model: tokens per second through Rehearse vs llama.cpp's server called directly.

The embedded SmolLM2 server starts once (``rehearse.local_model.LocalModelServer``).
Rehearse reaches it through ``rehearse.models.chat_model``, the ChatOpenAI path every
character reply takes, streaming; the baseline, in the same process, is the same
server called with the OpenAI client, streaming. Both get the same prompt, the same
token cap and temperature 0, so they generate the same tokens; the calls alternate so
both see the same machine load. Tokens per second = streamed text chunks (one token
each from llama.cpp) over the time from the request to the end of the stream.

Goal: Rehearse at least 0.95 of the direct rate.

    python -m benchmarks.bench_local_model [--rounds 5] [--max-tokens 120]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from benchmarks import Skipped

__all__ = ["run", "summary"]

GOAL = 0.95
SYSTEM = (
    "You are Sam, a software developer who missed two deadlines this month. Your manager "
    "has asked to talk. Stay in character and answer in a few plain sentences."
)
USER = "Thanks for coming in. How have the last few weeks been for you, honestly?"


def _timed(chunks: Any, text_of: Any) -> tuple[int, float, str]:
    started = time.perf_counter()
    count, parts = 0, []
    for chunk in chunks:
        text = text_of(chunk)
        if text:
            count += 1
            parts.append(text)
    return count, time.perf_counter() - started, "".join(parts)


def run(rounds: int = 5, max_tokens: int = 120) -> dict[str, Any]:
    try:
        import openai

        from rehearse.local_model import LocalModelServer, gguf_path
        from rehearse.models import LOCAL, ModelSettings, chat_model

        gguf_path()
    except Exception as exc:  # no llama-cpp-python, no model file
        raise Skipped(f"the embedded model is not available: {exc}") from None
    settings = ModelSettings(
        name=LOCAL,
        base_url=None,
        api_key=None,
        timeout=120,
        max_retries=0,
        temperature=0.0,
        assessor="rules",
    )
    direct_rates: list[float] = []
    rehearse_rates: list[float] = []
    tokens: list[int] = []
    with LocalModelServer() as server:
        model = chat_model(settings, base_url=server.base_url)
        # The same cap Rehearse sends to llama.cpp (it ignores max_completion_tokens).
        model = model.model_copy(update={"extra_body": {"max_tokens": max_tokens}})
        client = openai.OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
        prompt = [SystemMessage(content=SYSTEM), HumanMessage(content=USER)]

        def direct() -> tuple[int, float, str]:
            return _timed(
                client.chat.completions.create(
                    model=model.model_name,
                    messages=messages,  # type: ignore[arg-type]
                    stream=True,
                    max_tokens=max_tokens,
                    temperature=0.0,
                ),
                lambda c: c.choices[0].delta.content if c.choices else "",
            )

        def through() -> tuple[int, float, str]:
            return _timed(model.stream(prompt), lambda c: str(c.content))

        try:
            direct()  # warm-up: the first call evaluates the prompt, later ones reuse it
        except openai.APIConnectionError:
            code = server._process.poll() if server._process else None
            if code is None:
                raise
            raise RuntimeError(
                f"the embedded model server died (exit code {code}) answering its first "
                f"request; see {server.log_path}"
            ) from None
        through()
        for _ in range(rounds):
            n_direct, t_direct, text_direct = direct()
            n_through, t_through, text_through = through()
            if text_direct != text_through:
                raise RuntimeError("the two paths generated different text at temperature 0")
            tokens.append(n_through)
            direct_rates.append(n_direct / t_direct)
            rehearse_rates.append(n_through / t_through)
    med = statistics.median
    return {
        "rounds": rounds,
        "tokens_per_reply": int(med(tokens)),
        "direct_tokens_per_s": round(med(direct_rates), 1),
        "rehearse_tokens_per_s": round(med(rehearse_rates), 1),
        "ratio": round(med(rehearse_rates) / med(direct_rates), 3),
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
