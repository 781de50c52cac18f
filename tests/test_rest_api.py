"""The REST API (ui/rest.py) over real HTTP, served in-process beside the studio."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from gradio_client import Client

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import SERVED_STUDIO_WARNINGS
from tests.fake_openai import FakeOpenAI
from tests.rest_client import Api
from ui.app import create_app
from ui.serving import served

pytestmark = [pytest.mark.usefixtures("gradio_loop_released"), *SERVED_STUDIO_WARNINGS]

REPLY = "I hear you, and I want to get this right."
ALICE = ("alice", "wonderland")
BOB = ("bob", "builder")


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(reply=REPLY) as fake:
        yield fake


def studio(store: SessionStore, catalog: Catalog, model: FakeOpenAI, concurrency: int = 4) -> Any:
    return create_app(
        store,
        model.chat_model(timeout=30),
        catalog,
        model_name="fake",
        assessor="rules",
        concurrency=concurrency,
    )


def test_a_whole_session_through_the_api(
    store: SessionStore, test_catalog: Catalog, model: FakeOpenAI
) -> None:
    with served(studio(store, test_catalog, model)) as url:
        api = Api(url)
        status, scenarios, _ = api.call("GET", "/scenarios")
        assert status == 200
        assert "test-scene" in [s["id"] for s in scenarios]

        status, started, _ = api.call(
            "POST", "/sessions", {"scenario": "test-scene", "difficulty": "hard"}
        )
        assert status == 201
        session = started["session_id"]
        assert started["status"] == "awaiting_user"
        assert started["opening"] and all(line["text"] for line in started["opening"])
        assert store.get(session).difficulty == "hard"

        status, turn, _ = api.call("POST", f"/sessions/{session}/messages", {"text": "Hello."})
        assert status == 200, turn
        assert [line["text"] for line in turn["reply"]] == [REPLY]
        assert [e["type"] for e in turn["events"]] == ["line"]  # no tokens in the JSON
        assert turn["status"] == "awaiting_user"

        status, shown, _ = api.call("GET", f"/sessions/{session}")
        assert status == 200
        assert [(ln["speaker"], ln["text"]) for ln in shown["lines"][-2:]] == [
            ("you", "Hello."),
            (shown["lines"][-1]["speaker"], REPLY),
        ]

        status, ended, _ = api.call("POST", f"/sessions/{session}/end")
        assert status == 200, ended
        assert ended["status"] == "finished"
        assert ended["debrief"]["scenario"]["id"] == "test-scene"
        assert ended["debrief"]["user_turns"] == 1

        # A finished session takes no more lines: a conflict, said in words.
        status, refused, _ = api.call("POST", f"/sessions/{session}/messages", {"text": "Hi?"})
        assert status == 409 and "finished" in refused["error"]
        status, listed, _ = api.call("GET", "/sessions")
        assert [(s["session_id"], s["finished"]) for s in listed] == [(session, True)]


def test_each_user_sees_only_their_own_sessions(
    store: SessionStore, test_catalog: Catalog, model: FakeOpenAI
) -> None:
    with served(studio(store, test_catalog, model), auth=[ALICE, BOB]) as url:
        alice, bob = Api(url, ALICE), Api(url, BOB)
        session = alice.start()
        assert store.get(session).owner == "alice"

        for method, path, body in [
            ("GET", f"/sessions/{session}", None),
            ("POST", f"/sessions/{session}/messages", {"text": "Let me in."}),
            ("POST", f"/sessions/{session}/retry", None),
            ("POST", f"/sessions/{session}/end", None),
        ]:
            status, answer, _ = bob.call(method, path, body)
            assert status == 404, (path, answer)
            assert "No session with that id" in answer["error"]
        assert bob.call("GET", "/sessions")[1] == []
        assert [s["session_id"] for s in alice.call("GET", "/sessions")[1]] == [session]

        for stranger in (Api(url), Api(url, ("alice", "wrong")), Api(url, ("eve", "x"))):
            status, answer, headers = stranger.call("GET", "/scenarios")
            assert status == 401
            assert "HTTP Basic" in answer["error"]
            assert headers["www-authenticate"].startswith("Basic")
        # Alice's session was never touched by the others.
        assert [line.text for line in _said(store, test_catalog, session)] == []


def test_bad_input_is_named(store: SessionStore, test_catalog: Catalog, model: FakeOpenAI) -> None:
    with served(studio(store, test_catalog, model)) as url:
        api = Api(url)
        session = api.start()
        say = f"/sessions/{session}/messages"
        cases: list[tuple[str, str, Any, bytes | None, int, str]] = [
            ("POST", say, {}, None, 422, '"text" is missing'),
            ("POST", say, {"text": "   "}, None, 422, '"text"'),
            ("POST", say, {"text": "Hi", "mood": "x"}, None, 422, '"mood" is not a field'),
            ("POST", say, None, b"not json", 400, "not JSON"),
            ("POST", say, None, b"[1, 2]", 400, "JSON object"),
            ("POST", "/sessions", {"scenario": "no-such-scene"}, None, 404, "no-such-scene"),
            ("POST", "/sessions", {}, None, 422, '"scenario" is missing'),
            (
                "POST",
                "/sessions",
                {"scenario": "test-scene", "difficulty": "brutal"},
                None,
                422,
                '"difficulty"',
            ),
            ("POST", "/sessions/nope/messages", {"text": "Hi"}, None, 404, "No session"),
            ("GET", "/sessions/nope", None, None, 404, "No session"),
            ("POST", f"/sessions/{session}/retry", None, None, 409, "nothing to retry"),
            ("DELETE", "/nowhere", None, None, 404, "No endpoint DELETE /api/v1/nowhere"),
        ]
        for method, path, body, raw, code, words in cases:
            status, answer, _ = api.call(method, path, body, raw=raw)
            assert (status, set(answer)) == (code, {"error"}), (path, body, answer)
            assert words.lower() in answer["error"].lower(), (path, body, answer)
        # None of it reached the session.
        assert _said(store, test_catalog, session) == []


def test_a_model_that_is_down_keeps_the_line_for_a_retry(
    store: SessionStore, test_catalog: Catalog, model: FakeOpenAI
) -> None:
    with served(studio(store, test_catalog, model)) as url:
        api = Api(url)
        session = api.start()
        model.fault = "500"
        status, answer, _ = api.call("POST", f"/sessions/{session}/messages", {"text": "Still?"})
        assert status == 503, answer
        assert f"POST /api/v1/sessions/{session}/retry" in answer["error"]
        status, shown, _ = api.call("GET", f"/sessions/{session}")
        assert shown["status"] == "interrupted"
        assert shown["lines"][-1]["text"] == "Still?"  # the line is saved

        status, answer, _ = api.call("POST", f"/sessions/{session}/retry")
        assert status == 503  # still down: the same advice, the line still kept
        model.fault = "none"
        status, turn, _ = api.call("POST", f"/sessions/{session}/retry")
        assert status == 200, turn
        assert [line["text"] for line in turn["reply"]] == [REPLY]
        assert [line.text for line in _said(store, test_catalog, session)] == ["Still?"]


def test_the_model_call_limit_holds_across_rest_and_gradio(
    store: SessionStore, test_catalog: Catalog
) -> None:
    # Each reply takes a while, so calls overlap unless something holds them back.
    with FakeOpenAI(reply=REPLY, first_token_delay=0.6) as model:
        with served(studio(store, test_catalog, model, concurrency=2)) as url:
            api = Api(url)
            client = Client(url, verbose=False, analytics_enabled=False)
            rest_sessions = [api.start() for _ in range(3)]
            gradio_sessions = [
                client.predict("test-scene", "medium", api_name="/start_session")[0]
                for _ in range(3)
            ]
            model.most_in_flight = 0
            replies: list[str] = []
            guard = threading.Lock()

            def rest(session: str) -> None:
                status, turn, _ = api.call("POST", f"/sessions/{session}/messages", {"text": "A"})
                with guard:
                    replies.append(turn["reply"][0]["text"] if status == 200 else str(turn))

            def gradio(session: str) -> None:
                reply = client.predict(session, "B", api_name="/send_message")
                with guard:
                    replies.append(reply)

            threads = [threading.Thread(target=rest, args=(s,)) for s in rest_sessions]
            threads += [threading.Thread(target=gradio, args=(s,)) for s in gradio_sessions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            client.close()
        assert replies == [REPLY] * 6
        assert model.most_in_flight == 2  # the limit reached, never passed


def test_more_runs_at_once_than_starlettes_forty_threads(
    store: SessionStore, test_catalog: Catalog
) -> None:
    # A limit above Starlette's default pool of 40 threads must be the limit in force.
    users = 44
    with FakeOpenAI(reply=REPLY, first_token_delay=2.0) as model:
        with served(studio(store, test_catalog, model, concurrency=users)) as url:
            api = Api(url)
            sessions = [api.start() for _ in range(users)]
            model.most_in_flight = 0
            go = threading.Barrier(users)
            codes: list[int] = []

            def send(session: str) -> None:
                go.wait()
                codes.append(api.call("POST", f"/sessions/{session}/messages", {"text": "Hi"})[0])

            threads = [threading.Thread(target=send, args=(s,)) for s in sessions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        assert codes == [200] * users
        assert model.most_in_flight == users


def _said(store: SessionStore, catalog: Catalog, session: str) -> list[Any]:
    from simulator.session import Rehearsal

    rehearsal = Rehearsal(store, session, catalog.get(store.get(session).scenario_id))
    return [line for line in rehearsal.lines() if line.speaker == "you"]
