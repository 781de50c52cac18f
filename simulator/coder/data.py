"""Reading AnnoMI-format CSV files into one labelled utterance per row of conversation.

The AnnoMI-full layout has one row per utterance *and annotator*. Most transcripts have one
annotator; a few were coded by ten, and there an utterance's label is the majority of its
rows, taken column by column. A tie goes to the label listed first in the label order below
(a behaviour before "n/a"), so that the reading is deterministic.

Every problem with a file (missing, not text, not a CSV, missing columns, an unknown label)
is a :class:`CoderDataError` that names the file and, where it can, the line.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import RehearseError

__all__ = [
    "BEHAVIOURS",
    "CLIENT_TALK",
    "NA",
    "QUESTION_TYPES",
    "REFLECTION_TYPES",
    "REQUIRED_COLUMNS",
    "CoderDataError",
    "Utterance",
    "read_annomi",
]

NA = "n/a"
BEHAVIOURS: tuple[str, ...] = ("question", "reflection", "therapist_input", "other")
QUESTION_TYPES: tuple[str, ...] = ("open", "closed")
REFLECTION_TYPES: tuple[str, ...] = ("simple", "complex")
CLIENT_TALK: tuple[str, ...] = ("change", "neutral", "sustain")

# Column -> the labels it may hold, in tie-breaking order.
_LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "main_therapist_behaviour": (*BEHAVIOURS, NA),
    "question_subtype": (*QUESTION_TYPES, NA),
    "reflection_subtype": (*REFLECTION_TYPES, NA),
    "client_talk_type": (*CLIENT_TALK, NA),
}
REQUIRED_COLUMNS: tuple[str, ...] = (
    "transcript_id",
    "utterance_id",
    "interlocutor",
    "utterance_text",
    *_LABEL_COLUMNS,
)
_SPEAKERS = ("therapist", "client")


class CoderDataError(RehearseError):
    """A file of annotated utterances that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Utterance:
    """One utterance of one transcript with its (majority) labels; ``None`` where n/a."""

    transcript_id: str
    utterance_id: int
    speaker: str  # "therapist" or "client"
    text: str
    behaviour: str | None = None
    question_type: str | None = None
    reflection_type: str | None = None
    client_talk: str | None = None
    line: int = 0  # the file line of its first row, for messages


def _majority(values: list[str], order: tuple[str, ...]) -> str:
    counts = Counter(values)
    best = max(counts.values())
    return next(label for label in order if counts.get(label) == best)


def _rows(path: Path) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise CoderDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CoderDataError(f"{path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise CoderDataError(f"{path}: cannot be opened ({exc.strerror or exc})") from None
    with handle:
        reader = csv.reader(handle, strict=True)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                raise CoderDataError(f"{path}: the file is empty; expected an AnnoMI-format CSV")
            header = [h.strip() for h in header]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise CoderDataError(
                    f"{path}:1: not an AnnoMI-format CSV: missing column(s) {', '.join(missing)}"
                )
            line = reader.line_num + 1
            for record in reader:
                if record:  # blank lines are allowed
                    if len(record) != len(header):
                        raise CoderDataError(
                            f"{path}:{line}: expected {len(header)} fields, found {len(record)}"
                        )
                    yield line, dict(zip(header, record, strict=True))
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise CoderDataError(f"{path}: not a UTF-8 text file (is it really a CSV?)") from None
        except csv.Error as exc:
            raise CoderDataError(f"{path}:{line}: not a well-formed CSV ({exc})") from None


def read_annomi(path: str | Path) -> list[Utterance]:
    """The utterances of an AnnoMI-format CSV, in transcript then utterance order."""
    path = Path(path)
    groups: dict[tuple[str, int], list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for line, row in _rows(path):
        tid = row["transcript_id"].strip()
        try:
            uid = int(row["utterance_id"])
        except ValueError:
            raise CoderDataError(
                f"{path}:{line}: utterance_id must be a whole number, not {row['utterance_id']!r}"
            ) from None
        speaker = row["interlocutor"].strip()
        if speaker not in _SPEAKERS:
            raise CoderDataError(
                f"{path}:{line}: interlocutor must be therapist or client, not {speaker!r}"
            )
        for column, allowed in _LABEL_COLUMNS.items():
            value = row[column].strip()
            if value not in allowed:
                raise CoderDataError(
                    f"{path}:{line}: {column} must be one of {', '.join(allowed)}, not {value!r}"
                )
        groups[(tid, uid)].append((line, row))
    if not groups:
        raise CoderDataError(f"{path}: the file has a header but no utterances")

    def order(key: tuple[str, int]) -> tuple[int, str, int]:
        tid, uid = key  # numeric transcript ids sort as numbers, others after them
        return (0, f"{int(tid):012d}", uid) if tid.isdigit() else (1, tid, uid)

    out = []
    for key in sorted(groups, key=order):
        rows = groups[key]
        first_line, first = rows[0]
        speakers = {r["interlocutor"].strip() for _, r in rows}
        if len(speakers) > 1:
            raise CoderDataError(
                f"{path}:{first_line}: utterance {key[1]} of transcript {key[0]} has rows "
                "with different interlocutors"
            )
        labels = {
            column: _majority([r[column].strip() for _, r in rows], allowed)
            for column, allowed in _LABEL_COLUMNS.items()
        }
        speaker = first["interlocutor"].strip()
        # A label counts only on the side it belongs to (therapist codes on therapist rows).
        mine = {
            column: value
            if value != NA and (speaker == "client") == (column == "client_talk_type")
            else None
            for column, value in labels.items()
        }
        out.append(
            Utterance(
                transcript_id=key[0],
                utterance_id=key[1],
                speaker=speaker,
                text=first["utterance_text"],
                behaviour=mine["main_therapist_behaviour"],
                question_type=mine["question_subtype"],
                reflection_type=mine["reflection_subtype"],
                client_talk=mine["client_talk_type"],
                line=first_line,
            )
        )
    return out
