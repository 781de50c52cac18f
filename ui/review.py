"""The studio's Review tab: read sessions with their debriefs, comment on turns, export.

:class:`ReviewDesk` holds the plain handlers (tests call them without a browser);
:func:`review_tab` lays the tab out and wires it, inside the studio's ``gr.Tabs``.

Who sees what (:class:`simulator.review.Reviewers`): everyone reads their own sessions;
a reviewer named in ``rehearse serve --reviewers FILE`` also reads the sessions of the
users assigned to them. Every handler checks it again for the session id it is given,
and a session someone may not read is answered like one that does not exist. The tab
reads and annotates; practising stays the owner's (the Practise tab's own check). The
same is open to scripts as named endpoints: ``/review_sessions``, ``/review_session``
and ``/add_comment``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from simulator.errors import RehearseError, UnknownSession
from simulator.review import (
    Reviewed,
    Reviewers,
    add_comment,
    annotated_json,
    annotated_markdown,
    reviewable,
    reviewed,
    session_label,
)
from simulator.store import Comment, SessionInfo
from simulator.transcript import USER
from ui import render
from ui.handlers import NO_SESSION, Studio, owner_of

__all__ = ["ReviewDesk", "ReviewView", "review_tab"]

ALL = ""  # the scenario filter's "every scenario"


@dataclass(frozen=True)
class ReviewView:
    """One session opened for review."""

    session_id: str
    heading: str
    transcript: str  # Markdown: every line, each turn's comments under it
    debrief: str  # Markdown
    turns: list[tuple[str, int]]  # for the "comment on turn" picker
    comments: list[Comment] = field(default_factory=list)
    notice: str = ""


@dataclass
class ReviewDesk:
    """The Review tab's handlers over the studio's store and catalog."""

    studio: Studio
    reviewers: Reviewers | None = None

    # --- who may read what -------------------------------------------------------------

    def _readable(self, session_id: str, request: gr.Request | None) -> SessionInfo:
        if not session_id:
            raise gr.Error("Choose a session in the list first.")
        viewer = owner_of(request)
        try:
            info = self.studio.store.get(str(session_id))
        except UnknownSession:
            raise gr.Error(NO_SESSION) from None
        if info.owner not in (self.reviewers or Reviewers()).owners_visible_to(viewer):
            raise gr.Error(NO_SESSION)  # the same answer as for an id that does not exist
        return info

    def _session(self, session_id: str, request: gr.Request | None) -> Reviewed:
        return reviewed(self.studio.store, self.studio.catalog, self._readable(session_id, request))

    # --- listing -----------------------------------------------------------------------

    def intro(self, request: gr.Request | None) -> str:
        viewer = owner_of(request)
        if self.reviewers and self.reviewers.is_reviewer(viewer):
            names = ", ".join(sorted(self.reviewers.assigned[viewer]))
            return f"You review the sessions of {render.escape(names)}, and see your own."
        return "Your sessions, by scenario and date. Comment on any turn, then export."

    def scenarios(self, request: gr.Request | None) -> list[tuple[str, str]]:
        """(title, id) of the scenarios the viewer has sessions of, after "All scenarios"."""
        seen = {
            s.scenario_id: s.title
            for s in reviewable(self.studio.store, owner_of(request), self.reviewers)
        }
        return [("All scenarios", ALL), *sorted((t, i) for i, t in seen.items())]

    def sessions(
        self, scenario_id: str | None, request: gr.Request | None
    ) -> list[tuple[str, str]]:
        """(label, id) of the sessions the viewer may read, by scenario and then date."""
        store = self.studio.store
        found = reviewable(store, owner_of(request), self.reviewers, scenario_id or None)
        return [(session_label(s, store.comments(s.id)), s.id) for s in found]

    # --- reading and commenting --------------------------------------------------------

    def open(self, session_id: str, request: gr.Request | None, notice: str = "") -> ReviewView:
        session = self._session(session_id, request)
        info = session.info
        day = time.strftime("%d %b %Y, %H:%M", time.localtime(info.created))
        whose = f" · {render.escape(info.owner)}" if info.owner else ""
        heading = (
            f"### {render.escape(info.title)}\n<span class='meta'>{day}{whose} · "
            f"{info.difficulty} · {info.status}, {info.turns} turn(s)</span>"
        )
        debrief = (
            _debrief_markdown(session.debrief)
            if session.debrief
            else "_Not finished yet: there is no debrief._"
        )
        return ReviewView(
            session_id=info.id,
            heading=heading,
            transcript=_transcript_markdown(session),
            debrief=debrief,
            turns=[(_turn_label(session, t), t) for t in session.turns],
            comments=session.comments,
            notice=notice,
        )

    def comment(
        self, session_id: str, turn: int | None, text: str, request: gr.Request | None
    ) -> ReviewView:
        """Add the viewer's comment to one turn; the session is shown again with it."""
        if turn is None or turn == "":
            raise gr.Error("Choose the turn the comment is about.")
        session = self._session(session_id, request)
        try:
            added = add_comment(self.studio.store, session, turn, owner_of(request), text)
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        return self.open(session_id, request, notice=f"Comment added to turn {added.turn}.")

    # --- the named API for scripts (gradio_client): the same checks as the tab ------------

    def api_review_sessions(self, scenario_id: str, request: gr.Request) -> list[dict[str, Any]]:
        """Sessions the caller may review ("" for every scenario), by scenario then date."""
        store = self.studio.store
        found = reviewable(store, owner_of(request), self.reviewers, scenario_id or None)
        return [{**s.as_dict(), "comments": len(store.comments(s.id))} for s in found]

    def api_review_session(self, session_id: str, request: gr.Request) -> dict[str, Any]:
        """One session as the annotated JSON export: session, transcript, debrief, comments."""
        return dict(json.loads(annotated_json(self._session(session_id, request))))

    def api_add_comment(
        self, session_id: str, turn: int, text: str, request: gr.Request
    ) -> dict[str, Any]:
        """Comment on one turn of a session the caller may review; returns the comment."""
        session = self._session(session_id, request)
        try:
            added = add_comment(self.studio.store, session, turn, owner_of(request), text)
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        return added.as_dict()

    def export(self, session_id: str, request: gr.Request | None) -> tuple[Path, Path]:
        """The annotated transcript as Markdown and JSON files to download."""
        session = self._session(session_id, request)
        info = session.info
        # The session's own download folder: deleting the session removes these too.
        folder = self.studio._download_folder(info.id)
        stem = f"rehearse-{info.scenario_id}-{info.id}-annotated"
        markdown, json_file = folder / f"{stem}.md", folder / f"{stem}.json"
        markdown.write_text(annotated_markdown(session), encoding="utf-8")
        json_file.write_text(annotated_json(session), encoding="utf-8")
        return markdown, json_file


