"""Reframing a thought: name its traps, weigh the evidence, write a balanced reframe.

The flow the terminal (``rehearse reframe``) and the studio's "Reframe a thought" tab
share, step by step:

1. the user brings a situation and a troubling thought: typed in, or a line they said
   in an earlier practice session (:func:`session_lines` lists them);
2. :func:`name_traps` names the thinking traps in it with the offline detector; when a
   capable model is given it writes the explanations, and the rules' own explanations
   stand in whenever the model fails or answers with something unusable;
3. :func:`questions` asks about evidence for and against, a friend's view, and one
   question per trap found;
4. the user writes a reframe in their own words, and :func:`check_reframe` says whether
   it is balanced: the detector runs on it too, and a falsely positive reframe
   ("everything will be perfect") is flagged, because a reframe has to be believable.

Every step is saved at once in the :class:`ReframeJournal` (one owner-only JSON file per
reframe under ``REHEARSE_HOME/reframes/``), so nothing the user wrote is lost, also when
they stop half-way. Every text the user writes is screened for crisis first
(:func:`crisis_check`): a person at risk is shown where to find help, not a worksheet.
This is a reflective exercise, not therapy.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulator.errors import RehearseError
from simulator.paths import home, private_dir, private_file
from simulator.safety import crisis_resources, screen
from simulator.thinking_traps import (
    DESCRIPTIONS,
    GENERAL_QUESTIONS,
    QUESTIONS,
    detect,
)
from simulator.thinking_traps.detector import normalise

__all__ = [
    "EXPLAIN_PROMPT",
    "Ask",
    "Question",
    "Reframe",
    "ReframeCheck",
    "ReframeJournal",
    "Say",
    "TrapReading",
    "check_reframe",
    "converse",
    "crisis_check",
    "name_traps",
    "pick_session_line",
    "questions",
    "session_lines",
]

EXPLAIN_PROMPT = """\
You help a person look at one of their own thoughts, the way a CBT worksheet does. \
You are not a therapist and you do not give advice.

Thinking traps found in the thought: {traps}.
Trap meanings:
{meanings}

For each trap listed, write one or two kind, plain sentences that point at the words \
in the thought that show it. Answer with a JSON object only, mapping each trap name, \
spelled exactly as listed, to its explanation."""


@dataclass(frozen=True)
class TrapReading:
    """The traps in a thought and an explanation of each, and who wrote the explanations."""

    traps: list[str]
    explanations: dict[str, str]
    explained_by: Literal["rules", "model"]
    fallback_reason: str = ""  # why the model's explanations were not used, if it was asked


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class ReframeCheck:
    """Whether a reframe is balanced: no trap left, not falsely positive, the user's own."""

    balanced: bool
    traps: list[str]
    too_positive: list[str]  # the words that promise too much
    notes: list[str]


@dataclass
class Reframe:
    """One reframing exercise, saved as it goes (``status`` "draft" until finished)."""

    id: str
    created: float
    updated: float
    owner: str = ""
    situation: str = ""
    thought: str = ""
    source: dict[str, Any] | None = None  # {"session_id", "turn", "title"} for a session line
    traps: list[str] = field(default_factory=list)
    explanations: dict[str, str] = field(default_factory=dict)
    explained_by: str = "rules"
    answers: dict[str, str] = field(default_factory=dict)  # question id -> the user's answer
    reframe: str = ""
    check: dict[str, Any] | None = None
    status: Literal["draft", "finished"] = "draft"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def markdown(self) -> str:
        """The exercise as the user can read it back."""
        parts = [f"**Thought:** {self.thought}"]
        if self.situation:
            parts.insert(0, f"**Situation:** {self.situation}")
        if self.traps:
            parts.append(
                "**Thinking traps:**\n"
                + "\n".join(
                    f"- *{t}*: {self.explanations.get(t, DESCRIPTIONS[t])}" for t in self.traps
                )
            )
        else:
            parts.append("**Thinking traps:** none found.")
        if self.source:
            parts.insert(
                1,
                f"*From your session {self.source.get('title', '')}, "
                f"turn {self.source.get('turn')}.*",
            )
        texts = {q.id: q.text for q in questions(self.traps)}
        texts["trap_questions"] = "Your answers to the questions for these traps"
        for qid, answer in self.answers.items():
            if answer.strip():
                parts.append(f"**{texts.get(qid, qid)}**\n{answer}")
        if self.reframe:
            parts.append(f"**Your reframe:** {self.reframe}")
        return "\n\n".join(parts)


# --- naming the traps -----------------------------------------------------------------


