"""The Author tab: write a scenario in a guided form or as YAML, preview, try it, save it.

What the author edits (the form, its YAML, the live check, the prompt preview) is
:mod:`ui.author_form`. While the YAML does not parse, the form waits rather than
overwrite it: nothing the author typed is ever replaced, and starting something else
sets an unsaved draft aside rather than dropping it.

A test run plays the draft through a second :class:`~ui.handlers.Studio` whose store is
a private temporary file and whose catalog holds only drafts: nothing is saved, and the
author's own session list stays clean.

Saving, versions, drafts and bundles are :mod:`simulator.authoring`'s; the handlers here
(:class:`Author`) only translate. Like :class:`ui.handlers.Studio`, they take plain values
plus the ``gr.Request`` and return plain values, so tests call them without a browser.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from simulator.authoring.bundle import export_bundle
from simulator.authoring.importing import apply_plan, plan_import
from simulator.authoring.workspace import Draft, Workspace
from simulator.catalog import Catalog, Entry
from simulator.errors import RehearseError, ScenarioFileError
from simulator.schema import CATEGORIES, Persona, Scenario
from simulator.store import SessionStore
from ui import render
from ui.author_form import (
    FORM_FIELDS,
    GOAL_COLUMNS,
    REVEAL_COLUMNS,
    STATE_COLUMNS,
    Form,
    Preview,
    apply_form,
    as_text,
    blank_template,
    check_text,
    dump_yaml,
    duplicate_data,
    form_from_data,
    form_from_values,
    form_values,
    ordered,
    parse_data,
    plain,
    preview,
    problems_markdown,
    values_for_reveal,
)
from ui.handlers import DebriefView, Practice, Studio, owner_of

__all__ = [
    "KEPT_DRAFTS",
    "MAX_SLIDERS",
    "Author",
    "Editor",
    "SaveResult",
    "author_tab",
    "draft_id",
]

MAX_SLIDERS = 8  # hidden variables the preview offers sliders for (the rest stay at start)
KEPT_DRAFTS = 10  # set-aside drafts kept per user (the oldest go)

# --- the handlers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Editor:
    """The editor at one moment: the YAML text, the form's view of it, the verdict."""

    text: str
    form: Form | None  # None: the YAML does not parse, so the form keeps what it shows
    verdict: str  # Markdown: valid, or each problem with its line, field and fix
    valid: bool
    variables: list[tuple[str, float, float, float]]  # (name, min, max, start) for sliders
    reveals: list[tuple[str, str]]  # (label, reveal id)
    characters: list[tuple[str, str]]  # (name, persona id)
    difficulty: str = "medium"  # the scenario's own default, for the preview
    notice: str = ""
    scenario_id: str = ""  # the id the text gives, valid or not (names its saved versions)


@dataclass(frozen=True)
class SaveResult:
    """What a save did, for the page."""

    scenario_id: str
    notice: str
    versions: list[tuple[str, str]]  # (label, stamp), newest first


def draft_id(owner: str) -> str:
    """The draft file of one signed-in user (one draft each; without --auth, one in all)."""
    if not owner:
        return "author"
    # A hash, not the name: any user name maps to a valid, distinct file name.
    return "author-" + hashlib.sha256(owner.encode("utf-8")).hexdigest()[:24]


