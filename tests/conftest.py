"""Shared fixtures: an isolated data directory, a small test scenario, fake chat models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, SystemMessage

from simulator.catalog import Catalog
from simulator.schema import Scenario
from simulator.store import SessionStore

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def rehearse_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory; nothing touches the real home."""
    home = tmp_path / "home"
    monkeypatch.setenv("REHEARSE_HOME", str(home))
    # gradio_client's huggingface_hub asks huggingface.co for a list on every Client();
    # tests need no network. (The web offline test runs the studio without this.)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in (
        "REHEARSE_MODEL",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "REHEARSE_ASSESSOR",
        "REHEARSE_RETENTION_DAYS",  # a developer's own setting must not purge test sessions
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def test_catalog() -> Catalog:
    return Catalog.load([("test", DATA / "scenarios", DATA / "personas")])


@pytest.fixture
def scene(test_catalog: Catalog) -> Scenario:
    return test_catalog.get("test-scene")


def long_test_scene(turns: int) -> Scenario:
    """The test scene with room for ``turns`` turns: no end condition, a high turn cap."""
    scene = Catalog.load([("test", DATA / "scenarios", DATA / "personas")]).get("test-scene")
    end = scene.end.model_copy(update={"when": None, "max_turns": turns + 1})
    return scene.model_copy(update={"end": end})


@pytest.fixture
def store(rehearse_home: Path) -> Iterator[SessionStore]:
    rehearse_home.mkdir(parents=True, exist_ok=True)
    store = SessionStore(rehearse_home / "sessions.sqlite")
    yield store
    store.close()


def fake_model(*replies: str) -> GenericFakeChatModel:
    """A chat model that streams the given replies in order (word by word)."""
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


class RecordingModel:
    """A fake model (``.model``) that keeps every prompt it streams a reply to."""

    def __init__(self, *replies: str) -> None:
        self.model = fake_model(*replies)
        self.prompts: list[list[Any]] = []
        original = self.model.stream

        def stream(messages: list[Any], *args: Any, **kwargs: Any) -> Any:
            self.prompts.append(list(messages))
            return original(messages, *args, **kwargs)

        object.__setattr__(self.model, "stream", stream)

    def system(self, index: int) -> str:
        """The system prompt of the ``index``-th call."""
        message = self.prompts[index][0]
        assert isinstance(message, SystemMessage)
        return str(message.content)


class BrokenChatModel(GenericFakeChatModel):
    """A chat model whose endpoint is down: every call fails."""

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("endpoint down")

    def _stream(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("endpoint down")


# The warnings a test of the studio served over HTTP lets pass (``pytestmark``).
SERVED_STUDIO_WARNINGS = [
    # Sockets the HTTP client and server threads leave to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def gradio_loop_released() -> Iterator[None]:
    """Closes the event loop Gradio leaves on this thread inside the test, not at some
    later garbage collection, where its ResourceWarning would land in another test."""
    yield
    from ui.serving import release_event_loop  # imported here: most tests need no Gradio

    release_event_loop()


@pytest.fixture
def broken_model() -> BrokenChatModel:
    return BrokenChatModel(messages=iter([]))
