"""Rehearse's chat completions skip the OpenAI client's schema walk for a plain
transcript, and the request on the wire stays the same; the reply's pieces come as the
dicts LangChain reads, and it reads the same reply from them (rehearse/completions.py)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from openai._utils._transform import maybe_transform
from openai.resources.chat.completions import completions as completions_module
from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming

from rehearse.completions import PlainMessagesCompletions
from tests.fake_openai import FakeOpenAI

PLAIN_LINE = {"role": "user", "content": "Can we talk about the deadline?"}
PROMPT = [
    SystemMessage("You are Sam, a colleague who missed two deadlines. Stay in character."),
    HumanMessage("Can we talk about the deadline?"),
    AIMessage("Sure. What about it?"),
    HumanMessage("Dad: You never listen.", name="user-2"),
    HumanMessage('I wanted to understand what happened. Ünïcödé and "quotes" too.'),
]


def test_the_client_s_schema_walk_changes_nothing_in_a_plain_transcript() -> None:
    # The reason the walk may be skipped, checked against the installed openai client:
    # if a version ever renames or reformats plain messages, this fails.
    messages = [
        {"role": "system", "content": "Be Sam."},
        {"role": "user", "content": "Hi", "name": "you"},
        {"role": "assistant", "content": "Hello."},
        {"role": "developer", "content": "Short answers."},
    ]
    body = {"model": "m", "messages": messages, "stream": True, "max_tokens": 5}
    assert maybe_transform(body, CompletionCreateParamsStreaming) == body


def _sent(model: ChatOpenAI, server: FakeOpenAI, **kwargs: Any) -> dict[str, Any]:
    "".join(str(chunk.content) for chunk in model.stream(PROMPT, **kwargs))
    return server.requests[-1]


@pytest.mark.parametrize("extra_body", [None, {"max_tokens": 200}])
def test_the_request_on_the_wire_is_the_stock_client_s(extra_body: Any) -> None:
    with FakeOpenAI(reply="Fine, thanks.") as server:
        stock = ChatOpenAI(
            base_url=server.base_url, api_key="k", model="fake", extra_body=extra_body
        )
        ours = stock.model_copy()
        ours.client = PlainMessagesCompletions(ours.root_client)
        expected = _sent(stock, server, max_tokens=40)
        assert _sent(ours, server, max_tokens=40) == expected
    assert expected["messages"][3] == {
        "role": "user",
        "content": "Dad: You never listen.",
        "name": "user-2",
    }


def test_rehearses_model_skips_the_walk_only_for_a_plain_transcript(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walked: list[int] = []  # how many messages each request's schema walk went through

    def walk(body: dict[str, Any], kind: Any) -> Any:
        walked.append(len(body["messages"]))
        return maybe_transform(body, kind)

    monkeypatch.setattr(completions_module, "maybe_transform", walk)
    with FakeOpenAI(reply="Fine.") as server:
        model = server.chat_model()
        assert _sent(model, server)["messages"][1] == PLAIN_LINE
        # Content parts (an image, say) are not plain: the client's own walk handles them.
        parts = [HumanMessage(content=[{"type": "text", "text": "Look at this."}])]
        "".join(str(c.content) for c in model.stream(parts))
        assert server.requests[-1]["messages"] == [
            {"role": "user", "content": [{"type": "text", "text": "Look at this."}]}
        ]
    assert walked == [0, 1]


def _pieces(model: ChatOpenAI) -> list[tuple[str, dict[str, Any]]]:
    return [(str(c.content), c.response_metadata) for c in model.stream(PROMPT)]


def test_the_reply_s_pieces_come_as_dicts_and_read_the_same() -> None:
    reply = "I hear you. It has been a hard few weeks, honestly."
    with FakeOpenAI(reply=reply) as server:
        model = server.chat_model()
        stream = model.client.create(
            model="fake", messages=[PLAIN_LINE], stream=True, max_tokens=40
        )
        # If a client version stops honouring the stream's piece type, this fails
        # rather than the reply quietly costing the typed pieces again.
        pieces = list(stream)
        assert pieces and all(type(piece) is dict for piece in pieces)
        assert "".join(p["choices"][0]["delta"].get("content") or "" for p in pieces) == reply
        stock = ChatOpenAI(base_url=server.base_url, api_key="k", model="fake", temperature=0.0)
        ours = _pieces(model)
        assert ours == _pieces(stock)
    assert "".join(text for text, _ in ours) == reply
    assert [meta["finish_reason"] for _, meta in ours if "finish_reason" in meta] == ["stop"]
