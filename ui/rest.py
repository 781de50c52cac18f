"""A plain JSON HTTP API for scripts and integrations, beside the studio on its port.

Gradio's own API (``/gradio_api/call/...``) goes through its queue: two requests and an
event stream per call, which cost the server about four times the turn itself (issue
#9's profile: 13 of 17 ms of CPU per turn). This API is one request per call, served by
the same ``rehearse serve`` process, outside the queue, over the same :class:`Studio`,
so ownership, the one-run-at-a-time rule per session and the model-call limit are the
studio's own::

    GET  /api/v1/scenarios                   every scenario
    GET  /api/v1/sessions                    your sessions, most recent first
    POST /api/v1/sessions                    {"scenario", "difficulty"?} -> 201, the opening
    GET  /api/v1/sessions/{id}               its status and transcript
    POST /api/v1/sessions/{id}/messages      {"text"} -> the reply and the run's events
                                             (with Accept: text/event-stream, streamed)
    POST /api/v1/sessions/{id}/retry         ask the model again after a failure
    POST /api/v1/sessions/{id}/end           end the scene -> its debrief

Errors are ``{"error": "what happened and what to do"}`` with a status code: 401 without
valid credentials (only with ``--auth``), 404 for a session that is not yours or does
not exist, or an unknown scenario, 400/422 for a body that is not what the endpoint
takes (the message names the field), 409 when the session is not in a state for that
(finished, waiting for a retry), 503 when the model is down (the user's line is saved;
POST .../retry). Never a traceback.

A message sent with ``Accept: text/event-stream`` is answered as server-sent events,
each piece of the reply as the model writes it (``event: token``), the run's other
events as they happen (``line``, ``safety``, ...), and last ``done`` with the same JSON
as the answer without streaming. A refusal, or a model that is down before its first
piece, is the same JSON error as without streaming; a failure after the first piece is
an ``error`` event (``{"error", "status"}``). A caller that goes away mid-reply stops
the reply; the line stays saved for a retry.

Two sessions' runs go on side by side; two runs of one session wait for each other
(:meth:`Studio.exclusive`), as two tabs of the studio do. Every run takes one of the
studio's model slots (``--concurrency``), the same slots the page's events and Gradio's
API take, so the total of model calls at once never exceeds the limit whichever way
they come in. Runs are blocking code: each goes to a worker thread of a pool sized to
the slots plus headroom, so the pool, not ``--concurrency``, is never what caps them
(Starlette's default pool has 40 threads; see :func:`run_threads`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

import anyio
import anyio.to_thread
import gradio as gr
from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from simulator.errors import (
    ModelUnavailable,
    RehearseError,
    ScenarioFileError,
    UnknownScenario,
    UnknownSession,
)
from simulator.transcript import USER
from ui.basic_auth import BasicAuth, Credentials
from ui.handlers import NoSuchSession, Studio

__all__ = ["PREFIX", "rest_router", "run_threads"]

PREFIX = "/api/v1"
# Threads beyond the model slots: runs that wait for their session's lock (a second
# message to a busy session) hold a thread without holding a slot.
HEADROOM = 16

log = logging.getLogger(__name__)

Body = TypeVar("Body", bound=BaseModel)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class StartRequest(BaseModel):
    """``POST /sessions``: which scenario, at which difficulty (its default if left out)."""

    model_config = ConfigDict(extra="forbid")
    scenario: Text
    difficulty: Literal["easy", "medium", "hard"] | None = None


class MessageRequest(BaseModel):
    """``POST /sessions/{id}/messages``: what the user says."""

    model_config = ConfigDict(extra="forbid")
    text: Text


EXAMPLES: dict[type[BaseModel], str] = {
    StartRequest: '{"scenario": "feedback-missed-deadlines", "difficulty": "medium"}',
    MessageRequest: '{"text": "What would you say"}',
}


class Refusal(Exception):
    """A request answered with an error status and a message, never a traceback."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def run_threads(studio: Studio) -> int:
    """Worker threads for runs: one per model slot, plus headroom."""
    return studio.model_slots + HEADROOM


