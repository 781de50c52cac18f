"""``rehearse import``: a card, a Patient-Psi model, a bundle or a YAML file, made ours.

Importing happens in two steps, so that nothing is written unless everything is valid:
:func:`plan_import` reads the file into scenario and persona *items* (with notes on
what could not be mapped), and :func:`apply_plan` checks every item, settles id
clashes, and saves them through the :class:`~simulator.authoring.workspace.Workspace`
(so a replaced file keeps its history).

Clashes: an item whose id is already used by a different scenario or persona is
refused (:class:`ImportClash` says which and what to do), renamed to a free id, or,
for the user's own files only and when asked, overwritten. A bundled file is never
overwritten. A persona identical to one already here is simply reused. Items made up
by the import itself (from a card or a cognitive model) take a free id without asking:
the id was never the author's choice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulator.authoring.bundle import is_bundle, read_bundle
from simulator.authoring.workspace import Kind, Saved, Workspace, detect_kind, slug
from simulator.authoring.yamltext import dump
from simulator.errors import Problem, RehearseError, ScenarioFileError
from simulator.loader import MAX_FILE_BYTES, MAX_NODES, parse_yaml
from simulator.schema import CATEGORIES, Persona, TechniqueNote

__all__ = ["ImportClash", "Item", "Plan", "apply_plan", "plan_import"]

OnClash = Literal["refuse", "rename", "overwrite"]
MAX_IMPORT_BYTES = 32 * 1024 * 1024


class ImportClash(RehearseError):
    """Ids in the imported file are already used; nothing was written."""

    def __init__(self, clashes: list[tuple[Kind, str, str]]) -> None:
        self.clashes = clashes
        lines = [f"{kind} {item_id!r} {where}" for kind, item_id, where in clashes]
        super().__init__(
            "Nothing imported: these ids are already used:\n  "
            + "\n  ".join(lines)
            + "\nImport with --rename to give them free ids"
            + (
                ", or --overwrite to replace your own (earlier versions are kept)."
                if any("your" in where for _, _, where in clashes)
                else "."
            )
        )


@dataclass
class Item:
    """One scenario or persona to save: its data, and its text as written if it has one."""

    kind: Kind
    data: dict[str, Any]
    text: str | None = None  # the author's own text (comments kept) unless renamed
    first_line: int = 1  # where ``text`` starts in the imported file
    generated: bool = False  # made up by the import: may take a free id without asking

    @property
    def item_id(self) -> str:
        return str(self.data.get("id", ""))

    def yaml(self, comment: str | None) -> str:
        return self.text if self.text is not None else dump(self.data, comment)


@dataclass
class Plan:
    """What an import would write, and what it could not map."""

    source: str
    format: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def scenarios(self) -> list[Item]:
        return [i for i in self.items if i.kind == "scenario"]

    @property
    def personas(self) -> list[Item]:
        return [i for i in self.items if i.kind == "persona"]

    @property
    def technique_notes(self) -> list[Item]:
        return [i for i in self.items if i.kind == "note"]


# --- reading ----------------------------------------------------------------------------


def plan_import(
    path: Path,
    workspace: Workspace | None = None,
    *,
    category: str = "difficult-conversation",
    style: str | None = None,
) -> Plan:
    """Read ``path`` (card JSON/PNG, Patient-Psi JSON, bundle or YAML) into a plan.

    Reading needs no workspace (``workspace`` is accepted for callers that pass the one
    the plan is for); ids are settled against it by :func:`apply_plan`.
    """
    from simulator.authoring import cards, patient_psi  # only what an import needs

    file = str(path)
    if category not in CATEGORIES:
        raise RehearseError(f"--category must be one of {', '.join(CATEGORIES)}, not {category!r}.")
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise RehearseError(f"{file}: {size:,} bytes; the limit is {MAX_IMPORT_BYTES:,}.")
        raw = path.read_bytes()
    except OSError as exc:
        raise RehearseError(f"{file}: cannot read: {exc.strerror}") from None
    if cards.is_png(raw):
        return _plan_card(cards.card_from_bytes(raw, file), file, category)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioFileError(
            [Problem(file, line, None, "not UTF-8 text, nor a PNG character card")]
        ) from None
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioFileError(
                [Problem(file, exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]
            ) from None
        if patient_psi.looks_like_patient_psi(data):
            return _plan_psi(patient_psi.models_from_json(text, file), file, style)
        return _plan_card(cards.card_from_json(data, file), file, category)
    if len(raw) > MAX_FILE_BYTES * 8:
        raise RehearseError(f"{file}: too large for a scenario bundle.")
    if is_bundle(text):
        plan = Plan(file, "bundle")
        for document in read_bundle(text, file):
            data = parse_yaml(document.text, file).data
            plan.items.append(Item(document.kind, data, document.text, document.first_line))
        return plan
    data = parse_yaml(text, file).data
    kind = detect_kind(data)
    return Plan(file, kind, [Item(kind, data, text)])


def _plan_card(card: Any, file: str, category: str) -> Plan:
    from simulator.authoring.cards import map_card

    base = slug(card.data["name"]) or "character"
    mapping = map_card(card, base, f"talking-with-{base}", Path(file).name, category)
    plan = Plan(file, card.spec, notes=mapping.notes)
    plan.items = [
        Item("persona", mapping.persona, generated=True),
        Item("scenario", mapping.scenario, generated=True),
    ]
    return plan


def _plan_psi(models: list[dict[str, Any]], file: str, style: str | None) -> Plan:
    from simulator.authoring.patient_psi import map_model

    plan = Plan(file, "patient-psi")
    for model in models:
        base = slug(model["name"]) or "client"
        suffix = slug(str(model.get("id", ""))) if model.get("id") is not None else ""
        persona_id = f"{base}-{suffix}" if suffix else base
        mapping = map_model(model, persona_id, f"cbt-{persona_id}", Path(file).name, style)
        plan.items += [
            Item("persona", mapping.persona, generated=True),
            Item("scenario", mapping.scenario, generated=True),
        ]
        label = f"{model['name']}" + (f" ({model['id']})" if model.get("id") else "")
        plan.notes += [f"{label}: {note}" for note in mapping.notes]
    return plan


# --- checking and writing ---------------------------------------------------------------


def _same(model: type[Persona] | type[TechniqueNote], data: dict[str, Any], existing: Any) -> bool:
    """Whether ``data`` is, field for field, the persona or note already here."""
    if existing is None:
        return False
    try:
        return model.model_validate(data) == existing
    except ValueError:
        return False


def _rename_note(plan: Plan, old: str, new: str) -> None:
    """Point every scenario of the plan at the technique note's new id."""
    for item in plan.scenarios:
        learning = item.data.get("learning")
        techniques = learning.get("techniques") if isinstance(learning, dict) else None
        if isinstance(techniques, list) and old in techniques:
            learning["techniques"] = [new if t == old else t for t in techniques]
            item.text = None