class Author:
    """The Author tab's handlers over a :class:`~ui.handlers.Studio` and a :class:`Workspace`.

    Test runs go through ``self.tryouts``, a Studio of their own: a temporary store (the
    draft's practice is not the author's practice history) and a catalog that holds only
    the drafts being tried, each under an id of its own so two authors never share one.
    """

    def __init__(self, studio: Studio, workspace: Workspace | None = None) -> None:
        self.studio = studio
        self.workspace = workspace or Workspace()
        folder = Path(tempfile.mkdtemp(prefix="rehearse-tryouts-"))
        store = SessionStore(folder / "tryouts.sqlite")
        self.tryouts = Studio(
            store,
            studio.model,
            Catalog(),
            model_name=studio.model_name,
            assessor=studio.assessor,
            model_slots=studio.model_slots,
        )
        # One limit on model calls for practice and test runs together.
        self.tryouts._slots = studio._slots
        self._tried: dict[str, str] = {}  # owner: the id their current test run uses
        self._lock = threading.Lock()
        self._drafts_lock = threading.Lock()
        self._tickets = 0
        self._written: dict[str, int] = {}  # owner: ticket of the edit their draft holds
        self._pristine: dict[str, str] = {}  # owner: the text their draft was opened with
        weakref.finalize(self, _close_tryouts, store, folder)

    # --- reading the draft ----------------------------------------------------------

    @property
    def personas(self) -> dict[str, Persona]:
        """Personas a draft may name: the studio's catalog (bundled and the user's)."""
        return dict(self.studio.catalog.personas)

    def editor(self, text: str, *, form: bool = True, notice: str = "") -> Editor:
        """Check ``text`` and describe it for the page."""
        check = check_text(self.workspace, text, self.personas)
        scenario = check.scenario
        variables: list[tuple[str, float, float, float]] = []
        reveals: list[tuple[str, str]] = []
        characters: list[tuple[str, str]] = []
        if scenario is not None:
            variables = [
                (name, var.min, var.max, var.start) for name, var in scenario.variables().items()
            ]
            reveals = [(f"{r.id}: when {r.when}", r.id) for r in scenario.reveals]
            characters = [
                (scenario.persona(m.persona_id).name, m.persona_id) for m in scenario.cast
            ]
        return Editor(
            text=text,
            form=form_from_data(check.data, self.personas) if form and check.data else None,
            verdict=problems_markdown(check.issues),
            valid=scenario is not None,
            variables=variables,
            reveals=reveals,
            characters=characters,
            difficulty=scenario.difficulty.default if scenario is not None else "medium",
            notice=notice,
            scenario_id=as_text(check.data.get("id")) if check.data else "",
        )

    def _ticket(self) -> int:
        """A number in the order edits arrive, so an older edit never overwrites a newer one."""
        with self._drafts_lock:
            self._tickets += 1
            return self._tickets

    def _keep(self, text: str, request: gr.Request | None, ticket: int | None = None) -> None:
        owner = owner_of(request)
        ticket = ticket if ticket is not None else self._ticket()
        try:
            # One write at a time, newest wins: keystroke events of one page may run at
            # once and finish out of order (and the workspace's temporary file name is
            # per process, not per write).
            with self._drafts_lock:
                if ticket < self._written.get(owner, 0):
                    return  # a later edit is already kept
                self.workspace.save_draft(draft_id(owner), text)
                self._written[owner] = ticket
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None

    # --- earlier drafts -------------------------------------------------------------

    def _replace(self, text: str, request: gr.Request | None) -> str:
        """Make ``text`` the draft; an unsaved draft it replaces is set aside, not lost.

        Returns what the notice should add about it.
        """
        owner = owner_of(request)
        current = self.workspace.load_draft(draft_id(owner))
        kept = ""
        if current and current.strip() and not self._needs_no_copy(owner, current):
            now = time.time()
            name = f"{draft_id(owner)}.{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}"
            name += f"-{int(now * 1e6) % 1_000_000:06d}"
            with self._drafts_lock:
                self.workspace.save_draft(name, current)
            for old in self._set_aside(owner)[KEPT_DRAFTS:]:
                self.workspace.delete_draft(old.draft_id)
            kept = " Your previous draft is kept under Earlier drafts."
        self._keep(text, request)
        self._pristine[owner] = text
        return kept

    def _needs_no_copy(self, owner: str, text: str) -> bool:
        """Whether a draft is untouched since it was opened, or saved word for word."""
        if text == self._pristine.get(owner):
            return True
        scenario_id = as_text((parse_data(text) or {}).get("id"))
        if not _ID.match(scenario_id):
            return False
        return any(v.text() == text for v in self.workspace.versions("scenario", scenario_id))

    def _set_aside(self, owner: str) -> list[Draft]:
        prefix = draft_id(owner) + "."
        mine = [d for d in self.workspace.drafts() if d.draft_id.startswith(prefix)]
        return sorted(mine, key=lambda d: d.draft_id, reverse=True)  # the name holds the time

    def earlier_drafts(self, request: gr.Request | None) -> list[tuple[str, str]]:
        """(label, draft id) of the requesting user's set-aside drafts, newest first."""
        out = []
        for draft in self._set_aside(owner_of(request)):
            title = as_text((parse_data(draft.text()) or {}).get("title")) or "untitled"
            when = time.strftime("%d %b %H:%M", time.localtime(draft.updated))
            out.append((f"{title} ({when})", draft.draft_id))
        return out

    def open_draft(self, name: str | None, request: gr.Request | None) -> Editor:
        """Bring a set-aside draft back; the one it replaces is set aside in turn."""
        owner = owner_of(request)
        # Only the requesting user's own: another user's draft id is not found either.
        if not name or name not in {d.draft_id for d in self._set_aside(owner)}:
            raise gr.Error("Choose one of your earlier drafts first.")
        text = self.workspace.load_draft(name) or ""
        kept = self._replace(text, request)
        self.workspace.delete_draft(name)
        return self.editor(text, notice="Your earlier draft is back." + kept)

    def resume(self, request: gr.Request | None) -> Editor:
        """The requesting user's draft as they left it (a reload, a restart), or a template."""
        text = self.workspace.load_draft(draft_id(owner_of(request)))
        if text is None:
            return self.editor(dump_yaml(blank_template(self._taken())))
        return self.editor(text, notice="Your draft is back as you left it.")

    def _taken(self) -> set[str]:
        return {s.id for s in self.studio.catalog.scenarios} | set(
            self.workspace.ids("scenario", "user")
        )

    # --- starting points ------------------------------------------------------------

    def start_blank(self, request: gr.Request | None) -> Editor:
        """A complete small scenario whose every field says what belongs in it."""
        text = dump_yaml(blank_template(self._taken()))
        kept = self._replace(text, request)
        return self.editor(text, notice="A new scenario from the template." + kept)

    def start_empty(self, request: gr.Request | None) -> Editor:
        """An empty form to fill in; the check lists what is still missing."""
        empty = apply_form({}, Form(category="difficult-conversation"), self.personas)
        text = dump_yaml(empty)
        kept = self._replace(text, request)
        return self.editor(text, notice="An empty form: fill it in from the top." + kept)

    def start_copy(self, scenario_id: str | None, request: gr.Request | None) -> Editor:
        """A copy of a bundled or saved scenario under a new id, its characters inline."""
        if not scenario_id:
            raise gr.Error("Choose a scenario to copy first.")
        try:
            scenario = self.studio.catalog.get(scenario_id)
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        text = dump_yaml(duplicate_data(scenario, self._taken()))
        kept = self._replace(text, request)
        return self.editor(text, notice=f"A copy of “{scenario.title}”, ready to change." + kept)

    def copy_choices(self) -> list[tuple[str, str]]:
        return [(f"{s.title} ({s.id})", s.id) for s in self.studio.catalog.scenarios]

    # --- editing --------------------------------------------------------------------

    def edit_yaml(self, text: str, request: gr.Request | None) -> Editor:
        """The author typed in the YAML view: keep the draft, check it, refill the form."""
        ticket = self._ticket()
        text = text or ""
        self._keep(text, request, ticket)
        return self.editor(text)

    def edit_form(self, text: str, form: Form, request: gr.Request | None) -> Editor:
        """The author changed the form: write it into the YAML, keeping what it does not show.

        While the YAML does not parse the form cannot be merged into it, and the YAML is
        left exactly as it is (the author's text is never replaced by a guess).
        """
        ticket = self._ticket()
        data = parse_data(text or "")
        if data is None:
            editor = self.editor(text or "", form=False)
            return dataclasses.replace(
                editor,
                notice="The YAML has a problem the form cannot work around; fix it there "
                "first (see below). Your form changes are waiting.",
            )
        merged = apply_form(data, form, self.personas)
        if "id" not in merged and form.title.strip():
            # Until the author picks one, the id follows the title (and is free).
            merged = ordered(
                {**merged, "id": self.workspace.free_id("scenario", form.title)},
                tuple(Scenario.model_fields),
            )
        new = dump_yaml(merged)
        self._keep(new, request, ticket)
        return self.editor(new, form=False)

    # --- the prompt preview ---------------------------------------------------------

    def _scenario(self, text: str) -> Scenario:
        check = check_text(self.workspace, text or "", self.personas)
        if check.scenario is None:
            raise gr.Error("Fix the problems listed under the YAML first.")
        return check.scenario

    def preview(
        self,
        text: str,
        difficulty: str,
        persona_id: str | None,
        values: Mapping[str, float] | None = None,
    ) -> Preview:
        """The character's prompt at the start, and with these hidden values."""
        scenario = self._scenario(text)
        known = {m.persona_id for m in scenario.cast}
        who = persona_id if persona_id in known else None
        variables = scenario.variables()
        clipped = {
            k: min(max(float(v), variables[k].min), variables[k].max)
            for k, v in (values or {}).items()
            if k in variables and v is not None
        }
        return preview(scenario, difficulty, clipped, who)

    def reveal_values(self, text: str, reveal_id: str | None) -> dict[str, float]:
        """Hidden values under which this reveal's condition holds (for the sliders)."""
        scenario = self._scenario(text)
        if not reveal_id:
            return scenario.start_state()
        return values_for_reveal(scenario, reveal_id)

    # --- test runs ------------------------------------------------------------------

    def try_start(self, text: str, difficulty: str, request: gr.Request | None) -> Practice:
        """Play the draft as it is now, unsaved, with the studio's model."""
        scenario = self._scenario(text)
        owner = owner_of(request)
        run_id = f"{scenario.id}-try-{secrets.token_hex(4)}"[:100]
        trial = scenario.model_copy(update={"id": run_id})
        with self._lock:
            old = self._tried.get(owner)
            catalog = self.tryouts.catalog
            kept = [e for e in catalog.entries if e.scenario is None or e.scenario.id != old]
            catalog.entries = [*kept, Entry(Path(f"<draft {run_id}>"), "draft", trial)]
            self._tried[owner] = run_id
        return self.tryouts.start(run_id, difficulty or scenario.difficulty.default, request)

    def try_send(self, session_id: str, line: str, request: gr.Request | None) -> Any:
        """A line in the test run; the reply streams in like in practice."""
        yield from self.tryouts.send(session_id, line, request)

    def try_presence(
        self, session_id: str, who: str | None, invite: bool, request: gr.Request | None
    ) -> Practice:
        """Invite a character of the test run in (the first time it opens), or step it back."""
        act = self.tryouts.invite if invite else self.tryouts.step_back
        return act(session_id, who or "", request)

    def try_end(self, session_id: str, request: gr.Request | None) -> DebriefView:
        return self.tryouts.end(session_id, request)

    # --- saving and versions --------------------------------------------------------

    def save(self, text: str, request: gr.Request | None) -> SaveResult:
        """Save the draft into the user's folder; the catalog (and so the list) reloads."""
        text = text or ""
        self._keep(text, request)
        try:
            saved = self.workspace.save(text, "scenario", personas=self.personas)
        except ScenarioFileError as exc:
            raise gr.Error(
                "Not saved: " + "; ".join(_problem_words(p) for p in exc.problems[:3])
            ) from None
        except RehearseError as exc:
            raise gr.Error(f"Not saved: {exc}") from None
        self.studio.catalog = self.studio.catalog.reload()
        listed = any(s.id == saved.item_id for s in self.studio.catalog.scenarios)
        where = "It is in the practice list now." if listed else _NOT_LISTED
        kept = " The previous version is kept under Versions." if saved.replaced else ""
        return SaveResult(
            saved.item_id,
            f"Saved “{saved.item_id}” to your scenarios. {where}{kept}",
            self.versions(saved.item_id),
        )

    def versions(self, scenario_id: str | None) -> list[tuple[str, str]]:
        """(label, stamp) of every saved version of a scenario of the user's, newest first."""
        if not scenario_id or not _ID.match(scenario_id):
            return []
        kept = self.workspace.versions("scenario", scenario_id)
        return [
            (
                f"#{len(kept) - i} · "
                + time.strftime("%d %b %Y %H:%M:%S", time.localtime(v.saved_at))
                + (" (current)" if i == 0 else ""),
                v.stamp,
            )
            for i, v in enumerate(kept)
        ]

    def version_text(self, scenario_id: str, stamp: str | None) -> str:
        """One saved version's text, to read before restoring it."""
        if not stamp:
            return ""
        try:
            return self.workspace.version("scenario", scenario_id, stamp).text()
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None

    def restore(self, scenario_id: str, stamp: str | None, request: gr.Request | None) -> Editor:
        """Make an earlier version current again (a save itself, so it can be undone too)."""
        if not stamp:
            raise gr.Error("Choose a version to restore first.")
        try:
            saved = self.workspace.restore("scenario", scenario_id, stamp)
        except RehearseError as exc:
            raise gr.Error(f"Not restored: {exc}") from None
        self.studio.catalog = self.studio.catalog.reload()
        text = saved.path.read_text(encoding="utf-8")
        kept = self._replace(text, request)
        return self.editor(
            text,
            notice="The version is restored and saved; the one it replaced is kept too." + kept,
        )

    # --- export and import ----------------------------------------------------------

    def export(self, text: str) -> Path:
        """The saved scenario the draft names, with the personas it uses, as one YAML file."""
        check = check_text(self.workspace, text or "", self.personas)
        scenario_id = check.data.get("id") if check.data else None
        known = isinstance(scenario_id, str) and self.workspace.origin("scenario", scenario_id)
        if not known:
            raise gr.Error("Save the scenario first: an export carries the saved version.")
        try:
            bundle = export_bundle(self.workspace, scenario_id)
        except RehearseError as exc:
            raise gr.Error(f"Not exported: {exc}") from None
        target = self.studio._download_folder() / f"{scenario_id}.rehearse.yaml"
        target.write_text(bundle, encoding="utf-8")
        saved = parse_data(self.workspace.source_text("scenario", scenario_id))
        if saved != check.data:  # compared as data: saving may lay the YAML out anew
            gr.Warning(
                f"This exports the saved version of {scenario_id!r}: the changes in the "
                "editor since it was saved are not in the file. Save them first to include them."
            )
        return target

    def import_file(self, path: str | Path | None, request: gr.Request | None) -> Editor:
        """Import a bundle, a scenario or persona file, a character card or a Patient-Ψ model.

        Everything it holds is saved to the user's folders (ids already taken get free
        ones, nothing is overwritten) and its scenario opens in the editor.
        """
        if not path:
            raise gr.Error("Choose a file to import.")
        try:
            plan = plan_import(Path(path), self.workspace)
            saved = apply_plan(plan, self.workspace, on_clash="rename")
        except RehearseError as exc:
            raise gr.Error(f"Not imported: {exc}") from None
        self.studio.catalog = self.studio.catalog.reload()
        scenarios = [s for s in saved if s.kind == "scenario"]
        names = ", ".join(f"{s.kind} “{s.item_id}”" for s in saved)
        notes = "".join(f"\n- {note}" for note in plan.notes)
        notice = f"Imported and saved to your folder: {names}." + (
            f"\n\nWhat could not be carried over:{notes}" if notes else ""
        )
        if not scenarios:
            return dataclasses.replace(self.resume(request), notice=notice)
        text = scenarios[0].path.read_text(encoding="utf-8")
        notice += self._replace(text, request)
        return self.editor(text, notice=notice)


