"""Every session of a user in one file: ``rehearse export --all`` and the studio's download.

The archive is a ``.zip``, readable without Rehearse::

    manifest.json                          what is inside: format, version, when it was
                                           written, and per session its index row
                                           (scenario, title, status, turns, dates) and
                                           the names of its two files
    sessions/<date>-<scenario>-<id>.json   as ``rehearse export --format json``, plus
                                           ``other_branches`` (transcripts left by rewinds)
                                           and any ``comments`` on its turns
    sessions/<date>-<scenario>-<id>.md     as ``rehearse export --format md``, plus the
                                           same earlier branches
    reframes/<date>-<id>.json, .md         each saved reframe (``rehearse reframe``, the
                                           studio's tab): the record and a readable copy;
                                           the manifest lists them under ``reframes``

The file is created owner-only (``0o600``): it holds everything the person said.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from simulator.catalog import Catalog
from simulator.errors import RehearseError
from simulator.paths import private_file
from simulator.reframing import ReframeJournal
from simulator.report import export_json, export_markdown
from simulator.session import Rehearsal
from simulator.store import SessionInfo, SessionStore
from simulator.transcript import USER, Line

__all__ = ["ARCHIVE_FORMAT", "ARCHIVE_VERSION", "write_archive"]

ARCHIVE_FORMAT = "rehearse-sessions"
ARCHIVE_VERSION = 1


def _plain_transcript(store: SessionStore, session_id: str) -> list[Line]:
    """The transcript when the session's scenario file is gone: speakers by id."""
    config = {"configurable": {"thread_id": session_id}}
    messages = store.graph.get_state(config).values.get("messages", [])
    lines, turn = [], 0
    for message in messages:
        if isinstance(message, HumanMessage):
            turn += 1
            lines.append(Line(turn, USER, "You", str(message.content)))
        else:
            speaker = message.name or "character"
            lines.append(Line(turn, speaker, speaker, str(message.content)))
    return lines


def _session(
    store: SessionStore, catalog: Catalog, info: SessionInfo
) -> tuple[list[Line], dict[str, Any] | None, list[list[Line]]]:
    """Transcript, debrief and earlier branches of one session."""
    try:
        scenario = catalog.get(info.scenario_id)
    except RehearseError:
        # The scenario was removed or broken since: what the person said still goes in.
        state = store.graph.get_state({"configurable": {"thread_id": info.id}}).values
        return _plain_transcript(store, info.id), state.get("debrief"), []
    rehearsal = Rehearsal(store, info.id, scenario)  # read-only: no model
    lines = rehearsal.lines()
    others: list[list[Line]] = []
    for branch in rehearsal.branches():
        if branch != lines and branch not in others:
            others.append(branch)
    return lines, rehearsal.debrief(), others


def write_archive(
    store: SessionStore,
    catalog: Catalog,
    target: Path,
    owner: str | None = None,
    journal: ReframeJournal | None = None,
) -> list[SessionInfo]:
    """Write every session and saved reframe (with ``owner``: every one of theirs) to the
    zip ``target``; ``journal`` is where the reframes are (default: the data directory's).

    Returns the sessions written. ``target`` is replaced only once the archive is
    complete, and is readable by its owner only.
    """
    sessions = store.list(owner)
    reframes = (journal if journal is not None else ReframeJournal()).list(owner)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    private_file(partial)
    manifest: dict[str, Any] = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sessions": [],
        "reframes": [],
    }
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for info in reversed(sessions):  # oldest first, like a diary
                day = time.strftime("%Y-%m-%d", time.localtime(info.created))
                stem = f"sessions/{day}-{info.scenario_id}-{info.id}"
                lines, debrief, others = _session(store, catalog, info)
                meta = info.as_dict()
                # A reviewer's comments on its turns, if any (without, the files are as before).
                notes = store.comments(info.id) or None
                for suffix, export in ((".json", export_json), (".md", export_markdown)):
                    text = export(meta, lines, debrief, other_branches=others, comments=notes)
                    archive.writestr(stem + suffix, text)
                manifest["sessions"].append(
                    {**meta, "json": f"{stem}.json", "markdown": f"{stem}.md"}
                )
            for reframe in reversed(reframes):  # oldest first too
                day = time.strftime("%Y-%m-%d", time.localtime(reframe.created))
                stem = f"reframes/{day}-{reframe.id}"
                record = json.dumps(reframe.as_dict(), indent=2, ensure_ascii=False) + "\n"
                archive.writestr(stem + ".json", record)
                archive.writestr(stem + ".md", reframe.markdown() + "\n")
                manifest["reframes"].append(
                    {
                        "id": reframe.id,
                        "status": reframe.status,
                        "created": reframe.created,
                        "updated": reframe.updated,
                        "json": f"{stem}.json",
                        "markdown": f"{stem}.md",
                    }
                )
            archive.writestr(
                "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return sessions
