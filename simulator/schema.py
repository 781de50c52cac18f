"""The scenario and persona file formats, as pydantic models.

Every model forbids unknown keys so that a typo in a YAML file is reported (with the
nearest valid key) instead of being silently ignored. Cross-references that need the
whole document (a condition naming a state variable, a reveal naming a cast member)
are checked by :func:`cross_check`, which returns field paths so the loader can point
at the offending line. ``python -m simulator.schema`` rewrites the published JSON
Schemas that editors use for autocompletion.

A scene may hold several characters (inner parts, or a group such as two parents).
Each gets its own copy of the hidden variables: a cast member's own ``state``, or else
the scenario's ``state`` as a template. With one character the variables keep their
plain names (``trust``); with several they are qualified by persona id
(``inner-critic.trust``) in the session state and in scene-level conditions (goals,
end). A reveal or private note belongs to one character, so its condition may use that
character's plain names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from simulator.conditions import Condition, ConditionSyntaxError, parse_condition

__all__ = [
    "CATEGORIES",
    "CastMember",
    "Category",
    "CoachSettings",
    "Difficulty",
    "DifficultySettings",
    "DirectorSettings",
    "EndCondition",
    "Goal",
    "GroundingSettings",
    "Imported",
    "LearningNotes",
    "MoveName",
    "Persona",
    "PrivateNote",
    "Reveal",
    "Scenario",
    "StateVariable",
    "TechniqueNote",
    "compiled",
    "cross_check",
]

Category = Literal[
    "difficult-conversation", "inner-parts", "clinical-practice", "expression", "reframing"
]
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
    Field(
        description="Comparisons of state variables, e.g. 'trust >= 6 and defensiveness < 4'; "
        "with several characters qualify them by persona id: 'inner-critic.trust >= 6'."
    ),
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


class Imported(_Strict):
    """Where an imported persona or scenario came from, and what Rehearse had no place for."""

    source: str = Field(description="The file it was imported from.")
    format: str = Field(
        description="The format of that file: chara_card_v2, chara_card_v3, patient-psi..."
    )
    unmapped: dict[str, Any] = Field(
        default_factory=dict,
        description="Fields of the original with no place in Rehearse (a card's extensions, "
        "lorebook settings...), kept verbatim so nothing is lost; the character never sees them.",
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
    looks_like: str | None = Field(
        default=None,
        description="Inner-parts work: how the part might look, for the user to draw or "
        "describe to an image generator (the debrief offers it).",
    )
    private_notes: list[PrivateNote] = Field(default_factory=list)
    imported: Imported | None = Field(
        default=None, description="Set by `rehearse import`: the original file and what it kept."
    )


class CastMember(_Strict):
    """A character in the scene: a persona (by id or inline) and how they open."""

    persona: str | Persona = Field(description="A persona id from personas/ or an inline persona.")
    opening_line: str = Field(min_length=1, description="The first thing this character says.")
    relationship: str | None = Field(
        default=None, description="Their relationship to the user in this scene."
    )
    relationships: dict[str, str] = Field(
        default_factory=dict,
        description="Scenes with several characters: persona id of another cast member -> how "
        "this character relates to them ('protects her', 'disagrees with him about money').",
    )
    state: dict[str, StateVariable] | None = Field(
        default=None,
        description="This character's own hidden variables; without it the character gets its "
        "own copy of the scenario's state.",
    )
    present: bool = Field(
        default=True,
        description="Whether the character is in the scene from the start; one that is not "
        "waits until the user invites it (/invite Name) and then says its opening line.",
    )
    keywords: list[str] = Field(
        default_factory=list,
        description="Words in a user line that draw this character in (scenes with several "
        "characters: the director gives the turn to the one most drawn in).",
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


class DirectorSettings(_Strict):
    """Turn-taking in a scene with several characters."""

    max_lines_per_turn: int = Field(
        default=2,
        ge=1,
        le=4,
        description="Most character lines after one user line (characters may answer each "
        "other); '@all' lets every present character answer once.",
    )


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


class TechniqueNote(_Strict):
    """A learning note on one technique (DESC, OARS, the Self stance...), shared by scenes.

    Kept in ``learning/`` (bundled) or ``$REHEARSE_HOME/learning/`` (yours), one file per
    note, and named by id from a scenario's ``learning.techniques``; a scenario may also
    write one inline.
    """

    id: str = Field(pattern=_SLUG, description="Lower-case id scenarios use to name this note.")
    technique: str = Field(min_length=1, description="The technique's name, as a heading.")
    summary: str = Field(min_length=1, description="What it is and why it helps: 2-4 sentences.")
    steps: list[str] = Field(
        min_length=1, description="How to do it, one step per item, in the order to try them."
    )
    example: str | None = Field(
        default=None, description="A short worked example: a line or two someone could say."
    )
    pitfalls: list[str] = Field(
        default_factory=list, description="Common ways it goes wrong, to notice in the debrief."
    )
    further_reading: list[str] = Field(
        default_factory=list,
        description="Sources, as citations (author, title, year); where the technique comes from.",
    )


class LearningNotes(_Strict):
    """What the user can learn from the scene: the technique notes and two short notes."""

    techniques: list[str | TechniqueNote] = Field(
        default_factory=list,
        description="The techniques this scene practises: ids of notes in learning/ (shared "
        "by scenes), or a note written inline. Shown before the scene and linked from the "
        "debrief.",
    )
    before: str | None = Field(default=None, description="Shown before the scene starts.")
    after: str | None = Field(default=None, description="Shown with the debrief.")

    @property
    def notes(self) -> list[TechniqueNote]:
        """The technique notes, once the loader has resolved the ids."""
        return [note for note in self.techniques if isinstance(note, TechniqueNote)]


class CoachSettings(_Strict):
    """The coach beside the scene: hints on request, and optional tips after a setback."""

    tips_after_wrong_turn: bool = Field(
        default=False,
        description="After a turn that moved the character's state the wrong way (against "
        "the variables' 'desired' direction or away from a goal's met_when), show a short "
        "coaching tip outside the scene. The character never sees it.",
    )
    setback: float = Field(
        default=0.5,
        gt=0,
        description="How far a turn must move the state the wrong way (the sum over the "
        "variables, in their desired directions) before a tip is shown.",
    )


class GroundingSettings(_Strict):
    """When the scene pauses for a grounding exercise (paced breathing, the five senses).

    The user can always pause (``/pause``, the pause button); this says how readily the
    scene offers one by itself, from the user's words or the character's state.
    """

    offer: Literal["off", "low", "medium", "high"] | None = Field(
        default=None,
        description="How readily a pause is offered: off (only when the user asks), low "
        "(strong distress only), medium, high (at the first signs). Default by category: "
        "high for inner-parts and expression, medium for difficult conversations, low for "
        "clinical practice.",
    )
    when: ConditionText | None = Field(
        default=None,
        description="A state condition that offers a pause when it starts to hold, e.g. "
        "'defensiveness >= 8'. Default: a variable that good practice lowers climbing into "
        "the top of its range (70/80/90% for high/medium/low).",
    )


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
    goals: list[Goal] = Field(
        default_factory=list,
        description="What the user practises: at least one, except in a free expression scene "
        "(category 'expression'), which has no goal.",
    )
    state: dict[str, StateVariable] = Field(min_length=1)
    reveals: list[Reveal] = Field(default_factory=list)
    difficulty: DifficultySettings = Field(default_factory=DifficultySettings)
    director: DirectorSettings = Field(default_factory=DirectorSettings)
    end: EndCondition = Field(default_factory=EndCondition)
    learning: LearningNotes = Field(default_factory=LearningNotes)
    imported: Imported | None = Field(
        default=None, description="Set by `rehearse import`: the original file and what it kept."
    )
    grounding: GroundingSettings = Field(default_factory=GroundingSettings)
    coach: CoachSettings = Field(default_factory=CoachSettings)

    def persona(self, persona_id: str | None = None) -> Persona:
        """The resolved persona of a cast member (the first one by default)."""
        for member in self.cast:
            if isinstance(member.persona, Persona) and persona_id in (None, member.persona.id):
                return member.persona
        raise KeyError(persona_id or "<first cast member>")

    @property
    def is_group(self) -> bool:
        """Whether several characters share the scene (qualified variable names, a director)."""
        return len(self.cast) > 1

    def member(self, persona_id: str) -> CastMember:
        for member in self.cast:
            if member.persona_id == persona_id:
                return member
        raise KeyError(persona_id)

    def member_state(self, persona_id: str) -> dict[str, StateVariable]:
        """One character's hidden variables under their plain names."""
        own = self.member(persona_id).state
        return dict(own) if own is not None else dict(self.state)

    def qualify(self, persona_id: str, name: str) -> str:
        """The name a character's variable has in the session state."""
        return f"{persona_id}.{name}" if self.is_group else name

    def variables(self) -> dict[str, StateVariable]:
        """Every hidden variable of the scene under the name the session state uses."""
        if not self.is_group:
            return self.member_state(self.cast[0].persona_id)
        return {
            self.qualify(m.persona_id, name): var
            for m in self.cast
            for name, var in self.member_state(m.persona_id).items()
        }

    def owner(self, variable: str) -> str:
        """The persona id whose state holds a (session-state) variable name."""
        return variable.split(".", 1)[0] if self.is_group else self.cast[0].persona_id

    def view(self, values: Mapping[str, float], persona_id: str) -> dict[str, float]:
        """``values`` as one character sees them: its own variables also by plain name."""
        if not self.is_group:
            return dict(values)
        prefix = persona_id + "."
        mine = {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}
        return {**values, **mine}

    def start_state(self) -> dict[str, float]:
        return {name: var.start for name, var in self.variables().items()}


