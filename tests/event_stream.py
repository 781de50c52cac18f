"""A message sent to the JSON API's stream (``Accept: text/event-stream``), read event by
event with the time each arrived: for the tests and the first-token benchmark."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

__all__ = ["Stream"]


class Stream:
    """One streamed message: the answer's status and its events, each with when it came."""

    def __init__(self, url: str, session: str, text: str, user: tuple[str, str] | None = None):
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if user is not None:
            token = base64.b64encode(":".join(user).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
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
