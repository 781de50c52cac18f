"""Nothing leaves the machine from the web studio either (issue #10, the web half).

``rehearse serve`` runs in a network namespace that has only a loopback interface, so
any outbound connection would fail, with an OpenAI-compatible model endpoint on
loopback (:mod:`tests.fake_openai`: the embedded model's start-up would take most of a
minute, and the command-line proof in :mod:`tests.test_privacy_offline` already plays
a session on it). A scripted client in the same namespace plays a whole session
through the studio's named API. The audit hook of the command-line proof runs in every
Python process (the client and its model endpoint, the studio) and records each address
they connect to, send to, look up or listen on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.test_privacy_offline import (
    assert_only_loopback,
    assert_owner_only,
    audited_env,
    is_loopback,
    offline_prefix,
)

ROOT = Path(__file__).resolve().parents[1]
LINE = "Hi Jordan. I would like to talk about my pay."

# Runs inside the namespace: the model endpoint, the studio, and a client that plays.
CLIENT = textwrap.dedent(
    """
    import json, os, socket, subprocess, sys, time

    from gradio_client import Client

    from tests.fake_openai import FakeOpenAI

    def free_port():
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def wait_for(port, server, seconds=90):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if server.poll() is not None:
                sys.exit(f"the studio stopped: {server.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        sys.exit("the studio did not start")

    with FakeOpenAI(reply="I hear you. What number did you have in mind?") as model:
        port = free_port()
        env = dict(os.environ, OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="loopback")
        del env["HF_HUB_OFFLINE"]  # the client's own setting (see below), not the studio's
        server = subprocess.Popen(
            [sys.executable, "-m", "rehearse", "serve", "--port", str(port),
             "--model", "fake-model", "--assessor", "rules"],
            env=env, stderr=subprocess.PIPE, text=True,
        )
        try:
            wait_for(port, server)
            client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False)
            ids = [s["id"] for s in client.predict(api_name="/list_scenarios")]
            session, opening = client.predict("ask-for-a-raise", "easy", api_name="/start_session")
            reply = client.predict(session, sys.argv[1], api_name="/send_message")
            debrief = client.predict(session, api_name="/end_session")
            client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        result = {
            "scenarios": ids,
            "session": session,
            "opening": opening,
            "reply": reply,
            "debrief": debrief,
            "model_requests": len(model.requests),
            "studio_port": port,
        }
    print(json.dumps(result))
    """
)


def test_a_whole_web_session_runs_with_the_network_cut_off(
    rehearse_home: Path, tmp_path: Path
) -> None:
    prefix = offline_prefix()
    script = tmp_path / "play_web.py"
    script.write_text(CLIENT)
    env, netlog = audited_env(rehearse_home, tmp_path, ROOT)
    env["GRADIO_TEMP_DIR"] = str(tmp_path / "gradio")

    # gradio_client builds its headers with huggingface_hub, which asks huggingface.co
    # for a list of "agent harnesses" unless told it is offline. That is the scripted
    # client's doing, not the studio's: the studio runs without this setting.
    env["HF_HUB_OFFLINE"] = "1"

    done = subprocess.run(
        [*prefix, sys.executable, str(script), LINE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )

    assert done.returncode == 0, done.stderr
    played = json.loads(done.stdout.strip().splitlines()[-1])
    assert "ask-for-a-raise" in played["scenarios"]
    assert played["opening"] and played["reply"] == "I hear you. What number did you have in mind?"
    assert played["debrief"]["user_turns"] == 1
    assert played["model_requests"] >= 2  # the reply and the debrief's rewrite
    events = [json.loads(line) for line in netlog.read_text().splitlines()]
    studio = [e for e in events if "rehearse" in e["argv"] and "serve" in e["argv"]]
    client = [e for e in events if "play_web.py" in e["argv"]]
    port = played["studio_port"]
    # The hook ran in the studio: it listened on loopback and reached the model there...
    listened = [e["address"] for e in studio if e["event"] == "socket.bind"]
    assert f"('127.0.0.1', {port})" in listened, studio
    assert any(e["event"] == "socket.connect" and e.get("host") == "127.0.0.1" for e in studio)
    # ...and in the client, which reached the studio on loopback...
    assert any(
        e["event"] == "socket.connect" and f"'127.0.0.1', {port})" in e["address"] for e in client
    ), client
    # ...and nothing, in any process, reached, looked up or listened on anything else.
    assert_only_loopback(events)
    # The session the studio saved is the owner's only, like everything else it wrote.
    assert_owner_only(rehearse_home)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1", None])
def test_loopback_means_this_computer(host: str | None) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "1.1.1.1", "api.gradio.app", "0.0.0.0", "::"])
def test_anything_else_is_not_loopback(host: str) -> None:
    assert not is_loopback(host)
