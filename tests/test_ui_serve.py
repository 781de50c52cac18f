"""`rehearse serve`: options, sign-in users, and the model kept alive as long as the studio."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rehearse import cli
from simulator.errors import RehearseError
from tests.conftest import fake_model
from ui.app import StudioBlocks
from ui.serving import release_event_loop

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Record what `serve` launches instead of serving; the model's lifetime too."""
    events: list[Any] = []

    @contextlib.contextmanager
    def model(config: Any) -> Iterator[Any]:
        events.append(("model up", config.name))
        yield fake_model()
        events.append(("model down", config.name))

    def launch(self: StudioBlocks, **kwargs: Any) -> None:
        events.append(("launch", kwargs))
        frozen.append(gc.get_freeze_count())

    frozen: list[int] = []
    monkeypatch.setattr(cli, "_model", model)
    monkeypatch.setattr(StudioBlocks, "launch", launch)
    try:
        yield events
    finally:
        gc.unfreeze()  # serve froze the heap for good; the tests go on collecting it
        release_event_loop()
    # Everything the studio held when it started serving was left out of the
    # collector's full passes (cli._settle_heap).
    assert all(count > 10_000 for count in frozen), frozen


def test_serve_binds_loopback_by_default_and_keeps_the_model_up(launched: list[Any]) -> None:
    assert cli.main(["serve"]) == 0
    (_, up), (_, kwargs), (_, down) = launched
    assert up == down == "local"  # the embedded model, started before and stopped after
    assert kwargs == {"server_name": "127.0.0.1", "server_port": 7860, "auth": None, "quiet": True}


def test_serve_with_users_from_a_file(launched: list[Any], tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    users.write_text("# the practice group\nalice:a-secret\n\nbob: with:colons\n", encoding="utf-8")
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8080", "--auth", str(users)]) == 0
    kwargs = launched[1][1]
    assert kwargs["server_name"] == "0.0.0.0" and kwargs["server_port"] == 8080
    assert kwargs["auth"] == [("alice", "a-secret"), ("bob", "with:colons")]


def test_auth_accepts_one_pair_and_explains_a_bad_one(tmp_path: Path) -> None:
    assert cli.read_auth("carol:pw") == [("carol", "pw")]
    with pytest.raises(RehearseError, match="expected user:password"):
        cli.read_auth("carol")
    bad = tmp_path / "users.txt"
    bad.write_text("alice:ok\nnobody\n", encoding="utf-8")
    with pytest.raises(RehearseError, match=r"users.txt:2: expected user:password"):
        cli.read_auth(str(bad))


def test_serve_refuses_a_concurrency_below_one(launched: list[Any]) -> None:
    assert cli.main(["serve", "--concurrency", "0"]) == 1
    assert launched == []


def test_model_slots_default_to_what_the_model_can_take(
    launched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.app  # `serve` imports create_app from here when it runs

    slots: list[int] = []
    build = ui.app.create_app

    def create_app(*args: Any, concurrency: int, **kwargs: Any) -> Any:
        slots.append(concurrency)
        return build(*args, concurrency=concurrency, **kwargs)

    monkeypatch.setattr(ui.app, "create_app", create_app)
    monkeypatch.setenv("OPENAI_API_KEY", "not-used")
    assert cli.main(["serve"]) == 0  # the embedded model answers one request at a time
    assert cli.main(["serve", "--model", "gpt-4o-mini"]) == 0  # an endpoint batches them
    assert cli.main(["serve", "--concurrency", "5"]) == 0
    assert slots == [cli.LOCAL_CONCURRENCY, cli.REMOTE_CONCURRENCY, 5]
