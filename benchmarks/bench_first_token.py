"""Time to first token in the browser: from pressing Send to the reply's first character.

The studio runs in this process against the fake OpenAI-compatible server
(``tests/fake_openai.py``) with a fixed first-token delay (200 ms), and Debian's
chromium (driven by Playwright, never a downloaded browser) opens it. Each turn, a
script in the page types a line, notes the time, clicks Send and watches the chat with
a MutationObserver; at the first character of the character's reply it waits for the
next animation frame (the reply is on screen then) and reports the time taken.

The baseline, in the same process: the time to the first token of the same fake server
called directly with the OpenAI client (the delay plus one HTTP request). The
difference is the program's share: the browser's request, Gradio's queue, the graph's
steps before the model call, and the way back to the page. Goal: under 50 ms.

The same is timed for a script through the JSON API's stream (``POST .../messages``
with ``Accept: text/event-stream``): from sending the request to reading the first
``token`` event.

    python -m benchmarks.bench_first_token [--turns 10] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import openai

from benchmarks import Skipped
from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import DATA, long_test_scene
from tests.fake_openai import FakeOpenAI
from tests.rest_client import Api, Stream
from ui.serving import CHROMIUM, launch_chromium, release_event_loop, served

__all__ = ["run", "summary"]

REPLY = "Honestly, it has been a hard few weeks for the whole team, and I am tired."
GOAL_MS = 50

# Resolves with the milliseconds from the click to the frame after the reply's first
# character appeared in the chat (a new bot message with more than the speaker's name).
_TIMED_SEND = """
(line) => new Promise((resolve, reject) => {
  const chat = document.querySelector('#chat');
  const before = chat.querySelectorAll('.message.bot').length;
  const box = document.querySelector('#say textarea');
  box.value = line;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  const send = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Send');
  const spoken = (el) => {
    const name = el.querySelector('strong');
    const all = el.innerText || '';
    return (name ? all.replace(name.innerText, '') : all).trim().length > 0;
  };
  let t0 = 0;
  const seen = new MutationObserver(() => {
    const bots = chat.querySelectorAll('.message.bot');
    if (bots.length > before && spoken(bots[bots.length - 1])) {
      seen.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - t0));
    }
  });
  seen.observe(chat, {childList: true, subtree: true, characterData: true});
  // page.evaluate itself never gives up: without this a lost turn hangs the run.
  setTimeout(() => {
    seen.disconnect();
    const toasts = document.querySelectorAll('[data-testid="toast-body"]');
    const said = [...toasts].map(t => t.innerText);
    reject(new Error(`no reply within 20 s; the box holds ${JSON.stringify(box.value)}, `
      + `the page says ${JSON.stringify(said)}`));
  }, 20000);
  setTimeout(() => {
    t0 = performance.now();
    send.click();
  }, 0);
})
"""


def _direct_first_token(client: openai.OpenAI) -> float:
    started = time.perf_counter()
    stream = client.chat.completions.create(
        model="fake", messages=[{"role": "user", "content": "Hello"}], stream=True
    )
    try:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                return time.perf_counter() - started
    finally:
        stream.close()
    raise RuntimeError("the fake server sent no text")


def _api_first_token(url: str, session: str, line: str) -> float:
    """Seconds from sending a streamed message to its first token event; the rest of the
    reply is read too, so that the turn is over when this returns."""
    stream = Stream(url, session, line)
    try:
        tokens = [at for name, _, at in stream.events() if name == "token"]
    finally:
        stream.close()
    if stream.status != 200 or not tokens:
        raise RuntimeError(f"the streamed message failed ({stream.status})")
    return tokens[0]


def run(turns: int = 10, delay: float = 0.2) -> dict[str, Any]:
    if not CHROMIUM.exists():
        raise Skipped(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from ui.app import create_app

    catalog = Catalog.load([("test", DATA / "scenarios", DATA / "personas")])
    for entry in catalog.entries:  # room for every turn: no end condition, a high cap
        if entry.scenario is not None and entry.scenario.id == "test-scene":
            entry.scenario = long_test_scene(turns + 2)
    measured: list[float] = []
    direct: list[float] = []
    streamed: list[float] = []  # through the JSON API's stream
    streamed_direct: list[float] = []
    with (
        FakeOpenAI(reply=REPLY, first_token_delay=delay, token_delay=0.01) as model,
        tempfile.TemporaryDirectory() as tmp,
    ):
        store = SessionStore(Path(tmp) / "bench.sqlite")
        demo = create_app(store, model.chat_model(timeout=20), catalog, assessor="rules")
        client = openai.OpenAI(base_url=model.base_url, api_key="bench", max_retries=0)
        try:
            with served(demo) as url, sync_playwright() as p:
                browser = launch_chromium(p)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(20_000)
                page.goto(url)
                page.get_by_role("button", name="Start this scene").click()
                page.locator("#practice-heading").get_by_text("your turn 1 ").wait_for()
                for turn in range(1, turns + 2):
                    ms = page.evaluate(_TIMED_SEND, f"Line number {turn}: how are you?")
                    # The turn is over (saved, the heading moved on) before the next one.
                    page.locator("#practice-heading").get_by_text(
                        f"your turn {turn + 1} ", exact=False
                    ).wait_for()
                    direct.append(_direct_first_token(client))
                    if turn > 1:  # the first turn loads what the others reuse
                        measured.append(ms / 1000)
                browser.close()
                session = Api(url).start()
                for turn in range(1, turns + 2):
                    seconds = _api_first_token(url, session, f"Line {turn}: and then?")
                    streamed_direct.append(_direct_first_token(client))
                    if turn > 1:
                        streamed.append(seconds)
        finally:
            store.close()
            release_event_loop()
    med = statistics.median
    return {
        "turns": turns,
        "first_token_delay_ms": round(delay * 1000),
        "browser_ms_median": round(med(measured) * 1000, 1),
        "browser_ms_max": round(max(measured) * 1000, 1),
        "direct_client_ms_median": round(med(direct) * 1000, 1),
        "added_ms_median": round((med(measured) - med(direct)) * 1000, 1),
        "added_ms_over_delay": round(med(measured) * 1000 - delay * 1000, 1),
        "api_stream_ms_median": round(med(streamed) * 1000, 1),
        "api_stream_added_ms_median": round((med(streamed) - med(streamed_direct)) * 1000, 1),
    }


def summary(r: dict[str, Any]) -> str:
    met = "met" if r["added_ms_median"] < GOAL_MS else "NOT met"
    return (
        f"Send to first reply character {r['browser_ms_median']:g} ms (median of "
        f"{r['turns']}) with a {r['first_token_delay_ms']} ms first-token delay; the OpenAI "
        f"client alone takes {r['direct_client_ms_median']:g} ms: the program adds "
        f"{r['added_ms_median']:g} ms (goal < {GOAL_MS} ms: {met}); through the JSON API's "
        f"stream {r['api_stream_ms_median']:g} ms to the first token event, "
        f"{r['api_stream_added_ms_median']:g} ms over the client alone"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.2, help="first-token delay, seconds")
    args = parser.parse_args()
    result = run(args.turns, args.delay)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
