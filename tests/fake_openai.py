"""A small OpenAI-compatible HTTP server for tests and benchmarks, on 127.0.0.1.

It answers ``POST /v1/chat/completions`` (streaming or not) and ``GET /v1/models``
with a scripted reply, and ``POST /v1/images/generations`` with a tiny PNG
(base64-encoded). It can misbehave on purpose: answer slowly, hang, refuse with
429, fail with 500, drop the connection mid-stream, or send malformed data. Only the
standard library, so it starts in milliseconds and runs one thread per request.

    with FakeOpenAI(reply="Fine.", first_token_delay=0.2) as server:
        ChatOpenAI(base_url=server.base_url, api_key="x", model="fake")
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["TINY_PNG", "FakeOpenAI"]


def _png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG of one teal colour, built by hand (no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes((47, 111, 106)) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TINY_PNG = _png()

Fault = Literal["none", "hang", "429", "500", "drop", "malformed"]


class _Server(ThreadingHTTPServer):
    # The standard library listens with a backlog of 5: with dozens of users calling at
    # once (the many-users benchmark), the connections past it waited a second for the
    # kernel to retry them, or failed. Model servers listen with hundreds (uvicorn 2048).
    request_queue_size = 256


@dataclass
class FakeOpenAI:
    reply: str = "Okay."
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    fault: Fault = "none"
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Requests being answered right now, and the most there ever were at once.
    in_flight: int = 0
    most_in_flight: int = 0

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                with fake._count:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    if self.path.rstrip("/").endswith("/images/generations"):
                        fake.image(self, body)
                    else:
                        fake.handle(self, body)
                finally:
                    with fake._count:
                        fake.in_flight -= 1

        self._count = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def chat_model(self, *, timeout: float = 10.0, retries: int = 0) -> Any:
        """Rehearse's own ChatOpenAI (rehearse.models.chat_model) pointed at this server."""
        from rehearse.models import ModelSettings, chat_model

        settings = ModelSettings(
            name="fake",
            base_url=self.base_url,
            api_key="test-key",
            timeout=timeout,
            max_retries=retries,
            temperature=0.0,
            assessor="rules",
        )
        return chat_model(settings)

    def image(self, h: Any, body: dict[str, Any]) -> None:
        """``images.generate``: one tiny PNG, or the configured fault."""
        if self.fault in ("429", "500"):
            h._json(int(self.fault), {"error": {"message": f"fake {self.fault}", "type": "fake"}})
            return
        encoded = base64.b64encode(TINY_PNG).decode()
        h._json(200, {"created": 0, "data": [{"b64_json": encoded}]})

    def handle(self, h: Any, body: dict[str, Any]) -> None:
        if self.fault == "hang":
            time.sleep(3600)
            return
        if self.fault in ("429", "500"):
            h._json(
                int(self.fault),
                {"error": {"message": f"fake {self.fault}", "type": "fake", "code": self.fault}},
            )
            return
        words = self.reply.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        if not body.get("stream"):
            time.sleep(self.first_token_delay + self.token_delay * len(pieces))
            h._json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": self.reply},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": 1,
                        "completion_tokens": len(pieces),
                        "total_tokens": 2,
                    },
                },
            )
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        time.sleep(self.first_token_delay)

        def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            h.wfile.flush()

        try:
            send({"role": "assistant", "content": ""})
            for i, piece in enumerate(pieces):
                if self.fault == "drop" and i == len(pieces) // 2:
                    h.connection.shutdown(2)  # the connection dies mid-stream
                    return
                if self.fault == "malformed" and i == 1:
                    h.wfile.write(b"data: {this is not json\n\n")
                    h.wfile.flush()
                    continue
                send({"content": piece})
                if self.token_delay:
                    time.sleep(self.token_delay)
            send({}, finish="stop")
            h.wfile.write(b"data: [DONE]\n\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: that is allowed
        h.close_connection = True

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
