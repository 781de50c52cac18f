"""Where Rehearse finds bundled content and keeps the user's data.

``REHEARSE_HOME`` (default: the per-user data directory) holds the session database,
the user's own scenarios and personas, and logs. Bundled scenarios live beside the
package in a source checkout and inside the package in an installed wheel.

What people say in practice is private: the data directory and every folder in it are
``0o700`` and every file ``0o600`` (owner only), whatever the umask, and a directory
created earlier with looser modes is tightened the next time it is used.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

__all__ = ["bundled_dir", "home", "private_dir", "private_file", "user_dir"]

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(kind: str) -> Path:
    """``scenarios`` or ``personas`` shipped with Rehearse."""
    packaged = _PACKAGE / "bundled" / kind  # where the wheel puts them (see pyproject.toml)
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / kind  # a source checkout or an editable install


def _owner_only(path: Path, mode: int) -> None:
    # mkdir/open modes are filtered by the umask and leave existing paths alone, so the
    # mode is set explicitly. Someone else's path (a shared REHEARSE_HOME) cannot be
    # changed by us and is left to its owner. Windows has no such modes: the per-user
    # data directory is already private there.
    if os.name != "posix":
        return
    current = path.stat()
    if stat.S_IMODE(current.st_mode) != mode and current.st_uid == os.geteuid():
        path.chmod(mode)


def private_dir(path: Path) -> Path:
    """``path`` as a folder readable by its owner only (``0o700``), created if missing."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _owner_only(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file readable by its owner only (``0o600``), created empty if missing."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    _owner_only(path, 0o600)
    return path


def home() -> Path:
    """The data directory, created on first use and readable by its owner only."""
    return private_dir(
        Path(os.environ.get("REHEARSE_HOME") or platformdirs.user_data_dir("rehearse"))
    )


def user_dir(kind: str) -> Path:
    """The user's own ``scenarios`` or ``personas`` folder inside the data directory."""
    return private_dir(home() / kind)
