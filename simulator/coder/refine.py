"""A capable model's second look at the offline coder's codes (optional).

The offline coder (:mod:`simulator.coder.coder`) is the default and the fallback: it is
measured against expert annotations, runs anywhere and gives the same answer every time.
When the session runs with a model able to judge (``assessor == "model"``) and
``REHEARSE_CODER=model`` is set, that model reads the coded conversation once and may
correct the codes it disagrees with. Its answer is one JSON object; whatever it gets wrong
is ignored line by line (an unknown line, a label that does not exist, a user code on a
character line), and if the call fails or the answer is not JSON the offline codes stand
unchanged. The result says which coder had the last word and on which turns the model
changed a code, so the debrief never hides it.

The model's accuracy is not measured here (no model runs in the tests or offline), so the
offline figures in the README remain the only measured ones.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel

from simulator.coder.coder import Coding, role
from simulator.coder.data import BEHAVIOURS, CLIENT_TALK, QUESTION_TYPES, REFLECTION_TYPES

__all__ = ["REFINE_SYSTEM", "REFINE_USER", "model_coder_wanted", "refine_codings"]

log = logging.getLogger(__name__)

REFINE_SYSTEM = """\
You are an experienced motivational-interviewing supervisor coding a practice session \
with the MITI. Lines marked USER are the practitioner's; lines marked OTHER are the other \
person's. An offline coder has already coded every line; correct only the codes you are \
confident are wrong.

For a USER line: behaviour is one of question, reflection, therapist_input (information or \
advice), other; question_type is open or closed when the line asks a question, else null; \
reflection_type is simple (repeats or rephrases) or complex (adds meaning, feeling or \
what is left unsaid) when the line reflects, else null.
For an OTHER line: talk is change (toward changing), sustain (toward staying as it is) or \
neutral.

Reply with one JSON object and nothing else: {"lines": [{"line": N, ...codes...}]}, \
listing only the lines whose codes you change, with all codes of each such line."""

REFINE_USER = """\
The session, one line each, with the offline coder's codes:
{lines}"""

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def model_coder_wanted() -> bool:
    """Whether ``REHEARSE_CODER=model`` asks for the model's second look. Off by default:
    it costs one more model call per debrief, and its accuracy is not measured."""
    return os.environ.get("REHEARSE_CODER", "offline").strip().lower() == "model"


def _offline(c: Coding) -> str:
    if not c.is_user:
        return f"talk={c.talk}"
    return (
        f"behaviour={c.behaviour} question_type={c.question_type or 'null'} "
        f"reflection_type={c.reflection_type or 'null'}"
    )


def _prompt_lines(codings: Sequence[Coding]) -> str:
    out = []
    for n, c in enumerate(codings):
        who = "USER" if c.is_user else "OTHER"
        text = " ".join(c.text.split())
        out.append(f"[{n}] {who}: {text}\n    offline: {_offline(c)}")
    return "\n".join(out)


def _choice(value: Any, allowed: tuple[str, ...], *, optional: bool) -> str | None:
    """A valid label, ``None`` for an explicit null where allowed; raises otherwise."""
    if value is None or value == "null":
        if optional:
            return None
        raise ValueError("a code may not be null here")
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    raise ValueError(f"unknown code {value!r}")


def _corrected(c: Coding, entry: dict[str, Any]) -> Coding:
    """The coding with the entry's codes; raises ValueError on any invalid code."""
    if role(c.speaker) == "client":
        return dataclasses.replace(c, talk=_choice(entry.get("talk"), CLIENT_TALK, optional=False))
    behaviour = _choice(entry.get("behaviour"), BEHAVIOURS, optional=False)
    question = _choice(entry.get("question_type"), QUESTION_TYPES, optional=True)
    reflection = _choice(entry.get("reflection_type"), REFLECTION_TYPES, optional=True)
    # The same consistency the offline coder keeps: a question behaviour has a type.
    if behaviour == "question" and question is None:
        raise ValueError("a question without its type")
    if behaviour == "reflection" and reflection is None:
        raise ValueError("a reflection without its type")
    return dataclasses.replace(
        c, behaviour=behaviour, question_type=question, reflection_type=reflection
    )


def refine_codings(
    codings: Sequence[Coding], model: BaseChatModel
) -> tuple[list[Coding], dict[str, Any]]:
    """The codings after the model's corrections, and what happened:
    ``{"source": "model" | "offline", "changed_turns": [...], "note": str}``."""
    out = list(codings)
    if not out:
        return out, {"source": "offline", "changed_turns": [], "note": "Nothing to code."}
    try:
        reply = model.invoke(
            [("system", REFINE_SYSTEM), ("human", REFINE_USER.format(lines=_prompt_lines(out)))]
        )
        found = _OBJECT.search(str(reply.content))
        if found is None:
            raise ValueError("the reply holds no JSON object")
        entries = json.loads(found.group(0))["lines"]
        if not isinstance(entries, list):
            raise ValueError('"lines" is not a list')
    except Exception as exc:  # the offline codes stand whatever the model does
        log.info("model coding unavailable, keeping the offline coder's: %s", exc)
        return out, {
            "source": "offline",
            "changed_turns": [],
            "note": f"The model could not code the session ({type(exc).__name__}); "
            "these are the offline coder's codes.",
        }
    changed: list[int] = []  # turn numbers
    lines = ignored = 0
    for entry in entries:
        try:
            n = entry["line"]
            if not isinstance(n, int) or not 0 <= n < len(out):
                raise ValueError(f"no line {n!r}")
            new = _corrected(out[n], entry)
        except (KeyError, TypeError, ValueError) as exc:
            ignored += 1
            log.info("ignoring a model code: %s", exc)
            continue
        if new != out[n]:
            out[n] = new
            lines += 1
            turn = new.turn if new.turn is not None else new.index
            if turn not in changed:
                changed.append(turn)
    note = (
        f"The model changed the offline coder's codes on {lines} line{'' if lines == 1 else 's'}."
        if lines
        else "The model agreed with the offline coder."
    )
    if ignored:
        note += f" {ignored} of its codes were not valid and were ignored."
    return out, {"source": "model", "changed_turns": sorted(changed), "note": note}