def rest_router(studio: Studio, auth: Credentials = None) -> APIRouter:
    """The API's routes over one studio; ``auth`` as ``launch(auth=...)`` takes it."""
    return _Api(studio, BasicAuth(auth)).router


class _Api:
    def __init__(self, studio: Studio, auth: BasicAuth) -> None:
        self.studio = studio
        self.auth = auth
        # Created here, outside any event loop: anyio binds it to the loop on first use.
        self.run_limiter = anyio.CapacityLimiter(run_threads(studio))
        self._streaming: set[asyncio.Future[None]] = set()  # streamed turns still running
        self.router = router = APIRouter(prefix=PREFIX)
        router.add_api_route("/scenarios", self.scenarios, methods=["GET"])
        router.add_api_route("/sessions", self.sessions, methods=["GET"])
        router.add_api_route("/sessions", self.start, methods=["POST"])
        router.add_api_route("/sessions/{session_id}", self.session, methods=["GET"])
        router.add_api_route("/sessions/{session_id}/messages", self.say, methods=["POST"])
        router.add_api_route("/sessions/{session_id}/retry", self.retry, methods=["POST"])
        router.add_api_route("/sessions/{session_id}/end", self.end, methods=["POST"])
        # Anything else under the prefix: a JSON answer too, not the framework's own.
        router.add_api_route(
            "/{path:path}",
            self.unknown,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            include_in_schema=False,
        )

    # --- endpoints -------------------------------------------------------------------

    async def scenarios(self, request: Request) -> JSONResponse:
        return await self._answer(request, lambda _caller: self.studio.api_list_scenarios())

    async def sessions(self, request: Request) -> JSONResponse:
        def mine(caller: gr.Request) -> list[dict[str, Any]]:
            return [
                _session_summary(info.as_dict())
                for info in self.studio.store.list(owner=caller.username or "")
            ]

        return await self._answer(request, mine)

    async def start(self, request: Request) -> JSONResponse:
        def start(caller: gr.Request, body: StartRequest) -> dict[str, Any]:
            view = self.studio.start(body.scenario, body.difficulty or "", caller)
            rehearsal, _info = self.studio.open(view.session_id, caller)
            return {
                "session_id": view.session_id,
                "status": rehearsal.status,
                "opening": _lines(rehearsal.lines(), characters_only=True),
            }

        return await self._answer(
            request,
            start,
            body=StartRequest,
            runs=True,
            created=True,
            when_down="Start the session again once the model is back.",
        )

    async def session(self, request: Request, session_id: str) -> JSONResponse:
        def show(caller: gr.Request) -> dict[str, Any]:
            rehearsal, info = self.studio.open(session_id, caller)
            return {
                **_session_summary(info.as_dict()),
                "status": rehearsal.status,
                "lines": _lines(rehearsal.lines()),
            }

        return await self._answer(request, show)

    async def say(self, request: Request, session_id: str) -> Response:
        if "text/event-stream" in request.headers.get("accept", ""):
            return await self._stream_turn(request, session_id)
        return await self._run(request, session_id, "say")

    async def retry(self, request: Request, session_id: str) -> JSONResponse:
        return await self._run(request, session_id, "retry")

    async def end(self, request: Request, session_id: str) -> JSONResponse:
        def end(caller: gr.Request) -> dict[str, Any]:
            view = self.studio.end(session_id, caller)
            return {"session_id": view.session_id, "status": "finished", "debrief": view.debrief}

        return await self._answer(
            request,
            end,
            runs=True,
            when_down=f"POST {PREFIX}/sessions/{session_id}/end again to ask once more.",
        )

    async def unknown(self, request: Request, path: str) -> JSONResponse:
        message = f"No endpoint {request.method} {PREFIX}/{path}. " + _ENDPOINTS
        return _error(404, message)

    # --- the parts every endpoint shares ------------------------------------------

    async def _run(
        self, request: Request, session_id: str, run: Literal["say", "retry"]
    ) -> JSONResponse:
        """A turn (``say``) or its retry, whole: the reply lines and what else happened."""

        def turn(caller: gr.Request, body: MessageRequest | None = None) -> dict[str, Any]:
            rehearsal, _info = self.studio.open(session_id, caller)
            with self.studio.exclusive(rehearsal.session_id):
                if body is not None:
                    events = list(rehearsal.say(body.text, live=False))
                elif rehearsal.status != "interrupted":
                    # The same words as the studio's Retry, not the engine's.
                    raise Refusal(409, "There is nothing to retry: the last turn finished.")
                else:
                    events = list(rehearsal.retry(live=False))
                status = rehearsal.status
            return _turn_answer(rehearsal.session_id, status, events)

        return await self._answer(
            request,
            turn,
            body=MessageRequest if run == "say" else None,
            runs=True,
            when_down=_line_saved(session_id),
        )

    async def _stream_turn(self, request: Request, session_id: str) -> Response:
        """A turn as server-sent events: the reply's pieces as the model writes them."""
        try:
            caller = self._caller(request)
            body = await self._body(request, MessageRequest)
        except Refusal as refusal:
            return _error(refusal.status, refusal.message, refusal.headers)
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        gone = threading.Event()  # the caller stopped reading

        def put(kind: str, item: Any) -> None:
            loop.call_soon_threadsafe(items.put_nowait, (kind, item))

        def turn() -> None:
            try:
                rehearsal, _info = self.studio.open(session_id, caller)
                with self.studio.exclusive(rehearsal.session_id):
                    seen: list[dict[str, Any]] = []
                    # Closed when the caller goes: the reply stops at its next piece and
                    # the line stays saved, as after a failed reply.
                    with contextlib.closing(rehearsal.say(body.text)) as events:
                        for event in events:
                            if gone.is_set():
                                return
                            put("event", event)
                            seen.append(event)
                    status = rehearsal.status
                put("done", _turn_answer(rehearsal.session_id, status, seen))
            except Exception as exc:  # told to the caller, as JSON or as an event
                put("error", exc)

        # Its own task: the run goes on while the response streams, after this returns
        # (held here until it ends: the event loop keeps only a weak reference to a task).
        worker = asyncio.ensure_future(anyio.to_thread.run_sync(turn, limiter=self.run_limiter))
        self._streaming.add(worker)
        worker.add_done_callback(self._streaming.discard)
        first = await items.get()
        if first[0] == "error":  # nothing sent yet: a status code says it
            return _error(*self._status_of(request, first[1], _line_saved(session_id)))

        async def stream() -> AsyncIterator[str]:
            try:
                kind, item = first
                while True:
                    if kind == "event":
                        yield _sse(item["type"], item)
                    elif kind == "done":
                        yield _sse("done", item)
                        return
                    else:
                        status, message, _ = self._status_of(request, item, _line_saved(session_id))
                        yield _sse("error", {"error": message, "status": status})
                        return
                    kind, item = await items.get()
            finally:
                gone.set()
                await worker

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    def _status_of(
        self, request: Request, exc: Exception, when_down: str
    ) -> tuple[int, str, dict[str, str] | None]:
        """The status code, message and headers for an error a handler raised."""
        if isinstance(exc, Refusal):
            return exc.status, exc.message, exc.headers
        status, message = _explain(exc, when_down)
        if status == 500:  # a bug or a broken file: the server's log keeps the traceback
            log.error("REST API: %s %s failed", request.method, request.url.path, exc_info=exc)
        return status, message, None

    def _caller(self, request: Request) -> gr.Request:
        """The signed-in user as the studio's handlers take one (they read ``username``)."""
        user = self.auth.user(request.headers.get("authorization"))
        if user is None:
            raise Refusal(
                401,
                "Sign in: send your studio user name and password as HTTP Basic credentials.",
                self.auth.challenge,
            )
        return gr.Request(username=user or None)

    async def _body(self, request: Request, model: type[Body]) -> Body:
        """The JSON body as ``model``; a refusal that names what is wrong otherwise."""
        example = EXAMPLES[model]
        raw = await request.body()
        try:
            data = json.loads(raw) if raw.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise Refusal(
                400, f"The body is not JSON. Send a JSON object like {example}."
            ) from None
        if not isinstance(data, dict):
            raise Refusal(400, f"Send a JSON object like {example}.")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(_problem(error) for error in exc.errors())
            raise Refusal(422, f"{problems}. Send a JSON object like {example}.") from None

    async def _answer(
        self,
        request: Request,
        work: Callable[..., Any],
        *,
        body: type[BaseModel] | None = None,
        runs: bool = False,
        created: bool = False,
        when_down: str = "",
    ) -> JSONResponse:
        """Run ``work(caller[, body])`` in a worker thread; every error becomes JSON.

        The caller is checked first (401), then the body parsed as ``body`` (400/422).

        ``runs``: it runs the graph (and so may call the model): it goes to the pool
        sized to the model slots (:func:`run_threads`) instead of Starlette's default.
        """
        try:
            args: list[Any] = [self._caller(request)]
            if body is not None:
                args.append(await self._body(request, body))
            limiter = self.run_limiter if runs else None
            result = await anyio.to_thread.run_sync(partial(work, *args), limiter=limiter)
        except Exception as exc:  # every error leaves as a message, never as a traceback
            return _error(*self._status_of(request, exc, when_down))
        return JSONResponse(jsonable_encoder(result), status_code=201 if created else 200)


