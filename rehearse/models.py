"""Which chat model a run uses, and how it is reached.

One code path for every endpoint: ``langchain_openai.ChatOpenAI`` against an
OpenAI-compatible API (OpenAI, Ollama, vLLM, LM Studio, llama.cpp). The name ``local``
means the embedded SmolLM2 served on loopback (see :mod:`rehearse.local_model`).

Configuration, strongest first: the ``--model`` flag, then ``REHEARSE_MODEL``; with
neither, ``local``. ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` say where and how.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from rehearse.chat_model import TranscriptChatOpenAI
from rehearse.completions import PlainMessagesCompletions
from simulator.errors import ModelUnavailable

__all__ = ["LOCAL", "ModelSettings", "chat_model", "settings"]

LOCAL = "local"
LOCAL_MAX_TOKENS = 200


@dataclass(frozen=True)
class ModelSettings:
    name: str
    base_url: str | None
    api_key: str | None
    timeout: float
    max_retries: int
    temperature: float
    assessor: Literal["model", "rules"]

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ModelUnavailable(f"{name} must be a number, not {raw!r}.") from None


def settings(flag: str | None = None, assessor: str | None = None) -> ModelSettings:
    name = flag or os.environ.get("REHEARSE_MODEL") or LOCAL
    chosen = assessor or os.environ.get("REHEARSE_ASSESSOR")
    if chosen not in (None, "model", "rules"):
        raise ModelUnavailable(f"The assessor must be 'model' or 'rules', not {chosen!r}.")
    # A 135M model cannot judge a conversation; its structured answers would be noise.
    default_assessor: Literal["model", "rules"] = "rules" if name == LOCAL else "model"
    return ModelSettings(
        name=name,
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or None,
        timeout=_float("REHEARSE_TIMEOUT", 60.0),
        max_retries=int(_float("REHEARSE_MAX_RETRIES", 2)),
        temperature=_float("REHEARSE_TEMPERATURE", 0.8),
        assessor=chosen or default_assessor,  # type: ignore[arg-type]
    )


def chat_model(config: ModelSettings, base_url: str | None = None) -> TranscriptChatOpenAI:
    """The chat model for ``config``; ``base_url`` overrides (the local server's address)."""
    url = base_url or config.base_url
    key = config.api_key
    if url is None and key is None:
        raise ModelUnavailable(
            f"Model {config.name!r} needs an endpoint: set OPENAI_API_KEY for OpenAI, or "
            "OPENAI_BASE_URL for another OpenAI-compatible server (Ollama, vLLM, LM Studio), "
            "or use --model local for the embedded model."
        )
    model = TranscriptChatOpenAI(
        model="smollm2-135m-instruct" if config.is_local else config.name,
        # langchain-openai sends per-call limits as `max_completion_tokens`, which
        # llama.cpp's server ignores; without this cap a rambling tiny model would
        # generate until its context is full.
        extra_body={"max_tokens": LOCAL_MAX_TOKENS} if config.is_local else None,
        base_url=url,
        # Local servers ignore the key, but the client insists on one.
        api_key=key or "not-needed",
        timeout=config.timeout,
        max_retries=config.max_retries,
        temperature=config.temperature,
    )
    # The same client and connection pool, minus a costly no-op pass over the transcript
    # before each request (see rehearse/completions.py); ChatOpenAI's own conversion of
    # each line is done once per line (rehearse/chat_model.py).
    model.client = PlainMessagesCompletions(model.root_client)
    return model