def _rules_reading(traps: list[str], explanations: dict[str, str], reason: str) -> TrapReading:
    return TrapReading(traps, explanations, "rules", reason)


def _parse_explanations(content: str, traps: Sequence[str]) -> dict[str, str]:
    """The model's ``{trap: explanation}``, keeping only the traps asked about."""
    match = re.search(r"\{.*\}", content, re.DOTALL)
    if match is None:
        raise ValueError("no JSON object in the answer")
    data = json.loads(match.group(0))
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    wanted = {t.lower(): t for t in traps}
    out = {}
    for key, value in data.items():
        trap = wanted.get(str(key).strip().lower())
        if trap is not None and isinstance(value, str) and 0 < len(value.strip()) <= 600:
            out[trap] = value.strip()
    return out


def name_traps(thought: str, model: Any | None = None) -> TrapReading:
    """The traps in ``thought``; a capable ``model`` (a LangChain chat model) explains them.

    The traps themselves always come from the offline detector, so the answer is the same
    with or without a model; only the wording of the explanations changes. Explanations
    the model leaves out, or a model that fails, fall back to the rules' own.
    """
    detection = detect(thought)
    traps, rules_text = detection.traps, detection.explanations
    if model is None or not traps:
        return _rules_reading(traps, rules_text, "")
    from langchain_core.messages import HumanMessage, SystemMessage

    prompt = EXPLAIN_PROMPT.format(
        traps=", ".join(traps), meanings="\n".join(f"- {t}: {DESCRIPTIONS[t]}" for t in traps)
    )
    try:
        answer = model.invoke([SystemMessage(content=prompt), HumanMessage(content=thought)])
        explained = _parse_explanations(str(answer.content), traps)
    except Exception as exc:  # any failure of the endpoint or the answer: rules stand in
        return _rules_reading(traps, rules_text, f"{type(exc).__name__}: {exc}"[:200])
    if not explained:
        return _rules_reading(traps, rules_text, "the model explained none of the traps")
    merged = {t: explained.get(t, rules_text[t]) for t in traps}
    return TrapReading(traps, merged, "model")


def questions(traps: Sequence[str]) -> list[Question]:
    """The guiding questions: evidence for and against, other views, one per trap."""
    general = [
        Question("evidence_for", GENERAL_QUESTIONS[0]),
        Question("evidence_against", GENERAL_QUESTIONS[1]),
        Question("friend", GENERAL_QUESTIONS[2]),
        Question("other_view", GENERAL_QUESTIONS[3]),
    ]
    return general + [Question(f"trap:{t}", QUESTIONS[t]) for t in traps if t in QUESTIONS]


# --- checking the reframe -------------------------------------------------------------

# Promises no one can keep: a reframe that needs them will not be believed for long.
_TOO_POSITIVE = re.compile(
    r"\beverything (?:will|is going to|'ll) (?:be )?(?:fine|perfect|great|ok|okay|amazing|"
    r"work out|go (?:well|perfectly|to plan))\b"
    r"|\bnothing (?:bad )?(?:will|can|could|is going to) (?:ever )?go wrong\b"
    r"|\b(?:definitely|certainly|guaranteed|surely|for sure) (?:will|going to|get|be|win|pass)\b"
    r"|\b(?:will|'ll) (?:definitely|certainly|surely) (?:\w+ )?(?:get|be|win|pass|succeed|love)"
    r"|\bi(?:'m| am) (?:perfect|the best|flawless|amazing at everything|always right)\b"
    r"|\beveryone (?:will |is going to |already )?(?:loves?|likes?|adores?) me\b"
    r"|\bi(?:'ll| will) never (?:fail|make (?:a |any )?mistakes?|be (?:sad|anxious|rejected))"
    r"|\b(?:always|every time) (?:succeed|win|get it right|be happy)\b"
    r"|\bnothing to worry about\b|\bno problems? at all\b|\bi can do anything\b"
    r"|\b100 ?%|\bperfect(?:ly)?\b(?! is\b)(?! isn't\b)"
)


