"""The scenario and persona file formats, as pydantic models.

Every model forbids unknown keys so that a typo in a YAML file is reported (with the
nearest valid key) instead of being silently ignored. Cross-references that need the
whole document (a condition naming a state variable, a reveal naming a cast member)
are checked by :func:`cross_check`, which returns field paths so the loader can point
at the offending line. ``python -m simulator.schema`` rewrites the published JSON
Schemas that editors use for autocompletion.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from simulator.conditions import Condition, ConditionSyntaxError, parse_condition

__all__ = [
    "CATEGORIES",
    "CastMember",
    "Category",
    "Difficulty",
    "DifficultySettings",
    "EndCondition",
    "Goal",
    "LearningNotes",
    "MoveName",
    "Persona",
    "PrivateNote",
    "Reveal",
    "Scenario",
    "StateVariable",
    "compiled",
    "cross_check",
]

Category = Literal["difficult-conversation", "inner-parts", "clinical-practice"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
Difficulty = Literal["easy", "medium", "hard"]
MoveName = Literal[
    "open_question", "closed_question", "reflection", "advice", "need_statement", "empathy"
]

_SLUG = r"^[a-z0-9][a-z0-9-]*$"


def _valid_condition(text: str) -> str:
    try:
        parse_condition(text)
    except ConditionSyntaxError as exc:
        raise ValueError(str(exc)) from None
    return text


ConditionText = Annotated[
    str,
    AfterValidator(_valid_condition),
    Field(description="Comparisons of state variables, e.g. 'trust >= 6 and defensiveness < 4'."),
]


@lru_cache(maxsize=1024)
def compiled(text: str) -> Condition:
    """The parsed form of a condition string that already passed validation."""
    return parse_condition(text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivateNote(_Strict):
    """Something the character knows but only says once a condition holds."""

    fact: str = Field(description="What the character may disclose, in their own terms.")
    when: ConditionText | None = Field(
        default=None,
        description="State condition under which it can be revealed; without one it stays private "
        "unless a scenario reveal names it.",
    )


class Persona(_Strict):
    """A reusable character: who they are, how they speak, what drives them."""

    id: str = Field(pattern=_SLUG, description="Lower-case id used to reference this persona.")
    name: str = Field(min_length=1, description="The name the character goes by in the scene.")
    who: str = Field(description="One or two sentences: who they are to the user.")
    voice: str = Field(description="How they speak: register, rhythm, habits, typical length.")
    background: str = Field(description="History that shapes how they react.")
    wants: list[str] = Field(min_length=1, description="What they want from this conversation.")
    fears: list[str] = Field(min_length=1, description="What they fear or protect.")
    under_pressure: str = Field(description="How they behave when pushed, blamed or cornered.")
    softens_when: str | None = Field(
        default=None, description="What makes them open up: being heard, specifics, an apology..."
    )
    positive_intent: str | None = Field(
        default=None, description="Inner-parts work: what the part is trying to do for the person."
    )
    needs: str | None = Field(
        default=None, description="Inner-parts work: what the part needs in order to relax."
    )
    sample_lines: list[str] = Field(
        default_factory=list,
        description="A few lines in their voice; they steer small models well.",
    )
    private_notes: list[PrivateNote] = Field(default_factory=list)


class CastMember(_Strict):
    """A character in the scene: a persona (by id or inline) and how they open."""

    persona: str | Persona = Field(description="A persona id from personas/ or an inline persona.")
    opening_line: str = Field(min_length=1, description="The first thing this character says.")
    relationship: str | None = Field(
        default=None, description="Their relationship to the user in this scene."
    )

    @property
    def persona_id(self) -> str:
        return self.persona if isinstance(self.persona, str) else self.persona.id


class Goal(_Strict):
    """Something the user is practising, and what success looks like."""

    id: str = Field(pattern=_SLUG)
    description: str
    success: str = Field(description="What it looks like when the user has done it.")
    met_when: ConditionText | None = Field(
        default=None, description="State condition that shows the goal was reached."
    )
    evidence_moves: list[MoveName] = Field(
        default_factory=list, description="Kinds of user turns that count as evidence."
    )
    keywords: list[str] = Field(
        default_factory=list, description="Words in a user turn that count as evidence."
    )


class StateVariable(_Strict):
    """A hidden quantity of the character's state, such as trust or defensiveness."""

    start: float
    min: float = 0
    max: float = 10
    desired: Literal["up", "down"] = Field(
        default="up", description="Which way good practice moves it."
    )
    description: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> StateVariable:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if not self.min <= self.start <= self.max:
            raise ValueError(f"start ({self.start}) must lie between min and max")
        return self


