"""The studio's handlers: plain methods that :mod:`ui.app` wires to Gradio events.

They take small values (a session id, a turn number, a line of text) plus the
``gr.Request`` and return views (:class:`Practice`, :class:`DebriefView`) made of plain
data, so tests call them directly with fake models and no browser.

Privacy: a session's owner is the signed-in user name (``""`` without ``--auth``).
Every method that takes a session id opens it through :meth:`Studio.open`, which asks
the store for that id *and* that owner, so a forged or guessed id from another user is
an unknown session. Errors a person can act on are raised as ``gr.Error``; a model that
fails mid-turn is a warning plus a notice, and the user's line stays saved for Retry.

Deleting is for real (:meth:`Studio.delete`, :meth:`Studio.forget_all`): the store wipes
the session from its file, and the studio removes the download files it wrote with that
text. A session with a run in flight (a reply streaming in, a debrief being written) is
*busy* and is not deleted under it: a run that finished after its session was deleted
would write its checkpoints back into the file, where no list shows them.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import gradio as gr
import pandas as pd
from langchain_core.language_models import BaseChatModel

from simulator.archive import write_archive
from simulator.catalog import Catalog
from simulator.errors import ModelUnavailable, RehearseError, UnknownSession
from simulator.reframing import ReframeJournal
from simulator.report import debrief_text, export_json, export_markdown
from simulator.safety import safety_message
from simulator.session import Rehearsal, Status
from simulator.store import SessionInfo, SessionStore
from simulator.transcript import USER, Line
from ui import render

__all__ = [
    "FINISHED_NOTICE",
    "GROUNDING_NOTICE",
    "PAUSED_NOTICE",
    "DebriefView",
    "NoSuchSession",
    "Practice",
    "Removal",
    "Studio",
    "owner_of",
]


# Seconds between two updates of a streaming reply on the page (the first piece is
# sent at once): 25 a second reads as smooth typing.
FRAME_SECONDS = 0.04


def owner_of(request: gr.Request | None) -> str:
    """The signed-in user, or ``""`` when the studio runs without ``--auth``."""
    return (getattr(request, "username", None) or "") if request is not None else ""


class NoSuchSession(gr.Error):
    """No session with that id for this user: the same answer when it is someone else's.

    A ``gr.Error`` (the page shows it as any other), of its own class so the REST API
    (:mod:`ui.rest`) can answer 404 without matching the message's words.
    """


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
    notice: str | None = ""  # None (streaming updates only) leaves it alone
    draft: str | None = ""  # what the text box should hold; None leaves it alone
    partial: bool = False  # a streaming update: only the chat, notice and text box
    # Scenes with several characters: who is in it (empty for a one-character scene).
    cast: list[render.Member] = field(default_factory=list)
    placeholder: str = "What would you say?"
    # A grounding pause (simulator.grounding): the exercise to show, None otherwise.
    grounding: dict[str, Any] | None = None
    # The coach's tip after a turn that went the wrong way (Markdown; "" for none). It is
    # shown in its own box, never in the chat: it is not anyone's line in the scene.
    coach: str = ""

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
    chart_colours: dict[str, str] | None = None  # one hue per character in a group scene


@dataclass(frozen=True)
class Removal:
    """What a deletion from the studio removed."""

    ids: list[str]  # the sessions deleted
    wiped: bool  # False: another process has the store open (see simulator.store.Deleted)
    files: list[str]  # names of the download files that held their text; removed too
    notice: str  # what the page says about it


FINISHED_NOTICE = "The scene has come to its end. Your debrief is ready."
GROUNDING_NOTICE = (
    "The scene is paused for a breather. The character is waiting and your words are kept. "
    "Breathe with the circle, notice your senses, then choose how to go on."
)
_CANNOT_SAY = {
    "interrupted": "The last turn did not finish. Press Retry to ask the model again.",
    "finished": "This session is finished; its debrief is on the Debrief tab.",
    "new": "This session never started. Start the scene again from the list.",
}
NO_SESSION = "No session with that id. Your sessions are listed here."
BUSY = (
    "A reply is still on its way in this session. Delete it once the turn has finished "
    "(or end the scene first)."
)
BUSY_ALL = (
    "A reply is still on its way in one of your sessions. Forget everything once the "
    "turn has finished."
)
NOT_WIPED = (
    " Another Rehearse process has the session store open, so the deleted text is zeroed "
    "now and its last copies leave the file when that process stops."
)
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
    # Where the files offered for download are written: each session's transcripts in
    # a folder of their own, each archive in another, under a random name (Gradio
    # serves any file in its cache to whoever knows the path; see ui.app).
    export_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="rehearse-exports-"))
    )
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Guarded by _guard: session ids with a run in flight or waiting for one; owners
    # whose new session has no id yet; owners whose sessions are being forgotten.
    _busy: Counter[str] = field(default_factory=Counter, repr=False)
    _starting: Counter[str] = field(default_factory=Counter, repr=False)
    _forgetting: set[str] = field(default_factory=set, repr=False)
    # Archives written for each owner (every one holds their sessions' text), and one
    # lock per owner so an archive is never written while their sessions are deleted.
    _archives: dict[str, list[Path]] = field(default_factory=dict, repr=False)
    _owner_locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    # At most this many graph runs (each may call the model) at once, all users together.
    # Gradio's concurrency groups hold back the page's events but not gr.api endpoints
    # (measured: six API calls reached the model at once with a limit of 1), so the
    # studio keeps the count itself.
    model_slots: int = 8

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.model_slots)
        # Each session's download folder is named by a keyed hash of its id: unguessable,
        # yet found again without a table that would grow with every session ever shown.
        self._folder_key = secrets.token_bytes(32)
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
            raise NoSuchSession(NO_SESSION) from None
        try:
            scenario = self.catalog.get(info.scenario_id)
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        rehearsal = Rehearsal(self.store, info.id, scenario, self.model, assessor=self.assessor)
        return rehearsal, info

    @contextlib.contextmanager
    def exclusive(self, session_id: str) -> Iterator[None]:
        """One graph run at a time per session (two tabs, a double click).

        The session is busy from the moment a run asks for it, so it is not deleted
        under the run; a run that waited while its session was deleted finds it gone.
        """
        with self.busy(session_id):
            with self._guard:
                lock = self._locks.setdefault(session_id, threading.Lock())
            with lock, self.store.running(session_id):
                if not self._exists(session_id):
                    raise NoSuchSession(NO_SESSION)
                with self._slots:
                    yield

    @contextlib.contextmanager
    def busy(self, session_id: str) -> Iterator[None]:
        """Mark a session as having a model call in flight: it cannot be deleted meanwhile."""
        with self._guard:
            self._busy[session_id] += 1
        try:
            yield
        finally:
            with self._guard:
                self._busy[session_id] -= 1
                if self._busy[session_id] <= 0:
                    del self._busy[session_id]
                    # An idle session keeps nothing in memory: its run lock goes too (a
                    # delete holding it has it locked, and drops it itself).
                    lock = self._locks.get(session_id)
                    if lock is not None and not lock.locked():
                        del self._locks[session_id]

    def _exists(self, session_id: str) -> bool:
        try:
            self.store.get(session_id)
        except UnknownSession:
            return False
        return True

    def is_busy(self, session_id: str) -> bool:
        with self._guard:
            return self._busy[session_id] > 0

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
            chat=render.chat_messages(lines, scenario, state.presence if state else ()),
            turns=render.turn_choices(lines),
            versions=self._versions(rehearsal),
            status=status,
            cast=(
                render.cast_members(scenario, rehearsal.present(), lines)
                if scenario.is_group
                else []
            ),
            placeholder=render.say_placeholder(scenario),
        )
        if status == "paused":
            # The crisis screen paused the role-play: Rehearse speaks as itself, and the
            # message stays on screen (it is not part of the transcript) until resolved.
            view = dataclasses.replace(
                view, chat=[*view.chat, render.character_message("Rehearse", _pause(rehearsal))]
            )
            changes.setdefault("notice", PAUSED_NOTICE)
        if status == "grounding":  # the character waits, silent, while the user breathes
            view = dataclasses.replace(view, grounding=rehearsal.grounding_exercise())
            changes.setdefault("notice", GROUNDING_NOTICE)
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
        folder = self._download_folder(info.id)
        markdown_name, json_name = _transcript_names(info)
        markdown_file = folder / markdown_name
        json_file = folder / json_name
        try:
            markdown_file.write_text(export_markdown(meta, lines, debrief), encoding="utf-8")
            json_file.write_text(export_json(meta, lines, debrief), encoding="utf-8")
        except FileNotFoundError:
            if self._exists(info.id):
                raise
        if not self._exists(info.id):  # deleted while these were written: they go too
            shutil.rmtree(folder, ignore_errors=True)
            raise NoSuchSession(NO_SESSION)
        return DebriefView(
            session_id=info.id,
            scenario_id=info.scenario_id,
            difficulty=str(debrief["difficulty"]),
            sections=render.debrief_sections(debrief, rehearsal.scenario),
            chart=render.chart_frame(debrief, rehearsal.scenario),
            chart_range=render.chart_range(rehearsal.scenario),
            chart_colours=render.chart_colours(debrief, rehearsal.scenario),
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
        owner = owner_of(request)
        # Until the new session has an id (and so can be busy), its owner is "starting":
        # forgetting all their sessions now could miss it half-way through its opening.
        with self._guard:
            if owner in self._forgetting:
                raise gr.Error("Your sessions are being deleted. Start again in a moment.")
            self._starting[owner] += 1
        try:
            try:
                scenario = self.catalog.get(scenario_id)
                rehearsal = Rehearsal.begin(
                    self.store,
                    scenario,
                    self.model,
                    difficulty=difficulty or None,
                    model_name=self.model_name,
                    owner=owner,
                    assessor=self.assessor,
                )
                with self.exclusive(rehearsal.session_id):
                    for _event in rehearsal.start():
                        pass
            except RehearseError as exc:
                raise gr.Error(str(exc)) from None
            info = self.store.get(rehearsal.session_id)
            return self.practice(rehearsal, info)
        finally:
            with self._guard:
                self._starting[owner] -= 1
                if self._starting[owner] <= 0:
                    del self._starting[owner]

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
        tip = ""
        group = rehearsal.scenario.is_group
        colours = render.speaker_colours(rehearsal.scenario) if group else {}

        def said(event: dict[str, Any], words: str) -> dict[str, Any]:
            return render.character_message(event["name"], words, colours.get(event["speaker"]))

        shown = 0.0  # when the page was last sent a piece of the reply
        try:
            for event in events:
                if event["type"] == "token":
                    first_piece = speaker != event["speaker"]
                    if first_piece:
                        speaker, text = event["speaker"], ""
                        chat.append(said(event, ""))
                    text += event["text"]
                    # The first piece at once (time to first token); then at most one
                    # update a frame: each update re-sends the chat, and a model faster
                    # than the eye would otherwise cost the server that per token.
                    now = time.monotonic()
                    if not first_piece and now - shown < FRAME_SECONDS:
                        continue
                    shown = now
                    chat[-1] = said(event, text)
                elif event["type"] == "line" and speaker == event["speaker"]:
                    chat[-1] = said(event, event["text"])
                    speaker = None
                elif event["type"] == "presence":
                    chat.append(render.presence_note(event["name"], event["present"]))
                    speaker = None
                elif event["type"] == "coach":
                    tip = render.coach_tip(event["text"])
                    continue  # shown with the saved state below, in the coach box
                elif event["type"] == "line":
                    chat.append(said(event, event["text"]))
                    speaker = None
                elif "text" in event:  # a notice from the engine
                    name = event.get("name") or "Rehearse"
                    chat.append(render.character_message(name, event["text"]))
                    speaker = None
                else:
                    continue
                # Only the chat: the notice and the text box stay as the first update left
                # them (each output sent costs Gradio a config update and the page a render).
                yield dataclasses.replace(
                    first, chat=list(chat), notice=None, draft=None, partial=True
                )
        except ModelUnavailable as exc:
            message = f"{exc} Your line is saved: press Retry to ask again."
            gr.Warning(message)
            yield self.practice(rehearsal, info, notice=message, draft=None)
            return
        except RehearseError as exc:
            raise gr.Error(str(exc)) from None
        view = self.practice(rehearsal, info, draft=None, coach=tip)
        if view.finished:
            view = dataclasses.replace(view, notice=FINISHED_NOTICE)
        elif view.status not in ("paused", "grounding"):
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
            # During a pause to breathe, sending a line carries on (Rehearsal.say).
            if status not in ("awaiting_user", "paused", "grounding"):
                raise gr.Error(_CANNOT_SAY[status])
            if status == "awaiting_user":
                # The line goes on the page at once; only the chat changes, so nothing
                # else of the room is built before the model is asked (time to first token).
                state = rehearsal.state()
                lines = rehearsal.lines()
                chat = render.chat_messages(
                    lines, rehearsal.scenario, state.presence if state else ()
                )
                first = Practice(
                    session_id=rehearsal.session_id,
                    heading="",
                    brief="",
                    chat=chat,
                    turns=[],
                    versions=[],
                    status=status,
                )
            else:  # a pause: the room as it is, with Rehearse's own message
                first = self.practice(rehearsal, info)
            chat = [*first.chat, render.user_message(text, rehearsal.scenario)]
            first = dataclasses.replace(first, chat=chat, notice="", draft="", partial=True)
            # The turn starts now, while Gradio sends the line to the page: Gradio asks
            # for the next update only once it has sent this one (10 to 50 ms).
            events = _Started(rehearsal.say(text))
            try:
                yield first
                yield from self._stream(rehearsal, info, iter(events), chat, first)
            finally:
                events.close()

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

    def step_back(self, session_id: str, who: str, request: gr.Request | None) -> Practice:
        """Ask a character of a group scene to step back (it is silent until invited)."""
        return self._presence(session_id, who, request, "step_back")

    def invite(self, session_id: str, who: str, request: gr.Request | None) -> Practice:
        """Invite a character of a group scene (back) in; the first time, it opens."""
        return self._presence(session_id, who, request, "invite")

    def _presence(
        self,
        session_id: str,
        who: str,
        request: gr.Request | None,
        event: Literal["step_back", "invite"],
    ) -> Practice:
        rehearsal, info = self.open(session_id, request)
        if not who:
            raise gr.Error("Choose who should step back or join.")
        with self.exclusive(rehearsal.session_id):
            try:
                for _event in getattr(rehearsal, event)(who):
                    pass
            except RehearseError as exc:
                raise gr.Error(str(exc)) from None
        return self.practice(rehearsal, info, notice="")

    def hint(self, session_id: str, request: gr.Request | None) -> str:
        """One coaching hint for this moment; it is not added to the transcript."""
        rehearsal, _info = self.open(session_id, request)
        status = rehearsal.status
        if status == "finished":
            raise gr.Error("This session is finished; its debrief is on the Debrief tab.")
        if status in ("paused", "grounding"):
            raise gr.Error("The practice is paused; there is no hint until it carries on.")
        try:
            # The transcript is on its way to the model: the session stays, and the call
            # counts against the model slots like every turn's.
            with self.busy(rehearsal.session_id), self._slots:
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
        return render.chat_messages(branches[int(index)], rehearsal.scenario)

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
            if status in ("awaiting_user", "paused", "grounding"):
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

    # --- deleting and taking it with you ----------------------------------------------

    def _owned(self, session_id: str, request: gr.Request | None) -> SessionInfo:
        if not session_id:
            raise gr.Error("Choose a session in the list first.")
        try:
            return self.store.get(str(session_id), owner=owner_of(request))
        except UnknownSession:
            raise NoSuchSession(NO_SESSION) from None

    def _owner_lock(self, owner: str) -> threading.Lock:
        with self._guard:
            return self._owner_locks.setdefault(owner, threading.Lock())

    def delete_question(self, session_id: str, request: gr.Request | None) -> str:
        """What the page asks before deleting a session (the first of the two clicks)."""
        info = self._owned(session_id, request)
        when = time.strftime("%d %b %Y", time.localtime(info.updated))
        return (
            f"**Delete “{render.escape(info.title)}” for good?** "
            f"{info.difficulty}, {_turns(info.turns)}, last used {when}. Its transcript, "
            "every version you tried and its debrief are removed from this computer. "
            "This cannot be undone."
        )

    def delete(self, session_id: str, request: gr.Request | None) -> Removal:
        """Delete one of the requesting user's sessions for good (the confirming click).

        Someone else's id is refused like an unknown one; a busy session is refused
        until its run has finished.
        """
        owner = owner_of(request)
        info = self._owned(session_id, request)  # before the busy check: no existence oracle
        with self._owner_lock(owner):
            with self._guard:
                lock = self._locks.setdefault(info.id, threading.Lock())
                if self._busy[info.id] or not lock.acquire(blocking=False):
                    raise gr.Error(BUSY)
            try:
                deleted = self.store.delete(info.id, owner=owner)
            except UnknownSession:  # deleted meanwhile, from another tab
                raise NoSuchSession(NO_SESSION) from None
            finally:
                lock.release()
                with self._guard:
                    self._locks.pop(info.id, None)
            files = self._remove_downloads(owner, [info])
        notice = f"Deleted “{render.escape(info.title)}”. " + (
            "Its words are gone from this computer." if deleted.wiped else NOT_WIPED.strip()
        )
        return Removal(deleted.ids, deleted.wiped, files, notice)

    def forget_question(self, request: gr.Request | None) -> str:
        """What the page asks before deleting every session of the requesting user."""
        owner = owner_of(request)
        count = len(self.store.list(owner))
        reframes = len(ReframeJournal().list(owner))
        if not count and not reframes:
            raise gr.Error("You have no saved sessions.")
        which = "your session" if count == 1 else f"all {count} of your sessions"
        if not count:
            which = f"your {reframes} saved reframe(s)"
        return (
            f"**Delete {which} for good?** Every transcript, every version you tried, "
            "every debrief and every reframe you saved is removed from this computer. "
            "This cannot be undone."
        )

    def forget_all(self, request: gr.Request | None) -> Removal:
        """Delete every session of the requesting user for good; nobody else's."""
        owner = owner_of(request)
        held: list[threading.Lock] = []
        with self._owner_lock(owner):
            with self._guard:
                sessions = self.store.list(owner)
                if self._starting[owner] or any(self._busy[s.id] for s in sessions):
                    raise gr.Error(BUSY_ALL)
                for info in sessions:
                    lock = self._locks.setdefault(info.id, threading.Lock())
                    if not lock.acquire(blocking=False):
                        for taken in held:
                            taken.release()
                        raise gr.Error(BUSY_ALL)
                    held.append(lock)
                self._forgetting.add(owner)  # no new session of theirs until this is done
            try:
                deleted = self.store.forget_all(owner)
            finally:
                for taken in held:
                    taken.release()
                with self._guard:
                    self._forgetting.discard(owner)
                    for info in sessions:
                        self._locks.pop(info.id, None)
            files = self._remove_downloads(owner, sessions)
            reframes = ReframeJournal().forget(owner)  # their words too (ui/reframing.py)
        count = len(deleted.ids)
        notice = f"Deleted {'your session' if count == 1 else f'all {count} of your sessions'}"
        notice += f" and {reframes} saved reframe(s). " if reframes else ". "
        if not count:
            notice = f"Deleted your {reframes} saved reframe(s). "
        notice += "Their words are gone from this computer." if deleted.wiped else NOT_WIPED.strip()
        return Removal(deleted.ids, deleted.wiped, files, notice)

    def _download_folder(self, session_id: str | None = None) -> Path:
        """A folder with an unguessable name: a session's own, or (None) a new one."""
        folder = (
            self.export_dir / secrets.token_urlsafe(16)
            if session_id is None
            else self._session_folder(session_id)
        )
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    def _session_folder(self, session_id: str) -> Path:
        digest = hmac.new(self._folder_key, session_id.encode(), hashlib.sha256).digest()
        return self.export_dir / base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def _remove_downloads(self, owner: str, sessions: Sequence[SessionInfo]) -> list[str]:
        """Remove the download files that held these sessions' text; return their names.

        Those are each session's transcripts and every archive written for the owner
        (each one holds all their sessions).
        """
        with self._guard:
            archives = self._archives.pop(owner, [])
        folders = [self._session_folder(info.id) for info in sessions]
        names = []
        for folder in [*folders, *(archive.parent for archive in archives)]:
            if folder is not None and folder.exists():
                names += sorted(path.name for path in folder.iterdir())
                shutil.rmtree(folder)
        return names

    def export_all(self, request: gr.Request | None) -> Path:
        """Every session of the requesting user in one ``.zip`` (:mod:`simulator.archive`)."""
        owner = owner_of(request)
        with self._owner_lock(owner):
            if not self.store.list(owner):
                raise gr.Error("You have no saved sessions yet.")
            stamp = time.strftime("%Y%m%d-%H%M%S")
            target = self._download_folder() / f"rehearse-sessions-{stamp}.zip"
            write_archive(self.store, self.catalog, target, owner=owner)
            with self._guard:
                self._archives.setdefault(owner, []).append(target)
        return target

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
                # Collected whole before the answer: no need for them piece by piece.
                events = list(getattr(rehearsal, run)(*args, live=False))
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