def check_reframe(thought: str, reframe: str) -> ReframeCheck:
    """Whether ``reframe`` is a balanced, believable alternative to ``thought``."""
    text = reframe.strip()
    if not text:
        return ReframeCheck(False, [], [], ["Write the reframe in your own words first."])
    notes: list[str] = []
    traps = detect(text).traps
    # The "perfect" in "it doesn't have to be perfect" is a balanced rule, not a promise.
    too_positive = [
        m.group(0)
        for m in _TOO_POSITIVE.finditer(normalise(text))
        if not re.search(r"(?:n't|not|no)\b[^.,;]{0,25}$", normalise(text)[: m.start()])
    ]
    for trap in traps:
        notes.append(f"It still holds {trap}: {DESCRIPTIONS[trap]}")
    if too_positive:
        notes.append(
            "It may promise more than you can know ("
            + ", ".join(f'"{w}"' for w in too_positive)
            + "). A balanced reframe is one you can believe: it can keep the hard part and "
            "add what else is true."
        )
    if normalise(text) == normalise(thought):
        notes.append("It is the same as the thought; try saying it another way.")
    elif len(text.split()) < 4:
        notes.append("It is very short; a sentence or two that you believe is enough.")
    balanced = not traps and not too_positive and normalise(text) != normalise(thought)
    if balanced:
        notes.insert(
            0, "This reads as balanced: no thinking trap found, and no promise you cannot know."
        )
    return ReframeCheck(balanced, traps, too_positive, notes)


# --- safety ---------------------------------------------------------------------------


def crisis_check(*texts: str) -> str | None:
    """A message with crisis resources if any text shows real risk; otherwise None."""
    previous = None
    for text in texts:
        if text and screen(text, previous).flagged:
            lines = [f"- {r['name']} ({r['region']}): {r['contact']}" for r in crisis_resources()]
            return (
                "Something you wrote made me want to check in with you. This exercise can "
                "wait. If things feel hard or unsafe right now, please talk to a real "
                "person:\n" + "\n".join(lines) + "\nWhat you wrote is saved."
            )
        previous = text
    return None


# --- thoughts from practice sessions ---------------------------------------------------

Ask = Callable[[str], str | None]  # a prompt -> the user's line, or None at end of input
Say = Callable[[str], None]


def session_lines(
    store: Any, catalog: Any, session_id: str, owner: str | None = None
) -> list[tuple[int, str]]:
    """The user's own lines in a practice session, as (turn, text)."""
    from simulator.session import Rehearsal
    from simulator.transcript import user_lines

    info = store.get(session_id, owner=owner)
    scenario = catalog.get(info.scenario_id)
    lines = Rehearsal(store, info.id, scenario).lines()
    return sorted(user_lines(lines).items())


