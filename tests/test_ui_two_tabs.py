"""Two tabs sending to the same session at once: serialised, never forked."""

from __future__ import annotations

import threading
import time
from typing import Any

from simulator.catalog import Catalog
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.fake_openai import FakeOpenAI
from ui.handlers import Studio


def test_two_tabs_sending_at_once_are_serialised(
    store: SessionStore, test_catalog: Catalog
) -> None:
    # A slow endpoint, so the second tab's line arrives while the first reply streams.
    with FakeOpenAI(reply="Give me a moment to think about that.", token_delay=0.05) as server:
        model = server.chat_model()
        studio = Studio(store, model, test_catalog, model_name="fake", assessor="rules")
        session = studio.start("test-scene", "medium", None).session_id
        errors: list[Any] = []

        def tab(text: str) -> None:
            try:
                for _ in studio.send(session, text, None):
                    pass
            except Exception as exc:  # a refusal is allowed; a fork is not
                errors.append(exc)

        first = threading.Thread(target=tab, args=("First tab speaking.",))
        second = threading.Thread(target=tab, args=("Second tab speaking.",))
        first.start()
        time.sleep(0.1)
        second.start()
        first.join(60)
        second.join(60)

    rehearsal = Rehearsal(store, session, test_catalog.get("test-scene"))
    said = [line.text for line in rehearsal.lines() if line.speaker == "you"]
    # Either both lines, one after the other, each answered; or the second refused.
    assert said in (["First tab speaking.", "Second tab speaking."], ["First tab speaking."])
    assert len(said) + len(errors) == 2
    texts = [line.text for line in rehearsal.lines()]
    assert texts.count("Give me a moment to think about that.") == len(said)
    # One line of history: no second branch was made.
    assert len(rehearsal.branches()) == 1
