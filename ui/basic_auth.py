"""HTTP Basic authentication for the REST API, with the studio's own ``--auth`` users.

The studio's page signs people in through Gradio's login form and a cookie; a script
cannot do that easily, so the REST API (:mod:`ui.rest`) asks for the same user names
and passwords as HTTP Basic credentials on every request. ``launch(auth=...)`` takes
them in any form Gradio does: one ``(user, password)`` pair, a list of them, or a
function ``(user, password) -> bool``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Sequence

__all__ = ["BasicAuth", "Credentials"]

Credentials = tuple[str, str] | Sequence[tuple[str, str]] | Callable[[str, str], bool] | None

REALM = "Rehearse"


class BasicAuth:
    """Who a request's ``Authorization: Basic`` header signs in as, if anyone.

    Without credentials configured (no ``--auth``) everyone is the one anonymous user
    ``""``, as in the studio.
    """

    def __init__(self, credentials: Credentials) -> None:
        self._check: Callable[[str, str], bool] | None
        if credentials is None:
            self._check = None
        elif callable(credentials):
            self._check = credentials
        else:
            pairs = (
                [credentials]
                if isinstance(credentials, tuple) and isinstance(credentials[0], str)
                else list(credentials)
            )
            self._check = _matcher([(str(u), str(p)) for u, p in pairs])  # type: ignore[misc]

    @property
    def required(self) -> bool:
        return self._check is not None

    @property
    def challenge(self) -> dict[str, str]:
        """The header that tells a client to send Basic credentials."""
        return {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}

    def user(self, authorization: str | None) -> str | None:
        """The signed-in user name; ``""`` when no auth is configured; None if refused."""
        if self._check is None:
            return ""
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, colon, password = decoded.partition(":")
        if not colon or not self._check(user, password):
            return None
        return user


def _matcher(pairs: list[tuple[str, str]]) -> Callable[[str, str], bool]:
    """A check that compares in constant time and looks at every pair, so neither the
    time to answer nor where it stops tells which user names exist."""
    encoded = [(u.encode(), p.encode()) for u, p in pairs]

    def check(user: str, password: str) -> bool:
        given_user, given_password = user.encode(), password.encode()
        found = False
        for known_user, known_password in encoded:
            same_user = hmac.compare_digest(given_user, known_user)
            same_password = hmac.compare_digest(given_password, known_password)
            found |= same_user and same_password
        return found

    return check
