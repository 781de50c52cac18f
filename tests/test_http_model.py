"""The model path over real HTTP: ChatOpenAI against a local OpenAI-compatible server.

Each way an endpoint can fail ends within the configured timeout with a clear message,
keeps the user's line, and saves no partial reply.
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from simulator.errors import ModelUnavailable
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.fake_openai import FakeOpenAI


def test_a_session_over_http_streams_and_sends_the_character_prompt(
    store: SessionStore, scene: Scenario
) -> None:
    with FakeOpenAI(reply="I guess it has been a long week, yes.") as server:
        model = server.chat_model(timeout=5.0)
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
        list(rehearsal.start())
        events = list(rehearsal.say("How has your week been?"))
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert len(tokens) > 3 and "".join(tokens) == "I guess it has been a long week, yes."
    request = server.requests[-1]
    assert request["stream"] is True and request["model"] == "fake"
    assert request["messages"][0]["role"] == "system"
    assert "You are Sam" in request["messages"][0]["content"]
    assert request["messages"][-1] == {"role": "user", "content": "How has your week been?"}


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("500", "error (500)"),
        ("429", "rate-limiting"),
        ("hang", "longer than the configured"),
        ("drop", "The model did not answer"),
        ("malformed", "The model did not answer"),
    ],
)
def test_endpoint_faults_end_cleanly_and_keep_the_line(
    store: SessionStore, scene: Scenario, fault: str, words: str
) -> None:
    with FakeOpenAI(reply="one two three four five six", fault=fault) as server:  # type: ignore[arg-type]
        model = server.chat_model(timeout=2.0)
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
        list(rehearsal.start())
        started = time.monotonic()
        with pytest.raises(ModelUnavailable, match=re.escape(words)):
            list(rehearsal.say("Can we talk?"))
        assert time.monotonic() - started < 10
        assert rehearsal.status == "interrupted"
        assert [line.text for line in rehearsal.lines()] == [
            "You wanted to see me?",
            "Can we talk?",
        ]
        server.fault = "none"
        list(rehearsal.retry())
    assert rehearsal.lines()[-1].text == "one two three four five six"


def test_retries_are_bounded(store: SessionStore, scene: Scenario) -> None:
    with FakeOpenAI(fault="500") as server:
        model = server.chat_model(timeout=5.0, retries=2)
        rehearsal = Rehearsal.begin(store, scene, model, assessor="rules")
        list(rehearsal.start())
        with pytest.raises(ModelUnavailable):
            list(rehearsal.say("Hello?"))
    assert len(server.requests) == 3  # the first try and two retries, no more


def test_the_fake_server_takes_many_callers_at_once() -> None:
    # The many-users benchmark calls it 64 at a time: each must be answered, none
    # held back a second by a full listen queue (the standard library's is 5).
    with FakeOpenAI(reply="Fine.", first_token_delay=0.3) as server:
        model = server.chat_model(timeout=5.0)
        replies: list[str] = []
        threads = [
            threading.Thread(target=lambda: replies.append(str(model.invoke("Hi").content)))
            for _ in range(64)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert replies == ["Fine."] * 64
    # All at once: a caller the listen queue held back would come after the first
    # replies (0.3 s), not beside them.
    assert server.most_in_flight == 64
