"""Patient-Psi style CBT cognitive models, turned into a client to practise with.

Patient-Psi (Wang et al., EMNLP 2024; github.com/ruiyiw/patient-psi) describes each
simulated client by a cognitive conceptualization diagram, one JSON object per
situation::

    {"name": "Abe", "id": "1-1", "type": ["plain", "verbose", ...],
     "history": "...", "helpless_belief": ["I am incompetent."],
     "unlovable_belief": [], "worthless_belief": [],
     "intermediate_belief": "...", "intermediate_belief_depression": "...",
     "coping_strategies": "...", "situation": "...", "auto_thought": "...",
     "emotion": ["anxious, worried"], "behavior": "..."}

A file holds one such object or a list of them. Each becomes a clinical-practice persona
and scenario in which the layers of the model come out in the order a CBT trainee has
to earn them: the situation and its automatic thought early, the rules and assumptions
as trust and insight grow, the core beliefs last. The layers are scenario reveals on the
``trust`` and ``insight`` state variables, as in ``cbt-guided-discovery``. The debrief's
notes show the whole model, so the trainee can compare it with their own formulation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from simulator.errors import Problem, ScenarioFileError

__all__ = ["STYLES", "PsiMapping", "looks_like_patient_psi", "map_model", "models_from_json"]

_BELIEFS = ("helpless_belief", "unlovable_belief", "worthless_belief")
_TEXT = (
    "history",
    "intermediate_belief",
    "intermediate_belief_depression",
    "coping_strategies",
    "situation",
    "auto_thought",
    "behavior",
)
_KNOWN = {"name", "id", "type", "emotion", *_BELIEFS, *_TEXT}

# Patient-Psi's six conversational styles, in our words.
STYLES = {
    "plain": "Answers directly and openly, in ordinary sentences, without much elaboration.",
    "upset": "Irritable and on edge; may push back on the therapist ('what's the point of "
    "this?') and show frustration before settling.",
    "verbose": "Talks at length, with lots of detail and side stories; the therapist has to "
    "help focus.",
    "reserved": "Says little; short, guarded answers ('I don't know', 'fine'); opens up only "
    "to patient, specific questions.",
    "tangent": "Drifts to other topics when something painful comes near; needs gentle "
    "bringing back.",
    "pleasing": "Eager to please; agrees quickly, says what they think the therapist wants to "
    "hear, hides disagreement.",
}


@dataclass
class PsiMapping:
    """One cognitive model turned into persona and scenario data, with notes."""

    persona: dict[str, Any]
    scenario: dict[str, Any]
    notes: list[str]


def looks_like_patient_psi(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and all(
        isinstance(item, dict) and {"auto_thought", "intermediate_belief"} & set(item)
        for item in items
    )


def models_from_json(text: str, file: str) -> list[dict[str, Any]]:
    """The cognitive models in a JSON file, each checked; problems name file and field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioFileError(
            [Problem(file, exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]
        ) from None
    items = data if isinstance(data, list) else [data]
    problems = []
    for i, item in enumerate(items):
        where = f"[{i}]" if isinstance(data, list) else ""
        problems += _check(item, where, file)
    if problems:
        raise ScenarioFileError(problems)
    return items


def _check(item: Any, where: str, file: str) -> list[Problem]:
    if not isinstance(item, dict):
        return [Problem(file, None, where or None, "expected a cognitive model (a JSON object)")]
    problems = []
    prefix = f"{where}." if where else ""
    for key in ("name", "history", "intermediate_belief", "situation", "auto_thought"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(file, None, prefix + key, "missing or empty; expected text"))
    for key in _TEXT:
        if key in item and not isinstance(item[key], str):
            problems.append(Problem(file, None, prefix + key, "expected text"))
    for key in (*_BELIEFS, "emotion", "type"):
        value = item.get(key, [])
        if isinstance(value, str):
            continue  # one belief written as text instead of a list: accepted as is
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(file, None, prefix + key, "expected a list of texts"))
    if not problems and not any(_listed(item.get(k)) for k in _BELIEFS):
        problems.append(
            Problem(
                file,
                None,
                prefix + "helpless_belief",
                "no core belief: at least one of helpless_belief, unlovable_belief, "
                "worthless_belief must list one",
            )
        )
    return problems


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    return [v.strip() for v in value or [] if v.strip()]


