"""Checkpoint serialisation that does not rebuild or re-encode the same transcript line
every turn.

Every turn LangGraph reads the session's newest checkpoint and writes a new one, each
with the whole transcript: at 50 turns, a hundred LangChain messages rebuilt (validated
by pydantic) from their stored bytes and then dumped back to bytes, which made both
grow with the session (issue #9's benchmark: about 1 ms a turn for the read at turn 50
and 0.4 ms for the write).

A message is a value: the same bytes always decode to an equal message, and nothing in
Rehearse or LangGraph changes one once it is stored (``add_messages`` builds a new list
and gives an id only to a message that has none, before it is ever stored). So:

- reading, a decoded message is kept under its own bytes and handed out again the next
  time those bytes are read: a lookup in place of a rebuild. Keyed by content, it can
  never go stale;
- writing, a message that has an id is encoded once and the bytes are reused while the
  very same object is written again (a read message's bytes are the ones it was read
  from). Only a message with an id: its id is the one thing LangGraph may still set.
  Its bytes are kept for reading too, so a line a turn wrote is not rebuilt when the
  next turn reads it.

Other stored types go through LangGraph's serialiser as before. Both memos are bounded
(least recently used out first) and cleared when sessions are deleted, so they never
hold a deleted conversation's words.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import ormsgpack
from langchain_core.messages import BaseMessage
from langgraph.checkpoint.serde.jsonplus import EXT_PYDANTIC_V2, JsonPlusSerializer

# How LangGraph's serialiser packs (its options and its hook for non-msgpack types):
# imported rather than copied, so that the bytes stay exactly LangGraph's own.
from langgraph.checkpoint.serde.jsonplus import _msgpack_default as encode_other
from langgraph.checkpoint.serde.jsonplus import _option as PACK_OPTIONS

__all__ = ["MessageMemoSerializer"]


def _ext_data(packed: ormsgpack.Ext) -> bytes:
    """The payload of a msgpack extension (``Ext`` does not expose it): what the read
    hook is handed for it."""
    return ormsgpack.unpackb(ormsgpack.packb(packed), ext_hook=lambda _code, data: data)


# A few sessions' worth of lines (a 100-turn session holds about 200); each kept message
# costs a few KiB.
DEFAULT_SIZE = 4096


class MessageMemoSerializer(JsonPlusSerializer):
    """LangGraph's own serialiser, decoding and encoding each stored message once."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        super().__init__()
        self.size = size
        self._decoded: OrderedDict[bytes, BaseMessage] = OrderedDict()
        # id(message) -> (the message, its packed form); holding the message keeps its
        # id from being reused by another object while the entry lasts.
        self._encoded: OrderedDict[int, tuple[BaseMessage, ormsgpack.Ext]] = OrderedDict()
        self._lock = threading.Lock()  # sessions are read and written from many threads

    # --- writing ------------------------------------------------------------------------

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        if obj is None or isinstance(obj, bytes | bytearray):
            return super().dumps_typed(obj)
        # As JsonPlusSerializer packs msgpack, with the memo in front of its hook.
        return "msgpack", ormsgpack.packb(obj, default=self._write_ext, option=PACK_OPTIONS)

    def _write_ext(self, obj: Any) -> Any:
        if not isinstance(obj, BaseMessage) or obj.id is None:
            return encode_other(obj)
        with self._lock:
            known = self._encoded.get(id(obj))
            if known is not None and known[0] is obj:
                self._encoded.move_to_end(id(obj))
                return known[1]
        packed = encode_other(obj)
        self._remember(obj, packed)
        # Next turn reads these bytes back: the line just written is what they decode
        # to, so it is handed out rather than rebuilt (two lines a turn, about 0.1 ms
        # each to validate).
        self._keep_decoded(_ext_data(packed), obj)
        return packed

    # --- reading ------------------------------------------------------------------------

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
            known = self._decoded.get(data)
            if known is not None:
                self._decoded.move_to_end(data)
                return known
        # The serialiser's own hook (which applies its allow-list), looked up each time:
        # a copy made for another allow-list (with_msgpack_allowlist) has its own.
        value = self._unpack_ext_hook(code, data)
        if isinstance(value, BaseMessage):
            self._keep_decoded(data, value)
            if value.id is not None:  # written back unchanged next turn: the same bytes
                self._remember(value, ormsgpack.Ext(code, data))
        return value

    # --- both ---------------------------------------------------------------------------

    def _keep_decoded(self, data: bytes, message: BaseMessage) -> None:
        with self._lock:
            self._decoded[data] = message
            if len(self._decoded) > self.size:
                self._decoded.popitem(last=False)

    def _remember(self, message: BaseMessage, packed: ormsgpack.Ext) -> None:
        with self._lock:
            self._encoded[id(message)] = (message, packed)
            if len(self._encoded) > self.size:
                self._encoded.popitem(last=False)

    def forget(self) -> None:
        """Drop every kept message (after sessions are deleted: their words go too)."""
        with self._lock:
            self._decoded.clear()
            self._encoded.clear()

    @property
    def kept(self) -> tuple[int, int]:
        """How many messages are kept: (decoded, encoded). (Not ``__len__``: LangGraph
        takes its default serialiser in place of a falsy one, as an empty memo would be.)"""
        return len(self._decoded), len(self._encoded)
