"""A message to the JSON API streamed as server-sent events (ui/rest.py), over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import SERVED_STUDIO_WARNINGS
from tests.fake_openai import FakeOpenAI
from tests.rest_client import Api, Stream
from tests.test_rest_api import ALICE, studio
from ui.serving import served

pytestmark = [pytest.mark.usefixtures("gradio_loop_released"), *SERVED_STUDIO_WARNINGS]

REPLY = "Honestly it has been a hard few weeks for all of us here."
STEP = 0.05  # the fake model's pause between two pieces of the reply


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply=REPLY, token_delay=STEP) as fake:
        yield fake


def test_the_reply_streams_piece_by_piece_and_ends_with_the_whole_answer(
    store: SessionStore, test_catalog: Catalog, model: FakeOpenAI
) -> None:
    with served(studio(store, test_catalog, model)) as url:
        api = Api(url)
        session = api.start()
        stream = Stream(url, session, "How has it been?")
        assert stream.status == 200 and stream.type.startswith("text/event-stream")
        events = list(stream.events())
        stream.close()
        status, plain, _ = api.call("POST", f"/sessions/{session}/messages", {"text": "I see."})
    tokens = [(data, at) for name, data, at in events if name == "token"]
    assert "".join(data["text"] for data, _ in tokens) == REPLY
    # Each piece as the model wrote it, not the reply held back until it was whole.
    pieces = len(REPLY.split(" "))
    assert events[-1][2] - tokens[0][1] >= STEP * (pieces - 3)
    name, done, _ = events[-1]
    assert name == "done" and done["status"] == "awaiting_user"
    assert [line["text"] for line in done["reply"]] == [REPLY]
    assert [name for name, _, _ in events if name != "token"] == ["line", "done"]
    # The last event is the answer the same call gives without streaming.
    assert status == 200 and set(plain) == set(done)
    assert [e["type"] for e in plain["events"]] == [e["type"] for e in done["events"]]


def test_refusals_and_a_model_down_are_the_same_json_answers(
    store: SessionStore, test_catalog: Catalog, model: FakeOpenAI
) -> None:
    model.token_delay = 0
    with served(studio(store, test_catalog, model), auth=[ALICE]) as url:
        api = Api(url, ALICE)
        session = api.start()
        for who, where, status, words in [
            (None, session, 401, "Sign in"),
            (ALICE, "nope", 404, "No session"),
        ]:
            refused = Stream(url, where, "Hi", who)
            assert (refused.status, refused.type) == (status, "application/json")
            assert words in refused.json()["error"]
            refused.close()
        model.fault = "500"
        down = Stream(url, session, "Still there?", ALICE)
        assert down.status == 503
        assert f"POST /api/v1/sessions/{session}/retry" in down.json()["error"]
        down.close()
        model.fault = "none"
        status, turn, _ = api.call("POST", f"/sessions/{session}/retry")
        assert status == 200 and [line["text"] for line in turn["reply"]] == [REPLY]
        api.call("POST", f"/sessions/{session}/end")
        finished = Stream(url, session, "One more thing.", ALICE)
        assert finished.status == 409 and "finished" in finished.json()["error"]
        finished.close()


def test_a_caller_that_goes_away_stops_the_reply_and_the_line_stays_for_a_retry(
    store: SessionStore, test_catalog: Catalog, model: FakeOpenAI
) -> None:
    model.reply = " ".join(["word"] * 60)  # three seconds at STEP a piece
    with served(studio(store, test_catalog, model)) as url:
        api = Api(url)
        session = api.start()
        stream = Stream(url, session, "Tell me everything.")
        name, _, _ = next(stream.events())
        assert name == "token"
        stream.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            shown = api.call("GET", f"/sessions/{session}")[1]
            if shown["status"] == "interrupted":
                break
            time.sleep(0.05)
        assert shown["status"] == "interrupted"
        assert shown["lines"][-1]["text"] == "Tell me everything."
        stopped = time.perf_counter() - stream.sent
        model.reply = REPLY
        status, turn, _ = api.call("POST", f"/sessions/{session}/retry")
    assert stopped < 60 * STEP  # the reply stopped, not run to its end
    assert status == 200 and [line["text"] for line in turn["reply"]] == [REPLY]
