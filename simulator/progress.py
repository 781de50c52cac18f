"""Progress across sessions: how a person's numbers changed from one practice to the next.

Every finished session keeps its debrief in the store. This module reads them, oldest
first, and takes from each the numbers a trainer would follow over time (the
:data:`MEASURES`): percent open questions, reflections per question and percent complex
reflections (the skill coder's MITI-style scores), the share of goals met, the other
side's change-talk share, and the number of turns. A number the session did not produce
(no question asked, no change or sustain talk heard) is ``None``, never a zero that would
drag a line down.

Only the owner's sessions are read (``owner``: the signed-in user of ``rehearse serve
--auth``; ``None`` reads every session, as the command line does). The terminal shows
:func:`progress_text`; the studio's Progress tab plots the same series (``ui/progress.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from simulator.store import SessionStore

__all__ = [
    "MEASURES",
    "Measure",
    "Point",
    "measures_of",
    "points",
    "progress_report",
    "progress_text",
    "trend",
]


@dataclass(frozen=True)
class Measure:
    """One number followed over time."""

    key: str
    label: str  # for a chart axis and the table
    short: str  # a narrow table column
    higher_is_better: bool | None  # None: neither (the number of turns)
    unit: str = ""  # "%" for percentages


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("percent_open_questions", "Open questions (% of questions)", "open%", True, "%"),
        Measure("reflection_to_question", "Reflections per question", "R:Q", True),
        Measure(
            "percent_complex_reflections",
            "Complex reflections (% of reflections)",
            "cplx%",
            True,
            "%",
        ),
        Measure("goals_met_percent", "Goals met (%)", "goals%", True, "%"),
        Measure(
            "change_talk_percent", "Change talk (% of change and sustain talk)", "chg%", True, "%"
        ),
        Measure("turns", "Your turns", "turns", None),
    )
}


@dataclass(frozen=True)
class Point:
    """One finished session's numbers."""

    number: int  # 1 for the oldest session shown, then 2, 3...
    session_id: str
    scenario_id: str
    title: str
    difficulty: str
    when: float  # when the session was last used (its debrief was written), epoch seconds
    values: dict[str, float | None]

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.when))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "date": self.date}


def _score(skills: dict[str, Any] | None, name: str) -> float | None:
    score = ((skills or {}).get("scores") or {}).get(name) or {}
    value = score.get("value")
    return None if value is None else float(value)


def measures_of(debrief: dict[str, Any]) -> dict[str, float | None]:
    """The :data:`MEASURES` of one debrief (older debriefs without skills give ``None``)."""
    skills = debrief.get("skills")
    goals = debrief.get("goals") or []
    met = sum(goal.get("verdict") == "met" for goal in goals)
    talk = (skills or {}).get("character", {}).get("change_talk_percent")
    return {
        "percent_open_questions": _score(skills, "percent_open_questions"),
        "reflection_to_question": _score(skills, "reflection_to_question"),
        "percent_complex_reflections": _score(skills, "percent_complex_reflections"),
        "goals_met_percent": round(100.0 * met / len(goals), 1) if goals else None,
        "change_talk_percent": None if talk is None else float(talk),
        "turns": float(debrief.get("user_turns", 0)),
    }


def points(
    store: SessionStore, *, owner: str | None = None, scenario_id: str | None = None
) -> list[Point]:
    """The finished sessions (of ``owner``; of one scenario), oldest first, with their numbers."""
    sessions = [
        info
        for info in store.list(owner)
        if info.status == "finished" and scenario_id in (None, "", info.scenario_id)
    ]
    sessions.sort(key=lambda info: (info.created, info.id))
    out: list[Point] = []
    for info in sessions:
        values = store.graph.get_state({"configurable": {"thread_id": info.id}}).values
        debrief = values.get("debrief") if values else None
        if not debrief:
            continue  # listed as finished but its checkpoint is gone: nothing to show
        out.append(
            Point(
                number=len(out) + 1,
                session_id=info.id,
                scenario_id=info.scenario_id,
                title=str(debrief.get("scenario", {}).get("title") or info.title),
                difficulty=str(debrief.get("difficulty") or info.difficulty),
                when=info.updated,
                values=measures_of(debrief),
            )
        )
    return out


def trend(series: Sequence[Point], key: str) -> dict[str, Any]:
    """First, latest and best value of one measure, and the change from first to latest."""
    measure = MEASURES[key]
    known = [(p.number, p.values[key]) for p in series if p.values.get(key) is not None]
    if not known:
        return {"measure": key, "label": measure.label, "n": 0}
    first, latest = known[0][1], known[-1][1]
    assert first is not None and latest is not None
    values = [v for _n, v in known if v is not None]
    best = None
    if measure.higher_is_better is not None:
        best = max(values) if measure.higher_is_better else min(values)
    return {
        "measure": key,
        "label": measure.label,
        "n": len(known),
        "first": first,
        "latest": latest,
        "change": round(latest - first, 2),
        "best": best,
        "higher_is_better": measure.higher_is_better,
    }


def progress_report(
    store: SessionStore, *, owner: str | None = None, scenario_id: str | None = None
) -> dict[str, Any]:
    """Everything the progress views show, as JSON-ready data."""
    found = points(store, owner=owner, scenario_id=scenario_id)
    return {
        "scenario_id": scenario_id or None,
        "sessions": [p.as_dict() for p in found],
        "trends": {key: trend(found, key) for key in MEASURES},
    }


def _cell(value: float | None, width: int) -> str:
    return f"{'-' if value is None else f'{value:g}':>{width}}"


def progress_text(report: dict[str, Any]) -> str:
    """The report as a text table, one row per session, then the change per measure."""
    sessions = report["sessions"]
    if not sessions:
        which = f" of {report['scenario_id']}" if report.get("scenario_id") else ""
        return (
            f"No finished sessions{which} yet. Practise one and end it with /end; "
            "its numbers appear here."
        )
    widths = {key: max(len(m.short), 6) for key, m in MEASURES.items()}
    title_width = min(max(len(s["title"]) for s in sessions), 34)
    header = f"{'#':>3}  {'date':<16}  {'scenario':<{title_width}}  {'level':<6}  " + "  ".join(
        f"{MEASURES[k].short:>{w}}" for k, w in widths.items()
    )
    out = [header, "-" * len(header)]
    for s in sessions:
        title = (
            s["title"] if len(s["title"]) <= title_width else s["title"][: title_width - 1] + "…"
        )
        out.append(
            f"{s['number']:>3}  {s['date']:<16}  {title:<{title_width}}  {s['difficulty']:<6}  "
            + "  ".join(_cell(s["values"][k], w) for k, w in widths.items())
        )
    out += ["", "From the first session to the latest (where the number exists):"]
    for key, t in report["trends"].items():
        if not t["n"]:
            out.append(f"  {t['label']}: no data yet")
            continue
        unit = MEASURES[key].unit
        line = f"  {t['label']}: {t['first']:g}{unit} -> {t['latest']:g}{unit} ({t['change']:+g})"
        if t["best"] is not None and t["n"] > 1:
            line += f"; best {t['best']:g}{unit}"
        out.append(line + f"; {t['n']} session(s)")
    out += [
        "",
        "Columns: " + "; ".join(f"{m.short} = {m.label}" for m in MEASURES.values()) + ".",
    ]
    return "\n".join(out)
