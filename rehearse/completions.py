"""The OpenAI client's chat completions, without re-checking a transcript it cannot change.

Before sending a request the OpenAI client walks every parameter against its typed
schema (``maybe_transform``), to rename aliased keys and format dates and files. For a
conversation's messages that walk is pure Python over a union of six message types, per
message: about 20 ms of CPU for a 100-message transcript here, paid before the request
leaves, so by the time to first token and by every other user of the server (issue
#9). It is also a no-op for the messages LangChain sends Rehearse's turns as: plain
``{"role", "content", "name"}`` dicts of strings have nothing to rename or format
(``tests/test_completions.py`` checks this against the installed client).

So such messages ride in ``extra_body``, the client's documented way to add JSON
properties to a request, which it sends as given and which takes precedence over the
named parameters; the request on the wire is the same. Anything else (content parts,
tool calls, images) goes the ordinary way.
"""

from __future__ import annotations

from typing import Any

from openai.resources.chat.completions import Completions

__all__ = ["PlainMessagesCompletions"]

_PLAIN_KEYS = frozenset({"role", "content", "name"})


def _plain(message: object) -> bool:
    return (
        type(message) is dict
        and message.keys() <= _PLAIN_KEYS
        and all(type(value) is str for value in message.values())
    )


class PlainMessagesCompletions(Completions):
    """``client.chat.completions``, sending a plain transcript without the schema walk."""

    def create(self, **params: Any) -> Any:  # type: ignore[override]
        messages = params.get("messages")
        if isinstance(messages, list) and all(_plain(m) for m in messages):
            params["extra_body"] = {**(params.get("extra_body") or {}), "messages": messages}
            params["messages"] = []
        return super().create(**params)