def _split_depression(item: dict[str, Any]) -> tuple[str, str]:
    """Intermediate beliefs, and those active during depression (a separate field in the
    diagram, or a ``[during depression]`` section of the first, as in the published data)."""
    general = item["intermediate_belief"].strip()
    during = (item.get("intermediate_belief_depression") or "").strip()
    parts = re.split(r"\[\s*during depression\s*\]", general, maxsplit=1, flags=re.IGNORECASE)
    if len(parts) == 2:
        general = parts[0].strip()
        during = (during + "\n" + parts[1].strip()).strip()
    return general, during


def map_model(
    item: dict[str, Any], persona_id: str, scenario_id: str, source: str, style: str | None = None
) -> PsiMapping:
    """Persona and scenario data for one cognitive model."""
    notes: list[str] = []
    name = item["name"].strip()
    styles = [s for s in _listed(item.get("type")) if s in STYLES]
    unknown_styles = [s for s in _listed(item.get("type")) if s not in STYLES]
    if unknown_styles:
        notes.append(f"type: unknown styles {unknown_styles} ignored (known: {', '.join(STYLES)})")
    voice_style = style or (styles[0] if styles else "plain")
    if voice_style not in STYLES:
        raise ScenarioFileError(
            [
                Problem(
                    source,
                    None,
                    "type",
                    f"unknown style {voice_style!r}; use one of " + ", ".join(STYLES),
                )
            ]
        )
    general, during = _split_depression(item)
    beliefs = {k.removesuffix("_belief"): _listed(item.get(k)) for k in _BELIEFS}
    core = [b for group in beliefs.values() for b in group]
    emotions = ", ".join(_listed(item.get("emotion"))) or "not recorded"
    situation = item["situation"].strip()
    thought = item["auto_thought"].strip()
    behaviour = (item.get("behavior") or "").strip()
    coping = (item.get("coping_strategies") or "").strip()

    persona: dict[str, Any] = {
        "id": persona_id,
        "name": name,
        "who": f"{name}, a client in a CBT session, who has come to talk about a recent "
        f"difficult moment: {_sentence(situation)}",
        "voice": STYLES[voice_style],
        "background": "\n\n".join(
            part
            for part in (
                f"History: {item['history'].strip()}",
                f"How {name} copes: {coping}" if coping else "",
                f"The recent situation: {situation} What went through {name}'s mind: "
                f'"{thought}" Feelings: {emotions}. What {name} did: {behaviour or "not recorded"}',
            )
            if part
        ),
        "wants": [
            f"Some relief from feeling {emotions}.",
            "To be understood without being judged.",
        ],
        "fears": [
            "That the therapist will see them the way they see themselves.",
            *(f"That it is true: {belief}" for belief in core[:2]),
        ],
        "under_pressure": f"Falls back on old ways of coping ({coping or 'withdrawing'}); "
        "agrees on the surface and shares less.",
        "softens_when": "Asked curious, specific questions about one concrete moment, hearing "
        "their own words summarised accurately, and being given time; not when reassured, "
        "argued with or taught too soon.",
        "sample_lines": [thought],
        "imported": {
            "source": source,
            "format": "patient-psi",
            "unmapped": {k: v for k, v in item.items() if k not in _KNOWN or k in ("id", "type")},
        },
    }
    notes.append(
        "wants, fears, under_pressure: Patient-Psi has no such fields; derived from the "
        "emotions, core beliefs and coping strategies (edit them to taste)"
    )
    extra = sorted(set(item) - _KNOWN)
    if extra:
        notes.append(f"not mapped, kept under imported.unmapped: {', '.join(extra)}")

    reveals = [
        {
            "id": "automatic-thought",
            "character": persona_id,
            "fact": f'In the situation ({situation}) {name} thought: "{thought}", felt '
            f"{emotions}, and then: {behaviour or 'did not say'}.",
            "when": "trust >= 4",
        },
        {
            "id": "rules-and-assumptions",
            "character": persona_id,
            "fact": f"{name}'s rules and assumptions: {general}",
            "when": "trust >= 6 and insight >= 4",
        },
    ]
    if during:
        reveals.append(
            {
                "id": "beliefs-when-low",
                "character": persona_id,
                "fact": f"When low, {name} believes: {during}",
                "when": "trust >= 7 and insight >= 5",
            }
        )
    labels = {"helpless": "helpless", "unlovable": "unlovable", "worthless": "worthless"}
    core_text = "; ".join(
        f"{labels[k]}: " + " / ".join(f'"{b}"' for b in v) for k, v in beliefs.items() if v
    )
    reveals.append(
        {
            "id": "core-belief",
            "character": persona_id,
            "fact": f"Underneath it all, {name}'s core belief ({core_text}). It comes out slowly "
            "and quietly, in their own words, only with a therapist they have come to trust.",
            "when": "trust >= 8 and insight >= 6",
        }
    )
    difficulty = {
        "default": "medium",
        "easy": STYLES["plain"],
        "medium": STYLES[
            next((s for s in ("pleasing", "verbose", "tangent") if s in styles), voice_style)
        ],
        "hard": STYLES[next((s for s in ("reserved", "upset") if s in styles), voice_style)],
    }
    formulation = (
        f"The cognitive model {name} was built from: core beliefs ({core_text}); "
        f"intermediate beliefs: {general}"
        + (f" When low: {during}" if during else "")
        + f" Coping: {coping or 'not recorded'}. Situation: {situation} Automatic thought: "
        f'"{thought}". Emotions: {emotions}. Behaviour: {behaviour or "not recorded"}.'
    )
    scenario: dict[str, Any] = {
        "id": scenario_id,
        "title": f"CBT: {name}, {_clause(situation)}",
        "category": "clinical-practice",
        "summary": f"{name} comes to a CBT session after a difficult moment: {situation} "
        "Map the situation, then use guided discovery to reach the beliefs underneath, "
        "which come out only as trust grows.",
        "practises": [
            "eliciting automatic thoughts, emotions and behaviours in a specific situation",
            "guided discovery and the downward arrow",
            "building a cognitive conceptualization",
        ],
        "user_role": f"A CBT therapist, in session with {name}.",
        "setting": "A quiet consulting room, early in a course of CBT.",
        "cast": [
            {
                "persona": persona_id,
                "relationship": "Your client.",
                "opening_line": "Hi. So... I'm not really sure where to start. Something "
                "happened this week that I keep going over.",
            }
        ],
        "goals": [
            {
                "id": "map-the-situation",
                "description": "Unpack the situation into thoughts, emotions and behaviour.",
                "success": f"You focus on one concrete moment and elicit, in {name}'s own words, "
                "what went through their mind, what they felt (and how strongly) and what "
                "they did, and summarise the links back.",
                "evidence_moves": ["open_question", "reflection"],
                "met_when": "insight >= 4",
            },
            {
                "id": "guided-discovery",
                "description": "Reach the rules and core belief by questions, not by telling.",
                "success": "You ask downward-arrow questions ('if that were true, what would it "
                f"mean about you?') and {name} names the belief underneath themselves.",
                "met_when": "insight >= 7 and trust >= 7",
            },
        ],
        "state": {
            "trust": {
                "start": 3,
                "description": f"The working alliance: how safe {name} feels to say what they "
                "really think. Deeper layers of the model wait for it.",
            },
            "insight": {
                "start": 2,
                "description": "How clearly the links between situation, thoughts, feelings, "
                "behaviour and beliefs are seen. Rises with specific questions and accurate "
                "summaries.",
            },
        },
        "reveals": reveals,
        "difficulty": difficulty,
        "end": {"when": "trust >= 8 and insight >= 8", "max_turns": 16},
        "learning": {
            "before": "CBT practice: understand before you intervene. Map one specific "
            "situation, then use guided discovery so the client finds their rules and core "
            "belief themselves. A simulator is not supervision; take real cases to your "
            "supervisor.",
            "after": formulation + " Compare it with the formulation you built.",
        },
        "imported": {"source": source, "format": "patient-psi"},
    }
    notes.append(
        f"voice: the {voice_style!r} style; difficulty levels use the "
        f"{', '.join(styles) or 'plain'} styles listed in 'type'"
    )
    notes.append(
        "layers: automatic thought at trust >= 4, rules at trust >= 6, "
        + ("beliefs when low at trust >= 7, " if during else "")
        + "core belief at trust >= 8 (with insight); the whole model is in learning.after"
    )
    return PsiMapping(persona, scenario, notes)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _clause(text: str) -> str:
    text = text.strip().rstrip(".!?")
    return (text[:1].lower() + text[1:])[:70] if text else "a difficult moment"
