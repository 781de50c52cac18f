"""One YAML file that carries a scenario and the personas it uses, to share or archive.

A bundle is a YAML stream of documents: a header, then the user's own technique notes
the scenario names (bundled ones are everywhere already), each persona file, then the
scenario file, each exactly as written (comments included)::

    # Rehearse bundle: a scenario and the personas it uses. `rehearse import FILE`.
    bundle: rehearse/1
    scenario: my-scene
    personas: [my-client]
    ---
    id: my-client
    ...
    ---
    id: my-scene
    ...

Each document is an ordinary scenario or persona file, so the loader checks it as one
and its line numbers are shifted back to lines of the bundle: a problem in the third
document points at the bundle's line, not the document's.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from simulator.authoring.workspace import Kind, Workspace, detect_kind
from simulator.errors import Problem, RehearseError, ScenarioFileError
from simulator.loader import parse_yaml

__all__ = ["BUNDLE_FORMAT", "Document", "export_bundle", "is_bundle", "read_bundle"]

BUNDLE_FORMAT = "rehearse/1"
_SEPARATOR = re.compile(r"^---[ \t]*$")
_HEADER_KEY = re.compile(r"^bundle\s*:", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """One scenario or persona file inside a bundle, and the bundle line it starts on."""

    kind: Kind
    text: str
    first_line: int  # line of the bundle where the document's first line is

    def shift(self, problems: list[Problem], file: str) -> list[Problem]:
        """Problems found in ``text`` alone, with lines of the whole bundle file."""
        return [
            Problem(file, p.line + self.first_line - 1 if p.line else None, p.field, p.message)
            for p in problems
        ]


def _strip_markers(text: str, what: str) -> str:
    lines = text.splitlines()
    while lines and _SEPARATOR.match(lines[0]):
        lines.pop(0)
    if any(_SEPARATOR.match(line) or line.rstrip() == "..." for line in lines):
        raise RehearseError(f"{what} holds several YAML documents; a bundle needs one per file.")
    return "\n".join(lines).rstrip() + "\n"


def export_bundle(workspace: Workspace, scenario_id: str) -> str:
    """The bundle text of a user or bundled scenario and the personas it names by id."""
    text = workspace.source_text("scenario", scenario_id)
    checked = workspace.check(text, "scenario", file=f"scenario {scenario_id}")
    if checked.scenario is None:
        raise ScenarioFileError(
            [Problem(i.file, i.line, i.field, i.message) for i in checked.issues]
        )
    # Only what is named by id needs carrying; inline personas and notes travel inside
    # the scenario, and bundled notes are in every installation.
    data = parse_yaml(text, scenario_id).data
    named = [m["persona"] for m in data.get("cast", []) if isinstance(m.get("persona"), str)]
    techniques = (data.get("learning") or {}).get("techniques") or []
    own_notes = [
        t for t in techniques if isinstance(t, str) and workspace.origin("note", t) == "user"
    ]
    documents = [
        _strip_markers(workspace.source_text("note", nid), f"note {nid}") for nid in own_notes
    ]
    documents += [
        _strip_markers(workspace.source_text("persona", pid), f"persona {pid}") for pid in named
    ]
    documents.append(_strip_markers(text, f"scenario {scenario_id}"))
    header = (
        "# Rehearse bundle: a scenario and the personas it uses.\n"
        "# Import it with `rehearse import FILE` or the Author tab.\n"
        f"bundle: {BUNDLE_FORMAT}\n"
        f"scenario: {scenario_id}\n"
        f"personas: [{', '.join(named)}]\n"
        + (f"notes: [{', '.join(own_notes)}]\n" if own_notes else "")
        + f"exported: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
    )
    return "---\n".join([header, *documents])


def is_bundle(text: str) -> bool:
    """Whether YAML text starts with a bundle header."""
    head = text.split("\n---", 1)[0]
    return bool(_HEADER_KEY.search(head))


def read_bundle(text: str, file: str) -> list[Document]:
    """Split a bundle into its documents; a bad header or document order is a problem."""
    chunks: list[tuple[int, list[str]]] = [(1, [])]
    for number, line in enumerate(text.splitlines(), start=1):
        if _SEPARATOR.match(line):
            chunks.append((number + 1, []))
        else:
            chunks[-1][1].append(line)
    pieces = [(start, "\n".join(lines) + "\n") for start, lines in chunks if "".join(lines).strip()]
    if not pieces:
        raise ScenarioFileError([Problem(file, None, None, "the file is empty")])
    start, header_text = pieces[0]
    header = parse_yaml(header_text, file).data
    if header.get("bundle") != BUNDLE_FORMAT:
        raise ScenarioFileError(
            [
                Problem(
                    file,
                    start,
                    "bundle",
                    f"expected 'bundle: {BUNDLE_FORMAT}' on top, found {header.get('bundle')!r}",
                )
            ]
        )
    documents = []
    for start, chunk in pieces[1:]:
        try:
            data = parse_yaml(chunk, file).data
        except ScenarioFileError as exc:
            raise ScenarioFileError(
                Document("scenario", chunk, start).shift(exc.problems, file)
            ) from None
        documents.append(Document(detect_kind(data), chunk, start))
    scenarios = [d for d in documents if d.kind == "scenario"]
    if len(scenarios) != 1:
        raise ScenarioFileError(
            [
                Problem(
                    file,
                    None,
                    None,
                    f"a bundle holds exactly one scenario; this one holds {len(scenarios)}",
                )
            ]
        )
    return documents
