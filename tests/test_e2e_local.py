"""End to end on the embedded model: the real llama.cpp server over HTTP, through the CLI.

These start SmolLM2-135M-Instruct on llama-cpp-python's server exactly as
``rehearse play`` does. The model is tiny, so the tests check the plumbing and the
shape of what comes back (non-empty, cleaned, in voice), never the wording.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from rehearse.local_model import LocalModelServer, gguf_path
from rehearse.models import chat_model, settings

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]


def rehearse(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REHEARSE_HOME": str(home)}
    for name in ("REHEARSE_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )


def session_id(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("Session ") and len(line.split()) == 2:
            return line.split()[1]
    raise AssertionError(f"no session id in:\n{output}")


def character_lines(output: str, name: str) -> list[str]:
    return [line[len(name) + 2 :] for line in output.splitlines() if line.startswith(f"{name}: ")]


def test_the_embedded_model_streams_over_http(rehearse_home: Path) -> None:
    assert gguf_path().stat().st_size > 50_000_000
    with LocalModelServer() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        model = chat_model(settings("local"), base_url=server.base_url)
        chunks = [
            str(c.content)
            for c in model.stream(
                [
                    SystemMessage(content="You are Jordan, a busy manager. Reply in one sentence."),
                    HumanMessage(content="Can we talk about my pay?"),
                ],
                max_tokens=40,
            )
        ]
    assert len([c for c in chunks if c]) > 3, chunks
    assert "".join(chunks).strip()
    # The server is gone once the block ends.
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen(f"{server.base_url}/models", timeout=2)


def test_play_a_bundled_scenario_to_its_debrief(rehearse_home: Path) -> None:
    script = (
        "Hi Jordan, thanks for making the time.\n"
        "/hint\n"
        "I want to ask for a 10% raise. I've led the team for eight months.\n"
        "What would you need from me to make that possible?\n"
        "/end\n"
    )
    done = rehearse(rehearse_home, "play", "ask-for-a-raise", stdin=script)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in out + done.stderr
    assert "Starting the embedded model" in done.stderr and "ready" in done.stderr
    replies = character_lines(out, "Jordan")
    assert (
        replies[0] == "Hi, come in. I've got about twenty minutes. What did you want to talk about?"
    )
    assert len(replies) == 4 and all(r.strip() for r in replies[1:])
    for reply in replies[1:]:  # cleaned: no speaker tags, no lines written for the user
        assert "User:" not in reply and not reply.startswith("Jordan:")
    assert "[Hint:" in out
    assert "DEBRIEF: Asking your manager for a raise" in out
    for heading in (
        "Goals",
        "How the other side moved",
        "Your moves",
        "Try instead",
        "Next practice",
    ):
        assert heading in out
    sid = session_id(out)

    listed = json.loads(rehearse(rehearse_home, "sessions", "--json").stdout)
    assert [(s["id"], s["status"], s["turns"]) for s in listed] == [(sid, "finished", 3)]
    exported = json.loads(rehearse(rehearse_home, "export", sid, "--format", "json").stdout)
    said = [line["text"] for line in exported["transcript"] if line["speaker"] == "you"]
    assert said[1] == "I want to ask for a 10% raise. I've led the team for eight months."
    assert exported["debrief"]["user_turns"] == 3
    assert {g["id"] for g in exported["debrief"]["goals"]} == {
        "state-the-ask",
        "evidence",
        "understand-constraints",
    }
    assert exported["debrief"]["moves"]["need_statement"] >= 1
    assert exported["debrief"]["moves"]["open_question"] >= 1
    markdown = rehearse(rehearse_home, "export", sid, "--format", "md").stdout
    assert markdown.startswith("# Asking your manager for a raise")


def test_quit_resume_and_rewind_through_the_cli(rehearse_home: Path) -> None:
    first = rehearse(
        rehearse_home,
        "play",
        "boundary-with-mum",
        "--difficulty",
        "hard",
        stdin="Hi Mum. Can we talk for a minute?\n/quit\n",
    )
    assert first.returncode == 0, first.stderr
    sid = session_id(first.stdout)
    assert f"rehearse resume {sid}" in first.stdout

    second = rehearse(
        rehearse_home,
        "resume",
        sid,
        stdin="I love that you want to help. I need you to text before you come over.\n"
        "/rewind 2\n"
        "It matters to me that you call first. What would make that easy for you?\n"
        "/end\n",
    )
    out = second.stdout
    assert second.returncode == 0, second.stderr
    assert "Hi Mum. Can we talk for a minute?" in out  # the earlier turn is shown on resume
    assert "Back to just before your turn 2" in out
    assert "DEBRIEF:" in out and "hard" in out
    exported = json.loads(rehearse(rehearse_home, "export", sid, "--format", "json").stdout)
    said = [line["text"] for line in exported["transcript"] if line["speaker"] == "you"]
    assert said == [
        "Hi Mum. Can we talk for a minute?",
        "It matters to me that you call first. What would make that easy for you?",
    ]
