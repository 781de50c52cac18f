"""A studio that has been up a while costs what a fresh one does: Gradio's queue keeps no
history of its events to summarise after each one, and Gradio keeps the state of a
bounded number of browser tabs (issue #9, benchmarks/bench_uptime.py)."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from gradio.queueing import Queue
from gradio_client import Client

import ui.app
from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import SERVED_STUDIO_WARNINGS, fake_model
from ui.app import create_app
from ui.serving import served

pytestmark = [pytest.mark.usefixtures("gradio_loop_released"), *SERVED_STUDIO_WARNINGS]


def test_the_queue_neither_keeps_nor_summarises_its_events(
    store: SessionStore, test_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    summaries: list[int] = []
    stock = Queue._get_df

    def counted(records: list[dict[str, Any]]) -> Any:
        summaries.append(len(records))
        return stock(records)

    # The table Gradio builds its summary from, once per summary.
    monkeypatch.setattr(Queue, "_get_df", staticmethod(counted))
    demo = create_app(store, fake_model("Fine, let us talk."), test_catalog, assessor="rules")
    with served(demo) as url:
        client = Client(url, verbose=False, analytics_enabled=False)
        try:
            for _ in range(3):
                assert client.predict(api_name="/list_scenarios")
            session, _opening = client.predict("test-scene", "medium", api_name="/start_session")
            assert client.predict(session, "Can we talk?", api_name="/send_message")
        finally:
            client.close()
        # Gradio's traffic dashboard, which would show the summary, is off.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}monitoring/summary", timeout=10)
        assert refused.value.code == 403
        kept = len(demo._queue.event_analytics)
    assert summaries == []
    assert kept <= 1  # one record at most, not the last 10,000


def test_only_the_most_recently_used_tabs_state_is_kept(
    store: SessionStore, test_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.app, "TABS_KEPT", 3)
    demo = create_app(store, fake_model("Fine, let us talk."), test_catalog, assessor="rules")
    with served(demo) as url:
        # Each client is a Gradio session of its own, as a browser tab is.
        clients = [Client(url, verbose=False, analytics_enabled=False) for _ in range(5)]
        try:
            for client in clients:
                assert client.predict(api_name="/list_scenarios")
            kept = list(demo.state_holder.session_data)
            # The first tab's state went first; used again, it simply starts afresh.
            session, _opening = clients[0].predict(
                "test-scene", "medium", api_name="/start_session"
            )
            assert clients[0].predict(session, "Can we talk?", api_name="/send_message")
        finally:
            for client in clients:
                client.close()
    assert kept == [client.session_hash for client in clients[2:]]
