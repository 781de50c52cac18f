"""End to end on the embedded model: talk back to the worry, then reframe a line from it.

The model is tiny, so this checks the plumbing (the scene opens, the worry answers in
words, the debrief names the goals, and a line from the session becomes a saved
reframe), never the wording.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_e2e_local import character_lines, rehearse, session_id

pytestmark = pytest.mark.e2e


def test_talk_back_to_the_worry_then_reframe_a_line(rehearse_home: Path) -> None:
    script = (
        "That's fortune telling. What evidence do you have that I'll freeze?\n"
        "I might stumble, and if I do I can look at my notes and carry on.\n"
        "/end\n"
    )
    done = rehearse(rehearse_home, "play", "talking-back-to-the-worry", stdin=script)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    replies = character_lines(done.stdout, "The Worry")
    assert replies[0].startswith("You're going to freeze on the first slide.")
    assert len(replies) == 3 and all(r.strip() for r in replies[1:])
    assert "DEBRIEF: Talking back to the worry" in done.stdout
    assert "Name the thinking trap the worry is using." in done.stdout
    sid = session_id(done.stdout)

    # The user's second line, from that session, reframed in the terminal (rules only).
    answers = "\n".join(["", "", "", "", "", "I can prepare my notes tonight."]) + "\n"
    reframed = rehearse(
        rehearse_home,
        "reframe",
        "--session",
        sid,
        "--turn",
        "1",
        "--situation",
        "x",
        stdin=answers,
    )
    assert reframed.returncode == 0, reframed.stderr
    assert "fortune telling" in reframed.stdout
    listed = json.loads(rehearse(rehearse_home, "reframe", "--list", "--json").stdout)
    assert listed[0]["source"]["session_id"] == sid
    assert listed[0]["thought"].startswith("That's fortune telling.")