_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NOT_LISTED = (
    "This studio lists scenarios from other folders, so it appears after a restart "
    "without those options."
)


def _problem_words(problem: Any) -> str:
    where = f"line {problem.line}, " if problem.line else ""
    field_name = f"{problem.field}: " if problem.field else ""
    return f"{where}{field_name}{plain(problem.message)}"


def _cast_label(member: render.Member) -> str:
    where = "waiting outside" if member.waiting else "here" if member.present else "stepped back"
    return f"{member.name} ({where})"


def _close_tryouts(store: SessionStore, folder: Path) -> None:
    store.close()
    shutil.rmtree(folder, ignore_errors=True)


# --- the tab ----------------------------------------------------------------------------


def author_tab(
    demo: gr.Blocks,
    author: Author,
    *,
    category: gr.Radio,
    scenes: gr.Radio,
    cheap: Mapping[str, Any],
    heavy: Mapping[str, Any],
) -> None:
    """The Author tab (built inside the page's ``gr.Tabs``), wired to ``author``.

    ``category`` and ``scenes`` are the Choose tab's lists: a save refreshes them, so the
    new scenario can be practised at once. ``cheap`` and ``heavy`` are the page's event
    settings; test runs call the model, so they are ``heavy``.
    """
    with gr.Tab("Author", id="author"):
        _author_tab(demo, author, category, scenes, cheap, heavy)


