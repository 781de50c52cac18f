"""A picture of a character or part: words to draw from, and optionally an image.

:func:`describe` writes a short visual description from the persona (its ``looks_like``
or, failing that, who it is, what it guards and fears) and from what happened in the
session (whether it softened, something it said). A capable model may write it; the
template always stands in.

Generating an image is optional and off by default: only when ``REHEARSE_IMAGE_MODEL``
names an image model does :func:`generate_image` call the OpenAI client's
``images.generate`` on the configured endpoint (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``)
and save the PNG. Nothing else depends on it.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from simulator.errors import ModelUnavailable, describe_failure
from simulator.group_debrief import looks_like
from simulator.prompts import PICTURE_SYSTEM, PICTURE_USER
from simulator.schema import Scenario
from simulator.transcript import Line
from simulator.writing import ask

__all__ = ["ImageSettings", "describe", "generate_image", "image_settings", "mood"]

log = logging.getLogger(__name__)
PNG = b"\x89PNG\r\n\x1a\n"
MAX_WORDS = 120


@dataclass(frozen=True)
class ImageSettings:
    """Where images come from: an image model on the configured endpoint."""

    model: str
    base_url: str | None
    api_key: str | None
    size: str = "512x512"
    timeout: float = 120.0


def image_settings() -> ImageSettings | None:
    """The image settings from the environment; None (the default) means no images."""
    name = os.environ.get("REHEARSE_IMAGE_MODEL", "").strip()
    if not name:
        return None
    return ImageSettings(
        model=name,
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or None,
        size=os.environ.get("REHEARSE_IMAGE_SIZE", "512x512"),
    )


def mood(scenario: Scenario, persona_id: str, debrief: Mapping[str, Any] | None) -> str:
    """How the character ended the session, in words: softer, or still guarded."""
    if not debrief:
        return "as it was at the start"
    for character in debrief.get("characters", []):
        if character["id"] == persona_id:
            return "softer than at the start" if character["felt_heard"] else "still guarded"
    progress = 0.0
    for name, var in debrief.get("state", {}).get("variables", {}).items():
        if scenario.owner(name) != persona_id:
            continue
        change = var["end"] - var["start"]
        progress += change if var["desired"] == "up" else -change
    return "softer than at the start" if progress > 0 else "still guarded"


def _pose(feeling: str) -> str:
    if feeling.startswith("softer"):
        return "Show it turned a little toward the viewer, shoulders lower, its grip loosening"
    if feeling.startswith("still"):
        return "Show it a little turned away, holding on tight, watchful"
    return "Show it as you first met it"


def describe(
    scenario: Scenario,
    persona_id: str,
    lines: Sequence[Line],
    debrief: Mapping[str, Any] | None = None,
    model: BaseChatModel | None = None,
) -> dict[str, Any]:
    """``{"persona_id", "name", "text", "source": "model" | "template"}``."""
    persona = scenario.persona(persona_id)
    feeling = mood(scenario, persona_id, debrief)
    said = [line.text for line in lines if line.speaker == persona_id]
    quote = " ".join(said[-1].split()) if said else ""
    template = (
        f"{looks_like(persona)} {_pose(feeling)}. Simple, warm, hand-drawn style; "
        "no words in the picture."
    )
    out = {"persona_id": persona_id, "name": persona.name, "text": template, "source": "template"}
    if model is None:
        return out
    try:
        text = ask(
            model,
            PICTURE_SYSTEM,
            PICTURE_USER.format(
                who=" ".join(persona.who.split()),
                looks=persona.looks_like or "not described",
                wants="; ".join(persona.wants),
                fears="; ".join(persona.fears),
                mood=feeling,
                quote=f"“{quote}”" if quote else "(nothing)",
            ),
            max_tokens=200,
        )
        if len(text.split()) > MAX_WORDS:
            raise ValueError("the description is far too long")
        return {**out, "text": text, "source": "model"}
    except Exception as exc:  # the template always describes it
        log.info("picture description by the model unavailable: %s", exc)
        return out


def generate_image(prompt: str, target: Path, settings: ImageSettings) -> Path:
    """Ask the endpoint's image model for a picture of ``prompt``; write it as PNG."""
    from openai import OpenAI  # the chat path does not need the raw client

    client = OpenAI(
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",
        timeout=settings.timeout,
        max_retries=0,
    )
    try:
        result = client.images.generate(
            model=settings.model,
            prompt=prompt,
            n=1,
            size=settings.size,  # type: ignore[arg-type]
            response_format="b64_json",
        )
        encoded = result.data[0].b64_json if result.data else None
        if not encoded:
            raise ValueError("the endpoint returned no image data")
        data = base64.b64decode(encoded)
    except Exception as exc:
        raise ModelUnavailable(
            f"No image from {settings.model!r}: {describe_failure(exc)}"
        ) from exc
    finally:
        client.close()
    if not data.startswith(PNG):
        raise ModelUnavailable(f"No image from {settings.model!r}: the data is not a PNG.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    target.chmod(0o600)  # a picture of someone's inner life is private, like the sessions
    return target
