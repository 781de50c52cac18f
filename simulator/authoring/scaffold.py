"""``rehearse new``: a valid scenario (and, if needed, a persona) to start writing from.

The answers come from flags, from questions on a terminal, or both (flags first, then
questions for the rest). Anything left unanswered becomes a ``TODO:`` line, so the file
validates at once and ``rehearse lint`` lists what is still to write. The Author tab's
blank template is the same text (:func:`scenario_template`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.authoring.workspace import Checked, Saved, Workspace, slug
from simulator.authoring.yamltext import dump
from simulator.errors import RehearseError
from simulator.schema import CATEGORIES

__all__ = ["QUESTIONS", "Answers", "ask", "create", "persona_template", "scenario_template"]

TODO = "TODO:"


@dataclass
class Answers:
    """What ``rehearse new`` knows about the scenario to create."""

    title: str | None = None
    id: str | None = None
    category: str | None = None
    persona: str | None = None  # an existing persona id, or the name of a new character
    user_role: str | None = None
    setting: str | None = None
    opening_line: str | None = None
    goal: str | None = None
    success: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# (field, question, hint) in the order asked.
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    ("title", "Title", "e.g. Asking my manager for flexible hours"),
    ("category", "Category", " / ".join(CATEGORIES)),
    ("persona", "Character", "an existing persona id, or a new character's name"),
    ("user_role", "Who is the user in the scene", "e.g. A nurse, two years qualified"),
    ("setting", "Where and when", "e.g. Her office, Friday 4pm"),
    ("opening_line", "The character's first line", ""),
    ("goal", "What the user practises", "e.g. Ask clearly for what I need"),
    ("success", "What success looks like", "e.g. I make the request in one sentence"),
)


def ask(
    answers: Answers,
    prompt: Callable[[str], str],
    personas: Mapping[str, Any] | None = None,
) -> Answers:
    """Ask ``prompt`` for each answer still missing; an empty reply leaves a TODO."""
    for name, question, hint in QUESTIONS:
        if getattr(answers, name):
            continue
        while True:
            shown = f"{question}" + (f" ({hint})" if hint else "") + ": "
            reply = prompt(shown).strip()
            if name == "category" and reply and reply not in CATEGORIES:
                print(f"  choose one of: {', '.join(CATEGORIES)}")
                continue
            if name == "persona" and reply and personas is not None and reply in personas:
                print(f"  using the existing persona {reply!r}")
            break
        setattr(answers, name, reply or None)
    return answers


def persona_template(persona_id: str, name: str) -> dict[str, Any]:
    return {
        "id": persona_id,
        "name": name,
        "who": f"{TODO} one or two sentences: who {name} is to the user",
        "voice": f"{TODO} how {name} speaks: register, rhythm, habits, typical length",
        "background": f"{TODO} the history that shapes how {name} reacts",
        "wants": [f"{TODO} what {name} wants from this conversation"],
        "fears": [f"{TODO} what {name} fears or protects"],
        "under_pressure": f"{TODO} how {name} behaves when pushed, blamed or cornered",
        "softens_when": f"{TODO} what makes {name} open up",
        "sample_lines": [],
    }


def scenario_template(answers: Answers, persona_id: str, name: str) -> dict[str, Any]:
    """Scenario data from the answers; what is missing is a TODO line."""
    a = answers
    return {
        "id": a.id,
        "title": a.title or f"{TODO} a short title",
        "category": a.category or "difficult-conversation",
        "summary": f"{TODO} what happens in this scene and what the user practises, "
        "shown before starting",
        "practises": [a.goal] if a.goal else [],
        "user_role": a.user_role or f"{TODO} who the user is in the scene",
        "setting": a.setting or f"{TODO} where and when the scene takes place",
        "cast": [
            {
                "persona": persona_id,
                "opening_line": a.opening_line or f"{TODO} the first thing {name} says",
            }
        ],
        "goals": [
            {
                "id": slug(a.goal or "")[:40].strip("-") or "main-goal",
                "description": a.goal or f"{TODO} what the user practises",
                "success": a.success or f"{TODO} what it looks like when they have done it",
                "met_when": "trust >= 7",
            }
        ],
        "state": {
            "trust": {
                "start": 4,
                "description": f"How safe {name} feels to be open with the user.",
            },
            "defensiveness": {
                "start": 5,
                "desired": "down",
                "description": f"How much {name} guards, argues or withdraws.",
            },
        },
        "reveals": [],
        "difficulty": {"default": "medium"},
        "end": {"when": "trust >= 8 and defensiveness <= 2", "max_turns": 12},
        "learning": {"before": f"{TODO} a few lines the user reads before starting"},
    }


def create(answers: Answers, workspace: Workspace) -> list[Saved]:
    """Write the scenario (and a new persona unless an existing one was named)."""
    if answers.category and answers.category not in CATEGORIES:
        raise RehearseError(
            f"--category must be one of {', '.join(CATEGORIES)}, not {answers.category!r}."
        )
    if not (answers.id or answers.title):
        raise RehearseError("Give the scenario a title (--title) or an id (--id).")
    if answers.id and slug(answers.id) != answers.id:
        raise RehearseError(
            f"--id {answers.id!r}: use lower-case letters, digits and '-', e.g. "
            f"{slug(answers.id) or 'my-scene'!r}."
        )
    wanted = answers.id or slug(answers.title or "") or "my-scene"
    if workspace.origin("scenario", wanted) is not None:
        if answers.id:
            raise RehearseError(
                f"A scenario {wanted!r} exists already; choose another --id, e.g. "
                f"{workspace.free_id('scenario', wanted)!r}."
            )
        wanted = workspace.free_id("scenario", wanted)
    answers.id = wanted
    personas = workspace.personas()
    choice = (answers.persona or "").strip()
    persona_text = None
    if choice in personas:
        persona_id, name = choice, personas[choice].name
    else:
        name = choice or "The other person"
        persona_id = workspace.free_id("persona", slug(name) or "character")
        header = (
            f"A new persona for {answers.id}. Fill in the TODO lines; `rehearse lint` lists them."
        )
        persona_text = dump(persona_template(persona_id, name), header)
    text = dump(
        scenario_template(answers, persona_id, name),
        "Made by `rehearse new`. Fill in the TODO lines; `rehearse lint` lists them,\n"
        "`rehearse validate` checks the file, `rehearse play "
        f"{answers.id}` tries it.",
    )
    # Check both before writing either, so a refused answer leaves no half-made pair.
    extra = {}
    if persona_text is not None:
        checked = workspace.check(persona_text, "persona", file="the new persona")
        if checked.persona is not None:
            extra[persona_id] = checked.persona
        _raise(checked)
    _raise(workspace.check(text, "scenario", file="the new scenario", personas=extra))
    saved = [workspace.save(persona_text, "persona")] if persona_text is not None else []
    saved.append(workspace.save(text, "scenario"))
    return saved


def _raise(checked: Checked) -> None:
    if not checked.ok:
        raise RehearseError(
            "These answers do not make a valid file:\n  "
            + "\n  ".join(str(i) for i in checked.issues if i.severity == "error")
        )
