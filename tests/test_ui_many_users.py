"""Many users at once through the web API with a slow model: concurrent, never crossed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from gradio_client import Client

from simulator.catalog import Catalog
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import SERVED_STUDIO_WARNINGS
from tests.fake_openai import FakeOpenAI
from ui.app import create_app
from ui.serving import served

pytestmark = [pytest.mark.usefixtures("gradio_loop_released"), *SERVED_STUDIO_WARNINGS]

USERS = 6


def test_users_practise_at_the_same_time_without_crossing(
    store: SessionStore, test_catalog: Catalog
) -> None:
    # About a second per reply, so users overlap unless the studio serialises them.
    with FakeOpenAI(reply="Give me a second to think about that one.", token_delay=0.1) as model:
        demo = create_app(
            store,
            model.chat_model(timeout=20),
            test_catalog,
            model_name="fake",
            assessor="rules",
            concurrency=USERS,
        )
        users = [(f"user{i}", f"secret{i}") for i in range(USERS)]
        results: dict[str, Any] = {}
        with served(demo, auth=users) as url:
            clients = [Client(url, auth=u, verbose=False, analytics_enabled=False) for u in users]

            def practise(name: str, client: Client) -> None:
                session, _opening = client.predict(
                    "test-scene", "medium", api_name="/start_session"
                )
                reply = client.predict(
                    session, f"This is {name} speaking.", api_name="/send_message"
                )
                results[name] = (session, reply)

            threads = [
                threading.Thread(target=practise, args=(name, client))
                for (name, _), client in zip(users, clients, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            for client in clients:
                client.close()
        most_at_once = model.most_in_flight
    assert sorted(results) == sorted(name for name, _ in users)
    # The model was asked by several users at the same moment: nobody queued behind all.
    assert most_at_once >= 3, most_at_once
    sessions = {session for session, _ in results.values()}
    assert len(sessions) == USERS  # every user their own session id
    scene = test_catalog.get("test-scene")
    for name, (session, reply) in results.items():
        assert reply == "Give me a second to think about that one."
        info = store.get(session)
        assert info.owner == name  # stored as theirs
        said = [
            line.text for line in Rehearsal(store, session, scene).lines() if line.speaker == "you"
        ]
        assert said == [f"This is {name} speaking."]  # nobody else's line in it
        assert [s.id for s in store.list(owner=name)] == [session]
