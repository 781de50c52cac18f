"""Where Rehearse finds bundled content and keeps the user's data.

``REHEARSE_HOME`` (default: the per-user data directory) holds the session database,
the user's own scenarios and personas, and logs. Bundled scenarios live beside the
package in a source checkout and inside the package in an installed wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["bundled_dir", "home", "user_dir"]

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(kind: str) -> Path:
    """``scenarios`` or ``personas`` shipped with Rehearse."""
    packaged = _PACKAGE / "bundled" / kind  # where the wheel puts them (see pyproject.toml)
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / kind  # a source checkout or an editable install


def home() -> Path:
    """The data directory, created on first use and readable by its owner only."""
    path = Path(os.environ.get("REHEARSE_HOME") or platformdirs.user_data_dir("rehearse"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def user_dir(kind: str) -> Path:
    """The user's own ``scenarios`` or ``personas`` folder inside the data directory."""
    path = home() / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