class Reveal(_Strict):
    """A fact a character discloses only once a state condition holds."""

    id: str = Field(pattern=_SLUG)
    character: str | None = Field(
        default=None, description="Persona id of the cast member who reveals it (default: first)."
    )
    fact: str
    when: ConditionText


class DifficultySettings(_Strict):
    """How hard the character is to reach, with optional per-level behaviour notes."""

    default: Difficulty = "medium"
    easy: str | None = Field(default=None, description="Extra behaviour at easy difficulty.")
    medium: str | None = None
    hard: str | None = None


class EndCondition(_Strict):
    """When the scene ends by itself (the user can always end it)."""

    when: ConditionText | None = Field(default=None, description="State condition that ends it.")
    max_turns: int = Field(default=12, ge=1, le=200, description="User turns before it ends.")


class LearningNotes(_Strict):
    before: str | None = Field(default=None, description="Shown before the scene starts.")
    after: str | None = Field(default=None, description="Shown with the debrief.")


class Scenario(_Strict):
    """A practice situation: the scene, the cast, the goals and the hidden state."""

    id: str = Field(pattern=_SLUG)
    title: str = Field(min_length=1)
    category: Category
    summary: str = Field(description="Shown before starting.")
    practises: list[str] = Field(default_factory=list, description="Skills this scene practises.")
    user_role: str = Field(description="Who the user is in the scene.")
    setting: str = Field(description="Where and when the scene takes place.")
    cast: list[CastMember] = Field(min_length=1)
    goals: list[Goal] = Field(min_length=1)
    state: dict[str, StateVariable] = Field(min_length=1)
    reveals: list[Reveal] = Field(default_factory=list)
    difficulty: DifficultySettings = Field(default_factory=DifficultySettings)
    end: EndCondition = Field(default_factory=EndCondition)
    learning: LearningNotes = Field(default_factory=LearningNotes)

    def persona(self, persona_id: str | None = None) -> Persona:
        """The resolved persona of a cast member (the first one by default)."""
        for member in self.cast:
            if isinstance(member.persona, Persona) and persona_id in (None, member.persona.id):
                return member.persona
        raise KeyError(persona_id or "<first cast member>")

    def start_state(self) -> dict[str, float]:
        return {name: var.start for name, var in self.state.items()}


Path_ = tuple[str | int, ...]


def cross_check(scenario: Scenario) -> list[tuple[Path_, str]]:
    """Problems that span fields, each with the field path it belongs to."""
    problems: list[tuple[Path_, str]] = []
    known = list(scenario.state)

    def check(path: Path_, text: str | None) -> None:
        if text is None:
            return
        unknown = compiled(text).unknown_variables(known)
        if unknown:
            problems.append(
                (
                    path,
                    f"unknown state variable {', '.join(map(repr, unknown))}; "
                    f"this scenario defines {', '.join(known)}",
                )
            )

    cast_ids = [member.persona_id for member in scenario.cast]
    for i, goal in enumerate(scenario.goals):
        check(("goals", i, "met_when"), goal.met_when)
    for i, reveal in enumerate(scenario.reveals):
        check(("reveals", i, "when"), reveal.when)
        if reveal.character is not None and reveal.character not in cast_ids:
            problems.append(
                (
                    ("reveals", i, "character"),
                    f"{reveal.character!r} is not in the cast ({', '.join(cast_ids)})",
                )
            )
    check(("end", "when"), scenario.end.when)
    for i, member in enumerate(scenario.cast):
        if isinstance(member.persona, Persona):
            for j, note in enumerate(member.persona.private_notes):
                check(("cast", i, "persona", "private_notes", j, "when"), note.when)
    for kind, items in (("goals", scenario.goals), ("reveals", scenario.reveals)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                problems.append(((kind, i, "id"), f"duplicate id {item.id!r}"))
            seen.add(item.id)
    if len(set(cast_ids)) != len(cast_ids):
        problems.append((("cast",), "each persona may appear in the cast only once"))
    return problems


SCHEMA_FILES = {"scenarios/schema.json": Scenario, "personas/schema.json": Persona}


def json_schema(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(root: Path) -> None:
    for relative, model in SCHEMA_FILES.items():
        (root / relative).write_text(json_schema(model), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    write_schemas(Path(__file__).resolve().parents[1])
    print("wrote", ", ".join(SCHEMA_FILES))
