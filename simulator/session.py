"""Driving one practice session: start, speak, end, retry, rewind, hint.

:class:`Rehearsal` is the one API the terminal, the web UI and the tests share. Its
streaming methods yield events as the graph runs:

- ``{"type": "token", "speaker", "name", "text"}``: a piece of a character's line;
- ``{"type": "line", "speaker", "name", "text", "turn"}``: a character's whole line;
- ``{"type": "safety", "text", "resources", "turn"}``: the crisis screen paused the
  role-play; Rehearse speaks as itself (status ``"paused"`` until the user is safe);
- ``{"type": "presence", "speaker", "name", "present", "turn"}``: a character stepped
  back or was invited in (scenes with several characters; not a turn);
- ``{"type": "grounding", "message", "breathing", "cycles", "senses", "choices",
  "turn"}``: the scene paused for a grounding exercise (status ``"grounding"`` until the
  user continues, steps down or stops; see :mod:`simulator.grounding`);
- ``{"type": "coach", "text", "turn"}``: after a turn that moved the character's state
  the wrong way, a coaching tip, when the scenario enables them
  (``coach.tips_after_wrong_turn``); shown outside the scene, never saved.

After a call, :attr:`Rehearsal.status` says what comes next. A model failure raises
:class:`~simulator.errors.ModelUnavailable`; the user's line is already saved and
:meth:`Rehearsal.retry` asks the model again, so nothing the user wrote is lost.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langgraph.types import Command, StateSnapshot

from simulator.coach import hint as coach_hint
from simulator.coach import tip as coach_tip
from simulator.context import Context
from simulator.errors import RehearseError
from simulator.schema import Scenario
from simulator.state import State
from simulator.store import SessionStore
from simulator.transcript import Line, transcript

__all__ = ["Rehearsal", "Status"]

Status = Literal["new", "awaiting_user", "paused", "grounding", "finished", "interrupted"]
# user_turn speaks too: a character invited for the first time says its opening line.
_SPEAKING_NODES = ("open_scene", "character_reply", "user_turn")
# What the run stopped to wait for (an interrupt's "awaiting") says the status after it.
_STATUS_AFTER: dict[str, Status] = {
    "user": "awaiting_user",
    "safety": "paused",
    "grounding": "grounding",
}
_DONE = object()  # the end of a run's events


class _Abandoned(Exception):
    """Whoever read the run's events stopped reading: the reply is not wanted any more."""


