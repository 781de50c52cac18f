"""Rehearse's ChatOpenAI converts each transcript line to the API's dict once, and the
request stays the one the stock ChatOpenAI builds (rehearse/chat_model.py, issue #9)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from rehearse.chat_model import TranscriptChatOpenAI
from tests.fake_openai import FakeOpenAI

SETTINGS: dict[str, Any] = {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"}


def _prompt() -> list[BaseMessage]:
    return [
        SystemMessage("You are Sam, a colleague who missed two deadlines."),
        HumanMessage("Can we talk about the deadline?"),
        AIMessage("Sure. What about it?", name="sam"),
        HumanMessage("Dad: You never listen.", name="user-2"),
        HumanMessage(content=[{"type": "text", "text": "Look at this."}]),
        AIMessage("", tool_calls=[{"name": "note", "args": {"text": "ü"}, "id": "call_1"}]),
        HumanMessage('Ünïcödé and "quotes" too.'),
    ]


@pytest.mark.parametrize("model", ["fake", "o3-mini"])  # o-series: system becomes developer
def test_the_payload_is_the_stock_one_the_first_time_and_after(model: str) -> None:
    stock = ChatOpenAI(model=model, **SETTINGS)
    ours = TranscriptChatOpenAI(model=model, **SETTINGS)
    prompt = _prompt()
    expected = stock._get_request_payload(prompt, max_tokens=40, stop=["\n"])
    assert ours._get_request_payload(prompt, max_tokens=40, stop=["\n"]) == expected
    again = ours._get_request_payload(prompt, max_tokens=40, stop=["\n"])  # from the memo
    assert again == expected
    # The request is the caller's to change; the kept dicts stay as they were.
    again["messages"][0]["role"] = "changed"
    assert ours._get_request_payload(prompt, max_tokens=40, stop=["\n"]) == expected


def test_each_line_is_converted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = TranscriptChatOpenAI(model="fake", **SETTINGS)
    converted: list[str] = []
    convert = TranscriptChatOpenAI._convert

    def counting(self: TranscriptChatOpenAI, memo: dict[int, Any], message: BaseMessage) -> Any:
        converted.append(str(message.content))
        return convert(self, memo, message)

    monkeypatch.setattr(TranscriptChatOpenAI, "_convert", counting)
    transcript: list[BaseMessage] = [HumanMessage("Hi."), AIMessage("Hello.")]
    ours._get_request_payload(transcript)
    transcript += [HumanMessage("How are you?")]
    ours._get_request_payload(transcript)
    assert converted == ["Hi.", "Hello.", "How are you?"]


def test_a_freed_line_leaves_nothing_behind_and_a_copy_keeps_its_own() -> None:
    ours = TranscriptChatOpenAI(model="fake", **SETTINGS)
    line = HumanMessage("A private sentence.")
    ours._get_request_payload([line])
    copy = ours.model_copy(update={"model_name": "o3-mini"})
    assert len(ours._converted) == 1 and copy._converted == {}
    del line
    gc.collect()
    assert ours._converted == {}


def test_the_responses_api_goes_the_ordinary_way() -> None:
    stock = ChatOpenAI(model="fake", use_responses_api=True, **SETTINGS)
    ours = TranscriptChatOpenAI(model="fake", use_responses_api=True, **SETTINGS)
    payload = ours._get_request_payload(_prompt()[:4])
    assert "messages" not in payload
    assert payload == stock._get_request_payload(_prompt()[:4])


def test_rehearses_model_sends_the_same_request_on_the_wire() -> None:
    with FakeOpenAI(reply="Fine, thanks.") as server:
        stock = ChatOpenAI(base_url=server.base_url, api_key="k", model="fake")
        ours = server.chat_model()
        assert isinstance(ours, TranscriptChatOpenAI)
        prompt = _prompt()[:4] + [_prompt()[-1]]
        for model in (stock, ours, ours):
            assert "".join(str(c.content) for c in model.stream(prompt)) == "Fine, thanks."
        sent = [{k: v for k, v in r.items() if k != "temperature"} for r in server.requests]
    assert sent[1] == sent[2] == sent[0]
