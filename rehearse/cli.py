"""The ``rehearse`` command line.

Every error a person can cause or fix (a bad file, an unknown id, an unreachable model)
is a :class:`~simulator.errors.RehearseError` and is printed as a message, never as a
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.authoring.commands import add_parsers as add_authoring_parsers
from simulator.catalog import Catalog
from simulator.errors import Problem, RehearseError, ScenarioFileError
from simulator.loader import load_note, load_persona, load_scenario

# LangGraph, LangChain and the OpenAI client take seconds to import on a small machine;
# the commands that need them import them, so `list`, `validate` and `safety-check`
# answer at once.
if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from rehearse.models import ModelSettings
    from simulator.session import Rehearsal
    from simulator.store import Deleted, SessionInfo, SessionStore

__all__ = ["main"]

# `serve --concurrency` defaults. A served model (vLLM, OpenAI, Ollama) batches many
# requests: 32 people in a class should not wait in line for slots (issue #9's benchmark:
# 32 users take 4.4x one user's time with 8 slots, 1.55x with 64). Lower it for a provider
# that rate-limits.
REMOTE_CONCURRENCY = 64
LOCAL_CONCURRENCY = 2


def _store() -> SessionStore:
    from simulator.store import open_store

    store = open_store()
    if store.expired:
        print(
            f"rehearse: deleted {len(store.expired)} session(s) not used for longer than "
            "REHEARSE_RETENTION_DAYS.",
            file=sys.stderr,
        )
    return store


@contextlib.contextmanager
def _model(config: ModelSettings) -> Iterator[BaseChatModel]:
    """The chat model, with the embedded server running for as long as it is used."""
    from rehearse.models import chat_model

    if not config.is_local:
        yield chat_model(config)
        return
    from rehearse.local_model import LocalModelServer

    with LocalModelServer(progress=sys.stderr) as server:
        yield chat_model(config, base_url=server.base_url)


def cmd_list(args: argparse.Namespace) -> int:
    catalog = Catalog.load()
    if args.json:
        rows = [
            {
                "id": s.id,
                "title": s.title,
                "category": s.category,
                "summary": s.summary,
                "difficulty": s.difficulty.default,
                "practises": s.practises,
                "origin": e.origin,
                "path": str(e.path),
            }
            for e in catalog.entries
            if (s := e.scenario) is not None
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for entry in catalog.entries:
            s = entry.scenario
            if s is not None:
                print(f"{s.id:<32} {s.category:<24} {s.title}")
        broken = [e for e in catalog.entries if e.scenario is None]
        if broken:
            print(f"\n{len(broken)} file(s) could not be loaded; `rehearse validate` says why.")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    problems: list[Problem]
    count = 0
    if not args.paths:
        catalog = Catalog.load()
        problems = catalog.problems
        count = len(catalog.entries) + len(catalog.personas) + len(catalog.notes)
    else:
        catalog = Catalog.load()
        personas = dict(catalog.personas)
        notes = dict(catalog.notes)
        problems = []
        files = [
            p
            for path in args.paths
            for p in (sorted(Path(path).glob("*.y*ml")) if Path(path).is_dir() else [Path(path)])
        ]
        # Personas and learning notes first, so a scenario can use one validated in the
        # same call.
        files.sort(key=lambda p: "personas" not in p.parts and "learning" not in p.parts)
        for path in files:
            count += 1
            try:
                if "personas" in path.parts:
                    persona = load_persona(path)
                    personas[persona.id] = persona
                elif "learning" in path.parts:
                    note = load_note(path)
                    notes[note.id] = note
                else:
                    load_scenario(path, personas, notes)
            except ScenarioFileError as exc:
                problems.extend(exc.problems)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"{count} file(s) valid.")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from rehearse.models import settings
    from rehearse.terminal import play
    from simulator.session import Rehearsal

    scenario = Catalog.load().get(args.scenario)
    config = settings(args.model, args.assessor)
    store = _store()
    with _model(config) as model:
        rehearsal = Rehearsal.begin(
            store,
            scenario,
            model,
            difficulty=args.difficulty,
            model_name=config.name,
            assessor=config.assessor,
        )
        return play(rehearsal, new=True)


def cmd_resume(args: argparse.Namespace) -> int:
    from rehearse.models import settings
    from rehearse.terminal import play
    from simulator.session import Rehearsal

    store = _store()
    info = store.get(args.session)
    scenario = Catalog.load().get(info.scenario_id)
    config = settings(args.model or (info.model or None), args.assessor)
    with _model(config) as model:
        rehearsal = Rehearsal(store, info.id, scenario, model, assessor=config.assessor)
        return play(rehearsal, new=False)


def cmd_sessions(args: argparse.Namespace) -> int:
    store = _store()
    sessions = store.list()
    if args.scenario:
        sessions = [s for s in sessions if s.scenario_id == args.scenario]
    if args.by_scenario:  # grouped by scenario, newest first within each
        sessions.sort(key=lambda s: s.scenario_id)
    if args.json:
        print(json.dumps([s.as_dict() for s in sessions], indent=2))
        return 0
    if not sessions:
        print("No sessions yet. Start one with: rehearse play SCENARIO_ID")
    for s in sessions:
        day = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created))
        notes = len(store.comments(s.id))
        print(
            f"{s.id}  {day}  {s.status:<8} {s.turns:>3} turns  {s.scenario_id:<28} {s.title}"
            + (f"  ({notes} comment{'s' if notes != 1 else ''})" if notes else "")
        )
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    import getpass

    from simulator.review import add_comment, reviewed

    store = _store()
    session = reviewed(store, Catalog.load(), store.get(args.session))
    author = args.author or getpass.getuser()
    comment = add_comment(store, session, args.turn, author, args.text)
    print(f"Comment {comment.id} added to turn {comment.turn} of session {comment.session_id}.")
    store.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from simulator.report import export_json, export_markdown
    from simulator.session import Rehearsal

    if args.all:
        return _export_all(args)
    if not args.session:
        raise RehearseError("Name a session (`rehearse sessions` lists them), or use --all.")
    store = _store()
    info = store.get(args.session)
    scenario = Catalog.load().get(info.scenario_id)
    rehearsal = Rehearsal(store, info.id, scenario)  # read-only: no model needed
    render = export_json if args.format == "json" else export_markdown
    comments = store.comments(info.id) or None  # without any, the export is as it was
    text = render(info.as_dict(), rehearsal.lines(), rehearsal.debrief(), comments=comments)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _export_all(args: argparse.Namespace) -> int:
    from simulator.archive import write_archive

    if args.session:
        raise RehearseError("Give a SESSION_ID or --all, not both.")
    target = Path(args.output or time.strftime("rehearse-sessions-%Y%m%d-%H%M%S.zip"))
    written = write_archive(_store(), Catalog.load(), target)
    print(f"Wrote {target} ({len(written)} session(s), each as JSON and Markdown).")
    return 0


def _confirm(question: str, yes: bool) -> bool:
    """Deleting cannot be undone: ask on a terminal; elsewhere only --yes will do."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise RehearseError(
            "Not deleting without confirmation, and there is no terminal to ask on. "
            "Run it in a terminal, or add --yes to delete without asking."
        )
    try:
        answer = input(f"{question} This cannot be undone. [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def _report_deleted(deleted: Deleted) -> None:
    print(f"Deleted {len(deleted.ids)} session(s).")
    if not deleted.wiped:
        print(
            "rehearse: another Rehearse process has the session store open; the deleted "
            "text is zeroed, and its last copies leave the file when that process stops.",
            file=sys.stderr,
        )


def cmd_delete(args: argparse.Namespace) -> int:
    store = _store()
    info = store.get(args.session)
    when = time.strftime("%Y-%m-%d", time.localtime(info.updated))
    question = f"Delete session {info.id} ({info.title}, {info.turns} turns, last used {when})?"
    if not _confirm(question, args.yes):
        print("Nothing deleted.")
        return 0
    _report_deleted(store.delete(info.id))
    store.close()
    return 0


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not 0 < days < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of days above 0, not {value!r}")
    return days


def cmd_forget(args: argparse.Namespace) -> int:
    store = _store()
    sessions = store.list()
    if args.older_than is not None:
        cutoff = time.time() - args.older_than * 24 * 60 * 60
        sessions = [s for s in sessions if s.updated < cutoff]
        what = f"the {len(sessions)} session(s) not used for {args.older_than:g} days"
    else:
        what = f"all {len(sessions)} session(s), with their transcripts and debriefs"
    # Reframes hold the user's own words too, so forgetting reaches them as well.
    from simulator.reframing import ReframeJournal

    journal = ReframeJournal()
    reframes = journal.list(None, older_than_days=args.older_than)
    if reframes:
        what = (
            f"{what}, and {len(reframes)} saved reframe(s)"
            if sessions
            else f"{len(reframes)} saved reframe(s)"
        )
    if (sessions or reframes) and not _confirm(f"Delete {what}?", args.yes):
        print("Nothing deleted.")
        return 0
    if args.older_than is not None:
        deleted = store.purge_older_than(args.older_than)
    else:
        deleted = store.forget_all()  # also anything left outside the session list
    _report_deleted(deleted)
    gone = journal.forget(older_than_days=args.older_than)
    if gone:
        print(f"Deleted {gone} reframe(s).")
    store.close()
    return 0


def _screen_line(number: int, raw: bytes) -> dict[str, object]:
    """One JSON line of ``safety-check`` output for one input line; errors are reported."""
    from simulator.safety import screen

    try:
        item = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {"line": number, "error": f"line {number}: not a JSON line ({exc})"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"line": number, "error": f'line {number}: expected {{"text": "..."}}'}
    previous = item.get("previous")
    if previous is not None and not isinstance(previous, str):
        return {"line": number, "error": f'line {number}: "previous" must be a string'}
    result = screen(item["text"], previous)
    return {
        "line": number,
        "flagged": result.flagged,
        "category": result.category,
        "matched": result.matched,
    }


def cmd_safety_check(args: argparse.Namespace) -> int:
    # Bytes, decoded line by line, so one badly encoded line is an error row, not a crash.
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        if not raw.strip():
            continue
        print(json.dumps(_screen_line(number, raw), ensure_ascii=False), flush=True)
    return 0


def cmd_learn(args: argparse.Namespace) -> int:
    from simulator.learning import note_text

    catalog = Catalog.load()
    if args.note:
        note = catalog.notes.get(args.note)
        if note is None:
            scenario = next((s for s in catalog.scenarios if s.id == args.note), None)
            if scenario is None:
                known = ", ".join(sorted(catalog.notes)) or "none"
                raise RehearseError(f"No learning note or scenario {args.note!r}. Notes: {known}.")
            notes = scenario.learning.notes
        else:
            notes = [note]
        if args.json:
            print(json.dumps([n.model_dump() for n in notes], indent=2, ensure_ascii=False))
        else:
            print("\n\n".join(note_text(n) for n in notes) or "This scene has no notes.")
        return 0
    users = {
        note_id: [s.id for s in catalog.scenarios if note_id in {n.id for n in s.learning.notes}]
        for note_id in catalog.notes
    }
    if args.json:
        rows = [
            {"id": n.id, "technique": n.technique, "summary": n.summary, "scenarios": users[n.id]}
            for n in catalog.notes.values()
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for note in catalog.notes.values():
        print(f"{note.id:<24} {note.technique}  ({', '.join(users[note.id]) or 'no scene yet'})")
    print("\n`rehearse learn NOTE_ID` (or a scenario id) shows the notes in full.")
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    from simulator.progress import progress_report, progress_text

    store = _store()
    if args.scenario and not any(s.scenario_id == args.scenario for s in store.list()):
        Catalog.load().get(args.scenario)  # an unknown id says so, with the nearest one
    if args.user is not None and not store.list(args.user):
        store.close()
        raise RehearseError(f"No sessions of a user named {args.user!r} in this data directory.")
    report = progress_report(store, owner=args.user, scenario_id=args.scenario)
    store.close()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(progress_text(report))
    return 0


def cmd_eval_coder(args: argparse.Namespace) -> int:
    # Imported here: the coder loads numpy and its weights, which no other command needs.
    from simulator.coder import evaluate_file, format_report

    result = evaluate_file(args.file)  # a bad file is a CoderDataError: a message, exit 1
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_report(result, args.file))
    return 0


def cmd_thinking_traps(args: argparse.Namespace) -> int:
    # Imported here, like the other commands' engines; the detector needs no model.
    from simulator.thinking_traps import evaluate, format_report, read_examples
    from simulator.thinking_traps.jsonl import annotate_line

    if args.eval:
        result = evaluate(read_examples(args.eval))  # a bad file: TrapDataError, exit 1
        print(json.dumps(result, indent=2) if args.json else format_report(result, args.eval))
        return 0
    bad = 0
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        if not raw.strip():
            continue
        row = annotate_line(number, raw, explain=args.explain)
        if "error" in row:
            bad += 1
            print(f"rehearse: {row['error']}", file=sys.stderr)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 1 if bad else 0


def cmd_reframe(args: argparse.Namespace) -> int:
    from simulator.reframing import ReframeJournal, converse, pick_session_line

    journal = ReframeJournal()
    if args.list:
        saved = journal.list()
        if args.json:
            print(json.dumps([r.as_dict() for r in saved], indent=2, ensure_ascii=False))
        for r in [] if args.json else saved:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.updated))
            print(f"{r.id}  {when}  {r.status:<8} {r.thought[:60]}")
        return 0
    if args.show:
        print(journal.get(args.show).markdown())
        return 0

    def ask(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    source = None
    thought = args.thought or ""
    if args.session:
        picked = pick_session_line(ask, print, _store(), Catalog.load(), args.session, args.turn)
        if picked is None:
            return 1
        thought, source = picked
    with _explainer(args.model) as model:
        converse(
            ask,
            print,
            journal,
            thought=thought,
            situation=args.situation or "",
            source=source,
            model=model,
        )
    return 0


@contextlib.contextmanager
def _explainer(flag: str | None) -> Iterator[BaseChatModel | None]:
    """The model that explains thinking traps: a capable one only, never the tiny embedded one."""
    from rehearse.models import settings

    config = settings(flag)
    if config.is_local:
        yield None  # a 135M model's explanations would mislead; the rules explain instead
        return
    with _model(config) as model:
        yield model


@contextlib.contextmanager
def _writer_model(args: argparse.Namespace, stored: str) -> Iterator[BaseChatModel | None]:
    """The model that writes (None with --offline: the template from your own lines)."""
    if args.offline:
        yield None
        return
    from rehearse.models import settings

    with _model(settings(args.model or (stored or None))) as model:
        yield model


def _session_for_writing(args: argparse.Namespace) -> tuple[SessionInfo, Rehearsal]:
    from simulator.session import Rehearsal

    store = _store()
    info = store.get(args.session)
    scenario = Catalog.load().get(info.scenario_id)
    return info, Rehearsal(store, info.id, scenario)  # read-only: the writer model is separate


def cmd_journal(args: argparse.Namespace) -> int:
    from simulator.writing import write_up

    info, rehearsal = _session_for_writing(args)
    lines = rehearsal.lines()
    if not lines:
        raise RehearseError(f"Session {info.id} has nothing written in it yet.")
    form = "story" if args.story else "journal"
    with _writer_model(args, info.model) as model:
        written = write_up(rehearsal.scenario, lines, rehearsal.debrief(), model, form)
    text = written["text"].rstrip() + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {args.output} ({written['form']}, {written['source']}).")
    else:
        sys.stdout.write(text)
    return 0


def cmd_picture(args: argparse.Namespace) -> int:
    from simulator.picture import describe, generate_image, image_settings

    info, rehearsal = _session_for_writing(args)
    scenario = rehearsal.scenario
    who = rehearsal.find(args.character) if args.character else scenario.cast[0].persona_id
    with _writer_model(args, info.model) as model:
        picture = describe(scenario, who, rehearsal.lines(), rehearsal.debrief(), model)
    print(f"{picture['name']}: {picture['text']}")
    images = image_settings()
    if images is None:
        if args.output:
            raise RehearseError(
                "No image model is configured: set REHEARSE_IMAGE_MODEL to an image model on "
                "your endpoint to make a picture. The description above is yours to draw from."
            )
        return 0
    target = Path(args.output or f"rehearse-{info.id}-{who}.png")
    generate_image(picture["text"], target, images)
    print(f"Wrote {target}")
    return 0


def read_auth(value: str) -> list[tuple[str, str]]:
    """``--auth``: one ``user:password``, or a file of such lines (``#`` starts a comment)."""
    path = Path(value)
    from_file = path.is_file()
    lines = path.read_text(encoding="utf-8").splitlines() if from_file else [value]
    pairs = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, password = line.partition(":")
        if not colon or not user.strip() or not password.strip():
            where = f"{value}:{number}" if from_file else "--auth"
            raise RehearseError(f"{where}: expected user:password (or a file of such lines).")
        pairs.append((user.strip(), password.strip()))
    if not pairs:
        raise RehearseError(f"{value}: no user:password lines found.")
    return pairs


def cmd_serve(args: argparse.Namespace) -> int:
    from rehearse.models import settings
    from ui.app import create_app  # Gradio is heavy: only `serve` pays for importing it

    if args.concurrency is not None and args.concurrency < 1:
        raise RehearseError("--concurrency must be at least 1.")
    config = settings(args.model, args.assessor)
    concurrency = args.concurrency or (
        # llama.cpp's server answers one request at a time: more would only queue there.
        LOCAL_CONCURRENCY if config.is_local else REMOTE_CONCURRENCY
    )
    auth = read_auth(args.auth) if args.auth else None
    reviewers = None
    if args.reviewers:
        from simulator.review import read_reviewers

        if auth is None:
            raise RehearseError("--reviewers needs --auth: a reviewer is a signed-in user.")
        reviewers = read_reviewers(args.reviewers, users=[user for user, _ in auth])
    if auth is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"rehearse: serving on {args.host} without --auth: anyone who can reach this "
            "address can practise here and read every session.",
            file=sys.stderr,
        )
    catalog = Catalog.load()
    store = _store()
    # The embedded model (if used) runs for exactly as long as the studio does.
    with _model(config) as model:
        demo = create_app(
            store,
            model,
            catalog,
            model_name=config.name,
            assessor=config.assessor,
            concurrency=concurrency,
            reviewers=reviewers,
        )
        users = f", {len(auth)} user(s)" if auth else ""
        print(
            f"Rehearse studio on http://{args.host}:{args.port}/ (model {config.name}{users}); "
            f"its JSON API under http://{args.host}:{args.port}/api/v1/. "
            "Ctrl+C stops it; sessions are saved.",
            file=sys.stderr,
        )
        _settle_heap()
        # A service manager's stop (SIGTERM) shuts down like Ctrl+C, so the embedded
        # model server is stopped too instead of being left running.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            demo.launch(server_name=args.host, server_port=args.port, auth=auth, quiet=True)
        except OSError as exc:
            raise RehearseError(
                f"Cannot serve on {args.host}:{args.port} ({exc}). Is it in use? Try --port."
            ) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
    store.close()
    print("Stopped. Sessions are saved.", file=sys.stderr)
    return 0