def _turn_label(session: Reviewed, turn: int) -> str:
    if turn == 0:
        return "Turn 0: the opening"
    said = next((ln.text for ln in session.lines if ln.turn == turn and ln.speaker == USER), "")
    short = said if len(said) <= 48 else said[:47] + "…"
    return f"Turn {turn}: {short}"


def _comment_markdown(comment: Comment) -> str:
    when = time.strftime("%d %b %Y, %H:%M", time.localtime(comment.created))
    author = render.escape(comment.author or "you")
    text = render.escape(comment.text).replace("\n", "  \n> ")
    return f"> 💬 **{author}**, {when}: {text}"


def _transcript_markdown(session: Reviewed) -> str:
    notes: dict[int, list[Comment]] = {}
    for comment in session.comments:
        notes.setdefault(comment.turn, []).append(comment)
    out: list[str] = []
    for index, line in enumerate(session.lines):
        out.append(f"**{render.escape(line.name)}** · turn {line.turn}: {render.escape(line.text)}")
        out.append("")
        following = session.lines[index + 1] if index + 1 < len(session.lines) else None
        if following is None or following.turn != line.turn:
            for comment in notes.pop(line.turn, []):
                out += [_comment_markdown(comment), ""]
    for rest in notes.values():  # turns no longer on the current branch (a rewind)
        out += [_comment_markdown(c) + " _(on a turn later rewound)_" for c in rest]
    return "\n".join(out) or "_No lines yet._"


def _debrief_markdown(debrief: dict[str, Any]) -> str:
    parts = render.debrief_sections(debrief)
    return "\n\n".join(
        parts[key] for key in ("goals", "try_instead", "next", "moves") if parts.get(key)
    )