def _mappings(value: Any) -> list[dict[str, Any]]:
    """The mappings in a list (ids are settled before validation: the data may be odd)."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _rename_persona(plan: Plan, old: str, new: str) -> None:
    """Point every scenario of the plan at the persona's new id."""
    qualified = re.compile(rf"(?<![\w.-]){re.escape(old)}\.")
    for item in plan.scenarios:
        data = item.data
        changed = False
        for member in _mappings(data.get("cast")):
            if member.get("persona") == old:
                member["persona"], changed = new, True
            relationships = member.get("relationships")
            if isinstance(relationships, dict) and old in relationships:
                relationships[new] = relationships.pop(old)
                changed = True
        for reveal in _mappings(data.get("reveals")):
            if reveal.get("character") == old:
                reveal["character"], changed = new, True
        holders = [*_mappings(data.get("goals")), *_mappings(data.get("reveals"))]
        for holder in [*holders, *_mappings(data.get("end"))]:
            for key in ("met_when", "when"):
                if isinstance(holder.get(key), str) and qualified.search(holder[key]):
                    holder[key], changed = qualified.sub(f"{new}.", holder[key]), True
        if changed:
            item.text = None  # re-written from the data


def _where(workspace: Workspace, kind: Kind, item_id: str) -> str | None:
    if item_id in workspace.ids(kind, "bundled"):
        return "is bundled with Rehearse"
    path = workspace.ids(kind, "user").get(item_id)
    return f"is one of yours ({path})" if path else None


