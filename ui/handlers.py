"""The studio's handlers: plain methods that :mod:`ui.app` wires to Gradio events.

They take small values (a session id, a turn number, a line of text) plus the
``gr.Request`` and return views (:class:`Practice`, :class:`DebriefView`) made of plain
data, so tests call them directly with fake models and no browser.

Privacy: a session's owner is the signed-in user name (``""`` without ``--auth``).
Every method that takes a session id opens it through :meth:`Studio.open`, which asks
the store for that id *and* that owner, so a forged or guessed id from another user is
an unknown session. Errors a person can act on are raised as ``gr.Error``; a model that
fails mid-turn is a warning plus a notice, and the user's line stays saved for Retry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import gradio as gr
import pandas as pd
from langchain_core.language_models import BaseChatModel

from simulator.catalog import Catalog
from simulator.errors import ModelUnavailable, RehearseError, UnknownSession
from simulator.report import debrief_text, export_json, export_markdown
from simulator.safety import safety_message
from simulator.session import Rehearsal, Status
from simulator.store import SessionInfo, SessionStore
from simulator.transcript import USER, Line
from ui import render

__all__ = ["FINISHED_NOTICE", "PAUSED_NOTICE", "DebriefView", "Practice", "Studio", "owner_of"]


def owner_of(request: gr.Request | None) -> str:
    """The signed-in user, or ``""`` when the studio runs without ``--auth``."""
    return (getattr(request, "username", None) or "") if request is not None else ""


@dataclass(frozen=True)
class Practice:
    """The practice room for one session at one moment."""

    session_id: str
    heading: str
    brief: str
    chat: list[dict[str, Any]]
    turns: list[tuple[str, int]]  # the user's turns, for the rewind picker
    versions: list[tuple[str, int]]  # every branch, for "Earlier versions"
    status: Status
    notice: str = ""
    draft: str | None = ""  # what the text box should hold; None leaves it alone
    partial: bool = False  # a streaming update: only the chat changed

    @property
    def finished(self) -> bool:
        return self.status == "finished"


@dataclass(frozen=True)
class DebriefView:
    """A finished session's debrief, ready for the page and for download."""

    session_id: str
    scenario_id: str
    difficulty: str
    sections: dict[str, str]
    chart: pd.DataFrame
    chart_range: list[float]  # the y axis: the scenario's lowest and highest possible values
    markdown_file: Path
    json_file: Path
    debrief: dict[str, Any]
    text: str


FINISHED_NOTICE = "The scene has come to its end. Your debrief is ready."
_CANNOT_SAY = {
    "interrupted": "The last turn did not finish. Press Retry to ask the model again.",
    "finished": "This session is finished; its debrief is on the Debrief tab.",
    "new": "This session never started. Start the scene again from the list.",
}
PAUSED_NOTICE = (
    "The practice is paused. Answer the check-in below, press “I'm safe, carry on”, or end "
    "the session. Support is at the top of the page."
)