def _settle_heap() -> None:
    """Keep the garbage collector's full passes off what the studio holds for good.

    Once the studio is built, nearly all of the process's objects (the libraries, the
    app, the catalog: about 300,000) live as long as it does, yet each of the
    collector's full passes walks them all again. On a server answering many users a
    pass came every few seconds and took about 0.2 s, during which nobody's reply moved
    (issue #9's many-users benchmark). Frozen after one last collection, they are left
    out of every later pass; what sessions allocate from then on is collected as usual.
    """
    gc.collect()
    gc.freeze()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rehearse",
        description="Rehearse a conversation that matters with a simulated character, "
        "then get a debrief. A practice tool, not therapy.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list bundled and your own scenarios")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("validate", help="check scenario and persona files")
    p.add_argument("paths", nargs="*", help="files or folders (default: everything)")
    p.set_defaults(func=cmd_validate)

    def model_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--model",
            help="model name, or 'local' for the embedded model "
            "(default: $REHEARSE_MODEL or local)",
        )
        p.add_argument(
            "--assessor",
            choices=["model", "rules"],
            help="who judges each turn (default: rules for local, model otherwise)",
        )

    p = sub.add_parser("play", help="practise a scenario in the terminal")
    p.add_argument("scenario", metavar="SCENARIO_ID")
    p.add_argument("--difficulty", choices=["easy", "medium", "hard"])
    model_options(p)
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("sessions", help="list your sessions (newest first), with their dates")
    p.add_argument("--json", action="store_true")
    p.add_argument("--scenario", metavar="SCENARIO_ID", help="only this scenario's sessions")
    p.add_argument(
        "--by-scenario", action="store_true", help="group by scenario (newest first in each)"
    )
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("comment", help="comment on one turn of a session (a reviewer's note)")
    p.add_argument("session", metavar="SESSION_ID")
    p.add_argument("turn", metavar="TURN", help="the turn number (0: the opening lines)")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--author", help="who is commenting (default: your login name)")
    p.set_defaults(func=cmd_comment)

    p = sub.add_parser("resume", help="continue a session")
    p.add_argument("session", metavar="SESSION_ID")
    model_options(p)
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser(
        "export", help="write a session's transcript and debrief, or every session (--all)"
    )
    p.add_argument("session", metavar="SESSION_ID", nargs="?")
    p.add_argument(
        "--all",
        action="store_true",
        help="every session, each as JSON and Markdown, in one .zip with a manifest "
        "(default file: rehearse-sessions-DATE-TIME.zip)",
    )
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.add_argument("--output", "-o", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("delete", help="delete a session for good")
    p.add_argument("session", metavar="SESSION_ID")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("forget", help="delete all sessions, or the old ones, for good")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every session")
    which.add_argument(
        "--older-than",
        type=_days,
        metavar="DAYS",
        help="sessions not used for this many days (REHEARSE_RETENTION_DAYS does this "
        "whenever Rehearse starts)",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser(
        "safety-check",
        help='screen JSON lines {"text": ...} from standard input for signs of crisis',
        description='Reads one JSON object per line with a "text" field (and optionally '
        '"previous", the line before it) and writes one JSON line per input with '
        '"flagged", "category" and "matched", or "error" for a line it cannot read.',
    )
    p.set_defaults(func=cmd_safety_check)

    p = sub.add_parser(
        "eval-coder",
        help="measure the skill coder against an annotated CSV (AnnoMI-full format)",
        description="Codes every utterance of an AnnoMI-format CSV and prints, for therapist "
        "behaviour, question type, reflection type and client talk: n, accuracy, macro-F1, "
        "per-class F1 and Cohen's kappa against the annotations (majority label where an "
        "utterance has several annotators).",
    )
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--json", action="store_true", help="one JSON object, keyed by label")
    p.set_defaults(func=cmd_eval_coder)

    p = sub.add_parser(
        "thinking-traps",
        help='name the thinking traps in JSON lines {"text": ...} from standard input',
        description='Reads one JSON object per line with a "text" field and writes one JSON '
        'line per input with "traps" (a list of trap names, empty for a balanced thought), or '
        '"error" for a line it cannot read (exit 1 if any). Offline; no model is used. '
        "--eval FILE measures the detector on a labelled JSON-lines file instead.",
    )
    p.add_argument("--explain", action="store_true", help='add "explanations" to each line')
    p.add_argument(
        "--eval",
        metavar="FILE.jsonl",
        help='print per-trap precision and recall and micro-F1 on {"text", "traps"} lines',
    )
    p.add_argument("--json", action="store_true", help="with --eval: one JSON object")
    p.set_defaults(func=cmd_thinking_traps)

    p = sub.add_parser(
        "reframe",
        help="reframe a troubling thought: name its thinking traps, weigh it, rewrite it",
        description="A guided, reflective exercise (not therapy): bring a situation and a "
        "thought (typed, or a line you said in a practice session), see the thinking traps "
        "in it, answer a few questions about the evidence, and write a balanced reframe. "
        "Every answer is saved as you go. With a capable --model, the model explains the "
        "traps; the offline rules do otherwise.",
    )
    p.add_argument("--thought", help="the thought (otherwise you are asked)")
    p.add_argument("--situation", help="what happened (otherwise you are asked)")
    p.add_argument("--session", metavar="SESSION_ID", help="take the thought from a session")
    p.add_argument("--turn", type=int, help="with --session: your line at this turn")
    p.add_argument("--model", help="a capable model to explain the traps (default: rules)")
    p.add_argument("--list", action="store_true", help="list your saved reframes")
    p.add_argument("--show", metavar="REFRAME_ID", help="show a saved reframe")
    p.add_argument("--json", action="store_true", help="with --list: JSON")
    p.set_defaults(func=cmd_reframe)

    # The authors' commands: import, new, lint, export-scenario.
    add_authoring_parsers(sub)

    p = sub.add_parser(
        "journal",
        help="write a session down as a journal entry (or --story), in your own voice",
        description="Turns a session into a first-person journal entry or a short story. The "
        "model writes it; with --offline, or when the model fails, it is built from your own "
        "lines. Edit it as you like: it is yours.",
    )
    p.add_argument("session", metavar="SESSION_ID")
    p.add_argument("--story", action="store_true", help="a short story instead of a journal entry")
    p.add_argument("--output", "-o", help="file to write (default: standard output)")
    p.add_argument("--offline", action="store_true", help="no model: build it from your lines")
    p.add_argument("--model", help="the model that writes (default: the session's)")
    p.set_defaults(func=cmd_journal)

    p = sub.add_parser(
        "picture",
        help="a description of a character or part to draw (and an image, if configured)",
        description="Describes a character of a session for you to draw or to give to an image "
        "generator. With REHEARSE_IMAGE_MODEL set, the configured endpoint also makes the image "
        "(a PNG; -o names the file).",
    )
    p.add_argument("session", metavar="SESSION_ID")
    p.add_argument("--character", help="whose picture, by name (default: the first character)")
    p.add_argument("--output", "-o", help="the PNG to write when an image model is configured")
    p.add_argument("--offline", action="store_true", help="no model: the description template")
    p.add_argument("--model", help="the model that writes (default: the session's)")
    p.set_defaults(func=cmd_picture)

    p = sub.add_parser(
        "learn",
        help="the technique notes (DESC, OARS, the Self stance...) the scenarios link to",
        description="Lists the learning notes; with an id (a note's, or a scenario's), prints "
        "the notes in full.",
    )
    p.add_argument("note", metavar="NOTE_ID", nargs="?")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_learn)

    p = sub.add_parser(
        "progress",
        help="how your numbers changed across finished sessions (per scenario)",
        description="One row per finished session, oldest first: percent open questions, "
        "reflections per question, percent complex reflections, goals met, the other side's "
        "change-talk share and your turns; then the change from the first to the latest.",
    )
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", help="only this scenario")
    p.add_argument(
        "--user",
        metavar="NAME",
        help="only the sessions of this user of `serve --auth` (without it: every session, "
        "as the terminal sees them)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("serve", help="the web practice studio, in your browser")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only)",
    )
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument(
        "--auth",
        metavar="USER:PASS|FILE",
        help="sign-in: one user:password, or a file of user:password lines; "
        "each user sees only their own sessions",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help=f"model calls served at once, across all users (default: {REMOTE_CONCURRENCY} "
        f"for an endpoint, which batches them; {LOCAL_CONCURRENCY} for the embedded model)",
    )
    p.add_argument(
        "--reviewers",
        metavar="FILE",
        help="with --auth: lines of `reviewer: user, user`; a reviewer reads and comments "
        "on the sessions of the users assigned to them",
    )
    model_options(p)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except RehearseError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped. Sessions are saved; `rehearse sessions` lists them.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