def _line_saved(session_id: str) -> str:
    return f"Your line is saved: POST {PREFIX}/sessions/{session_id}/retry to ask again."


def _turn_answer(session_id: str, status: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """A turn's JSON answer: the reply lines, the status, and the run's other events."""
    return {
        "session_id": session_id,
        "status": status,
        "reply": [{"name": e["name"], "text": e["text"]} for e in events if e["type"] == "line"],
        # Tokens are the reply's pieces; the lines above hold them whole.
        "events": [e for e in events if e["type"] != "token"],
    }


def _sse(event: str, data: Any) -> str:
    """One server-sent event; the data is one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(jsonable_encoder(data))}\n\n"


def _explain(exc: Exception, when_down: str) -> tuple[int, str]:
    """The status code and message for an error a handler raised."""
    down = _cause(exc, ModelUnavailable)
    if down is not None:
        return 503, f"{down} {when_down}".strip()
    if isinstance(exc, NoSuchSession) or _cause(exc, UnknownSession) is not None:
        return 404, f"No session with that id among yours. GET {PREFIX}/sessions lists them."
    if _cause(exc, UnknownScenario) is not None:
        return 404, f"{_cause(exc, UnknownScenario)} GET {PREFIX}/scenarios lists them."
    if _cause(exc, ScenarioFileError) is not None:
        return 500, "That scenario's file has problems; `rehearse validate` says which."
    if isinstance(exc, gr.Error):
        # The studio's handlers say why an action does not fit the session now
        # (finished, waiting for a retry, being deleted...).
        return 409, str(exc.message)
    if isinstance(exc, RehearseError):
        return 409, str(exc)
    return 500, "Something went wrong on the server; its log says what."


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """``exc`` or the error it was raised from (the handlers re-raise as ``gr.Error``)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _problem(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    if error["type"] == "missing":
        return f'"{field}" is missing'
    if error["type"] == "extra_forbidden":
        return f'"{field}" is not a field this endpoint takes'
    return f'"{field}": {error["msg"]}'


def _lines(lines: list[Any], *, characters_only: bool = False) -> list[dict[str, Any]]:
    if characters_only:
        return [{"name": ln.name, "text": ln.text} for ln in lines if ln.speaker != USER]
    return [ln.as_dict() for ln in lines]


def _session_summary(info: dict[str, Any]) -> dict[str, Any]:
    keep = ("scenario_id", "title", "difficulty", "turns", "created", "updated")
    finished = info["status"] == "finished"
    return {"session_id": info["id"], **{k: info[k] for k in keep}, "finished": finished}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


_ENDPOINTS = (
    f"The API has GET {PREFIX}/scenarios, GET and POST {PREFIX}/sessions, "
    f"GET {PREFIX}/sessions/{{id}}, and POST {PREFIX}/sessions/{{id}}/messages, /retry, /end."
)
