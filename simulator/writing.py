"""Writing a session down: a journal entry or a short story, in the user's own voice.

Any finished (or unfinished) session can become a first-person journal entry or a short
story with the lines said as dialogue. A capable model writes it; a template built from
the user's own lines stands in whenever the model is tiny, fails, or returns something
that is not a first-person text, so it always works offline. The text is the user's to
edit and keep (the web studio has an editable box and a download; the CLI has
``rehearse journal SESSION [--story] [-o FILE]``).

:func:`ask` is the one way these creative features (and the group debrief's journal)
ask a model for prose: it raises on any failure or empty answer, and callers fall back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel

from simulator.prompts import WRITE_JOURNAL_SYSTEM, WRITE_STORY_SYSTEM, WRITE_USER
from simulator.schema import Scenario
from simulator.transcript import USER, Line

__all__ = ["Form", "ask", "journal_template", "story_template", "write_up"]

log = logging.getLogger(__name__)

Form = Literal["journal", "story"]
_FIRST_PERSON = re.compile(r"\b(?:I|my|me|I'm|I've)\b")
# Small models label their text ("Journal entry:", "**Story**"): keep only the prose.
_LABEL = re.compile(r"^\s*(?:\*\*)?(?:journal(?: entry)?|story|entry|title)[^\n:]{0,40}:\s*", re.I)
MAX_WORDS = 600
TRANSCRIPT_LINES = 24  # the newest lines the model sees: enough for a long scene's arc


def ask(model: BaseChatModel, system: str, human: str, max_tokens: int) -> str:
    """The model's answer as one tidy paragraph block; raises when there is none."""
    reply = model.invoke([("system", system), ("human", human)], max_tokens=max_tokens)
    paragraphs = [" ".join(p.split()) for p in str(reply.content).split("\n\n")]
    text = "\n\n".join(p for p in paragraphs if p)
    if not text:
        raise ValueError("the model returned nothing")
    return text


def _sentence(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".")


def _quoted(text: str) -> str:
    """A line as a quotation that ends like a sentence: “It was hard.” “Why?”"""
    words = " ".join(text.split())
    return f"“{words if words.endswith(('.', '?', '!', '…')) else words + '.'}”"


def _dialogue(text: str, who: str) -> str:
    """“It was hard,” I said. / “Why?” Sam said."""
    words = " ".join(text.split())
    if words.endswith("."):
        words = words[:-1] + ","
    elif not words.endswith(("?", "!", "…")):
        words += ","
    return f"“{words}” {who} said."


def _names(scenario: Scenario) -> str:
    names = [scenario.persona(m.persona_id).name for m in scenario.cast]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


def _said(lines: Sequence[Line]) -> list[Line]:
    return [line for line in lines if line.speaker == USER]


def journal_template(
    scenario: Scenario, lines: Sequence[Line], debrief: Mapping[str, Any] | None = None
) -> str:
    """A first-person journal entry built only from what was said and the debrief's facts."""
    said = _said(lines)
    names = _names(scenario)
    if scenario.category == "inner-parts":
        out = [f"Today I sat with {names}, parts of me. {_sentence(scenario.setting)}."]
    elif scenario.category == "expression":
        out = [f"Today I talked to {names}, who listened, about what was on my mind."]
    else:
        out = [f"Today I practised a conversation with {names}: {_sentence(scenario.summary)}."]
    if said:
        out.append(f"I began with: {_quoted(said[0].text)}")
    theirs = [line for line in lines if line.speaker != USER and line.turn > 0]
    if theirs:
        out.append(f"{theirs[-1].name} said: {_quoted(theirs[-1].text)}")
    best = (debrief or {}).get("state", {}).get("best_turn")
    if best and best.get("quote") and (not said or best["quote"] != said[0].text):
        out.append(f"What seemed to help most was when I said {_quoted(best['quote'])}")
    if len(said) > 1 and said[-1].text not in (said[0].text, (best or {}).get("quote")):
        out.append(f"I ended with: {_quoted(said[-1].text)}")
    pauses = [e for e in (debrief or {}).get("grounding", []) if e["event"] == "offered"]
    if pauses:
        out.append("At one point I stopped to breathe, and that was alright.")
    if not said:
        out.append("I did not say much this time, and that is fine too.")
    return " ".join(out)


def story_template(scenario: Scenario, lines: Sequence[Line]) -> str:
    """A first-person story: the scene, then the lines as dialogue (the middle elided)."""
    opening = f"{_sentence(scenario.setting)}. {_names(scenario)} {_was(scenario)} there."
    spoken = [line for line in lines if line.text.strip()]
    if len(spoken) > 10:  # the start and the end carry the arc; the middle is summarised
        spoken = [*spoken[:5], None, *spoken[-4:]]
    beats = []
    for line in spoken:
        if line is None:
            beats.append("We went back and forth for a while.")
        else:
            beats.append(_dialogue(line.text, "I" if line.speaker == USER else line.name))
    close = "Afterwards I sat for a moment with what had been said."
    return "\n\n".join([opening, " ".join(beats), close])


def _was(scenario: Scenario) -> str:
    return "were" if scenario.is_group else "was"


def write_up(
    scenario: Scenario,
    lines: Sequence[Line],
    debrief: Mapping[str, Any] | None = None,
    model: BaseChatModel | None = None,
    form: Form = "journal",
) -> dict[str, Any]:
    """``{"form", "text", "source": "model" | "template"}``: the session written down."""
    template = (
        story_template(scenario, lines)
        if form == "story"
        else journal_template(scenario, lines, debrief)
    )
    if model is None or not _said(lines):
        return {"form": form, "text": template, "source": "template"}
    transcript = "\n".join(f"{line.name}: {line.text}" for line in lines[-TRANSCRIPT_LINES:])
    system = WRITE_STORY_SYSTEM if form == "story" else WRITE_JOURNAL_SYSTEM
    try:
        text = ask(
            model,
            system,
            WRITE_USER.format(
                title=scenario.title, setting=scenario.setting, transcript=transcript
            ),
            max_tokens=400,
        )
        text = _LABEL.sub("", text, count=1).strip()
        if not _FIRST_PERSON.search(text):
            raise ValueError("the text is not written in the first person")
        if len(text.split()) > MAX_WORDS:
            raise ValueError("the text is far too long")
        return {"form": form, "text": text, "source": "model"}
    except Exception as exc:  # the user's lines always make a text; the model is optional
        log.info("write-up by the model unavailable, using the template: %s", exc)
        return {"form": form, "text": template, "source": "template"}
