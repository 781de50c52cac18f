"""Reviewer permissions through the named API: gradio_client against a real server with --auth.

dr-lee reviews alice; carol is nobody's reviewer and nobody's trainee here. Each client
signs in as one of them and may list, read and comment on exactly what the Review tab
would show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from simulator.catalog import Catalog
from simulator.review import Reviewers
from simulator.schema import Scenario
from simulator.store import SessionStore
from tests.conftest import SERVED_STUDIO_WARNINGS, fake_model
from tests.test_review import played
from ui.app import StudioBlocks, create_app
from ui.serving import release_event_loop, served

pytestmark = SERVED_STUDIO_WARNINGS

USERS = [("alice", "a-secret"), ("carol", "c-secret"), ("dr-lee", "l-secret")]


@pytest.fixture
def app(store: SessionStore, test_catalog: Catalog) -> Iterator[StudioBlocks]:
    demo = create_app(
        store,
        fake_model(),
        test_catalog,
        assessor="rules",
        reviewers=Reviewers({"dr-lee": frozenset({"alice"})}),
    )
    yield demo
    demo.close()
    release_event_loop()


@pytest.fixture
def connect() -> Iterator[Callable[..., Client]]:
    opened: list[Client] = []

    def client(url: str, user: str) -> Client:
        password = dict(USERS)[user]
        opened.append(Client(url, verbose=False, analytics_enabled=False, auth=(user, password)))
        return opened[-1]

    yield client
    for each in opened:
        each.close()


def test_a_reviewer_reaches_assigned_sessions_and_nobody_elses(
    app: StudioBlocks, store: SessionStore, scene: Scenario, connect: Callable[..., Any]
) -> None:
    alice, carol = played(store, scene, "alice"), played(store, scene, "carol")
    with served(app, auth=USERS) as url:
        lee, as_alice, as_carol = (connect(url, u) for u in ("dr-lee", "alice", "carol"))

        def listed(client: Client) -> set[str]:
            return {s["id"] for s in client.predict("", api_name="/review_sessions")}

        assert listed(lee) == {alice}
        assert listed(as_alice) == {alice} and listed(as_carol) == {carol}

        session = lee.predict(alice, api_name="/review_session")
        assert session["session"]["owner"] == "alice"
        assert session["transcript"][1]["text"] == "What is going on for you?"
        comment = lee.predict(alice, 1, "Good open question.", api_name="/add_comment")
        assert (comment["turn"], comment["author"]) == (1, "dr-lee")
        again = as_alice.predict(alice, api_name="/review_session")
        assert [(c["author"], c["text"]) for c in again["comments"]] == [
            ("dr-lee", "Good open question.")
        ]

        for client, other in ((lee, carol), (as_carol, alice), (as_alice, carol)):
            with pytest.raises(AppError, match="No session"):
                client.predict(other, api_name="/review_session")
            with pytest.raises(AppError, match="No session"):
                client.predict(other, 1, "Peeking.", api_name="/add_comment")
        with pytest.raises(AppError, match="no turn 9"):
            lee.predict(alice, 9, "Where?", api_name="/add_comment")

    assert [c.author for c in store.comments(alice)] == ["dr-lee"]
    assert store.comments(carol) == []
