"""The user's own scenarios, personas and technique notes: check, save, restore, drafts.

Everything lives inside ``REHEARSE_HOME`` (see :mod:`simulator.paths`)::

    scenarios/<id>.yaml                       what the catalog loads
    scenarios/.versions/<id>/<stamp>.yaml     every text ever saved under that id
    personas/<id>.yaml, personas/.versions/<id>/<stamp>.yaml
    learning/<id>.yaml, learning/.versions/<id>/<stamp>.yaml   technique notes
    drafts/<draft-id>.yaml                    what is being typed, valid or not

The catalog reads only the top level of each folder, so the history
never shows up as a second copy. A save never touches a bundled file and refuses an id
that a bundled scenario or persona already uses (the catalog would reject the clash).
Every save is also written to the history, and the text it replaces is kept there first
if it is not already, so restoring any earlier version is always possible. Files are
written whole to a temporary name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import calendar
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulator.authoring.issues import Issue, from_problems
from simulator.errors import Problem, RehearseError, ScenarioFileError
from simulator.loader import (
    MAX_FILE_BYTES,
    load_note,
    load_persona,
    note_from_text,
    parse_yaml,
    persona_from_text,
    scenario_from_text,
)
from simulator.paths import bundled_dir, home, private_dir
from simulator.schema import Persona, Scenario, TechniqueNote

__all__ = ["Checked", "Draft", "Kind", "Saved", "Version", "Workspace", "detect_kind"]

Kind = Literal["scenario", "persona", "note"]
KINDS: tuple[Kind, ...] = ("scenario", "persona", "note")
_FOLDER = {"scenario": "scenarios", "persona": "personas", "note": "learning"}
_DRAFT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A draft may be larger than a scenario file may be (someone pasting a long text to trim
# it), but not without bound: the data directory is not a general file store.
MAX_DRAFT_BYTES = 4 * MAX_FILE_BYTES


@dataclass(frozen=True)
class Version:
    """One saved text of a scenario or persona, kept in its history."""

    kind: Kind
    item_id: str
    stamp: str  # sortable UTC time of the save, e.g. 20261202T032620123456Z
    path: Path

    @property
    def saved_at(self) -> float:
        """Seconds since the epoch, from the stamp (file times change when copied)."""
        return (
            calendar.timegm(time.strptime(self.stamp[:15], "%Y%m%dT%H%M%S"))
            + int(self.stamp[15:21] or 0) / 1e6
        )

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Saved:
    """Where a save went and what it replaced."""

    kind: Kind
    item_id: str
    path: Path
    version: Version  # this save, as it is kept in the history
    replaced: Version | None  # the text it replaced (None for a new id)


@dataclass(frozen=True)
class Draft:
    """Text being edited, kept exactly as typed."""

    draft_id: str
    path: Path
    updated: float

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass
class Checked:
    """The result of checking a text: what it is, the model if it loaded, the issues."""

    kind: Kind
    item_id: str | None = None
    scenario: Scenario | None = None
    persona: Persona | None = None
    note: TechniqueNote | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(issue.severity == "error" for issue in self.issues)


def detect_kind(data: Any) -> Kind:
    """Whether parsed YAML data looks like a persona, a technique note or a scenario."""
    keys = set(data) if isinstance(data, Mapping) else set()
    if not {"cast", "goals", "state", "who"} & keys and {"technique", "steps"} & keys:
        return "note"
    persona_keys = {"who", "voice", "wants", "fears", "under_pressure", "name"}
    if not {"cast", "goals", "state"} & keys and persona_keys & keys:
        return "persona"
    return "scenario"


def _stamp() -> str:
    now = time.time()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now % 1 * 1e6):06d}Z"


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` owner-only, all at once (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_new(folder: Path, stem: str, text: str) -> Path:
    """Write a file that did not exist (``O_EXCL``): two saves in one microsecond both stay."""
    for n in range(1000):
        path = folder / (f"{stem}.yaml" if n == 0 else f"{stem}-{n}.yaml")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return path
    raise RehearseError(f"cannot find a free file name for {stem!r} in {folder}")


class Workspace:
    """The user's scenario and persona folders, their histories and the drafts.

    ``root`` defaults to ``REHEARSE_HOME``; ``bundled`` (kind -> folder) to the bundled
    content, whose ids a save may not take.
    """

    def __init__(self, root: Path | None = None, bundled: Mapping[str, Path] | None = None):
        self.root = private_dir(Path(root)) if root is not None else home()
        self._bundled = dict(bundled) if bundled is not None else {}
        for kind in KINDS:
            self._bundled.setdefault(kind, bundled_dir(_FOLDER[kind]))
        self._cache: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}

    # --- folders ---------------------------------------------------------------------

    def folder(self, kind: Kind) -> Path:
        """Where the user's scenarios or personas live (what the catalog loads)."""
        return private_dir(self.root / _FOLDER[kind])

    def bundled_folder(self, kind: Kind) -> Path:
        return self._bundled[kind]

    def path_of(self, kind: Kind, item_id: str) -> Path:
        """The user file a scenario or persona with this id is saved to."""
        _check_item_id(item_id)
        return self.folder(kind) / f"{item_id}.yaml"

    def _history(self, kind: Kind, item_id: str) -> Path:
        return private_dir(self.folder(kind) / ".versions" / item_id)

    # --- ids -------------------------------------------------------------------------

    def ids(self, kind: Kind, origin: Literal["bundled", "user"]) -> dict[str, Path]:
        """The ids of the bundled or the user's files, with the file each came from.

        A file that does not parse is listed under its file name, which is what the
        catalog falls back to as well.
        """
        folder = self.bundled_folder(kind) if origin == "bundled" else self.folder(kind)
        found: dict[str, Path] = {}
        if not folder.is_dir():
            return found
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            found.setdefault(_declared_id(path) or path.stem, path)
        return found

    def free_id(self, kind: Kind, base: str) -> str:
        """``base`` if no bundled or user file uses it, else ``base-2``, ``base-3``..."""
        base = slug(base) or kind
        taken = set(self.ids(kind, "bundled")) | set(self.ids(kind, "user"))
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    # --- reading ---------------------------------------------------------------------

    def personas(self) -> dict[str, Persona]:
        """Every persona a scenario may name: bundled first, then the user's own."""
        folders = (self.bundled_folder("persona"), self.folder("persona"))
        return self._load_all("personas", folders, load_persona)

    def notes(self) -> dict[str, TechniqueNote]:
        """Technique notes a scenario's ``learning.techniques`` may name (as the catalog
        finds them: ``learning/`` beside the bundled scenarios, then the user's own)."""
        folders = (self.bundled_folder("note"), self.root / "learning")
        return self._load_all("notes", folders, load_note)

    def _load_all(
        self, key: str, folders: tuple[Path, ...], load: Callable[[Path], Any]
    ) -> dict[str, Any]:
        # An editor checks on every pause in typing: parsing forty files each time took
        # a quarter of a second, so the result is kept until a file changes (a stat of
        # each file is a fraction of a millisecond).
        paths = [p for folder in folders if folder.is_dir() for p in sorted(folder.glob("*.y*ml"))]
        signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == signature:
            return dict(cached[1])
        found: dict[str, Any] = {}
        for path in paths:
            try:
                item = load(path)
            except ScenarioFileError:
                continue  # `rehearse validate` reports it; a draft should not fail for it
            found.setdefault(item.id, item)
        self._cache[key] = (signature, found)
        return dict(found)

    def source_text(self, kind: Kind, item_id: str) -> str:
        """The YAML text of a user or bundled file, e.g. to duplicate it."""
        for origin in ("user", "bundled"):
            path = self.ids(kind, origin).get(item_id)  # type: ignore[arg-type]
            if path is not None:
                return path.read_text(encoding="utf-8")
        raise RehearseError(f"No {kind} with id {item_id!r}.")

    def origin(self, kind: Kind, item_id: str) -> Literal["bundled", "user"] | None:
        if item_id in self.ids(kind, "user"):
            return "user"
        if item_id in self.ids(kind, "bundled"):
            return "bundled"
        return None

    # --- checking --------------------------------------------------------------------

    def check(
        self,
        text: str,
        kind: Kind | None = None,
        *,
        file: str = "<draft>",
        personas: Mapping[str, Persona] | None = None,
        notes: Mapping[str, TechniqueNote] | None = None,
        saving: bool = False,
    ) -> Checked:
        """Validate YAML text without writing it; problems come back as :class:`Issue`.

        ``kind`` is guessed from the text when not given. A scenario may use the bundled
        and user personas and notes, plus ``personas`` and ``notes`` (e.g. ones imported
        alongside it). With
        ``saving``, an id that belongs to a bundled file is an error too, since
        :meth:`save` would refuse it: an editor shows it while the user types.
        """
        size = len(text.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            message = f"the text is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
            return Checked(kind or "scenario", issues=[Issue(file, None, None, message)])
        if kind is None:
            # Parsing is most of the cost of a check (pure-Python YAML, for the line
            # numbers); an editor that knows the kind saves this second parse.
            try:
                kind = detect_kind(parse_yaml(text, file).data)
            except ScenarioFileError as exc:
                return Checked("scenario", issues=from_problems(exc.problems))
        checked = Checked(kind, item_id=_declared_id_in(text))
        try:
            if kind == "persona":
                checked.persona = persona_from_text(text, file)
                checked.item_id = checked.persona.id
            elif kind == "note":
                checked.note = note_from_text(text, file)
                checked.item_id = checked.note.id
            else:
                known = {**self.personas(), **(personas or {})}
                known_notes = {**self.notes(), **(notes or {})}
                checked.scenario = scenario_from_text(text, file, known, known_notes)
                checked.item_id = checked.scenario.id
        except ScenarioFileError as exc:
            checked.issues = from_problems(exc.problems)
        if saving and checked.item_id and checked.item_id in self.ids(kind, "bundled"):
            line = _line_of_id(text)
            checked.issues.append(
                Issue(
                    file,
                    line,
                    "id",
                    f"{checked.item_id!r} is a bundled {kind}; your copy needs an id of its own",
                    f"use {self.free_id(kind, checked.item_id)!r}",
                )
            )
        return checked

    # --- saving and history ----------------------------------------------------------

    def save(
        self,
        text: str,
        kind: Kind | None = None,
        *,
        personas: Mapping[str, Persona] | None = None,
        notes: Mapping[str, TechniqueNote] | None = None,
    ) -> Saved:
        """Save a valid scenario or persona under its id in the user's folder.

        Raises :class:`ScenarioFileError` (nothing written) when the text does not
        validate or its id belongs to a bundled file; keep the text as a draft meanwhile.
        """
        checked = self.check(
            text, kind, file="<unsaved>", personas=personas, notes=notes, saving=True
        )
        if not checked.ok or checked.item_id is None:
            raise ScenarioFileError(_as_problems(checked.issues))
        kind, item_id = checked.kind, checked.item_id
        target = self.path_of(kind, item_id)
        other = self.ids(kind, "user").get(item_id)
        if other is not None and other != target:
            raise ScenarioFileError(
                [Problem("<unsaved>", _line_of_id(text), "id", f"{other} already uses this id")]
            )
        replaced = None
        if target.exists():
            current = target.read_text(encoding="utf-8")
            latest = self.versions(kind, item_id)
            if latest and latest[0].text() == current:
                replaced = latest[0]
            else:  # edited outside Rehearse, or saved before histories existed: keep it
                replaced = self._keep(kind, item_id, current)
        version = self._keep(kind, item_id, text)
        _write_atomic(target, text)
        return Saved(kind, item_id, target, version, replaced)

    def _keep(self, kind: Kind, item_id: str, text: str) -> Version:
        path = _write_new(self._history(kind, item_id), _stamp(), text)
        return Version(kind, item_id, path.stem, path)

    def versions(self, kind: Kind, item_id: str) -> list[Version]:
        """Every kept text of this scenario or persona, newest first."""
        _check_item_id(item_id)
        folder = self.folder(kind) / ".versions" / item_id
        if not folder.is_dir():
            return []
        paths = sorted(folder.glob("*.yaml"), key=lambda p: _stamp_key(p.stem), reverse=True)
        return [Version(kind, item_id, p.stem, p) for p in paths]

    def version(self, kind: Kind, item_id: str, stamp: str) -> Version:
        for version in self.versions(kind, item_id):
            if version.stamp == stamp:
                return version
        raise RehearseError(f"No saved version {stamp!r} of {kind} {item_id!r}.")

    def restore(self, kind: Kind, item_id: str, stamp: str) -> Saved:
        """Make an earlier version current again (itself a save, so it can be undone)."""
        version = self.version(kind, item_id, stamp)
        return self.save(version.text(), kind)

    def remove(self, kind: Kind, item_id: str) -> Version:
        """Take a user file out of the catalog; its text stays in the history."""
        target = self.path_of(kind, item_id)
        if not target.exists():
            raise RehearseError(f"You have no {kind} {item_id!r} to remove.")
        current = target.read_text(encoding="utf-8")
        latest = self.versions(kind, item_id)
        kept = latest[0] if latest and latest[0].text() == current else None
        kept = kept or self._keep(kind, item_id, current)
        target.unlink()
        return kept

    # --- drafts ----------------------------------------------------------------------

    def _drafts(self) -> Path:
        return private_dir(self.root / "drafts")

    def save_draft(self, draft_id: str, text: str) -> Draft:
        """Keep ``text`` exactly as typed, valid or not, under ``draft_id``."""
        path = self._draft_path(draft_id)
        size = len(text.encode("utf-8"))
        if size > MAX_DRAFT_BYTES:
            raise RehearseError(
                f"The draft is {size:,} bytes; drafts are kept up to {MAX_DRAFT_BYTES:,}."
            )
        _write_atomic(path, text)
        return Draft(draft_id, path, path.stat().st_mtime)

    def load_draft(self, draft_id: str) -> str | None:
        """The draft's text, or None if there is none."""
        path = self._draft_path(draft_id)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def drafts(self) -> list[Draft]:
        """Every draft, most recently edited first."""
        found = [
            Draft(p.stem, p, p.stat().st_mtime)
            for p in self._drafts().glob("*.yaml")
            if _DRAFT_ID.match(p.stem)
        ]
        return sorted(found, key=lambda d: d.updated, reverse=True)

    def delete_draft(self, draft_id: str) -> None:
        self._draft_path(draft_id).unlink(missing_ok=True)

    def _draft_path(self, draft_id: str) -> Path:
        if not isinstance(draft_id, str) or not _DRAFT_ID.match(draft_id):
            raise RehearseError(
                f"A draft id is letters, digits, '-', '_' or '.', up to 100; not {draft_id!r}."
            )
        return self._drafts() / f"{draft_id}.yaml"


# --- helpers -----------------------------------------------------------------------------


def slug(text: str) -> str:
    """A lower-case id made of the letters and digits in ``text``."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"-{2,}", "-", out)[:60].strip("-")


def _check_item_id(item_id: str) -> None:
    # Ids name files and folders: nothing that could climb out of the user's folder.
    if not isinstance(item_id, str) or not _ITEM_ID.match(item_id):
        raise RehearseError(f"{item_id!r} is not an id (lower-case letters, digits and '-').")


def _declared_id(path: Path) -> str | None:
    try:
        return _declared_id_in(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _declared_id_in(text: str) -> str | None:
    """The top-level ``id:`` of YAML text, read without parsing (the text may not parse)."""
    match = re.search(r"^id:\s*['\"]?([a-z0-9][a-z0-9-]*)['\"]?\s*(?:#.*)?$", text, re.MULTILINE)
    return match.group(1) if match else None


def _line_of_id(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^id\s*:", line):
            return number
    return None


def _stamp_key(stem: str) -> tuple[str, int]:
    base, _, n = stem.partition("Z-")
    return (base, int(n) if n.isdigit() else 0)


def _as_problems(issues: list[Issue]) -> list[Problem]:
    return [
        Problem(
            i.file,
            i.line,
            i.field,
            i.message + (f"; {i.suggestion}" if i.suggestion else ""),
        )
        for i in issues
        if i.severity == "error"
    ]
