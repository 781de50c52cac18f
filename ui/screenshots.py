"""Screenshots of the studio for the README: ``docs/practice.png`` and ``docs/debrief.png``.

    python -m ui.screenshots [--out docs]

Starts the studio on a free loopback port with the bundled scenarios, a scripted
stand-in model (so the pictures are the same every time and no model is needed) and a
throw-away ``REHEARSE_HOME``; then plays a short scene in Debian's chromium through
Playwright. It never downloads a browser: it uses ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ui.serving import CHROMIUM, launch_chromium, served

SCENARIO = "feedback-missed-deadlines"
# The user's lines, and the character's replies in the order the model is asked.
SAID = [
    "On Thursday the landing page copy wasn't there for the client review, and we had to "
    "move the launch a week. What's been getting in the way?",
    "You're always late with everything lately.",
]
REDO = "It sounds like it's been a heavy few weeks. What would help you get Wednesday's copy done?"
AGREE = "Let's agree a first draft by Tuesday noon and a quick check-in at three. Does that work?"
REPLIES = [
    "Yeah. I know. The brief changed twice and I kept telling myself I'd catch up at the "
    "weekend. It's been a lot lately.",
    "Always? Come on. I've hit every deadline on this account for two years.",
    "Honestly? A check-in tomorrow afternoon would help. I'd rather flag it early than go quiet.",
    "Tuesday noon works. And thanks for not turning this into a thing.",
    "It sounds like the last few weeks have been heavy. What would make Wednesday doable for you?",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs", help="folder for the PNG files")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    os.environ["REHEARSE_HOME"] = tempfile.mkdtemp(prefix="rehearse-shots-")

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from playwright.sync_api import sync_playwright

    from simulator.catalog import Catalog
    from simulator.paths import home
    from simulator.store import SessionStore
    from ui.app import create_app

    model = GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in REPLIES]))
    store = SessionStore(home() / "sessions.sqlite")
    demo = create_app(store, model, Catalog.load(), model_name="scripted", assessor="rules")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with served(demo) as url, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.get_by_label("Giving feedback to a colleague who missed deadlines").check()
            page.get_by_role("button", name="Start this scene").click()
            page.wait_for_selector("#chat .message")
            for i, line in enumerate(SAID, 1):
                say(page, line, turn=i)
            page.locator("#rewind-tools").get_by_text("Try one of your turns again").click()
            page.locator("#turn-pick input").click()
            page.get_by_role("option", name="Turn 2", exact=False).click()
            page.locator("#rewind").click()
            page.wait_for_selector("#practice-heading:has-text('your turn 2 ')")
            say(page, REDO, turn=2)
            say(page, AGREE, turn=3)
            page.locator("#rewind-tools").get_by_text("Try one of your turns again").click()
            page.get_by_role("button", name="Hint").click()
            page.wait_for_selector("#hint p")
            page.screenshot(path=str(out / "practice.png"), full_page=True)
            page.get_by_role("button", name="End & debrief").click()
            page.wait_for_selector("#debrief-chart svg, #debrief-chart canvas", timeout=20000)
            page.wait_for_timeout(800)  # let the chart finish drawing
            page.screenshot(path=str(out / "debrief.png"), full_page=True)
            browser.close()
    finally:
        store.close()
    print(f"Wrote {out / 'practice.png'} and {out / 'debrief.png'}")
    return 0


def say(page: Any, line: str, *, turn: int) -> None:
    """Say the user's ``turn``-th line and wait until the whole reply is in and saved."""
    page.locator("#say textarea").fill(line)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_selector(f"#practice-heading:has-text('your turn {turn + 1} ')")


if __name__ == "__main__":
    sys.exit(main())
