"""The JSON API (``ui/rest.py``) over real HTTP, for the tests and the benchmarks: plain
calls as one user (:class:`Api`), and a message sent to its stream (``Accept:
text/event-stream``) read event by event with the time each arrived (:class:`Stream`)."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

__all__ = ["Api", "Stream"]


def _headers(user: tuple[str, str] | None, **more: str) -> dict[str, str]:
    """JSON headers, signed in as ``user`` (HTTP Basic) if one is given."""
    headers = {"Content-Type": "application/json", **more}
    if user is not None:
        token = base64.b64encode(":".join(user).encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


class Api:
    """Calls to one served studio's /api/v1, as one user (or nobody)."""

    def __init__(self, url: str, user: tuple[str, str] | None = None) -> None:
        self.url = url.rstrip("/") + "/api/v1"
        self.user = user

    def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=_headers(self.user)
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.load(answer), dict(answer.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            assert "Traceback" not in text
            return error.code, json.loads(text), dict(error.headers)

    def start(self, scenario: str = "test-scene", **more: str) -> str:
        status, body, _ = self.call("POST", "/sessions", {"scenario": scenario, **more})
        assert status == 201, body
        return str(body["session_id"])


class Stream:
    """One streamed message: the answer's status and its events, each with when it came."""

    def __init__(self, url: str, session: str, text: str, user: tuple[str, str] | None = None):
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = _headers(user, Accept="text/event-stream")
        body = json.dumps({"text": text})
        path = f"/api/v1/sessions/{session}/messages"
        self.sent = time.perf_counter()
        self.connection.request("POST", path, body=body, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.type = self.response.getheader("Content-Type", "")

    def events(self) -> Iterator[tuple[str, Any, float]]:
        """(name, data, seconds since sending) for each event, as each arrives."""
        name = ""
        while line := self.response.readline():
            text = line.decode().rstrip("\n")
            if text.startswith("event: "):
                name = text.removeprefix("event: ")
            elif text.startswith("data: "):
                data = json.loads(text.removeprefix("data: "))
                yield name, data, time.perf_counter() - self.sent

    def json(self) -> Any:
        return json.loads(self.response.read())

    def close(self) -> None:
        self.connection.close()
