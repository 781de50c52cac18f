"""The graph as LangGraph Server loads it: from ``langgraph.json``, with a JSON context.

The graph is imported the way the server's loader does it (the file path named in
``langgraph.json``, through ``importlib.util.spec_from_file_location``), given a
checkpointer the way the server gives it one (``graph.copy``), and played with the
context as plain JSON. The model is reached the way a deployment reaches it, through
``REHEARSE_MODEL`` and ``OPENAI_BASE_URL``, here pointing at the local fake
OpenAI-compatible server: no network.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from simulator.context import Context
from simulator.errors import RehearseError, UnknownScenario
from simulator.graph import builder
from tests.conftest import DATA
from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]
REPLY = "Honestly, the spec changed twice and nobody told me."


def load_from_config(graph_id: str = "rehearse") -> Any:
    """The graph ``langgraph.json`` names, imported from its file like the server does."""
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert config["dependencies"] == ["."]
    path, _, variable = config["graphs"][graph_id].partition(":")
    file = (ROOT / path).resolve()
    assert file.is_file(), file
    name = "langgraph_server_" + graph_id
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return getattr(module, variable)


@pytest.fixture
def endpoint(rehearse_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    # The test scene among the user's own scenarios, as a deployment's REHEARSE_HOME has.
    for kind, name in (("scenarios", "test-scene.yaml"), ("personas", "sam-test.yaml")):
        (rehearse_home / kind).mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / kind / name, rehearse_home / kind / name)
    with FakeOpenAI(reply=REPLY) as server:
        monkeypatch.setenv("REHEARSE_MODEL", "fake-model")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("REHEARSE_MAX_RETRIES", "0")
        yield server


def test_langgraph_json_names_a_graph_that_plays_a_turn_with_a_json_context(
    endpoint: FakeOpenAI,
) -> None:
    graph = load_from_config()
    # The server attaches its own checkpointer to the graph it loaded.
    served = graph.copy(update={"checkpointer": InMemorySaver()})
    thread = {"configurable": {"thread_id": "server-thread-1"}}
    context = {"scenario_id": "test-scene", "assessor": "rules"}  # JSON, as a run sends it

    served.invoke({"scenario_id": "test-scene", "difficulty": "easy"}, thread, context=context)
    state = served.get_state(thread)
    assert state.next == ("user_turn",)  # waiting for the user's line: an interrupt
    assert [m.content for m in state.values["messages"]] == ["You wanted to see me?"]

    served.invoke(Command(resume={"text": "What is going on for you?"}), thread, context=context)
    state = served.get_state(thread)
    messages = state.values["messages"]
    assert [m.content for m in messages[-2:]] == ["What is going on for you?", REPLY]
    assert state.values["turn"] == 1 and state.next == ("user_turn",)
    # The reply came from the endpoint the environment names, with the scene's prompt.
    [request] = [r for r in endpoint.requests if r.get("stream")]
    assert request["model"] == "fake-model"
    assert "Sam" in request["messages"][0]["content"]

    served.invoke(Command(resume={"end": True}), thread, context=context)
    debrief = served.get_state(thread).values["debrief"]
    assert debrief["user_turns"] == 1 and debrief["difficulty"] == "easy"


def test_the_server_graph_is_the_same_graph_with_a_json_context_schema() -> None:
    from simulator.server_graph import ServerContext, graph

    assert set(graph.nodes) == set(builder.compile().nodes)
    schema = graph.get_context_jsonschema()
    assert schema is not None
    assert set(schema["properties"]) == {"scenario_id", "model_name", "assessor", "reply_tokens"}
    assert schema["required"] == ["scenario_id"]
    # Whatever the nodes read from a Context, a ServerContext has too.
    for name in (f.name for f in dataclasses.fields(Context)):
        assert name in dir(ServerContext), name


def test_an_unknown_scenario_in_the_context_is_a_clear_error(
    endpoint: FakeOpenAI,
) -> None:
    served = load_from_config().copy(update={"checkpointer": InMemorySaver()})
    with pytest.raises(UnknownScenario, match="no-such-scene"):
        served.invoke(
            {"scenario_id": "no-such-scene"},
            {"configurable": {"thread_id": "t"}},
            context={"scenario_id": "no-such-scene"},
        )


def test_a_run_without_a_context_says_what_to_pass(endpoint: FakeOpenAI) -> None:
    served = load_from_config().copy(update={"checkpointer": InMemorySaver()})
    with pytest.raises(RehearseError, match=r'pass context=\{"scenario_id"'):
        served.invoke({"scenario_id": "test-scene"}, {"configurable": {"thread_id": "t"}})
