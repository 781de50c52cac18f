"""The role-play graph for LangGraph Server: ``langgraph.json`` points at :data:`graph`.

The graph's own run-time :class:`~simulator.context.Context` holds a parsed
:class:`~simulator.schema.Scenario` and a chat-model object, which a LangGraph Server
run cannot send: its ``context`` is JSON. :class:`ServerContext` is that JSON face::

    {"scenario_id": "ask-for-a-raise", "model_name": "gpt-4o-mini", "assessor": "model"}

Only ``scenario_id`` is required. The scenario is looked up in the same catalog as
``rehearse`` uses (bundled plus ``REHEARSE_HOME``), and the model comes from the same
settings (``REHEARSE_MODEL``, ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``REHEARSE_TIMEOUT``
... on the server's environment; ``model_name`` overrides ``REHEARSE_MODEL``). The
embedded model (``local``) is started once, on first use, and stopped when the server
process exits; on a server, point at vLLM or another OpenAI-compatible endpoint instead.

:data:`graph` is the same compiled graph as :data:`simulator.graph.graph`, nodes and
edges shared, with :class:`ServerContext` as its context schema. Each node reads
``runtime.context.scenario``, ``.model``, ``.assessor`` and ``.reply_tokens``, which a
ServerContext provides (resolved on first use and cached), so the nodes are not
duplicated and cannot drift from the graph ``rehearse`` runs. The server brings its
own checkpointer; a run starts with input ``{"scenario_id": ..., "difficulty": ...}``
and each of the user's turns resumes the interrupt with
``Command(resume={"text": "..."})`` (``{"end": true}`` ends the scene).
"""

from __future__ import annotations

import atexit
import functools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.graph.state import CompiledStateGraph

from simulator.catalog import Catalog
from simulator.graph import builder
from simulator.schema import Scenario

if TYPE_CHECKING:
    from rehearse.local_model import LocalModelServer
    from rehearse.models import ModelSettings

__all__ = ["ServerContext", "graph"]


@dataclass(kw_only=True)
class ServerContext:
    """A run's context as JSON: which scenario, and optionally which model and assessor."""

    scenario_id: str
    # None: REHEARSE_MODEL from the server's environment, else the embedded model.
    model_name: str | None = None
    # None: "rules" for the embedded model, "model" otherwise (as `rehearse` decides).
    assessor: Literal["model", "rules"] | None = None
    # Longest character reply, in tokens.
    reply_tokens: int = 160

    def __post_init__(self) -> None:
        if self.assessor is None:
            self.assessor = self.settings.assessor

    @property
    def settings(self) -> ModelSettings:
        from rehearse.models import settings

        return settings(self.model_name, self.assessor)

    # Resolved on first use (not fields: they are not part of the JSON schema).
    @functools.cached_property
    def scenario(self) -> Scenario:
        """The scenario named by ``scenario_id`` (an UnknownScenario error names it)."""
        return _catalog().get(self.scenario_id)

    @functools.cached_property
    def model(self) -> BaseChatModel:
        """The chat model the settings name, shared by every run with the same settings."""
        return _chat_model(self.settings)

    @property
    def on_token(self) -> None:
        """No sink of Rehearse's own: the reply streams through LangGraph's "custom" mode."""
        return None


@functools.lru_cache(maxsize=1)
def _catalog() -> Catalog:
    # Loaded once per server process: restart it to pick up edited scenario files.
    return Catalog.load()


@functools.lru_cache(maxsize=8)
def _chat_model(config: ModelSettings) -> BaseChatModel:
    from rehearse.models import chat_model

    if config.is_local:
        return chat_model(config, base_url=_local_server().base_url)
    return chat_model(config)


_local: list[LocalModelServer] = []
_local_lock = threading.Lock()


def _local_server() -> LocalModelServer:
    """The embedded model's server, started on first use and stopped at exit."""
    from rehearse.local_model import LocalModelServer

    with _local_lock:
        if not _local:
            server = LocalModelServer().start()
            atexit.register(server.stop)
            _local.append(server)
        return _local[0]


# The nodes and edges of simulator.graph, with the JSON context schema. No checkpointer:
# LangGraph Server attaches its own.
graph: CompiledStateGraph = builder.compile(name="Rehearse").copy(
    update={"context_schema": ServerContext}
)