def review_tab(desk: ReviewDesk) -> None:
    """The Review tab; call inside the studio's ``gr.Tabs`` (see :func:`ui.app.create_app`)."""
    cheap: dict[str, Any] = {"concurrency_limit": None, "api_visibility": "private"}
    with gr.Tab("Review", id="review") as tab:
        intro = gr.Markdown(elem_id="review-intro")
        with gr.Row(equal_height=True):
            scenario = gr.Dropdown(
                choices=[("All scenarios", ALL)],
                value=ALL,
                label="Scenario",
                scale=3,
                elem_id="review-scenario",
            )
            refresh = gr.Button("Refresh", scale=1)
        listed = gr.Radio(choices=[], label="Sessions", elem_id="review-sessions")
        open_btn = gr.Button("Open transcript", variant="primary", elem_id="review-open")
        opened = gr.State("")  # the session on screen: comments and exports are about it
        with gr.Column(visible=False, elem_id="review-view") as view:
            heading = gr.Markdown(elem_id="review-heading")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, elem_classes="card"):
                    transcript = gr.Markdown(elem_id="review-transcript")
                with gr.Column(scale=2, elem_classes="side"):
                    turn = gr.Dropdown(choices=[], label="Comment on turn", elem_id="review-turn")
                    text = gr.Textbox(
                        label="Comment", lines=3, max_lines=10, elem_id="review-comment"
                    )
                    add_btn = gr.Button("Add comment", elem_id="review-add")
                    notice = gr.Markdown(elem_classes="notice", elem_id="review-notice")
                    debrief = gr.Markdown(elem_id="review-debrief", elem_classes="moves")
            export_btn = gr.Button("Export annotated transcript", elem_id="review-export")
            with gr.Row():
                md_file = gr.File(
                    label="Markdown", visible=False, interactive=False, elem_id="review-md"
                )
                json_file = gr.File(
                    label="JSON", visible=False, interactive=False, elem_id="review-json"
                )

    def on_show(chosen: str, request: gr.Request) -> tuple[Any, ...]:
        choices = desk.scenarios(request)
        value = chosen if chosen in {c[1] for c in choices} else ALL
        return (
            desk.intro(request),
            gr.Dropdown(choices=choices, value=value),
            gr.Radio(choices=desk.sessions(value, request), value=None),
        )

    def on_scenario(chosen: str, request: gr.Request) -> Any:
        return gr.Radio(choices=desk.sessions(chosen, request), value=None)

    def show(v: ReviewView, *, clear_text: bool) -> tuple[Any, ...]:
        return (
            v.session_id,
            gr.Column(visible=True),
            v.heading,
            v.transcript,
            gr.Dropdown(choices=v.turns, value=v.turns[-1][1] if v.turns else None),
            "" if clear_text else gr.skip(),
            v.notice,
            v.debrief,
            gr.File(value=None, visible=False),
            gr.File(value=None, visible=False),
        )

    def on_open(sid: str, request: gr.Request) -> tuple[Any, ...]:
        return show(desk.open(sid, request), clear_text=True)

    def on_add(sid: str, which: int | None, words: str, request: gr.Request) -> tuple[Any, ...]:
        return show(desk.comment(sid, which, words, request), clear_text=True)

    def on_export(sid: str, request: gr.Request) -> tuple[Any, Any]:
        files = desk.export(sid, request)
        return tuple(gr.File(value=str(path), visible=True) for path in files)

    shown = [opened, view, heading, transcript, turn, text, notice, debrief, md_file, json_file]
    for trigger in (tab.select, refresh.click):
        trigger(on_show, scenario, [intro, scenario, listed], **cheap)
    scenario.input(on_scenario, scenario, listed, **cheap)
    open_btn.click(on_open, listed, shown, **cheap)
    add_btn.click(on_add, [opened, turn, text], shown, **cheap)
    export_btn.click(on_export, opened, [md_file, json_file], **cheap)

    # Named endpoints, so a supervisor's script can do what the tab does. Inside the tab:
    # gr.Tabs takes only tabs as children, and an endpoint is a (hidden) component.
    with tab:
        gr.api(desk.api_review_sessions, api_name="review_sessions", concurrency_limit=None)
        gr.api(desk.api_review_session, api_name="review_session", concurrency_limit=None)
        gr.api(desk.api_add_comment, api_name="add_comment", concurrency_limit=None)