class _Started:
    """A turn's events, already running: a thread takes the first one at once, so the
    work up to it (the screen, the assessment, the model's first token) overlaps what
    the caller does meanwhile. :meth:`close` stops the turn as closing the events would.
    """

    def __init__(self, events: Iterator[dict[str, Any]]) -> None:
        self._events = events
        self._first: list[Any] = []
        self._taker = threading.Thread(target=self._take, name="rehearse-turn", daemon=True)
        self._taker.start()

    def _take(self) -> None:
        try:
            self._first.append(next(self._events, None))
        except BaseException as exc:  # raised again where the events are read
            self._first.append(exc)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._taker.join()
        item = self._first[0]
        if isinstance(item, BaseException):
            raise item
        if item is not None:
            yield item
            yield from self._events

    def close(self) -> None:
        self._taker.join()  # a generator cannot be closed while another thread runs it
        self._events.close()


def _pause(rehearsal: Rehearsal) -> str:
    """What Rehearse said when it paused the scene (the pending interrupt's message)."""
    for pending in rehearsal.snapshot().interrupts:
        value = pending.value if isinstance(pending.value, dict) else {}
        if value.get("awaiting") == "safety" and value.get("message"):
            return str(value["message"])
    return safety_message()


def _transcript_names(info: SessionInfo) -> tuple[str, str]:
    """The names of a session's downloadable transcripts (Markdown, JSON)."""
    stem = f"rehearse-{info.scenario_id}-{info.id}"
    return f"{stem}.md", f"{stem}.json"


def _turns(count: int) -> str:
    return f"{count} turn{'' if count == 1 else 's'}"


def _said(lines: list[Line]) -> list[dict[str, str]]:
    return [{"name": ln.name, "text": ln.text} for ln in lines if ln.speaker != USER]
