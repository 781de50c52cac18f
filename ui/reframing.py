"""The studio's "Reframe a thought" tab: name the traps, weigh the thought, rewrite it.

:class:`ReframingDesk` holds the plain handlers (a unit test calls them without a
browser); :func:`reframing_tab` lays the tab out inside the studio's ``gr.Tabs`` and
wires it. The flow is the one in :mod:`simulator.reframing`: a situation and a thought
(typed, or one of the user's own lines from an earlier session), the thinking traps in
it (offline rules; a capable model, when the studio has one, explains them), questions
about the evidence, and a reframe checked for balance. Every click saves what is on the
page to the user's reframe journal, so nothing written is lost; ``gr.State`` holds only
the reframe's id and where its thought came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.reframing import (
    Reframe,
    ReframeJournal,
    check_reframe,
    crisis_check,
    name_traps,
    questions,
    session_lines,
)
from simulator.store import SessionStore
from ui.handlers import owner_of

__all__ = ["ANSWER_IDS", "ReframingDesk", "reframing_tab"]

# The answer boxes on the page, in order; "trap_questions" answers the per-trap ones.
ANSWER_IDS = ("evidence_for", "evidence_against", "friend", "other_view", "trap_questions")
_INTRO = (
    "Bring a situation and a thought that troubles you. Rehearse names the thinking traps "
    "in it, asks a few questions about the evidence, and checks that your reframe is "
    "balanced rather than falsely positive. A reflective exercise, not therapy; what you "
    "write is saved on this computer as you go."
)


@dataclass
class ReframingDesk:
    """Plain handlers over the user's sessions and reframe journal."""

    store: SessionStore
    catalog: Catalog
    explainer: Any | None = None  # a capable chat model, or None: the rules explain
    journal: ReframeJournal = field(default_factory=ReframeJournal)

    # --- a thought from a practice session ---------------------------------------------

    def session_choices(self, request: gr.Request | None = None) -> list[tuple[str, str]]:
        return [
            (f"{s.title} ({s.turns} turns)", s.id)
            for s in self.store.list(owner=owner_of(request))
            if s.turns > 0
        ]

    def line_choices(
        self, session_id: str | None, request: gr.Request | None = None
    ) -> list[tuple[str, int]]:
        if not session_id:
            return []
        lines = session_lines(self.store, self.catalog, session_id, owner_of(request))
        return [(f"{turn}. {text[:90]}", turn) for turn, text in lines]

    def use_line(
        self, session_id: str | None, turn: int | None, request: gr.Request | None = None
    ) -> tuple[str, str, dict[str, Any] | None]:
        """(thought, situation, source) for the chosen line."""
        if not session_id or turn is None:
            raise RehearseError("Choose a session and one of your lines in it first.")
        owner = owner_of(request)
        info = self.store.get(session_id, owner=owner)
        lines = dict(session_lines(self.store, self.catalog, session_id, owner))
        if int(turn) not in lines:
            raise RehearseError(f"There is no line of yours at turn {turn}.")
        source = {"session_id": info.id, "turn": int(turn), "title": info.title}
        return lines[int(turn)], f"In practice: {info.title}", source

    # --- the exercise ------------------------------------------------------------------

    def _record(self, reframe_id: str, request: gr.Request | None) -> Reframe:
        owner = owner_of(request)
        return self.journal.get(reframe_id, owner) if reframe_id else self.journal.new(owner)

    def name(
        self,
        reframe_id: str,
        situation: str,
        thought: str,
        source: dict[str, Any] | None,
        request: gr.Request | None = None,
    ) -> tuple[str, str, str]:
        """Save the thought and name its traps: (reframe id, traps markdown, questions)."""
        if not thought.strip():
            raise RehearseError("Write the thought first (or take one of your lines).")
        record = self._record(reframe_id, request)
        if record.thought and record.thought != thought.strip():
            record = self.journal.new(owner_of(request))  # another thought: keep the first
        record.situation, record.thought = situation.strip(), thought.strip()
        record.source = source
        self.journal.save(record)
        alarm = crisis_check(record.situation, record.thought)
        if alarm:
            return record.id, alarm.replace("\n", "  \n"), ""
        reading = name_traps(record.thought, self.explainer)
        record.traps, record.explanations = reading.traps, reading.explanations
        record.explained_by = reading.explained_by
        self.journal.save(record)
        return (
            record.id,
            traps_markdown(record, reading.fallback_reason),
            questions_markdown(record.traps),
        )

    def check(
        self, reframe_id: str, reframe: str, *answers: str, request: gr.Request | None = None
    ) -> tuple[str, str]:
        """Save the answers and the reframe and check it: (reframe id, feedback markdown)."""
        return self._save(reframe_id, reframe, answers, request, finish=False)

    def finish(
        self, reframe_id: str, reframe: str, *answers: str, request: gr.Request | None = None
    ) -> tuple[str, str]:
        """Save everything as a finished reframe: (reframe id, the whole record)."""
        return self._save(reframe_id, reframe, answers, request, finish=True)

    def _save(
        self,
        reframe_id: str,
        reframe: str,
        answers: tuple[str, ...],
        request: gr.Request | None,
        finish: bool,
    ) -> tuple[str, str]:
        if not reframe_id:
            raise RehearseError("Name the traps in your thought first.")
        record = self._record(reframe_id, request)
        record.answers.update(
            {qid: (text or "").strip() for qid, text in zip(ANSWER_IDS, answers, strict=False)}
        )
        record.reframe = reframe.strip()
        self.journal.save(record)
        alarm = crisis_check(*answers, reframe)
        if alarm:
            return record.id, alarm.replace("\n", "  \n")
        result = check_reframe(record.thought, record.reframe)
        record.check = {
            "balanced": result.balanced,
            "traps": result.traps,
            "too_positive": result.too_positive,
            "notes": result.notes,
        }
        if finish:
            if not record.reframe:
                raise RehearseError("Write your reframe before saving it.")
            record.status = "finished"
        self.journal.save(record)
        if finish:
            return record.id, "Saved.\n\n" + record.markdown()
        return record.id, "\n".join(f"- {note}" for note in result.notes)

    def saved(self, request: gr.Request | None = None) -> str:
        records = self.journal.list(owner_of(request))
        if not records:
            return "No reframes saved yet."
        return "\n\n---\n\n".join(r.markdown() for r in records[:20])