Path_ = tuple[str | int, ...]


# A scenario may portray someone in pain, and a clinical client may have a history of
# self-harm; what no file may do is instruct a character to encourage or endorse it.
_HARM = (
    r"(?:kill|hurt|harm|cut|starve|hang|poison|overdose|end)\w*\s+"
    r"(?:your|them|him|her|one)sel(?:f|ves)"
)
_ENCOURAGING_HARM = re.compile(
    rf"\b(?:encourag|urg|push|convinc|persuad|goad|dar|egg\w* on|tell|suggest|advis)\w*"
    rf"\b[^.!?]{{0,60}}?\b(?:to\s+)?{_HARM}\b"
    r"|\b(?:suicide|self[- ]harm|killing (?:your|them)sel(?:f|ves))\s+(?:is|as)\s+"
    r"(?:the\s+(?:only|best|right)\s+(?:way|answer|option|choice)|a\s+(?:good|reasonable|"
    r"fine)\s+(?:idea|option|choice|answer))",
    re.IGNORECASE,
)


def _strings(value: Any, path: Path_ = ()) -> list[tuple[Path_, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _strings(v, (*path, k))]
    if isinstance(value, list):
        return [item for i, v in enumerate(value) for item in _strings(v, (*path, i))]
    return []


def cross_check(scenario: Scenario) -> list[tuple[Path_, str]]:
    """Problems that span fields, each with the field path it belongs to."""
    problems: list[tuple[Path_, str]] = [
        (
            path,
            "a scenario may not have a character encourage or endorse self-harm; "
            "the character prompt forbids it whatever the file says",
        )
        for path, text in _strings(scenario.model_dump(exclude_defaults=True))
        if _ENCOURAGING_HARM.search(text)
    ]
    if not scenario.goals and scenario.category != "expression":
        problems.append(
            (
                ("goals",),
                "a scenario needs at least one goal (only a free expression scene, category "
                "'expression', may have none)",
            )
        )
    cast_ids = [member.persona_id for member in scenario.cast]
    if len(set(cast_ids)) != len(cast_ids):
        # Qualified names and the director need unique ids; nothing more can be checked.
        return [(("cast",), "each persona may appear in the cast only once")]
    scene_known = list(scenario.variables())

    def check(path: Path_, text: str | None, owner: str | None = None) -> None:
        if text is None:
            return
        known = scene_known
        if owner is not None and scenario.is_group:
            known = scene_known + list(scenario.member_state(owner))
        unknown = compiled(text).unknown_variables(known)
        if not unknown:
            return
        message = f"unknown state variable {', '.join(map(repr, unknown))}; "
        plain = [name for name in unknown if "." not in name]
        if scenario.is_group and plain:
            example = scenario.qualify(cast_ids[0], plain[0])
            where = f"{owner}'s own variables or " if owner else ""
            message += (
                f"with several characters, name {where}a character's variable with its persona "
                f"id, e.g. {example!r}; this scene has {', '.join(scene_known)}"
            )
        else:
            message += f"this scenario defines {', '.join(scene_known)}"
        problems.append((path, message))

    for i, goal in enumerate(scenario.goals):
        check(("goals", i, "met_when"), goal.met_when)
    for i, reveal in enumerate(scenario.reveals):
        if reveal.character is not None and reveal.character not in cast_ids:
            problems.append(
                (
                    ("reveals", i, "character"),
                    f"{reveal.character!r} is not in the cast ({', '.join(cast_ids)})",
                )
            )
            continue
        check(("reveals", i, "when"), reveal.when, reveal.character or cast_ids[0])
    check(("end", "when"), scenario.end.when)
    check(("grounding", "when"), scenario.grounding.when)
    for i, member in enumerate(scenario.cast):
        if isinstance(member.persona, Persona):
            for j, note in enumerate(member.persona.private_notes):
                check(
                    ("cast", i, "persona", "private_notes", j, "when"), note.when, member.persona_id
                )
        for other in member.relationships:
            if other not in cast_ids or other == member.persona_id:
                others = [c for c in cast_ids if c != member.persona_id]
                problems.append(
                    (
                        ("cast", i, "relationships", other),
                        f"{other!r} is not another member of the cast "
                        f"({', '.join(others) or 'there is no other'})",
                    )
                )
    if not any(member.present for member in scenario.cast):
        problems.append((("cast",), "at least one cast member must be present at the start"))
    for kind, items in (("goals", scenario.goals), ("reveals", scenario.reveals)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                problems.append(((kind, i, "id"), f"duplicate id {item.id!r}"))
            seen.add(item.id)
    return problems


SCHEMA_FILES = {
    "scenarios/schema.json": Scenario,
    "personas/schema.json": Persona,
    "learning/schema.json": TechniqueNote,
}


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
