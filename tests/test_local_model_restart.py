"""The embedded model's server, killed under a session, is started again on its port.

A user's ``/retry`` (or the studio's Retry) then finds the model answering at the same
address the chat model was given; a server that keeps dying is left down after a few
restarts, and its log says why.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from rehearse.local_model import LocalModelServer
from simulator.errors import LocalModelError

pytestmark = pytest.mark.e2e


def ask(server: LocalModelServer, seconds: float = 60) -> str:
    """The model's reply to a short request, trying until it answers or time is up."""
    request = urllib.request.Request(
        f"{server.base_url}/chat/completions",
        data=json.dumps(
            {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return str(json.load(answer)["choices"][0]["message"]["content"])
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def kill(server: LocalModelServer) -> int:
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_killed_server_answers_again_at_the_same_address(rehearse_home: Path) -> None:
    with LocalModelServer() as server:
        url = server.base_url
        assert ask(server).strip()
        killed = kill(server)
        assert ask(server).strip()  # the same base_url: the chat model needs no change
        assert server.base_url == url
        assert server.restarts == 1
        assert server.pid not in (None, killed)
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "the embedded model server exited (code -9); restart 1 on the same port" in log
    time.sleep(1)  # stopped on purpose: nothing starts it again
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/models", timeout=2)
    assert server.restarts == 1


def test_a_server_that_keeps_dying_is_left_down(
    rehearse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LocalModelServer, "max_restarts", 1)
    with LocalModelServer() as server:
        kill(server)
        assert ask(server).strip()
        kill(server)
        time.sleep(2)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{server.base_url}/models", timeout=2)
        assert server.restarts == 1
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "exited (code -9); not restarted again (the limit)" in log


def test_a_server_dying_mid_answer_while_starting_is_an_exit_not_a_crash(
    rehearse_home: Path,
) -> None:
    # The CI run that found this killed the server while the restart's readiness check
    # was reading its answer: http.client raised IncompleteRead in the watcher's thread.
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_half() -> None:
        for _ in range(2):
            conn, _addr = listener.accept()
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 172\r\n\r\n{")
            conn.close()

    threading.Thread(target=answer_half, daemon=True).start()

    class DiesAfterTwoLooks:
        pid = 1
        polls = 0

        def poll(self) -> int | None:
            self.polls += 1
            return None if self.polls <= 2 else -9

    server = LocalModelServer(model=Path("model.gguf"))
    server.port = listener.getsockname()[1]
    with pytest.raises(LocalModelError, match=r"exited \(code -9\)"):
        server._wait_until_ready(DiesAfterTwoLooks())  # type: ignore[arg-type]
    listener.close()
