"""The studio's Progress tab: how your numbers changed across your finished sessions.

:func:`progress_view` is the plain handler (tests call it without a browser); it reads
only the requesting user's sessions, the same ownership rule as every other handler
(:func:`ui.handlers.owner_of`). :func:`progress_tab` builds the tab inside the studio's
``gr.Tabs`` and wires it; ``ui/app.py`` calls it once. The numbers come from
:mod:`simulator.progress`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from simulator.progress import MEASURES, points, trend
from ui.handlers import Studio, owner_of
from ui.render import escape

__all__ = ["ALL", "ProgressView", "measure_choices", "progress_tab", "progress_view"]

ALL = ""  # the scenario choice meaning every scenario
EMPTY = (
    "No finished sessions yet. End a scene (End & debrief) and its numbers appear here, "
    "one point per session."
)


@dataclass(frozen=True)
class ProgressView:
    """One measure over the requesting user's finished sessions."""

    # session (1, 2...), its label on the x axis ("#1"...), value, scenario, date
    frame: pd.DataFrame
    title: str  # the chart's title: the measure
    summary: str  # Markdown: first -> latest, best
    table: str  # Markdown: every session's numbers
    scenarios: list[tuple[str, str]]  # (title, id) of the scenarios with finished sessions
    empty: bool


def measure_choices() -> list[tuple[str, str]]:
    """(label, key) of every measure, for the skill picker."""
    return [(m.label, key) for key, m in MEASURES.items()]


def _fmt(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g}{unit}"


def progress_view(
    studio: Studio, scenario_id: str | None, measure: str | None, request: gr.Request | None
) -> ProgressView:
    """The chosen measure across the user's finished sessions (of one scenario, or all)."""
    key = measure if measure in MEASURES else next(iter(MEASURES))
    spec = MEASURES[key]
    mine = points(studio.store, owner=owner_of(request))
    scenarios = list(dict.fromkeys((p.title, p.scenario_id) for p in mine))
    chosen = [p for p in mine if scenario_id in (None, ALL, p.scenario_id)]
    # Numbered within what is shown: the chosen scenario's first session is session 1.
    rows = [
        {
            "session": i,
            "label": f"#{i}",
            "value": p.values[key],
            "scenario": p.title,
            "date": p.date,
        }
        for i, p in enumerate(chosen, 1)
        if p.values.get(key) is not None
    ]
    frame = pd.DataFrame(rows, columns=["session", "label", "value", "scenario", "date"])
    if not chosen:
        return ProgressView(frame, spec.label, EMPTY, "", scenarios, True)
    t = trend(chosen, key)
    if t["n"]:
        better = {True: "higher is better", False: "lower is better", None: ""}[
            spec.higher_is_better
        ]
        summary = (
            f"**{escape(spec.label)}**: {_fmt(t['first'], spec.unit)} in the first session, "
            f"{_fmt(t['latest'], spec.unit)} in the latest ({t['change']:+g})"
        )
        if t["best"] is not None and t["n"] > 1:
            summary += f"; your best {_fmt(t['best'], spec.unit)}"
        summary += f". <span class='meta'>{t['n']} session(s){'; ' + better if better else ''}"
        if t["n"] == 1:  # a line needs two points
            summary += "; the line starts with your second session"
        summary += "</span>"
    else:
        summary = (
            f"**{escape(spec.label)}**: none of these sessions has this number yet "
            "(no question asked, or no change or sustain talk heard)."
        )
    header = "| # | Date | Scene | Level | " + " | ".join(m.short for m in MEASURES.values())
    table = [header + " |", "|" + " --- |" * (4 + len(MEASURES))]
    for i, p in enumerate(chosen, 1):
        cells = " | ".join(_fmt(p.values.get(k), m.unit) for k, m in MEASURES.items())
        table.append(f"| {i} | {p.date} | {escape(p.title)} | {p.difficulty} | {cells} |")
    legend = "; ".join(f"{m.short}: {m.label}" for m in MEASURES.values())
    table += ["", f"<span class='meta'>{escape(legend)}</span>"]
    return ProgressView(frame, spec.label, summary, "\n".join(table), scenarios, False)


def progress_tab(studio: Studio) -> None:
    """The Progress tab, built inside the studio's ``gr.Tabs``, with its events."""
    first = next(iter(MEASURES))
    with gr.Tab("Progress", id="progress") as tab:
        gr.Markdown(
            "How your numbers changed from one finished session to the next. Choose a "
            "scene and a skill; each point is one session, oldest first."
        )
        with gr.Row():
            scene = gr.Dropdown(
                [("All scenes", ALL)], value=ALL, label="Scene", elem_id="progress-scene"
            )
            skill = gr.Dropdown(
                measure_choices(), value=first, label="Skill", elem_id="progress-skill"
            )
        summary = gr.Markdown(elem_id="progress-summary")
        plot = gr.LinePlot(
            x="label",  # "#1", "#2"...: whole sessions, never 1.5
            y="value",
            color="scenario",
            title=MEASURES[first].label,
            x_title="Session",
            y_title="",
            color_title="",
            tooltip=["date", "scenario", "value"],
            height=320,
            elem_id="progress-chart",
        )
        table = gr.Markdown(elem_id="progress-table", elem_classes="moves")

    def show(scenario_id: str, measure: str, request: gr.Request) -> tuple[Any, ...]:
        view = progress_view(studio, scenario_id, measure, request)
        known = {sid for _title, sid in view.scenarios}
        choices = [("All scenes", ALL), *view.scenarios]
        return (
            gr.Dropdown(choices=choices, value=scenario_id if scenario_id in known else ALL),
            view.summary,
            gr.LinePlot(
                value=view.frame,
                title=view.title,
                y_title=view.title,
                # A category axis sorts "#10" before "#2": keep the sessions' order.
                sort=[f"#{n}" for n in view.frame["session"]],
            ),
            view.table,
        )

    cheap: dict[str, Any] = {"concurrency_limit": None, "api_visibility": "private"}
    outputs = [scene, summary, plot, table]
    tab.select(show, [scene, skill], outputs, **cheap)
    scene.input(show, [scene, skill], outputs, **cheap)
    skill.input(show, [scene, skill], outputs, **cheap)