def traps_markdown(record: Reframe, fallback_reason: str = "") -> str:
    if not record.traps:
        return (
            "**No thinking trap found.** The thought may already be balanced; the questions "
            "below can still help you look at it."
        )
    lines = ["**Thinking traps in this thought**"]
    lines += [f"- **{t}**: {record.explanations[t]}" for t in record.traps]
    if fallback_reason:
        lines.append("\n*The model could not explain them just now; these are the offline rules'.*")
    return "\n".join(lines)


def questions_markdown(traps: list[str]) -> str:
    specific = [q for q in questions(traps) if q.id.startswith("trap:")]
    if not specific:
        return ""
    return "**Questions for these traps**\n" + "\n".join(
        f"- *{q.id.removeprefix('trap:')}*: {q.text}" for q in specific
    )


def reframing_tab(desk: ReframingDesk, cheap: dict[str, Any], heavy: dict[str, Any]) -> None:
    """The tab, inside the caller's ``gr.Tabs``; ``heavy`` events may call the model."""
    general = {q.id: q.text for q in questions([])}
    with gr.Tab("Reframe a thought", id="reframe") as tab:
        reframe_id = gr.State("")
        source = gr.State(None)
        gr.Markdown(_INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, elem_classes="card"):
                situation = gr.Textbox(label="The situation", lines=2, elem_id="rf-situation")
                thought = gr.Textbox(
                    label="The thought that troubles you", lines=2, elem_id="rf-thought"
                )
                name_btn = gr.Button("Name the thinking traps", variant="primary")
            with (
                gr.Column(scale=2, elem_classes="side"),
                gr.Accordion("Or take a line you said in a practice session", open=False),
            ):
                session_pick = gr.Dropdown(choices=[], label="Session", elem_id="rf-session")
                line_pick = gr.Dropdown(choices=[], label="Your line", elem_id="rf-line")
                use_btn = gr.Button("Use this line", size="sm")
        notice = gr.Markdown(elem_classes="notice", elem_id="rf-notice")
        traps_md = gr.Markdown(elem_id="rf-traps")
        with gr.Column(elem_classes="card"):
            boxes = [
                gr.Textbox(label=general[qid], lines=2, elem_id=f"rf-{qid}")
                for qid in ANSWER_IDS[:4]
            ]
            trap_questions = gr.Markdown(elem_id="rf-trap-questions")
            boxes.append(gr.Textbox(label="Your answers to these", lines=2, elem_id="rf-trapq"))
            reframe = gr.Textbox(
                label="Your reframe: a balanced version of the thought, in your own words",
                lines=3,
                elem_id="rf-reframe",
            )
            with gr.Row():
                check_btn = gr.Button("Check my reframe")
                save_btn = gr.Button("Save", variant="primary")
            feedback = gr.Markdown(elem_id="rf-feedback")
        with gr.Accordion("Your saved reframes", open=False):
            saved_md = gr.Markdown(elem_id="rf-saved")

    def on_tab(request: gr.Request) -> tuple[Any, str]:
        return gr.Dropdown(choices=desk.session_choices(request), value=None), desk.saved(request)

    def on_session(session_id: str | None, request: gr.Request) -> tuple[Any, str]:
        try:
            return gr.Dropdown(choices=desk.line_choices(session_id, request), value=None), ""
        except RehearseError as exc:
            return gr.skip(), str(exc)

    def on_use(session_id: str | None, turn: int | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            text, where, src = desk.use_line(session_id, turn, request)
        except RehearseError as exc:
            return (*(gr.skip(),) * 4, str(exc))
        return text, where, src, "", ""  # a new thought: a new reframe record

    def on_name(
        rid: str, where: str, text: str, src: dict[str, Any] | None, request: gr.Request
    ) -> tuple[Any, ...]:
        try:
            return (*desk.name(rid, where, text, src, request), "")
        except RehearseError as exc:
            return (*(gr.skip(),) * 3, str(exc))

    def on_check(rid: str, text: str, *rest: Any) -> tuple[Any, ...]:
        *answers, request = rest
        try:
            return (*desk.check(rid, text, *answers, request=request), "")
        except RehearseError as exc:
            return gr.skip(), gr.skip(), str(exc)

    def on_save(rid: str, text: str, *rest: Any) -> tuple[Any, ...]:
        *answers, request = rest
        try:
            return (*desk.finish(rid, text, *answers, request=request), "")
        except RehearseError as exc:
            return gr.skip(), gr.skip(), str(exc)

    def on_saved(request: gr.Request) -> str:
        return desk.saved(request)

    tab.select(on_tab, None, [session_pick, saved_md], **cheap)
    session_pick.change(on_session, session_pick, [line_pick, notice], **cheap)
    use_btn.click(
        on_use,
        [session_pick, line_pick],
        [thought, situation, source, reframe_id, notice],
        **cheap,
    )
    name_btn.click(
        on_name,
        [reframe_id, situation, thought, source],
        [reframe_id, traps_md, trap_questions, notice],
        **heavy,
    )
    check_btn.click(
        _with_request(on_check),
        [reframe_id, reframe, *boxes],
        [reframe_id, feedback, notice],
        **cheap,
    )
    save_btn.click(
        _with_request(on_save),
        [reframe_id, reframe, *boxes],
        [reframe_id, feedback, notice],
        **cheap,
    ).then(on_saved, None, saved_md, **cheap)


def _with_request(fn: Any) -> Any:
    """``fn(reframe_id, reframe, *answers, request)`` with a signature Gradio can read.

    Gradio passes the request to a parameter annotated ``gr.Request``; it cannot find one
    behind ``*args``, so the five answer boxes are spelled out.
    """

    def handler(
        rid: str,
        text: str,
        a1: str,
        a2: str,
        a3: str,
        a4: str,
        a5: str,
        request: gr.Request,
    ) -> Any:
        return fn(rid, text, a1, a2, a3, a4, a5, request)

    return handler