def pick_session_line(
    ask: Ask,
    say: Say,
    store: Any,
    catalog: Any,
    session_id: str,
    turn: int | None = None,
    owner: str | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """A line the user said in a session, as (thought, source); asks which when needed."""
    info = store.get(session_id, owner=owner)
    lines = dict(session_lines(store, catalog, info.id, owner))
    if not lines:
        say(f"You have not said anything in session {info.id} yet; type the thought instead.")
        return None
    while turn not in lines:
        if turn is not None:
            say(f"There is no line of yours at turn {turn}.")
        say(f"Your lines in {info.title}:")
        for number, text in lines.items():
            say(f"  {number:>3}. {text}")
        answer = ask("Which turn holds the thought? ")
        if answer is None:
            return None
        turn = int(answer) if answer.strip().isdigit() else -1
    source = {"session_id": info.id, "turn": turn, "title": info.title}
    return lines[turn], source


# --- saving -----------------------------------------------------------------------------

_ID = re.compile(r"^[0-9a-f]{32}$")


class ReframeJournal:
    """Reframes saved as owner-only JSON files, one per exercise, written atomically."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = private_dir(folder if folder is not None else home() / "reframes")

    def new(self, owner: str = "") -> Reframe:
        now = time.time()
        return Reframe(id=uuid.uuid4().hex, created=now, updated=now, owner=owner)

    def _path(self, reframe_id: str) -> Path:
        if not _ID.match(reframe_id):
            raise RehearseError(f"No saved reframe {reframe_id!r}.")
        return self.folder / f"{reframe_id}.json"

    def save(self, reframe: Reframe) -> Path:
        reframe.updated = time.time()
        path = self._path(reframe.id)
        partial = private_file(path.with_suffix(".json.partial"))
        partial.write_text(json.dumps(reframe.as_dict(), ensure_ascii=False, indent=1), "utf-8")
        os.replace(partial, path)  # a crash mid-write leaves the previous version whole
        return path

    def get(self, reframe_id: str, owner: str = "") -> Reframe:
        path = self._path(reframe_id)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            raise RehearseError(f"No saved reframe {reframe_id!r}.") from None
        reframe = Reframe(**data)
        if reframe.owner != owner:
            raise RehearseError(f"No saved reframe {reframe_id!r}.")
        return reframe

    def list(self, owner: str | None = "", older_than_days: float | None = None) -> list[Reframe]:
        """The owner's reframes (``None``: everyone's), newest first; unreadable ones skipped.

        With ``older_than_days``, only those not touched for that long (what
        :meth:`forget` with the same age would delete).
        """
        cutoff = _cutoff(older_than_days)
        found = []
        for path in self.folder.glob("*.json"):
            try:
                reframe = Reframe(**json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if owner is not None and reframe.owner != owner:
                continue
            if cutoff is None or reframe.updated < cutoff:
                found.append(reframe)
        return sorted(found, key=lambda r: r.updated, reverse=True)

    def delete(self, reframe_id: str, owner: str = "") -> None:
        self.get(reframe_id, owner)  # only the owner's
        self._path(reframe_id).unlink()

    def forget(self, owner: str | None = None, older_than_days: float | None = None) -> int:
        """Delete reframes for good: one owner's (``None``: everyone's, as the terminal
        sees them), all of them or those not touched for ``older_than_days``.

        The same promise as deleting sessions: ``rehearse forget`` and the studio's
        "Forget everything" leave none of the user's words behind, and retention
        (``REHEARSE_RETENTION_DAYS``) reaches these too. Returns how many went.
        """
        cutoff = _cutoff(older_than_days)
        count = 0
        for path in [*self.folder.glob("*.json"), *self.folder.glob("*.json.partial")]:
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                data = None  # unreadable, or half-written by a crash
            if isinstance(data, dict):
                if owner is not None and data.get("owner", "") != owner:
                    continue
                updated = data.get("updated")
                if cutoff is not None and isinstance(updated, int | float) and updated >= cutoff:
                    continue
            elif owner is not None or (cutoff is not None and path.stat().st_mtime >= cutoff):
                continue  # whose it is cannot be told: only "everything" removes it
            path.unlink(missing_ok=True)
            count += path.suffix == ".json"
        return count


def _cutoff(older_than_days: float | None) -> float | None:
    """The time before which a reframe counts as not touched for ``older_than_days``."""
    return None if older_than_days is None else time.time() - older_than_days * 86400


# --- the whole flow, for a line-by-line dialogue (the terminal) ------------------------


def converse(
    ask: Ask,
    say: Say,
    journal: ReframeJournal,
    *,
    thought: str = "",
    situation: str = "",
    source: dict[str, Any] | None = None,
    model: Any | None = None,
    owner: str = "",
) -> Reframe:
    """The reframing exercise as a dialogue; the record is saved after every answer.

    ``ask`` returns None when input ends (a closed pipe, Ctrl+D): what was written so far
    stays saved as a draft.
    """
    record = journal.new(owner)
    record.situation, record.thought, record.source = situation, thought, source
    say(
        "Reframing a thought: name the thinking traps in it, look at the evidence, and "
        "write a balanced version in your own words. A reflective exercise, not therapy. "
        "An empty answer skips a question."
    )
    if not record.situation:
        record.situation = (ask("What happened? (the situation, in a sentence) ") or "").strip()
    while not record.thought:
        answer = ask("What is the thought that troubles you? ")
        if answer is None:
            return record  # nothing written worth saving
        record.thought = answer.strip()
    journal.save(record)
    alarm = crisis_check(record.situation, record.thought)
    if alarm:
        say(alarm)
        return record
    reading = name_traps(record.thought, model)
    record.traps, record.explanations = reading.traps, reading.explanations
    record.explained_by = reading.explained_by
    journal.save(record)
    if reading.traps:
        say("Thinking traps in this thought:")
        for trap in reading.traps:
            say(f"  - {trap}: {reading.explanations[trap]}")
        if reading.fallback_reason:
            say("  (The model could not explain them just now; these are the offline rules'.)")
    else:
        say(
            "No thinking trap found: the thought may already be balanced. The questions "
            "can still help."
        )
    for question in questions(record.traps):
        answer = ask(f"{question.text}\n> ")
        if answer is None:
            say(f"Saved as a draft ({journal.folder / record.id}.json).")
            return record
        record.answers[question.id] = answer.strip()
        journal.save(record)
        alarm = crisis_check(answer)
        if alarm:
            say(alarm)
            return record
    while True:
        answer = ask("Now write a more balanced version of the thought, in your own words:\n> ")
        if answer is None:
            say(f"Saved as a draft ({journal.folder / record.id}.json).")
            return record
        if not answer.strip():
            if record.reframe:
                break  # keep the one already written
            continue
        record.reframe = answer.strip()
        check = check_reframe(record.thought, record.reframe)
        record.check = asdict(check)
        journal.save(record)
        for note in check.notes:
            say(note)
        if check.balanced:
            break
        say("Try again, or press Enter to keep it as it is.")
    record.status = "finished"
    path = journal.save(record)
    say(f"Saved: {path}")
    return record