class Rehearsal:
    """One session (a LangGraph thread), bound to a scenario and a model."""

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        scenario: Scenario,
        model: BaseChatModel | None = None,
        *,
        assessor: Literal["model", "rules"] = "model",
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.scenario = scenario
        self.model = model  # None: read-only use (listing, exporting)
        self._read: tuple[str, StateSnapshot] | None = None  # (checkpoint id, snapshot)
        # (newest checkpoint id, state values) as this object's last run left them: the
        # view after a turn needs the state, which the run has just streamed.
        self._left: tuple[str, dict[str, Any]] | None = None
        self.assessor = assessor
        # Set by begin(): the input that opens a new session's scene.
        self._pending_input: dict[str, Any] | None = None

    @classmethod
    def begin(
        cls,
        store: SessionStore,
        scenario: Scenario,
        model: BaseChatModel,
        *,
        difficulty: str | None = None,
        model_name: str = "",
        owner: str = "",
        assessor: Literal["model", "rules"] = "model",
    ) -> Rehearsal:
        level = difficulty or scenario.difficulty.default
        if level not in ("easy", "medium", "hard"):
            raise RehearseError(f"Difficulty must be easy, medium or hard, not {level!r}.")
        session_id = store.create(scenario.id, scenario.title, level, model_name, owner)
        rehearsal = cls(store, session_id, scenario, model, assessor=assessor)
        rehearsal._pending_input = {"scenario_id": scenario.id, "difficulty": level}
        return rehearsal

    @property
    def context(self) -> Context:
        if self.model is None:
            raise RehearseError("This session was opened read-only, without a model.")
        return Context(scenario=self.scenario, model=self.model, assessor=self.assessor)

    # --- state --------------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        # No checkpoint id: the newest checkpoint, which is the current branch's head.
        return {"configurable": {"thread_id": self.session_id}}

    def snapshot(self) -> StateSnapshot:
        # A view reads the state, the transcript and the status one after the other; each
        # read deserialises the whole transcript, so the snapshot is reused for as long as
        # it is still the newest checkpoint (a cheap query; any run or rewind, here or in
        # another process, writes a new one).
        head = self.store.head(self.session_id)
        read = self._read
        if read is not None and head is not None and read[0] == head:
            return read[1]
        snap = self.store.graph.get_state(self.config)
        self._read = (head, snap) if head is not None else None
        return snap

    def state(self) -> State | None:
        left = self._left
        if left is not None and self.store.head(self.session_id) == left[0]:
            values = left[1]
        else:
            values = self.snapshot().values
        return State(**values) if values else None

    @property
    def status(self) -> Status:
        # Read from the checkpoint it means deserialising the transcript; while the newest
        # checkpoint is one a run in this process left, the store knows it.
        head = self.store.head(self.session_id)
        known = self.store.status_at(head) if head is not None else None
        if known is not None:
            return cast(Status, known)
        snap = self.snapshot()
        if not snap.values:
            return "new"
        if snap.values.get("debrief") is not None:
            return "finished"
        if snap.next == ("user_turn",):
            return "awaiting_user"
        if snap.next == ("safety_pause",):
            return "paused"
        if snap.next == ("grounding_pause",):
            return "grounding"
        return "interrupted"

    def lines(self) -> list[Line]:
        state = self.state()
        return transcript(state.messages, self.scenario) if state else []

    def debrief(self) -> dict[str, Any] | None:
        state = self.state()
        return state.debrief if state else None

    # --- running ------------------------------------------------------------------------

    def _stream(
        self, payload: Any, on_token: Callable[[dict[str, Any]], None]
    ) -> Iterator[tuple[str, Any]]:
        """One run of the graph: its updates and values, the reply's pieces to ``on_token``.

        Saved once, when the run stops to wait (``durability="exit"``): one checkpoint
        write per turn instead of one per step."""
        context = dataclasses.replace(self.context, on_token=on_token)
        return self.store.graph.stream(
            payload,
            self.config,
            context=context,
            stream_mode=["updates", "values"],
            durability="exit",
        )

    def _graph_events(self, payload: Any) -> Iterator[tuple[str, Any]]:
        """The run's LangGraph updates and values, with the reply's pieces as "custom".

        The graph runs in a thread of its own, so that the pieces of a reply reach the
        reader while the model is still writing. It is one thread for the whole run: with
        LangGraph's "custom" stream mode every step of the turn would be handed to a
        worker thread and back (3 to 6 ms a turn, issue #9's benchmark). Only a piece of
        the reply is handed over the moment it arrives; the steps' updates wait for the
        next piece or the run's end and go with it. Each hand-over wakes the reader's
        thread, which costs CPU and scheduling time (about 2 ms a turn here when every
        update went on its own), and nobody waits for an update the way they wait for
        the reply. When the reader stops early, the reply stops at its next piece, as a
        failed reply would: the user's line stays saved for a retry.
        """
        batches: queue.SimpleQueue[list[Any]] = queue.SimpleQueue()
        held: list[Any] = []  # the worker's updates since the last hand-over
        stop = threading.Event()

        def on_token(piece: dict[str, Any]) -> None:
            if stop.is_set():
                raise _Abandoned
            held.append(("custom", piece))
            batches.put(held[:])
            held.clear()

        def run() -> None:
            try:
                for item in self._stream(payload, on_token):
                    held.append(item)
            except BaseException as exc:  # raised again in the reader's thread
                held.append(("error", exc))
            finally:
                held.append(_DONE)
                batches.put(held[:])

        worker = threading.Thread(target=run, name=f"rehearse-{self.session_id}", daemon=True)
        worker.start()
        stopping = False
        try:
            while True:
                for item in batches.get():
                    if item is _DONE:
                        return
                    if item[0] == "error":
                        raise item[1]
                    yield item
        except (KeyboardInterrupt, SystemExit):
            # Ctrl-C: the process is stopping, so do not wait for the model's next piece
            # (a slow model may not send one for a while); the daemon thread goes with it.
            stopping = True
            raise
        finally:
            stop.set()
            if not stopping:
                # One run per session at a time: return only once this one has finished.
                worker.join()

    def _collected_events(self, payload: Any) -> Iterator[tuple[str, Any]]:
        """The same events as :meth:`_graph_events`, for a reader that collects them all.

        The graph runs in the reader's own thread, and the reply's pieces come out with
        the step that wrote them rather than as they arrive: no second thread, and no
        wake-up of the reader per piece, which on a server answering many users at
        once is CPU every other user waits for (issue #9).
        """
        pieces: list[tuple[str, Any]] = []
        for item in self._stream(payload, lambda piece: pieces.append(("custom", piece))):
            yield from pieces
            pieces.clear()
            yield item

    def _run(self, payload: Any, live: bool = True) -> Iterator[dict[str, Any]]:
        self._left = None  # a run that stops half-way leaves it unknown
        stream = self._graph_events(payload) if live else self._collected_events(payload)
        turn = 0
        # The state after the last step and what the run waits for: saved as the newest
        # checkpoint, so neither needs reading back from it.
        values: dict[str, Any] = {}
        awaiting: str | None = None
        for mode, data in stream:
            if mode == "custom":
                yield {"type": "token", **data}
                continue
            if mode == "values":
                values = data
                continue
            for node, update in data.items():
                if node == "__interrupt__":
                    for pending in update:
                        awaiting = pending.value.get("awaiting")
                        if pending.value.get("awaiting") == "safety":
                            yield {
                                "type": "safety",
                                "text": pending.value["message"],
                                "resources": pending.value["resources"],
                                "turn": pending.value["turn"],
                            }
                        elif pending.value.get("awaiting") == "grounding":
                            yield {"type": "grounding", **pending.value}
                    continue
                if node == "user_turn" and update:
                    turn = update.get("turn", turn)
                    for change in update.get("presence", []):
                        yield {
                            "type": "presence",
                            "speaker": change["speaker"],
                            "name": self.scenario.persona(change["speaker"]).name,
                            "present": change["event"] == "invite",
                            "turn": change["turn"],
                        }
                if node in _SPEAKING_NODES and update:
                    for message in update.get("messages", []):
                        if isinstance(message, AIMessage):
                            speaker = message.name or ""
                            yield {
                                "type": "line",
                                "speaker": speaker,
                                "name": self.scenario.persona(speaker).name,
                                "text": str(message.content),
                                "turn": turn,
                            }
        if not values:
            return
        finished = values.get("debrief") is not None
        self.store.update(self.session_id, turns=values.get("turn", 0), finished=finished)
        status = "finished" if finished and awaiting is None else _STATUS_AFTER.get(awaiting or "")
        head = self.store.head(self.session_id)
        if status is not None and head is not None:
            self.store.remember_status(head, status)
            # The streamed values carry the pending interrupt too; the state does not.
            self._left = (head, {k: v for k, v in values.items() if not k.startswith("__")})

    def start(self) -> Iterator[dict[str, Any]]:
        """Open the scene (a new session) and stream the opening lines."""
        if self._pending_input is None:
            raise RehearseError("This session has already started.")
        payload, self._pending_input = self._pending_input, None
        yield from self._run(payload)

    def say(self, text: str, *, live: bool = True) -> Iterator[dict[str, Any]]:
        """The user's turn; streams the character's reply.

        While the role-play is paused for safety, the line answers the check-in instead:
        the practice continues only when it clearly says the user is safe. During a
        grounding pause a line means the user is ready to go on: the scene continues
        (the character may first answer the line before the pause) and then hears it.

        ``live=False`` is for a caller that collects every event before using any (the
        JSON APIs): the same events, cheaper, the reply's pieces no longer as they come.
        """
        text = text.strip()
        if not text:
            raise RehearseError("Say something first (an empty line is not a turn).")
        if self.status == "grounding":
            yield from self._run(Command(resume={"choice": "continue"}), live)
            if self.status != "awaiting_user":
                return
        self._require("awaiting_user", "paused")
        # Read only when tips are on: a turn without them costs no extra state read.
        before = self.state() if self.scenario.coach.tips_after_wrong_turn else None
        yield from self._run(Command(resume={"text": text}), live)
        if before is not None:
            yield from self._tip(before.turn + 1)

    def confirm_safe(self) -> Iterator[dict[str, Any]]:
        """The user says they are safe (a button in the UI): the practice continues."""
        self._require("paused")
        yield from self._run(Command(resume={"safe": True}))

    def end(self) -> Iterator[dict[str, Any]]:
        """End the scene now; the debrief is written."""
        self._require("awaiting_user", "paused", "grounding")
        yield from self._run(Command(resume={"end": True}))

    # --- grounding pauses (simulator.grounding) --------------------------------------

    def pause(self) -> Iterator[dict[str, Any]]:
        """The user asks for a grounding pause; the character waits, silent."""
        self._require("awaiting_user")
        yield from self._run(Command(resume={"pause": True}))

    def ground(self, choice: str) -> Iterator[dict[str, Any]]:
        """After the pause: ``continue``, ``step_down`` (the character eases off) or ``stop``."""
        if choice not in ("continue", "step_down", "stop"):
            raise RehearseError(f"Choose continue, step_down or stop, not {choice!r}.")
        self._require("grounding")
        yield from self._run(Command(resume={"choice": choice}))

    def grounding_exercise(self) -> dict[str, Any] | None:
        """What the pending grounding pause shows (None when the scene is not paused so)."""
        for pending in self.snapshot().interrupts:
            value = pending.value if isinstance(pending.value, dict) else {}
            if value.get("awaiting") == "grounding":
                return dict(value)
        return None

    # --- who is in the scene (several characters) --------------------------------------

    def present(self) -> list[str]:
        """Persona ids in the conversation now, in cast order."""
        state = self.state()
        away = (
            state.stepped_back
            if state
            else [m.persona_id for m in self.scenario.cast if not m.present]
        )
        return [m.persona_id for m in self.scenario.cast if m.persona_id not in away]

    def find(self, name: str) -> str:
        """The persona id a name refers to ("Dad", "the critic", "@critic")."""
        from simulator.director import find_member

        found = find_member(self.scenario, name)
        if found is None:
            names = ", ".join(self.scenario.persona(m.persona_id).name for m in self.scenario.cast)
            raise RehearseError(f"Nobody called {name.strip()!r} is in this scene ({names}).")
        return found

    def step_back(self, name: str) -> Iterator[dict[str, Any]]:
        """Ask a character to step back: it stays silent until invited again."""
        self._presence("step_back", name)
        yield from self._run(Command(resume={"step_back": self.find(name)}))

    def invite(self, name: str) -> Iterator[dict[str, Any]]:
        """Invite a character (back) into the conversation."""
        self._presence("invite", name)
        yield from self._run(Command(resume={"invite": self.find(name)}))

    def _presence(self, event: str, name: str) -> None:
        if not self.scenario.is_group:
            raise RehearseError("This scene has one character; there is nobody to step back.")
        self._require("awaiting_user")
        who = self.find(name)
        label = self.scenario.persona(who).name
        present = who in self.present()
        if event == "step_back" and not present:
            raise RehearseError(f"{label} has already stepped back; /invite brings them in.")
        if event == "invite" and present:
            raise RehearseError(f"{label} is already here.")
        if event == "step_back" and len(self.present()) == 1:
            raise RehearseError(f"{label} is the only one here; invite someone else first.")

    def retry(self, *, live: bool = True) -> Iterator[dict[str, Any]]:
        """Continue a turn that stopped half-way (the model failed); nothing is repeated.
        ``live`` as for :meth:`say`."""
        self._require("interrupted")
        state = self.state() if self.scenario.coach.tips_after_wrong_turn else None
        yield from self._run(None, live)
        if state is not None:
            yield from self._tip(state.turn)

    def _require(self, *expected: Status) -> None:
        status = self.status
        if status not in expected:
            messages = {
                "finished": "This session is finished; its debrief is ready.",
                "interrupted": "The last turn did not finish; retry it first.",
                "awaiting_user": "The scene is waiting for your line.",
                "paused": "The practice is paused; say whether you are safe, or end it.",
                "grounding": "The scene is paused for a breather: continue, step down or stop.",
                "new": "This session has not started.",
            }
            raise RehearseError(messages[status])

    # --- rewind and branches ------------------------------------------------------------

    def _current_branch(self) -> list[StateSnapshot]:
        """Checkpoints from the head back to the start, following parents."""
        history = {
            s.config["configurable"]["checkpoint_id"]: s
            for s in self.store.graph.get_state_history(self.config)
        }
        branch = []
        snap: StateSnapshot | None = self.snapshot()
        while snap is not None:
            branch.append(snap)
            parent = snap.parent_config
            snap = history.get(parent["configurable"]["checkpoint_id"]) if parent else None
        return branch

    def rewind(self, turn: int) -> None:
        """Go back to just before your ``turn``-th line and carry on from there.

        The checkpoint is copied ("forked") so the copy becomes the thread's newest
        checkpoint: the session continues on the new branch, here and after a restart,
        and the abandoned branch stays in the store (see :meth:`branches`). Resuming the
        original checkpoint instead would replay the answer already recorded there.
        """
        for snap in self._current_branch():
            if snap.next == ("user_turn",) and snap.values.get("turn", 0) == turn - 1:
                self.store.graph.update_state(snap.config, None, as_node="__copy__")
                return
        taken = self.state().turn if self.state() else 0
        raise RehearseError(f"You can rewind to turns 1 to {taken}; there is no turn {turn}.")

    def branches(self) -> list[list[Line]]:
        """The transcript of every branch's latest point, newest first."""
        out = []
        for tip in self.store.leaves(self.session_id):  # only the tips are deserialised
            config = {"configurable": {"thread_id": self.session_id, "checkpoint_id": tip}}
            values = self.store.graph.get_state(config).values
            if values:
                out.append(transcript(State(**values).messages, self.scenario))
        return out

    # --- coaching -----------------------------------------------------------------------

    def _tip(self, turn: int) -> Iterator[dict[str, Any]]:
        """``{"type": "coach", "text", "turn"}`` when ``turn`` just finished as a setback.

        Shown outside the scene; nothing is saved, so the character never sees it.
        """
        state = self.state()
        if (
            state is None
            or state.turn != turn
            or not state.trajectory
            or state.trajectory[-1]["turn"] != turn
            or self.status != "awaiting_user"
        ):
            return
        text = coach_tip(self.context, state)
        if text:
            yield {"type": "coach", "text": text, "turn": turn}

    def hint(self) -> str:
        """One coaching hint for this moment; it is not added to the transcript."""
        state = self.state()
        if state is None:
            raise RehearseError("Start the scene first.")
        return coach_hint(self.context, state)
