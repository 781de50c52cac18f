"""LangChain's ChatOpenAI, converting each transcript line to the API's form once.

Before every request ChatOpenAI converts each LangChain message of the prompt into the
dict the API takes. That is pure Python with dozens of type checks per message: about
0.4 ms of CPU at 50 turns into a session here, growing with every line (issue #9),
for lines that were converted the turn before and have not changed since. A message
is a value (nothing in Rehearse or LangChain changes one once it is made), and the
character's view of each transcript line is the same object turn after turn
(``simulator.nodes._seen``), so each line's dict is kept for as long as the line lives.

Each dict comes from ChatOpenAI itself (its own conversion of that one message), so the
request is the one it would build; ``tests/test_chat_model.py`` checks this against the
installed langchain-openai. A prompt it would not send as chat-completions messages
(the Responses API) goes the ordinary way.
"""

from __future__ import annotations

import weakref
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import PrivateAttr

__all__ = ["TranscriptChatOpenAI"]


class TranscriptChatOpenAI(ChatOpenAI):
    """``ChatOpenAI`` that converts a prompt's messages to API dicts once per message."""

    # id(message) -> its dict; an entry goes when its message is freed, so the id can
    # never be another message's, and a deleted session leaves none of its words here.
    _converted: dict[int, dict[str, Any]] = PrivateAttr(default_factory=dict)

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        # A copy may be another model (another name, other conversions): its own memo.
        copy = super().model_copy(update=update, deep=deep)
        copy._converted = {}
        return copy

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict:
        if not isinstance(input_, list) or not all(isinstance(m, BaseMessage) for m in input_):
            return super()._get_request_payload(input_, stop=stop, **kwargs)
        payload = super()._get_request_payload([], stop=stop, **kwargs)
        if "messages" not in payload:
            return super()._get_request_payload(input_, stop=stop, **kwargs)
        memo = self._converted  # read once: a private attribute is a slow lookup
        messages = []
        for message in input_:
            converted = memo.get(id(message)) or self._convert(memo, message)
            if converted is None:
                return super()._get_request_payload(input_, stop=stop, **kwargs)
            # A copy: the request is the caller's to change, the kept dict is not.
            messages.append(dict(converted))
        payload["messages"] = messages
        return payload

    def _convert(self, memo: dict[int, Any], message: BaseMessage) -> dict[str, Any] | None:
        """The API's dict for ``message`` as ChatOpenAI makes it (None: not one dict)."""
        converted = super()._get_request_payload([message]).get("messages")
        if not isinstance(converted, list) or len(converted) != 1:
            return None
        memo[id(message)] = converted[0]
        weakref.finalize(message, memo.pop, id(message), None)
        return converted[0]