def _author_tab(
    demo: gr.Blocks,
    author: Author,
    category: gr.Radio,
    scenes: gr.Radio,
    cheap: Mapping[str, Any],
    heavy: Mapping[str, Any],
) -> None:
    studio = author.studio
    gr.Markdown(
        "Write a scenario in the form or as YAML; each updates the other. It is checked "
        "as you type, and your draft is kept as you type (a reload or a restart brings it "
        "back). Nothing is saved to your scenarios until you press Save.",
        elem_classes="meta",
    )
    with gr.Row(equal_height=True):
        blank_btn = gr.Button("New from the template", size="md", elem_id="author-blank")
        empty_btn = gr.Button("New from an empty form", size="md", elem_id="author-empty")
        copy_pick = gr.Dropdown(
            author.copy_choices(),
            value=None,
            label="Or copy an existing scenario",
            scale=2,
            elem_id="author-copy-pick",
        )
        copy_btn = gr.Button("Copy it", size="md", elem_id="author-copy")
    with gr.Row(equal_height=True):
        drafts_pick = gr.Dropdown(
            [],
            value=None,
            label="Earlier drafts (set aside when you started something else)",
            scale=3,
            elem_id="author-drafts",
        )
        drafts_btn = gr.Button("Open it", size="md", elem_id="author-open-draft")
    notice = gr.Markdown(elem_classes="notice", elem_id="author-notice")

    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=360):
            with gr.Accordion("The situation", open=True):
                f_title = gr.Textbox(label="Title", elem_id="f-title")
                f_id = gr.Textbox(
                    label="Id (its file name: lower-case letters, digits and '-')",
                    placeholder="made from the title until you write one",
                    elem_id="f-id",
                )
                f_category = gr.Dropdown(list(CATEGORIES), label="Category", elem_id="f-category")
                f_summary = gr.Textbox(
                    label="Summary (shown before starting)", lines=2, elem_id="f-summary"
                )
                f_user_role = gr.Textbox(label="Who the person practising is", elem_id="f-role")
                f_setting = gr.Textbox(label="Where and when", elem_id="f-setting")
            with gr.Accordion("The character", open=True):
                gr.Markdown(
                    "With several characters the form shows the first; the others are in the YAML.",
                    elem_classes="meta",
                )
                f_name = gr.Textbox(label="Name", elem_id="f-name")
                f_who = gr.Textbox(label="Role: who they are to the person", elem_id="f-who")
                f_background = gr.Textbox(
                    label="Personality and background", lines=2, elem_id="f-background"
                )
                f_voice = gr.Textbox(label="Voice: how they speak", elem_id="f-voice")
                f_wants = gr.Textbox(label="Wants (one a line)", lines=2, elem_id="f-wants")
                f_fears = gr.Textbox(label="Fears (one a line)", lines=2, elem_id="f-fears")
                f_pressure = gr.Textbox(label="When pushed or cornered", elem_id="f-pressure")
                f_opening = gr.Textbox(label="Their first line", elem_id="f-opening")
            with gr.Accordion("Goals and how success looks", open=True):
                f_goals = _table(GOAL_COLUMNS, "f-goals")
            with gr.Accordion("Hidden state (ranges and where they start)", open=True):
                f_state = _table(STATE_COLUMNS, "f-state")
            with gr.Accordion("Reveals (facts said only once a condition holds)", open=True):
                f_reveals = _table(REVEAL_COLUMNS, "f-reveals")
            with gr.Accordion("Difficulty and end", open=True):
                f_difficulty = gr.Radio(
                    ["easy", "medium", "hard"], label="Difficulty", elem_id="f-difficulty"
                )
                f_max_turns = gr.Number(label="Most turns", precision=0, elem_id="f-max-turns")
                f_end_when = gr.Textbox(
                    label="Ends by itself when (optional condition)", elem_id="f-end-when"
                )
        with gr.Column(scale=1, min_width=360):
            yaml_code = gr.Code(
                language="yaml",
                label="YAML (editing the form rewrites it; comments are not kept)",
                lines=30,
                max_lines=60,
                interactive=True,
                elem_id="author-yaml",
            )
            verdict = gr.Markdown(elem_id="author-check")

    fields = {
        "id": f_id,
        "title": f_title,
        "category": f_category,
        "summary": f_summary,
        "user_role": f_user_role,
        "setting": f_setting,
        "name": f_name,
        "who": f_who,
        "background": f_background,
        "voice": f_voice,
        "wants": f_wants,
        "fears": f_fears,
        "under_pressure": f_pressure,
        "opening_line": f_opening,
        "goals": f_goals,
        "state": f_state,
        "reveals": f_reveals,
        "difficulty": f_difficulty,
        "max_turns": f_max_turns,
        "end_when": f_end_when,
    }
    form_components = [fields[name] for name in FORM_FIELDS]

    with gr.Accordion("Preview the character's prompt", open=False, elem_id="author-preview"):
        gr.Markdown(
            "The exact system prompt the character gets at the start. Move the hidden "
            "values, or pick a reveal, to see how it changes when a condition holds.",
            elem_classes="meta",
        )
        with gr.Row():
            p_level = gr.Radio(["easy", "medium", "hard"], value="medium", label="Difficulty")
            p_character = gr.Dropdown([], label="Character", elem_id="p-character")
            p_reveal = gr.Dropdown([], label="Show with a reveal active", elem_id="p-reveal")
        slider_names = gr.State([])
        sliders = [
            gr.Slider(0, 10, value=0, label=f"value {i}", visible=False, elem_id=f"p-slider-{i}")
            for i in range(MAX_SLIDERS)
        ]
        p_show = gr.Button("Show the prompt", size="md", elem_id="p-show")
        p_changes = gr.Markdown(elem_id="p-changes")
        p_prompt = gr.Textbox(
            label="System prompt", lines=16, max_lines=40, interactive=False, elem_id="p-prompt"
        )

    with gr.Accordion("Test run (not saved)", open=False, elem_id="author-try"):
        trial = gr.State("")
        t_start = gr.Button("Test-run this draft", variant="primary", elem_id="t-start")
        t_chat = gr.Chatbot(
            show_label=False, height=360, feedback_options=None, buttons=[], elem_id="t-chat"
        )
        t_notice = gr.Markdown(elem_classes="notice", elem_id="t-notice")
        with gr.Row(equal_height=True):
            t_text = gr.Textbox(
                placeholder="What would you say?", show_label=False, scale=5, elem_id="t-say"
            )
            t_send = gr.Button("Send", scale=1, min_width=90, elem_id="t-send")
            t_end = gr.Button("End & debrief", scale=1, min_width=90, elem_id="t-end")
        with gr.Row(equal_height=True, visible=False) as t_cast_row:
            t_who = gr.Dropdown([], label="Who", scale=3, elem_id="t-who")
            t_invite = gr.Button("Invite", size="md", elem_id="t-invite")
            t_step_back = gr.Button("Step back", size="md", elem_id="t-step-back")
        t_debrief = gr.Markdown(elem_id="t-debrief")

    with gr.Accordion("Save and versions", open=True, elem_id="author-save"):
        with gr.Row(equal_height=True):
            s_save = gr.Button("Save to my scenarios", variant="primary", elem_id="s-save")
        s_notice = gr.Markdown(elem_id="s-notice")
        saved_id = gr.State("")
        with gr.Row(equal_height=True):
            s_versions = gr.Dropdown([], label="Saved versions", scale=3, elem_id="s-versions")
            s_restore = gr.Button("Restore this version", size="md", elem_id="s-restore")
        s_version_text = gr.Code(language="yaml", label="That version", interactive=False)

    with gr.Accordion("Share: export and import", open=False, elem_id="author-share"):
        gr.Markdown(
            "Export writes the saved scenario and the personas it uses into one YAML file. "
            "Import takes such a file, a scenario or persona file, a SillyTavern character "
            "card (JSON or PNG) or a Patient-Ψ cognitive model, saves it to your folder "
            "(taken ids get free ones) and opens its scenario here.",
            elem_classes="meta",
        )
        with gr.Row(equal_height=True):
            e_export = gr.Button("Export as one YAML file", size="md", elem_id="e-export")
            e_import = gr.UploadButton(
                "Import a file…",
                file_types=[".yaml", ".yml", ".json", ".png"],
                type="filepath",
                size="md",
                elem_id="e-import",
            )
        e_file = gr.File(label="Your export", visible=False, elem_id="e-file")

    # --- views into components ------------------------------------------------------

    controls = [p_level, p_character, p_reveal, slider_names, *sliders]

    def show_controls(editor: Editor) -> list[Any]:
        if not editor.valid:
            return [gr.skip()] * len(controls)
        shown = editor.variables[:MAX_SLIDERS]
        out: list[Any] = [
            editor.difficulty,
            gr.Dropdown(choices=editor.characters, value=editor.characters[0][1]),
            gr.Dropdown(choices=[("(none: the start)", ""), *editor.reveals], value=""),
            [name for name, *_ in shown],
        ]
        for i in range(MAX_SLIDERS):
            if i < len(shown):
                name, low, high, start = shown[i]
                out.append(
                    gr.Slider(
                        minimum=low,
                        maximum=high,
                        value=start,
                        step=(high - low) / 20 if high - low < 5 else 0.5,
                        label=name,
                        visible=True,
                    )
                )
            else:
                out.append(gr.Slider(visible=False))
        return out

    def show_editor(editor: Editor, *, text: bool, form: bool) -> tuple[Any, ...]:
        if form and editor.form is not None:
            form_out = form_values(editor.form)
        else:
            form_out = [gr.skip()] * len(form_components)
        return (
            editor.text if text else gr.skip(),
            *form_out,
            editor.verdict,
            editor.notice,
            *show_controls(editor),
        )

    editor_outputs = [yaml_code, *form_components, verdict, notice, *controls]
    # A newly opened text also brings the saved versions of its id (if it has any).
    # ...and the drafts set aside, one of which it may have just become.
    opened_outputs = [*editor_outputs, saved_id, s_versions, drafts_pick]

    def show_opened(editor: Editor, request: gr.Request) -> tuple[Any, ...]:
        return (
            *show_editor(editor, text=True, form=True),
            editor.scenario_id,
            gr.Dropdown(choices=author.versions(editor.scenario_id), value=None),
            gr.Dropdown(choices=author.earlier_drafts(request), value=None),
        )

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        return show_opened(author.resume(request), request)

    def on_blank(request: gr.Request) -> tuple[Any, ...]:
        return show_opened(author.start_blank(request), request)

    def on_empty(request: gr.Request) -> tuple[Any, ...]:
        return show_opened(author.start_empty(request), request)

    def on_copy(scenario_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        return show_opened(author.start_copy(scenario_id, request), request)

    def on_open_draft(name: str | None, request: gr.Request) -> tuple[Any, ...]:
        return show_opened(author.open_draft(name, request), request)

    def on_yaml(text: str, request: gr.Request) -> tuple[Any, ...]:
        # Not the YAML itself: rewriting it would move the cursor under the author's hands.
        return show_editor(author.edit_yaml(text, request), text=False, form=True)

    def on_form(request: gr.Request, text: str, *values: Any) -> tuple[Any, ...]:
        editor = author.edit_form(text, form_from_values(values), request)
        # Not the form: the author is typing in it.
        return show_editor(editor, text=True, form=False)

    demo.load(on_load, None, opened_outputs, **cheap)
    blank_btn.click(on_blank, None, opened_outputs, **cheap)
    empty_btn.click(on_empty, None, opened_outputs, **cheap)
    copy_btn.click(on_copy, copy_pick, opened_outputs, **cheap)
    drafts_btn.click(on_open_draft, drafts_pick, opened_outputs, **cheap)
    # "always_last": while one check runs, keystrokes coalesce into the next one.
    typing = {**cheap, "trigger_mode": "always_last", "show_progress": "hidden"}
    yaml_code.input(on_yaml, yaml_code, editor_outputs, **typing)
    for component in form_components:
        component.input(on_form, [yaml_code, *form_components], editor_outputs, **typing)

    # --- preview --------------------------------------------------------------------

    def on_preview(text: str, level: str, who: str, names: list[str], *values: float) -> Any:
        shown = author.preview(text, level, who, dict(zip(names, values, strict=False)))
        if shown.changes:
            listing = "\n".join(shown.changes)
            active = ", ".join(shown.revealed) or "none"
            changes = (
                f"**Changed from the start** (reveals active: {active}):\n\n```diff\n{listing}\n```"
            )
        else:
            changes = "**This is the prompt at the start.** Move a value to see what changes."
        return changes, shown.prompt

    def on_reveal(text: str, reveal_id: str, names: list[str]) -> list[Any]:
        values = author.reveal_values(text, reveal_id)
        return [gr.Slider(value=values.get(name)) for name in names] + [gr.skip()] * (
            MAX_SLIDERS - len(names)
        )

    preview_inputs = [yaml_code, p_level, p_character, slider_names, *sliders]
    p_show.click(on_preview, preview_inputs, [p_changes, p_prompt], **cheap)
    p_reveal.input(on_reveal, [yaml_code, p_reveal, slider_names], sliders, **cheap).then(
        on_preview, preview_inputs, [p_changes, p_prompt], **cheap
    )
    for slider in sliders:
        slider.release(on_preview, preview_inputs, [p_changes, p_prompt], **cheap)
    p_level.input(on_preview, preview_inputs, [p_changes, p_prompt], **cheap)
    p_character.input(on_preview, preview_inputs, [p_changes, p_prompt], **cheap)

    # --- test run -------------------------------------------------------------------

    def show_cast(view: Practice) -> tuple[Any, Any]:
        # Scenes with several characters: who can be invited in or asked to step back.
        who = [(_cast_label(m), m.persona_id) for m in view.cast]
        return gr.Row(visible=bool(who)), gr.Dropdown(choices=who, value=None)

    def on_try(text: str, level: str, request: gr.Request) -> tuple[Any, ...]:
        view = author.try_start(text, level, request)
        return view.session_id, view.chat, view.notice, "", "", *show_cast(view)

    def on_presence(invite: bool) -> Any:
        def presence(sid: str, who: str | None, request: gr.Request) -> tuple[Any, ...]:
            view = author.try_presence(sid, who, invite, request)
            return view.chat, view.notice, *show_cast(view)

        return presence

    def on_try_send(sid: str, line: str, request: gr.Request) -> Any:
        for view in author.try_send(sid, line, request):
            draft = gr.skip() if view.draft is None else view.draft
            yield view.chat, gr.skip() if view.notice is None else view.notice, draft

    def on_try_end(sid: str, request: gr.Request) -> str:
        return render.escape(author.try_end(sid, request).text).replace("\n", "  \n")

    t_start.click(
        on_try,
        [yaml_code, f_difficulty],
        [trial, t_chat, t_notice, t_text, t_debrief, t_cast_row, t_who],
        **heavy,
    )
    presence_outputs = [t_chat, t_notice, t_cast_row, t_who]
    t_invite.click(on_presence(True), [trial, t_who], presence_outputs, **cheap)
    t_step_back.click(on_presence(False), [trial, t_who], presence_outputs, **cheap)
    stream = {**heavy, "show_progress": "hidden"}
    t_send.click(on_try_send, [trial, t_text], [t_chat, t_notice, t_text], **stream)
    t_text.submit(on_try_send, [trial, t_text], [t_chat, t_notice, t_text], **stream)
    t_end.click(on_try_end, trial, t_debrief, **heavy)

    # --- save and versions ----------------------------------------------------------

    def on_save(text: str, request: gr.Request) -> tuple[Any, ...]:
        result = author.save(text, request)
        return (
            result.notice,
            result.scenario_id,
            gr.Dropdown(choices=result.versions, value=None),
            gr.Dropdown(choices=author.copy_choices()),
            *_choose_lists(result.scenario_id),
        )

    def _choose_lists(selected: str | None) -> tuple[Any, Any]:
        names = ["All"] + [
            render.CATEGORY_NAMES.get(c, c)
            for c in dict.fromkeys(s.category for s in studio.catalog.scenarios)
        ]
        return (
            gr.Radio(choices=names, value="All"),
            gr.Radio(choices=studio.scenario_choices("All"))
            if selected is None
            else gr.Radio(choices=studio.scenario_choices("All"), value=selected),
        )

    def on_pick_version(sid: str, stamp: str | None) -> str:
        return author.version_text(sid, stamp)

    def on_restore(sid: str, stamp: str | None, request: gr.Request) -> tuple[Any, ...]:
        editor = author.restore(sid, stamp, request)
        return (*show_opened(editor, request), *_choose_lists(sid))

    s_save.click(
        on_save,
        yaml_code,
        [s_notice, saved_id, s_versions, copy_pick, category, scenes],
        **cheap,
    )
    s_versions.input(on_pick_version, [saved_id, s_versions], s_version_text, **cheap)
    s_restore.click(
        on_restore,
        [saved_id, s_versions],
        [*opened_outputs, category, scenes],
        **cheap,
    )

    def on_export(text: str) -> Any:
        return gr.File(value=str(author.export(text)), visible=True)

    def on_import(path: str | None, request: gr.Request) -> tuple[Any, ...]:
        return (
            *show_opened(author.import_file(path, request), request),
            gr.Dropdown(choices=author.copy_choices()),
            *_choose_lists(None),
        )

    e_export.click(on_export, yaml_code, e_file, **cheap)
    e_import.upload(on_import, e_import, [*opened_outputs, copy_pick, category, scenes], **cheap)


def _table(columns: list[str], elem_id: str) -> gr.Dataframe:
    return gr.Dataframe(
        headers=columns,
        datatype=["str"] * len(columns),
        column_count=len(columns),
        row_count=1,
        type="array",
        interactive=True,
        wrap=True,
        elem_id=elem_id,
    )
