"""The data directory and every file in it are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from rehearse import local_model
from simulator.errors import LocalModelError
from simulator.paths import home, user_dir
from simulator.store import SessionStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def lax_umask() -> Iterator[None]:
    """The usual umask (022), under which files would be world-readable by default."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_data_directory_is_created_owner_only(rehearse_home: Path) -> None:
    assert home() == rehearse_home
    assert mode(rehearse_home) == 0o700
    assert mode(user_dir("scenarios")) == 0o700 and mode(user_dir("personas")) == 0o700


def test_an_existing_directory_is_tightened(rehearse_home: Path) -> None:
    rehearse_home.mkdir(mode=0o755)
    (rehearse_home / "scenarios").mkdir(mode=0o755)
    os.chmod(rehearse_home, 0o755)
    home()
    user_dir("scenarios")
    assert mode(rehearse_home) == 0o700 and mode(rehearse_home / "scenarios") == 0o700


def test_the_session_store_files_are_owner_only(rehearse_home: Path) -> None:
    db = home() / "sessions.sqlite"
    store = SessionStore(db)
    store.create("test-scene", "A test scene", "medium", "fake")  # writes the WAL
    for suffix in ("", "-wal", "-shm"):
        assert mode(Path(f"{db}{suffix}")) == 0o600, suffix
    store.close()


def test_existing_store_files_are_tightened(rehearse_home: Path) -> None:
    db = home() / "sessions.sqlite"
    store = SessionStore(db)
    store.create("test-scene", "A test scene", "medium", "fake")
    for suffix in ("", "-wal", "-shm"):  # as an older version may have left them
        os.chmod(f"{db}{suffix}", 0o644)
    again = SessionStore(db)
    for suffix in ("", "-wal", "-shm"):
        assert mode(Path(f"{db}{suffix}")) == 0o600, suffix
    again.close()
    store.close()


def test_the_model_server_log_is_owner_only(
    rehearse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ExitsAtOnce:
        returncode = 1

        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def poll(self) -> int:
            return 1

    monkeypatch.setattr(local_model.subprocess, "Popen", ExitsAtOnce)
    server = local_model.LocalModelServer(model=Path("model.gguf"))
    with pytest.raises(LocalModelError, match=r"exited \(code 1\)"):
        server.start()
    assert mode(server.log_path) == 0o600
    assert mode(server.log_path.parent) == 0o700
