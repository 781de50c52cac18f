"""The OpenAI client's chat completions, minus work whose result nobody reads.

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

The reply's pieces come back the other way as the plain dicts they arrived as. The
client would build each into a typed ``ChatCompletionChunk`` (about 0.12 ms of CPU a
piece here, a few milliseconds a reply), which LangChain's ChatOpenAI turns straight
back into a dict (``model_dump``) before reading it; it reads the dicts as they are.
"""

from __future__ import annotations

from typing import Any

from openai import Stream
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
    """``client.chat.completions``, sending a plain transcript without the schema walk
    and streaming the reply's pieces as dicts."""

    def create(self, **params: Any) -> Any:  # type: ignore[override]
        messages = params.get("messages")
        if isinstance(messages, list) and all(_plain(m) for m in messages):
            params["extra_body"] = {**(params.get("extra_body") or {}), "messages": messages}
            params["messages"] = []
        reply = super().create(**params)
        if isinstance(reply, Stream):
            # The type the stream builds each piece into, read when reading starts:
            # ``object`` keeps the JSON as it came (tests/test_completions.py checks
            # that the installed client still does so).
            reply._cast_to = object
        return reply