def _settle_ids(plan: Plan, workspace: Workspace, on_clash: OnClash) -> None:
    known = {"persona": workspace.personas(), "note": workspace.notes()}
    models = {"persona": Persona, "note": TechniqueNote}
    clashes: list[tuple[Kind, str, str]] = []
    keep: list[Item] = []
    # Notes and personas first: their renames reach the scenarios that name them.
    for item in plan.technique_notes + plan.personas + plan.scenarios:
        item_id = item.item_id
        where = _where(workspace, item.kind, item_id)
        if where is None:
            keep.append(item)
            continue
        if item.kind in models and _same(
            models[item.kind], item.data, known[item.kind].get(item_id)
        ):
            plan.notes.append(f"{item.kind} {item_id!r}: the same as the one here already; reused")
            continue
        if item.kind == "scenario" and item.text is not None and not item.generated:
            existing = workspace.source_text("scenario", item_id)
            if existing.strip() == item.text.strip():
                plan.notes.append(f"scenario {item_id!r}: the same as the one here already")
                continue
        if item.generated and workspace.source_text(item.kind, item_id).strip() == (
            item.yaml(_comment(plan)).strip()
        ):
            plan.notes.append(f"{item.kind} {item_id!r}: imported before, unchanged; kept as is")
            continue
        if item.generated or on_clash == "rename":
            new = workspace.free_id(item.kind, item_id)
            taken = {i.item_id for i in plan.items if i.kind == item.kind}
            while new in taken:  # free here, but another item of this import wants it
                new = workspace.free_id(item.kind, f"{new}-x")
            item.data["id"], item.text = new, None
            if item.kind == "persona":
                _rename_persona(plan, item_id, new)
            elif item.kind == "note":
                _rename_note(plan, item_id, new)
            if not item.generated:
                plan.notes.append(f"{item.kind} {item_id!r} {where}: imported as {new!r}")
        elif on_clash == "overwrite" and "bundled" not in where:
            plan.notes.append(f"{item.kind} {item_id!r}: replaces yours; the old one is kept")
        else:
            clashes.append((item.kind, item_id, where))
            continue
        keep.append(item)
    if clashes:
        raise ImportClash(clashes)
    plan.items = keep


def _fit(plan: Plan) -> None:
    """Drop the largest kept-verbatim fields of a generated file until it fits the limit.

    A card's lorebook or embedded extensions can be larger than a scenario file may be;
    the character never uses them, so they give way rather than the whole import.
    """
    for item in plan.items:
        if not item.generated:
            continue
        unmapped = (item.data.get("imported") or {}).get("unmapped") or {}
        while unmapped and (
            len(item.yaml(_comment(plan)).encode("utf-8")) > MAX_FILE_BYTES
            or _nodes(item.data) > MAX_NODES // 2
        ):
            largest = max(unmapped, key=lambda key: len(json.dumps(unmapped[key], default=str)))
            del unmapped[largest]
            plan.notes.append(
                f"{largest}: not kept; with it the {item.kind} file would pass the size "
                f"limits of a scenario file (the original file still has it)"
            )


def _nodes(value: Any) -> int:
    """How many YAML nodes ``value`` becomes (the loader caps them, against alias bombs)."""
    if isinstance(value, dict):
        return 1 + sum(1 + _nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_nodes(v) for v in value)
    return 1


def _comment(plan: Plan) -> str:
    return (
        f"Imported from {Path(plan.source).name} ({plan.format}) by `rehearse import`.\n"
        "Lines starting with TODO: are yours to write; `rehearse lint` lists them."
    )


def apply_plan(plan: Plan, workspace: Workspace, on_clash: OnClash = "refuse") -> list[Saved]:
    """Check every item, settle clashes, then save them all (notes, personas, scenarios).

    Raises :class:`ScenarioFileError` or :class:`ImportClash` with nothing written.
    """
    _fit(plan)
    _settle_ids(plan, workspace, on_clash)
    texts = {id(item): item.yaml(_comment(plan)) for item in plan.items}
    problems: list[Problem] = []
    notes: dict[str, TechniqueNote] = {}
    for item in plan.technique_notes:
        checked = workspace.check(texts[id(item)], "note", file=_label(plan, item))
        problems += _problems(checked.issues, item, plan)
        if checked.note is not None:
            notes[checked.note.id] = checked.note
    personas: dict[str, Persona] = {}
    for item in plan.personas:
        checked = workspace.check(texts[id(item)], "persona", file=_label(plan, item))
        problems += _problems(checked.issues, item, plan)
        if checked.persona is not None:
            personas[checked.persona.id] = checked.persona
    for item in plan.scenarios:
        checked = workspace.check(
            texts[id(item)], "scenario", file=_label(plan, item), personas=personas, notes=notes
        )
        problems += _problems(checked.issues, item, plan)
    if problems:
        raise ScenarioFileError(problems)
    saved = [workspace.save(texts[id(item)], "note") for item in plan.technique_notes]
    saved += [workspace.save(texts[id(item)], "persona") for item in plan.personas]
    saved += [workspace.save(texts[id(item)], "scenario") for item in plan.scenarios]
    return saved


def _label(plan: Plan, item: Item) -> str:
    # Text the author wrote keeps the file's name and lines; generated text is named
    # by what it became, since its lines exist only in the new file.
    if item.text is not None:
        return plan.source
    return f"{plan.source} (as {item.kind} {item.item_id!r})"


def _problems(issues: list[Any], item: Item, plan: Plan) -> list[Problem]:
    shift = item.first_line - 1 if item.text is not None else 0
    return [
        Problem(
            i.file,
            i.line + shift if i.line else None,
            i.field,
            i.message + (f"; {i.suggestion}" if i.suggestion else ""),
        )
        for i in issues
        if i.severity == "error"
    ]
