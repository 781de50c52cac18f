"""Checkpoint serialisation that does not rebuild the same transcript line every turn.

Every turn LangGraph reads the session's newest checkpoint back, and with it the whole
transcript: at 50 turns, a hundred LangChain messages rebuilt (validated by pydantic)
from their stored bytes, which made the read grow with the session (issue #9's
benchmark: about 1 ms a turn at turn 50, most of the checkpoint read). A message is a
value: the same bytes always decode to an equal message, and nothing in Rehearse or
LangGraph changes one after it is made (``add_messages`` builds a new list and only
gives an id to a message that has none, before it is ever stored). So the decoded
message is kept, keyed by its own bytes, and handed out again the next time those
bytes are read: a lookup in place of a rebuild. Keyed by content, it can never go
stale; other stored types decode as before.

The memo is bounded (least recently used out first) and cleared when sessions are
deleted, so it never holds a deleted conversation's words.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import ormsgpack
from langchain_core.messages import BaseMessage
from langgraph.checkpoint.serde.jsonplus import EXT_PYDANTIC_V2, JsonPlusSerializer

__all__ = ["MessageMemoSerializer"]

# A few sessions' worth of lines (a 100-turn session holds about 200); each kept message
# costs a few KiB.
DEFAULT_SIZE = 4096


class MessageMemoSerializer(JsonPlusSerializer):
    """LangGraph's own serialiser, reading each stored message's bytes at most once."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        super().__init__()
        self.size = size
        self._messages: OrderedDict[bytes, BaseMessage] = OrderedDict()
        self._lock = threading.Lock()  # sessions are read from many threads at once

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, payload = data
        if kind != "msgpack":
            return super().loads_typed(data)
        # As JsonPlusSerializer reads msgpack, with the memo in front of its ext hook.
        return ormsgpack.unpackb(
            payload, ext_hook=self._read_ext, option=ormsgpack.OPT_NON_STR_KEYS
        )

    def _read_ext(self, code: int, data: bytes) -> Any:
        if code != EXT_PYDANTIC_V2:  # a message is a pydantic model; nothing else is kept
            return self._unpack_ext_hook(code, data)
        with self._lock:
            known = self._messages.get(data)
            if known is not None:
                self._messages.move_to_end(data)
                return known
        # The serialiser's own hook (which applies its allow-list), looked up each time:
        # a copy made for another allow-list (with_msgpack_allowlist) has its own.
        value = self._unpack_ext_hook(code, data)
        if isinstance(value, BaseMessage):
            with self._lock:
                self._messages[data] = value
                if len(self._messages) > self.size:
                    self._messages.popitem(last=False)
        return value

    def forget(self) -> None:
        """Drop every kept message (after sessions are deleted: their words go too)."""
        with self._lock:
            self._messages.clear()

    @property
    def kept(self) -> int:
        """How many decoded messages are kept. (Not ``__len__``: LangGraph picks its default
        serialiser for any falsy one, as an empty memo would be.)"""
        return len(self._messages)