@dataclass
class Studio:
    """Everything heavy the handlers share: the store, the model, the catalog."""

    store: SessionStore
    model: BaseChatModel
    catalog: Catalog
    model_name: str = ""
    assessor: Literal["model", "rules"] = "model"
    export_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="rehearse-exports-"))
    )
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        # Exported transcripts are private: they go when the studio goes.
        weakref.finalize(self, shutil.rmtree, self.export_dir, ignore_errors=True)

    # --- opening sessions ----------------------------------------------------------

    def open(self, session_id: str, request: gr.Request | None) -> tuple[Rehearsal, SessionInfo]:
        """The session, if it belongs to the requesting user; otherwise ``gr.Error``."""
        if not session_id:
            raise gr.Error("Choose a scene and start it first.")
        try:
            info = self.store.get(str(session_id), owner=owner_of(request))
        except UnknownSession:
            # The same answer whether the id does not exist or is someone else's.
            raise gr.Error("No session with that id. Your sessions are listed here.") from None
        try:
            scenario = self.catalog.get(info.scenario_id)
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        rehearsal = Rehearsal(self.store, info.id, scenario, self.model, assessor=self.assessor)
        return rehearsal, info

    @contextlib.contextmanager
    def exclusive(self, session_id: str) -> Iterator[None]:
        """One graph run at a time per session (two tabs, a double click)."""
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            yield

    # --- views ---------------------------------------------------------------------

    def practice(self, rehearsal: Rehearsal, info: SessionInfo, **changes: Any) -> Practice:
        lines = rehearsal.lines()
        state = rehearsal.state()
        difficulty = state.difficulty if state else info.difficulty
        scenario = rehearsal.scenario
        names = " and ".join(
            render.escape(scenario.persona(m.persona_id).name) for m in scenario.cast
        )
        status = rehearsal.status
        if status == "finished":
            progress = "finished"
        else:
            taken = state.turn if state else 0
            progress = f"your turn {taken + 1} of up to {scenario.end.max_turns}"
        heading = (
            f"## {render.escape(scenario.title)}\n"
            f"<span class='meta'>With {names} · {difficulty} · {progress}</span>"
        )
        view = Practice(
            session_id=rehearsal.session_id,
            heading=heading,
            brief=render.brief_markdown(scenario, difficulty),
            chat=render.chat_messages(lines),
            turns=render.turn_choices(lines),
            versions=self._versions(rehearsal),
            status=status,
        )
        if status == "paused":
            # The crisis screen paused the role-play: Rehearse speaks as itself, and the
            # message stays on screen (it is not part of the transcript) until resolved.
            view = dataclasses.replace(
                view, chat=[*view.chat, render.character_message("Rehearse", _pause(rehearsal))]
            )
            changes.setdefault("notice", PAUSED_NOTICE)
        if view.finished and "notice" not in changes:
            changes["notice"] = "This session is finished; its debrief is on the Debrief tab."
        return dataclasses.replace(view, **changes)

    @staticmethod
    def _versions(rehearsal: Rehearsal) -> list[tuple[str, int]]:
        branches = rehearsal.branches()
        return [
            (render.version_label(i, len(branches), lines), i) for i, lines in enumerate(branches)
        ]

    def debrief_view(self, rehearsal: Rehearsal, info: SessionInfo) -> DebriefView:
        debrief = rehearsal.debrief()
        if debrief is None:
            raise gr.Error("This session has no debrief yet; end the scene first.")
        lines = rehearsal.lines()
        meta = self.store.get(info.id).as_dict()
        stem = f"rehearse-{info.scenario_id}-{info.id}"
        markdown_file = self.export_dir / f"{stem}.md"
        json_file = self.export_dir / f"{stem}.json"
        markdown_file.write_text(export_markdown(meta, lines, debrief), encoding="utf-8")
        json_file.write_text(export_json(meta, lines, debrief), encoding="utf-8")
        return DebriefView(
            session_id=info.id,
            scenario_id=info.scenario_id,
            difficulty=str(debrief["difficulty"]),
            sections=render.debrief_sections(debrief),
            chart=render.chart_frame(debrief),
            chart_range=[
                min(v.min for v in rehearsal.scenario.state.values()),
                max(v.max for v in rehearsal.scenario.state.values()),
            ],
            markdown_file=markdown_file,
            json_file=json_file,
            debrief=debrief,
            text=debrief_text(debrief),
        )

    # --- choosing ------------------------------------------------------------------

    def scenario_choices(self, category: str = "All") -> list[tuple[str, str]]:
        """(title, id) of the scenarios in a category ("All" for every one)."""
        return [
            (s.title, s.id)
            for s in self.catalog.scenarios
            if category in ("All", "", None)
            or category in (s.category, render.CATEGORY_NAMES.get(s.category))
        ]

    def describe(self, scenario_id: str | None) -> tuple[str, str]:
        """The scenario's card and its suggested difficulty."""
        if not scenario_id:
            return "Choose a scene on the left to read about it.", "medium"
        try:
            scenario = self.catalog.get(scenario_id)
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        return render.scenario_card(scenario), scenario.difficulty.default

    def start(self, scenario_id: str, difficulty: str, request: gr.Request | None) -> Practice:
        """A new session: the scene opens and waits for the user's first line."""
        if not scenario_id:
            raise gr.Error("Choose a scene first.")
        try:
            scenario = self.catalog.get(scenario_id)
            rehearsal = Rehearsal.begin(
                self.store,
                scenario,
                self.model,
                difficulty=difficulty or None,
                model_name=self.model_name,
                owner=owner_of(request),
                assessor=self.assessor,
            )
            with self.exclusive(rehearsal.session_id):
                for _event in rehearsal.start():
                    pass
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        info = self.store.get(rehearsal.session_id)
        return self.practice(rehearsal, info)

    # --- practising ----------------------------------------------------------------

    def _stream(
        self,
        rehearsal: Rehearsal,
        info: SessionInfo,
        events: Iterator[dict[str, Any]],
        chat: list[dict[str, Any]],
        first: Practice,
    ) -> Iterator[Practice]:
        """Stream a run's events into the chat; end with the saved state."""
        chat = list(chat)
        speaker: str | None = None
        text = ""
        try:
            for event in events:
                if event["type"] == "token":
                    if speaker != event["speaker"]:
                        speaker, text = event["speaker"], ""
                        chat.append(render.character_message(event["name"], ""))
                    text += event["text"]
                    chat[-1] = render.character_message(event["name"], text)
                elif event["type"] == "line" and speaker == event["speaker"]:
                    chat[-1] = render.character_message(event["name"], event["text"])
                    speaker = None
                elif "text" in event:  # a whole line, or a notice from the engine
                    name = event.get("name") or "Rehearse"
                    chat.append(render.character_message(name, event["text"]))
                    speaker = None
                else:
                    continue
                yield dataclasses.replace(first, chat=list(chat), draft=None, partial=True)
        except ModelUnavailable as exc:
            message = f"{exc} Your line is saved: press Retry to ask again."
            gr.Warning(message)
            yield self.practice(rehearsal, info, notice=message, draft=None)
            return
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        view = self.practice(rehearsal, info, draft=None)
        if view.finished:
            view = dataclasses.replace(view, notice=FINISHED_NOTICE)
        elif view.status != "paused":
            view = dataclasses.replace(view, notice="")
        yield view

    def send(self, session_id: str, text: str, request: gr.Request | None) -> Iterator[Practice]:
        """The user's line; the character's reply streams in token by token."""
        rehearsal, info = self.open(session_id, request)
        text = (text or "").strip()
        if not text:
            raise gr.Error("Write what you would say first.")
        with self.exclusive(rehearsal.session_id):
            status = rehearsal.status
            if status not in ("awaiting_user", "paused"):
                raise gr.Error(_CANNOT_SAY[status])
            first = self.practice(rehearsal, info, draft="")
            chat = [*first.chat, {"role": "user", "content": text}]
            first = dataclasses.replace(first, chat=chat, notice="", partial=True)
            yield first
            yield from self._stream(rehearsal, info, rehearsal.say(text), chat, first)

    def retry(self, session_id: str, request: gr.Request | None) -> Iterator[Practice]:
        """Ask the model again for a turn that stopped half-way."""
        rehearsal, info = self.open(session_id, request)
        with self.exclusive(rehearsal.session_id):
            if rehearsal.status != "interrupted":
                raise gr.Error("There is nothing to retry.")
            first = self.practice(rehearsal, info, notice="", draft=None, partial=True)
            yield first
            yield from self._stream(rehearsal, info, rehearsal.retry(), first.chat, first)

    def confirm_safe(self, session_id: str, request: gr.Request | None) -> Practice:
        """The user says they are safe: the paused practice carries on."""
        rehearsal, info = self.open(session_id, request)
        with self.exclusive(rehearsal.session_id):
            if rehearsal.status != "paused":
                raise gr.Error("The practice is not paused.")
            try:
                for _event in rehearsal.confirm_safe():
                    pass
            except RehearseError as exc:
                raise gr.Error(str(exc)) from None
        return self.practice(
            rehearsal, info, notice="Thank you. The scene carries on when you are ready."
        )

    def hint(self, session_id: str, request: gr.Request | None) -> str:
        """One coaching hint for this moment; it is not added to the transcript."""
        rehearsal, _info = self.open(session_id, request)
        status = rehearsal.status
        if status == "finished":
            raise gr.Error("This session is finished; its debrief is on the Debrief tab.")
        if status == "paused":
            raise gr.Error("The practice is paused; there is no hint until it carries on.")
        try:
            return f"**Hint** {render.escape(rehearsal.hint())}"
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None

    def rewind(self, session_id: str, turn: int | None, request: gr.Request | None) -> Practice:
        """Go back to just before one of the user's turns and carry on from there.

        The conversation continues on a new branch; the one left behind is kept and can
        be read under "Earlier versions" (:meth:`version`).
        """
        if not turn:
            raise gr.Error("Pick one of your turns to try again.")
        rehearsal, info = self.open(session_id, request)
        with self.exclusive(rehearsal.session_id):
            status = rehearsal.status
            if status == "finished":
                raise gr.Error(
                    "This session is finished. Practise it again from the Debrief tab, or "
                    "open an unfinished session."
                )
            if status == "paused":  # a rewind must not step around the check-in
                raise gr.Error("The practice is paused: answer the check-in, or end it.")
            head = rehearsal.lines()
            said = next((ln.text for ln in head if ln.speaker == USER and ln.turn == turn), "")
            try:
                rehearsal.rewind(int(turn))
            except RehearseError as exc:
                raise gr.Error(str(exc)) from None
        return self.practice(
            rehearsal,
            info,
            draft=said,
            notice=(
                f"You are back just before your turn {turn}. Say it another way; the "
                "earlier version is kept under Earlier versions."
            ),
        )

    def version(
        self, session_id: str, index: int | None, request: gr.Request | None
    ) -> list[dict[str, Any]]:
        """One branch's transcript (newest first, as :meth:`Rehearsal.branches` orders them)."""
        rehearsal, _info = self.open(session_id, request)
        branches = rehearsal.branches()
        if index is None or not 0 <= int(index) < len(branches):
            return []
        return render.chat_messages(branches[int(index)])

    def end(self, session_id: str, request: gr.Request | None) -> DebriefView:
        """End the scene now and build the debrief (or show it, if it has one)."""
        rehearsal, info = self.open(session_id, request)
        with self.exclusive(rehearsal.session_id):
            status = rehearsal.status
            state = rehearsal.state()
            if status == "interrupted" and state is not None:
                # The model failed on the last line: end just before it, so a model that
                # is down never traps anyone in a scene.
                rehearsal.rewind(state.turn)
                status = rehearsal.status
            if status in ("awaiting_user", "paused"):
                try:
                    for _event in rehearsal.end():
                        pass
                except RehearseError as exc:
                    raise gr.Error(str(exc)) from None
            elif status != "finished":
                raise gr.Error("This session has not started; start a new one.")
        return self.debrief_view(rehearsal, self.store.get(info.id))

    def finished(self, session_id: str, request: gr.Request | None) -> DebriefView | None:
        """The debrief if the scene has ended by itself, else None."""
        if not session_id:
            return None
        rehearsal, info = self.open(session_id, request)
        if rehearsal.status != "finished":
            return None
        return self.debrief_view(rehearsal, info)

    def again(self, session_id: str, request: gr.Request | None) -> Practice:
        """A fresh session of the same scene at the same difficulty."""
        _rehearsal, info = self.open(session_id, request)
        return self.start(info.scenario_id, info.difficulty, request)

    # --- sessions ------------------------------------------------------------------

    def sessions(self, request: gr.Request | None) -> list[tuple[str, str]]:
        """(label, id) of the requesting user's sessions, most recent first."""
        known = {s.id for s in self.catalog.scenarios}
        return [
            (render.session_label(info), info.id)
            for info in self.store.list(owner=owner_of(request))
            if info.scenario_id in known
        ]

    def resume(
        self, session_id: str, request: gr.Request | None
    ) -> tuple[Practice, DebriefView | None]:
        """Reopen a session: its practice room, and its debrief when it is finished."""
        rehearsal, info = self.open(session_id, request)
        status = rehearsal.status
        if status == "new":
            raise gr.Error("This session never started. Start the scene again from the list.")
        notice = {
            "awaiting_user": "Welcome back. The scene is waiting for your line.",
            "paused": PAUSED_NOTICE,
            "interrupted": "The last turn did not finish. Press Retry to ask the model again.",
        }.get(status)
        practice = self.practice(rehearsal, info, **({"notice": notice} if notice else {}))
        debrief = self.debrief_view(rehearsal, info) if status == "finished" else None
        return practice, debrief

    # --- the API for scripted clients ----------------------------------------------

    def api_list_scenarios(self) -> list[dict[str, Any]]:
        """Every scenario: id, title, category, summary, difficulty, practises, goals."""
        return [
            {
                "id": s.id,
                "title": s.title,
                "category": s.category,
                "summary": s.summary,
                "difficulty": s.difficulty.default,
                "practises": list(s.practises),
                "goals": [g.description for g in s.goals],
            }
            for s in self.catalog.scenarios
        ]

    def api_start_session(
        self, scenario_id: str, difficulty: str, request: gr.Request
    ) -> tuple[str, list[dict[str, str]]]:
        """Start a scenario; returns the session id and the opening lines (name, text)."""
        view = self.start(scenario_id, difficulty, request)
        rehearsal, _info = self.open(view.session_id, request)
        return view.session_id, _said(rehearsal.lines())

    def _run_for_api(self, session_id: str, request: gr.Request, run: str, *args: str) -> str:
        rehearsal, _info = self.open(session_id, request)
        with self.exclusive(rehearsal.session_id):
            try:
                events = list(getattr(rehearsal, run)(*args))
            except ModelUnavailable as exc:
                raise gr.Error(
                    f"{exc} Your line is saved: call /retry_message to ask again."
                ) from None
            except RehearseError as exc:
                raise gr.Error(str(exc)) from None
        return "\n".join(e["text"] for e in events if e["type"] == "line")

    def api_send_message(self, session_id: str, text: str, request: gr.Request) -> str:
        """Say one line; returns the character's reply."""
        return self._run_for_api(session_id, request, "say", text)

    def api_retry_message(self, session_id: str, request: gr.Request) -> str:
        """Ask the model again after a failure; returns the character's reply."""
        return self._run_for_api(session_id, request, "retry")

    def api_end_session(self, session_id: str, request: gr.Request) -> dict[str, Any]:
        """End the scene (if it has not ended) and return its debrief as JSON."""
        return self.end(session_id, request).debrief


def _pause(rehearsal: Rehearsal) -> str:
    """What Rehearse said when it paused the scene (the pending interrupt's message)."""
    for pending in rehearsal.snapshot().interrupts:
        value = pending.value if isinstance(pending.value, dict) else {}
        if value.get("awaiting") == "safety" and value.get("message"):
            return str(value["message"])
    return safety_message()


def _said(lines: list[Line]) -> list[dict[str, str]]:
    return [{"name": ln.name, "text": ln.text} for ln in lines if ln.speaker != USER]
