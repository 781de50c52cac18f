"""kill -9 in the middle of a turn: after a restart the session resumes cleanly.

The CLI plays against a local OpenAI-compatible server that streams slowly; the
process is killed while the character's reply is arriving. Every completed turn must
be there, the interrupted turn absent or whole (never half a reply), nothing doubled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]


def _env(home: Path, server: FakeOpenAI) -> dict[str, str]:
    return {
        **os.environ,
        "REHEARSE_HOME": str(home),
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "test",
        "REHEARSE_MODEL": "fake",
        "REHEARSE_ASSESSOR": "rules",
    }


def _rehearse(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_kill_9_mid_reply_then_resume(rehearse_home: Path) -> None:
    reply = "Look, I hear you, but the review cycle is in March and the budget is tight."
    with FakeOpenAI(reply=reply) as server:
        env = _env(rehearse_home, server)
        first = _rehearse(
            env, "play", "ask-for-a-raise", stdin="I'd like to talk about my pay.\n/quit\n"
        )
        assert first.returncode == 0, first.stderr
        sid = next(
            line.split()[1]
            for line in first.stdout.splitlines()
            if line.startswith("Session ") and len(line.split()) == 2
        )

        server.token_delay = 0.5  # about seven seconds for the whole reply
        with subprocess.Popen(
            [sys.executable, "-m", "rehearse", "resume", sid],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        ) as process:
            assert process.stdin is not None
            process.stdin.write("I've led the team for eight months.\n")
            process.stdin.flush()
            deadline = time.monotonic() + 60
            while len(server.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(server.requests) == 2, "the second turn never reached the model"
            time.sleep(1.5)  # a few words of the reply are out
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)

        server.token_delay = 0.0
        exported = json.loads(_rehearse(env, "export", sid, "--format", "json").stdout)
        said = [(line["speaker"], line["text"]) for line in exported["transcript"]]
        # The interrupted turn is absent: no user line without its turn, no half reply.
        assert said == [
            ("jordan-manager", exported["transcript"][0]["text"]),
            ("you", "I'd like to talk about my pay."),
            ("jordan-manager", reply),
        ]
        again = _rehearse(env, "resume", sid, stdin="I've led the team for eight months.\n/end\n")
        assert again.returncode == 0, again.stderr
        assert "DEBRIEF:" in again.stdout
        exported = json.loads(_rehearse(env, "export", sid, "--format", "json").stdout)
        texts = [line["text"] for line in exported["transcript"]]
        assert texts.count("I've led the team for eight months.") == 1
        assert texts.count(reply) == 2 and len(texts) == 5
        assert exported["debrief"]["user_turns"] == 2
