"""Running the studio in-process on a free loopback port, for tests and screenshots.

``served(demo)`` launches a built app without blocking and closes it afterwards,
including the event loop Gradio leaves behind; ``launch_chromium`` opens Debian's
chromium through Playwright (a browser is never downloaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "free_port",
    "launch_chromium",
    "release_event_loop",
    "served",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def release_event_loop() -> None:
    """Close the event loop Gradio set on this thread, now rather than at some later GC.

    Building or launching an app makes Gradio create event loops for its lock and stop
    event (``gradio.utils.safe_get_lock``) and leave the last one set on the calling
    thread, unclosed. Left alone, its ResourceWarning fires whenever it is collected,
    which may be in the middle of an unrelated test.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        policy = asyncio.get_event_loop_policy()
        try:
            loop = policy.get_event_loop()
        except RuntimeError:
            loop = None
        if loop is not None and not loop.is_running():
            loop.close()
            policy.set_event_loop(None)
        gc.collect()


@contextlib.contextmanager
def served(demo: gr.Blocks, **launch: Any) -> Iterator[str]:
    """The app running on a free port of 127.0.0.1; yields its URL."""
    port = free_port()
    demo.launch(
        prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, **launch
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
        release_event_loop()


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium, headless; never a downloaded browser."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
