"""End to end: a scene with two characters on the embedded model, through the CLI.

SmolLM2-135M plays both parents of ``parents-at-dinner`` over the real llama.cpp HTTP
server. The model is tiny, so the test checks the plumbing of a group scene (who speaks
when, step back and invite, clean speaker lines, the per-character debrief), never the
wording.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_e2e_local import rehearse, session_id

pytestmark = pytest.mark.e2e

MUM, DAD = "ruth-mother", "tom-father"


def test_a_group_scene_through_the_cli(rehearse_home: Path) -> None:
    script = (
        "Mum, Dad, I've decided to leave my training and become a nurse.\n"
        "/step-back Dad\n"
        "@Mum what worries you most about it?\n"
        "/invite Dad\n"
        "@all I start in September, and I have a bursary.\n"
        "/end\n"
    )
    done = rehearse(rehearse_home, "play", "parents-at-dinner", stdin=script)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in out + done.stderr
    assert "Mum: Sit down, love, it's getting cold." in out
    assert "Dad: Let them eat first, Ruth." in out
    assert "[Dad steps back.]" in out and "[Dad joins the conversation.]" in out
    assert "DEBRIEF: Telling both parents your decision at dinner" in out
    assert "The characters" in out and "Journal entry" in out

    sid = session_id(out)
    exported = json.loads(rehearse(rehearse_home, "export", sid, "--format", "json").stdout)
    by_turn: dict[int, list[str]] = {}
    for line in exported["transcript"]:
        by_turn.setdefault(line["turn"], []).append(line["speaker"])
        if line["speaker"] != "you":  # cleaned: nobody's line carries a speaker tag
            assert line["text"].strip()
            for tag in ("Mum:", "Dad:", "You:", "User:"):
                assert tag not in line["text"], line
    assert by_turn[0] == [MUM, DAD]
    # Turn 1 spoke to both; the cap is two lines a turn.
    assert by_turn[1][0] == "you" and sorted(by_turn[1][1:]) == [MUM, DAD]
    assert by_turn[2] == ["you", MUM]  # Dad had stepped back
    assert by_turn[3] == ["you", MUM, DAD]  # @all, after he was invited back
    debrief = exported["debrief"]
    assert [c["id"] for c in debrief["characters"]] == [MUM, DAD]
    assert all(c["lines"] >= 1 and c["state"] for c in debrief["characters"])
    assert debrief["characters"][1]["stepped_back_at"] == [1]
    assert debrief["journal"]["source"] == "template"  # the embedded model uses the rules
