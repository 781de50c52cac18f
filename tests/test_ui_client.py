"""The studio's named API, played through gradio_client against a real server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import SERVED_STUDIO_WARNINGS, fake_model
from ui.app import MODEL, StudioBlocks, create_app
from ui.serving import served

pytestmark = [pytest.mark.usefixtures("gradio_loop_released"), *SERVED_STUDIO_WARNINGS]

API = {"/list_scenarios", "/start_session", "/send_message", "/retry_message", "/end_session"}
API |= {"/review_sessions", "/review_session", "/add_comment"}  # ui/review.py


@pytest.fixture
def app(store: SessionStore, test_catalog: Catalog) -> Iterator[StudioBlocks]:
    model = fake_model(
        "Honestly, the spec changed twice and nobody told me.",
        "A check-in on Tuesday would help.",
        "What got in the way this time?",  # the debrief's "try instead" rewrite
    )
    demo = create_app(store, model, test_catalog, model_name="fake", assessor="rules")
    yield demo
    demo.close()


@pytest.fixture
def connect() -> Iterator[Callable[..., Client]]:
    """Clients for this test, closed when it ends."""
    opened: list[Client] = []

    def client(url: str, **kwargs: Any) -> Client:
        opened.append(Client(url, verbose=False, analytics_enabled=False, **kwargs))
        return opened[-1]

    yield client
    for each in opened:
        each.close()


def test_a_scripted_client_plays_a_whole_session(
    app: StudioBlocks, connect: Callable[..., Client]
) -> None:
    with served(app) as url:
        client = connect(url)
        named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        assert set(named) == API  # the page's own events are not part of the public API

        [scenario] = client.predict(api_name="/list_scenarios")
        assert scenario["id"] == "test-scene"
        assert scenario["goals"][0] == "Ask an open question."

        session, opening = client.predict("test-scene", "easy", api_name="/start_session")
        assert opening == [{"name": "Sam", "text": "You wanted to see me?"}]
        reply = client.predict(session, "What is going on for you?", api_name="/send_message")
        assert reply == "Honestly, the spec changed twice and nobody told me."
        reply = client.predict(session, "What would help you?", api_name="/send_message")
        assert reply == "A check-in on Tuesday would help."

        debrief = client.predict(session, api_name="/end_session")
        assert debrief["difficulty"] == "easy" and debrief["user_turns"] == 2
        assert debrief["goals"][0]["verdict"] == "met"
        assert [t["turn"] for t in debrief["state"]["turns"]] == [0, 1, 2]
        assert debrief["try_instead"]["rewrite"] == "What got in the way this time?"

        with pytest.raises(AppError, match="finished"):
            client.predict(session, "One more thing", api_name="/send_message")


def test_with_auth_each_user_reaches_only_their_own_sessions(
    app: StudioBlocks, connect: Callable[..., Client]
) -> None:
    with served(app, auth=[("alice", "a-secret"), ("bob", "b-secret")]) as url:
        alice = connect(url, auth=("alice", "a-secret"))
        bob = connect(url, auth=("bob", "b-secret"))

        session, _opening = alice.predict("test-scene", "medium", api_name="/start_session")
        assert app.studio.store.get(session).owner == "alice"  # type: ignore[attr-defined]
        with pytest.raises(AppError, match="No session"):
            bob.predict(session, "Hello?", api_name="/send_message")
        with pytest.raises(AppError, match="No session"):
            bob.predict(session, api_name="/end_session")
        reply = alice.predict(session, "What is going on for you?", api_name="/send_message")
        assert reply.startswith("Honestly")
        with pytest.raises(ValueError):  # a wrong password never gets a client at all
            connect(url, auth=("bob", "a-secret"))


def test_model_calls_share_one_limited_group_and_the_rest_is_unlimited(
    store: SessionStore, test_catalog: Catalog
) -> None:
    demo = create_app(store, fake_model(), test_catalog, concurrency=3)
    calls_model = {"on_send", "on_retry", "on_hint", "on_end"}
    calls_model |= {"api_send_message", "api_retry_message", "api_end_session"}
    calls_model |= {"ground", "on_write", "on_describe"}  # grounding, writing, pictures
    calls_model |= {"on_try", "on_try_send", "on_try_end"}  # the Author tab's test runs
    calls_model |= {"on_name"}  # reframing: a capable model explains the traps
    for fn in demo.fns.values():
        if fn.name in calls_model:
            assert (fn.concurrency_limit, fn.concurrency_id) == (3, MODEL), fn.name
        else:
            assert fn.concurrency_limit is None, fn.name
    assert demo._queue.default_concurrency_limit == 3
    assert demo.analytics_enabled is False


def test_the_studio_never_opens_a_share_link(store: SessionStore, test_catalog: Catalog) -> None:
    demo = create_app(store, fake_model(), test_catalog)
    with pytest.raises(ValueError, match="never opens a public share link"):
        demo.launch(share=True, prevent_thread_lock=True)
