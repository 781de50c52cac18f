"""Journal entry and picture description on the embedded model, over its real HTTP server.

The model is tiny: these check the plumbing (the request reaches llama.cpp, an answer
comes back and passes the same guards as any model's, or the template stands in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rehearse.local_model import LocalModelServer
from rehearse.models import chat_model, settings
from simulator.catalog import Catalog
from simulator.picture import describe
from simulator.transcript import Line
from simulator.writing import journal_template, write_up

pytestmark = pytest.mark.e2e

LINES = [
    Line(0, "inner-critic", "The Critic", "You're going to embarrass yourself in there."),
    Line(1, "you", "You", "What are you afraid will happen if I go in as I am?"),
    Line(1, "inner-critic", "The Critic", "That they'll see you're not ready. I'm protecting you."),
    Line(2, "you", "You", "Thank you for trying to protect me. I can take it from here."),
    Line(2, "inner-critic", "The Critic", "Fine. But I'll be watching."),
]


@pytest.fixture(scope="module")
def model() -> Iterator[Any]:
    with LocalModelServer() as server:
        yield chat_model(settings("local"), base_url=server.base_url)


def test_a_journal_entry_on_the_embedded_model(model: Any) -> None:
    scenario = Catalog.load().get("inner-critic-before-interview")
    calls: list[str] = []
    original = model.invoke

    def counted(*args: Any, **kwargs: Any) -> Any:
        reply = original(*args, **kwargs)
        calls.append(str(reply.content))
        return reply

    object.__setattr__(model, "invoke", counted)
    try:
        written = write_up(scenario, LINES, None, model, "journal")
    finally:
        object.__delattr__(model, "invoke")
    [answer] = calls
    assert answer.strip()  # the embedded model answered over HTTP
    if written["source"] == "model":
        assert " ".join(written["text"].split()) in " ".join(answer.split())
    else:  # the guard refused it: the user's own lines stand in
        assert written["text"] == journal_template(scenario, LINES, None)
    print(written)


def test_a_picture_description_on_the_embedded_model(model: Any) -> None:
    scenario = Catalog.load().get("inner-critic-before-interview")
    picture = describe(scenario, "inner-critic", LINES, None, model)
    assert picture["name"] == "The Critic" and picture["text"].strip()
    print(picture)
