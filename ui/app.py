"""The practice studio: a Gradio Blocks app over :class:`ui.handlers.Studio`.

``create_app(store, model, catalog)`` builds the page and returns it; ``rehearse serve``
launches it. Layout: choose a scene, practise it, read the debrief, find earlier
sessions; the "I need support now" panel sits above all of them.

Concurrency, on purpose: every event that calls the model shares one concurrency group
(``concurrency_id="model"``) limited to ``concurrency`` runs at once, so one person's
slow reply never queues another's and a small local model is not swamped; everything
else (browsing, listing, opening, rewinding, deleting, exporting) is cheap and
unlimited. Heavy objects (store, model, catalog) live in the :class:`Studio`;
``gr.State`` holds session ids, and a streamed turn's last view from the end of its
stream to the event that shows it.

Beside the page, on the same port: Gradio's API for ``gradio_client`` (``gr.api``
endpoints, through the queue) and a plain JSON API outside it (:mod:`ui.rest`, under
``/api/v1``). Both go through the same :class:`Studio`, whose model slots bound the
model calls of all three together.

Deleting takes two clicks: "Delete…" asks, naming the session, and only "Yes, delete it
for good" deletes (the id asked about is kept in ``gr.State``, so changing the selection
in between cannot redirect the second click). The same for "Forget everything…".
"""

from __future__ import annotations

import os
import sys

# Before gradio is imported: no usage reports or version checks leave this machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue keeps a record of its last 10,000 events for its /monitoring dashboard
# (which the studio turns off) and, after every event, rebuilds a pandas summary of them
# all: 12 ms of CPU an event once a studio has been up a while, three or four events a
# browser turn. After a day's 10,000 events a Gradio API turn cost 2.3 times what it
# did on a fresh server (benchmarks/bench_uptime.py, issue #9). So: one record kept,
# and never summarised.
# Read when the queue is made; an operator's own setting wins.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(sys.maxsize))

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import gradio as gr
from gradio.utils import get_upload_folder
from langchain_core.language_models import BaseChatModel

from simulator.catalog import Catalog
from simulator.review import Reviewers
from simulator.store import SessionStore
from ui import grounding, render, writing
from ui.author import Author, author_tab
from ui.basic_auth import Credentials
from ui.handlers import DebriefView, Practice, Removal, Studio
from ui.progress import progress_tab
from ui.reframing import ReframingDesk, reframing_tab
from ui.rest import rest_router
from ui.review import ReviewDesk, review_tab
from ui.status import trim_status_targets
from ui.support import footnote, support_html

__all__ = ["CSS", "THEME", "StudioBlocks", "create_app", "download_folder", "with_rest_api"]

_SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif")
# Gradio's bundled Montserrat is a local font; nothing is fetched from a font CDN.
THEME = gr.themes.Soft(
    primary_hue="teal",
    secondary_hue="slate",
    neutral_hue="stone",
    radius_size="lg",
    font=_SYSTEM_FONTS,
    font_mono=("ui-monospace", "monospace"),
).set(
    body_background_fill="#f6f4f0",
    block_background_fill="#ffffff",
    block_border_width="0px",
    block_shadow="0 1px 3px rgba(40, 40, 30, 0.06)",
    button_primary_background_fill="#2f6f6a",
    button_primary_background_fill_hover="#285f5b",
    button_primary_text_color="#ffffff",
)

CSS = """
.gradio-container { max-width: 1180px !important; margin: 0 auto !important; }
footer { display: none !important; }
/* Clearing the chat on screen would not clear the saved session: no such button. */
#chat button[aria-label="Clear"], #versions button[aria-label="Clear"] { display: none; }
#topbar { align-items: flex-start; gap: 16px; padding: 8px 4px 0; }
#brand h1 { font-size: 1.6rem; margin: 0; color: #2b3a38; letter-spacing: 0.01em; }
#brand p { margin: 2px 0 0; color: #6b6a63; }
.meta { color: #77756d; font-size: 0.92em; }
.support { width: fit-content; max-width: 480px; margin-left: auto; background: #fff7ed;
  border: 1px solid #f3c99a; border-radius: 12px; padding: 8px 14px; }
.support summary { cursor: pointer; font-weight: 600; color: #8a3b0b; list-style: none; }
.support summary::-webkit-details-marker { display: none; }
.support summary::before { content: "\\2661  "; }
.support[open] summary { margin-bottom: 6px; }
.support ul { margin: 6px 0; padding-left: 18px; }
.support li { margin: 3px 0; }
.card { background: #ffffff; border-radius: 14px; padding: 6px 18px 12px; }
.scene-list label { width: 100%; }
.notice { color: #8a3b0b; min-height: 0; }
.notice p:empty { display: none; }
.hint { background: #eef6f4; border-radius: 12px; padding: 2px 14px; }
.coach { background: #f3f0fa; border-left: 4px solid #8a7cc0; border-radius: 12px;
  padding: 2px 14px; }
.learn { margin: 8px 0; border: 1px solid #e3dfd6; border-radius: 10px; padding: 4px 12px; }
.learn summary { cursor: pointer; font-weight: 600; color: #2f6f6a; }
.side { background: #fbfaf7; border-radius: 14px; padding: 4px 14px; }
.verdict { font-weight: 600; padding: 1px 8px; border-radius: 999px; font-size: 0.9em; }
.verdict.met { background: #e3f1ea; color: #23613f; }
.verdict.partly { background: #fdf1dc; color: #7a4d0c; }
.verdict.not_yet { background: #efeeea; color: #5b5a55; }
.footnote { text-align: center; color: #8a887f; font-size: 0.85em; padding: 10px 0 18px; }
.moves table, .moves .prose table { border-collapse: collapse; border: 0 !important;
  box-shadow: none !important; width: auto; }
.moves th, .moves td, .moves .prose th, .moves .prose td { border: 0 !important;
  border-bottom: 1px solid #ece9e2 !important; padding: 4px 18px 4px 0 !important;
  background: transparent !important; }
.moves tr { border: 0 !important; border-bottom: 1px solid #ece9e2 !important; }
.empty { color: #77756d; padding: 40px 0; text-align: center; }
.confirm { background: #fff7ed; border: 1px solid #f3c99a; border-radius: 12px;
  padding: 6px 14px 10px; }
/* Scenes with several characters: names in their colours, stage notes, the cast. */
.who { font-weight: 600; }
.stage { color: #77756d; font-style: italic; font-size: 0.92em; }
#cast-panel .cast-row { align-items: center; gap: 8px; }
#cast-panel .cast-row button { max-width: 120px; }
#debrief-characters hr { border: 0; border-top: 1px solid #ece9e2; margin: 14px 0; }
/* The skill coder's codes: a written tag on a tint (ui/skills.py), never colour alone. */
.code-tag { display: inline-block; padding: 0 7px; border-radius: 999px; font-size: 0.85em;
  color: #2b3a38; border: 1px solid #d9d5cc; margin: 1px 2px; }
.code-legend { line-height: 2; }
.coded-line { padding: 4px 10px; margin: 6px 0; background: #fbfaf7; border-radius: 6px; }
.coded-line:target { outline: 2px solid #2f6f6a; }
"""

MODEL = "model"  # the concurrency group of every event that calls the model
# Gradio keeps, for each browser tab (and each API client), its own copy of the page's
# state and configuration: about 0.5 MB for the studio's 300-odd components, made on
# the tab's first event. By default it keeps 10,000 of them, so a studio left running
# grew by half a megabyte each time someone opened or reloaded it, towards 5 GB
# (benchmarks/bench_uptime.py, issue #9). The least recently used goes first: a closed
# tab, or one that stayed idle while this many others were used.
TABS_KEPT = 500


class StudioBlocks(gr.Blocks):
    """Blocks whose launch() carries the studio's look and its private defaults.

    Gradio 6 takes theme and css at launch(); keeping them here means the CLI, the tests
    and the screenshot script all show the same page. It never opens a public share link.
    """

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("share"):
            raise ValueError("The studio is private: it never opens a public share link.")
        kwargs["share"] = False
        kwargs.setdefault("theme", THEME)
        kwargs.setdefault("css", CSS + grounding.CSS)
        kwargs.setdefault("head", grounding.HEAD)  # the breathing timer's countdown
        kwargs.setdefault("footer_links", [])
        # Runs would otherwise be kept in the browser's storage: practice stays private.
        kwargs.setdefault("run_history", False)
        # Gradio's traffic dashboard: its summary is never computed here (see the top).
        kwargs.setdefault("enable_monitoring", False)
        kwargs.setdefault("state_session_capacity", TABS_KEPT)
        kwargs.setdefault("server_name", "127.0.0.1")
        kwargs.setdefault("auth_message", "Sign in to your practice room.")
        # Gradio runs each handler in a thread of a pool of 40: with more model calls
        # allowed at once than that, the pool, not --concurrency, would be the limit
        # (measured: 37 calls at once of 64 allowed). Room for the cheap events too.
        studio = getattr(self, "studio", None)
        if studio is not None:
            kwargs.setdefault("max_threads", max(40, studio.model_slots + 16))
            kwargs["app_kwargs"] = with_rest_api(
                studio, kwargs.get("auth"), kwargs.get("app_kwargs")
            )
        return super().launch(*args, **kwargs)


def with_rest_api(
    studio: Studio, auth: Credentials, app_kwargs: dict[str, Any] | None
) -> dict[str, Any]:
    """Gradio's FastAPI arguments with the REST API's routes (:mod:`ui.rest`) added.

    Given to the app's constructor, they come before every route Gradio adds, so none
    of Gradio's can shadow them; and they are on the app ``launch()`` builds, whether
    ``rehearse serve`` or a test (``ui.serving.served``) launches it. Gradio's login
    (``auth``) guards only its own routes; the REST API checks the same users itself.
    """
    kwargs = dict(app_kwargs or {})
    kwargs["routes"] = [*kwargs.get("routes", []), *rest_router(studio, auth).routes]
    return kwargs


def create_app(
    store: SessionStore,
    model: BaseChatModel,
    catalog: Catalog,
    *,
    model_name: str = "",
    assessor: Literal["model", "rules"] = "model",
    concurrency: int = 8,
    reviewers: Reviewers | None = None,
) -> StudioBlocks:
    """The studio for one store, one model and one catalog.

    ``reviewers`` (``--reviewers``): who may read and comment on whose sessions in the
    Review tab; without it everyone reviews only their own.
    """
    studio = Studio(
        store,
        model,
        catalog,
        model_name=model_name,
        assessor=assessor,
        export_dir=download_folder(),
        model_slots=concurrency,
    )
    scenarios = catalog.scenarios
    first = scenarios[0].id if scenarios else None
    cast_size = max((len(s.cast) for s in scenarios if s.is_group), default=0)
    card, default_level = studio.describe(first)
    categories = ["All"] + [
        render.CATEGORY_NAMES.get(c, c) for c in dict.fromkeys(s.category for s in scenarios)
    ]
    cheap: dict[str, Any] = {"concurrency_limit": None, "api_visibility": "private"}
    heavy: dict[str, Any] = {
        "concurrency_limit": concurrency,
        "concurrency_id": MODEL,
        "api_visibility": "private",
    }

    with StudioBlocks(
        title="Rehearse",
        analytics_enabled=False,
        # Files Gradio itself caches age out. The studio's downloads are not among them:
        # they live in its own folder (download_folder) and go with their session.
        delete_cache=(1800, 3600),
    ) as demo:
        session = gr.State("")  # the session in the practice room
        cast_ids = gr.State([])  # a group scene's persona ids, one per cast panel slot
        debriefed = gr.State("")  # the session whose debrief the Debrief tab holds
        # A streamed turn's last view, from the end of its stream to the event that shows
        # the whole room (see "streamed" below).
        settled = gr.State(None)

        with gr.Row(elem_id="topbar"):
            gr.Markdown(
                "# Rehearse\nA quiet room to practise the conversations that matter.",
                elem_id="brand",
            )
            gr.HTML(support_html(), elem_id="support-panel", js_on_load=None)

        with gr.Tabs(selected="choose") as tabs:
            with gr.Tab("Choose a scene", id="choose"), gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=280):
                    category = gr.Radio(categories, value="All", label="Category")
                    scenario = gr.Radio(
                        studio.scenario_choices(),
                        value=first,
                        label="Scenes",
                        elem_classes="scene-list",
                    )
                with gr.Column(scale=3, elem_classes="card"):
                    card_md = gr.Markdown(card, elem_id="scenario-card")
                    difficulty = gr.Radio(
                        ["easy", "medium", "hard"],
                        value=default_level,
                        label="Difficulty",
                        info="Easy: the other side opens up readily. Hard: they push back.",
                    )
                    start_btn = gr.Button("Start this scene", variant="primary")

            with gr.Tab("Practise", id="practice"):
                practice_empty = gr.Markdown(
                    "Choose a scene to begin, or reopen one under Your sessions.",
                    elem_classes="empty",
                )
                with gr.Row(visible=False, equal_height=False) as room:
                    with gr.Column(scale=3, min_width=360):
                        heading = gr.Markdown(elem_id="practice-heading")
                        chat = gr.Chatbot(
                            label="Conversation",
                            show_label=False,
                            height=540,
                            layout="bubble",
                            feedback_options=None,
                            buttons=[],
                            elem_id="chat",
                        )
                        notice = gr.Markdown(elem_classes="notice", elem_id="notice")
                        with gr.Row(equal_height=True):
                            text = gr.Textbox(
                                placeholder="What would you say?",
                                show_label=False,
                                lines=2,
                                max_lines=6,
                                scale=5,
                                elem_id="say",
                            )
                            send_btn = gr.Button("Send", variant="primary", scale=1, min_width=90)
                        with gr.Row():
                            hint_btn = gr.Button("Hint", size="md")
                            pause_btn = grounding.pause_button()
                            retry_btn = gr.Button("Retry", size="md", visible=False)
                            safe_btn = gr.Button(
                                "I'm safe, carry on", size="md", visible=False, elem_id="safe"
                            )
                            end_btn = gr.Button("End & debrief", size="md", elem_id="end")
                        hint_md = gr.Markdown(elem_classes="hint", elem_id="hint", visible=False)
                        breather = grounding.panel(pause_btn)  # shown while the scene pauses
                        # The coach's tip after a setback: beside the scene, never in the chat.
                        coach_md = gr.Markdown(elem_classes="coach", elem_id="coach", visible=False)
                    with gr.Column(scale=2, min_width=280, elem_classes="side"):
                        # Who is in a group scene, each with Step back / Invite.
                        with gr.Column(visible=False, elem_id="cast-panel") as cast_panel:
                            gr.Markdown("### Who is here")
                            cast_slots = []
                            for i in range(cast_size):
                                with gr.Row(
                                    visible=False, equal_height=True, elem_classes="cast-row"
                                ) as row:
                                    who_md = gr.Markdown(elem_id=f"cast-{i}")
                                    who_btn = gr.Button(
                                        "Step back", size="sm", scale=0, elem_id=f"cast-btn-{i}"
                                    )
                                cast_slots.append((row, who_md, who_btn))
                        brief = gr.Markdown(elem_id="brief")
                        with gr.Accordion(
                            "Try one of your turns again", open=False, elem_id="rewind-tools"
                        ):
                            turn_pick = gr.Dropdown(
                                choices=[], label="Your turn", elem_id="turn-pick"
                            )
                            rewind_btn = gr.Button(
                                "Go back to just before it", size="sm", elem_id="rewind"
                            )
                        with gr.Accordion("Earlier versions", open=False, elem_id="versions"):
                            version_pick = gr.Dropdown(choices=[], label="Version")
                            version_chat = gr.Chatbot(
                                show_label=False, height=300, feedback_options=None, buttons=[]
                            )

            with gr.Tab("Debrief", id="debrief"):
                debrief_empty = gr.Markdown(
                    "End a scene to see its debrief here.", elem_classes="empty"
                )
                with gr.Column(visible=False, elem_id="debrief-view") as debrief_col:
                    d_heading = gr.Markdown()
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3, elem_classes="card"):
                            d_goals = gr.Markdown(elem_id="debrief-goals")
                        with gr.Column(scale=2, elem_classes="card"):
                            d_try = gr.Markdown(elem_id="debrief-try")
                            d_next = gr.Markdown()
                    with gr.Column(elem_classes="card", visible=False) as d_group_card:
                        d_group = gr.Markdown(elem_id="debrief-characters", elem_classes="moves")
                    with gr.Column(elem_classes="card"):
                        d_plot = gr.LinePlot(
                            x="step",
                            y="value",
                            color="measure",
                            y_aggregate="mean",
                            title="How the other side moved, turn by turn",
                            x_title="Your turns",
                            y_title="Level",
                            color_title="",
                            height=300,
                            elem_id="debrief-chart",
                        )
                        with gr.Row(equal_height=False):
                            d_movement = gr.Markdown()
                            d_moves = gr.Markdown(elem_classes="moves")
                    with gr.Column(elem_classes="card", visible=False) as d_skills_card:
                        d_skills = gr.Markdown(elem_id="debrief-skills", elem_classes="moves")
                    with gr.Row():
                        again_btn = gr.Button("Practise this again", variant="primary")
                        md_file = gr.DownloadButton("Download transcript (Markdown)")
                        json_file = gr.DownloadButton("Download transcript (JSON)")
                    writing.build(studio, debriefed, heavy, cheap)  # journal, story, pictures

            with gr.Tab("Your sessions", id="sessions") as sessions_tab:
                gr.Markdown(
                    "Sessions are saved on this computer. Open one to continue it, or to "
                    "read its debrief again. Deleting one removes it for good."
                )
                session_list = gr.Radio(choices=[], label="Earlier sessions", elem_id="sessions")
                with gr.Row():
                    open_btn = gr.Button("Open", variant="primary")
                    refresh_btn = gr.Button("Refresh")
                    delete_btn = gr.Button("Delete…", elem_id="delete-session")
                confirm_delete, delete_question, delete_yes, delete_no = _confirmation(
                    "delete", "Yes, delete it for good", "Keep it"
                )
                sessions_notice = gr.Markdown(elem_classes="notice", elem_id="sessions-notice")
                gr.Markdown(
                    "### All your sessions\nTake them with you: one `.zip` with every "
                    "transcript and debrief, as JSON and as Markdown. Or forget them all."
                )
                with gr.Row():
                    archive_btn = gr.Button("Download all my sessions", elem_id="archive-all")
                    forget_btn = gr.Button("Forget everything…", elem_id="forget-all")
                archive_file = gr.File(
                    label="All your sessions", visible=False, interactive=False, elem_id="archive"
                )
                confirm_forget, forget_question, forget_yes, forget_no = _confirmation(
                    "forget", "Yes, delete all my sessions", "Keep them"
                )

            review_tab(ReviewDesk(studio, reviewers))  # ui/review.py: read, comment, export
            progress_tab(studio)  # ui/progress.py: your numbers across sessions, as a plot
            # ui/reframing.py: a thought's traps, its evidence, a balanced reframe. Only a
            # capable model explains traps; with the embedded one the rules do.
            explainer = None if model_name in ("", "local") else model
            reframing_tab(ReframingDesk(store, catalog, explainer), cheap, heavy)
            # ui/author.py: write a scenario (form or YAML), preview, test-run, save, share.
            author_tab(
                demo, Author(studio), category=category, scenes=scenario, cheap=cheap, heavy=heavy
            )

        gr.Markdown(footnote(), elem_classes="footnote")

        # --- views into outputs ---------------------------------------------------------

        practice_outputs = [
            session,
            heading,
            chat,
            notice,
            text,
            brief,
            turn_pick,
            version_pick,
            retry_btn,
            safe_btn,
            hint_btn,
            hint_md,
            coach_md,
            practice_empty,
            room,
            cast_ids,
            cast_panel,
            *(c for slot in cast_slots for c in slot),
            *breather.outputs,
        ]

        def show_cast(view: Practice) -> list[Any]:
            """The cast panel of a group scene (hidden for a scene with one character)."""
            members = view.cast
            here = sum(m.present for m in members)
            can_act = view.status == "awaiting_user"
            out: list[Any] = [[m.persona_id for m in members], gr.Column(visible=bool(members))]
            for i in range(cast_size):
                if i >= len(members):
                    out += [gr.Row(visible=False), "", gr.Button()]
                    continue
                m = members[i]
                out += [
                    gr.Row(visible=True),
                    m.label,
                    gr.Button(
                        "Step back" if m.present else "Invite",
                        # The last one here cannot step back: someone must be in the room.
                        interactive=can_act and not (m.present and here == 1),
                    ),
                ]
            return out

        def show_practice(view: Practice) -> tuple[Any, ...]:
            return (
                view.session_id,
                view.heading,
                view.chat,
                view.notice,
                # None leaves what the user is typing alone (gr.skip() is no value).
                gr.Textbox(placeholder=view.placeholder)
                if view.draft is None
                else gr.Textbox(value=view.draft, placeholder=view.placeholder),
                view.brief,
                gr.Dropdown(choices=view.turns, value=None),
                gr.Dropdown(choices=view.versions, value=None),
                gr.Button(visible=view.status == "interrupted"),
                gr.Button(visible=view.status == "paused"),
                # No coaching during a pause (for safety, or to breathe).
                gr.Button(visible=view.status not in ("paused", "grounding")),
                gr.Markdown(value="", visible=False),
                gr.Markdown(value=view.coach, visible=bool(view.coach)),
                gr.Markdown(visible=False),
                gr.Row(visible=True),
                *show_cast(view),
                *grounding.updates(view),
            )

        debrief_outputs = [
            debriefed,
            d_heading,
            d_goals,
            d_try,
            d_next,
            d_plot,
            d_movement,
            d_moves,
            md_file,
            json_file,
            d_group,
            d_group_card,
            d_skills,
            d_skills_card,
            debrief_empty,
            debrief_col,
        ]

        def show_debrief(view: DebriefView | None) -> tuple[Any, ...]:
            if view is None:
                return tuple(gr.skip() for _ in debrief_outputs)
            s = view.sections
            return (
                view.session_id,
                s["heading"],
                s["goals"],
                s["try_instead"],
                s["next"],
                gr.LinePlot(
                    value=view.chart,
                    sort=render.chart_steps(view.chart),
                    y_lim=view.chart_range,
                    color_map=view.chart_colours,
                ),
                s["movement"],
                s["moves"],
                str(view.markdown_file),
                str(view.json_file),
                s["group"],
                gr.Column(visible=bool(s["group"])),
                s.get("skills", ""),
                gr.Column(visible=bool(s.get("skills"))),
                gr.Markdown(visible=False),
                gr.Column(visible=True),
            )

        # After a delete the page must not keep showing the deleted words.
        practice_cleared = [*practice_outputs, version_chat]
        debrief_cleared = debrief_outputs

        def clear_practice() -> tuple[Any, ...]:
            return (
                "",  # session
                "",  # heading
                [],  # chat
                "",  # notice
                "",  # text
                "",  # brief
                gr.Dropdown(choices=[], value=None),
                gr.Dropdown(choices=[], value=None),
                gr.Button(visible=False),
                gr.Button(visible=False),
                gr.Button(visible=True),
                gr.Markdown(value="", visible=False),
                gr.Markdown(value="", visible=False),  # coach_md
                gr.Markdown(visible=True),
                gr.Row(visible=False),
                [],  # cast_ids
                gr.Column(visible=False),  # cast_panel
                *[gr.skip()] * (3 * cast_size),
                *grounding.cleared(),
                [],  # version_chat
            )

        def clear_debrief() -> tuple[Any, ...]:
            return (
                "",  # debriefed
                "",  # d_heading
                "",  # d_goals
                "",  # d_try
                "",  # d_next
                gr.LinePlot(value=None),
                "",  # d_movement
                "",  # d_moves
                None,  # md_file
                None,  # json_file
                "",  # d_group
                gr.Column(visible=False),
                "",  # d_skills
                gr.Column(visible=False),
                gr.Markdown(visible=True),
                gr.Column(visible=False),
            )

        # --- wiring -----------------------------------------------------------------------
        # The wrappers only translate views into component updates; the behaviour lives in
        # Studio, where the tests reach it.

        def on_category(name: str) -> Any:
            choices = studio.scenario_choices(name)
            return gr.Radio(choices=choices, value=choices[0][1] if choices else None)

        def on_scenario(scenario_id: str | None) -> tuple[str, str]:
            return studio.describe(scenario_id)

        def on_start(scenario_id: str, level: str, request: gr.Request) -> tuple[Any, ...]:
            view = studio.start(scenario_id, level, request)
            return (*show_practice(view), gr.Tabs(selected="practice"))

        # A streamed turn sends the page only what changes while the reply comes in: the
        # chat, the notice and the text box. Each output of an event is work for Gradio on
        # every message, on the server and in the page, even a skipped one (the room's
        # thirty-odd outputs added about 15 ms to the first token in Chromium), so the rest
        # of the room waits for the turn's last view, which the stream leaves in
        # ``settled`` for the event after it to show.
        stream_outputs = [chat, notice, text, settled]

        def show_streamed(views: Iterator[Practice]) -> Iterator[tuple[Any, ...]]:
            for view in views:
                if not view.partial:
                    yield (gr.skip(), gr.skip(), gr.skip(), view)
                    continue
                notice_update = gr.skip() if view.notice is None else view.notice
                draft = gr.skip() if view.draft is None else view.draft
                yield (view.chat, notice_update, draft, gr.skip())

        def on_settled(view: Practice | None) -> tuple[Any, ...]:
            if view is None:  # the turn stopped with an error (shown) before its end
                return (None, *(gr.skip() for _ in practice_outputs))
            return (None, *show_practice(view))

        def streamed(event: Any) -> None:
            """Show the whole room once a streamed turn has ended, then its aftermath."""
            after_turn(event.then(on_settled, settled, [settled, *practice_outputs], **cheap))

        def on_send(sid: str, line: str, request: gr.Request) -> Any:
            yield from show_streamed(studio.send(sid, line, request))

        def on_retry(sid: str, request: gr.Request) -> Any:
            yield from show_streamed(studio.retry(sid, request))

        def on_after_turn(sid: str, request: gr.Request) -> tuple[Any, ...]:
            view = studio.finished(sid, request)
            tab = gr.skip() if view is None else gr.Tabs(selected="debrief")
            return (*show_debrief(view), tab)

        def on_hint(sid: str, request: gr.Request) -> Any:
            return gr.Markdown(value=studio.hint(sid, request), visible=True)

        def on_rewind(sid: str, turn: int | None, request: gr.Request) -> tuple[Any, ...]:
            return show_practice(studio.rewind(sid, turn, request))

        def on_safe(sid: str, request: gr.Request) -> tuple[Any, ...]:
            return show_practice(studio.confirm_safe(sid, request))

        def on_version(sid: str, index: int | None, request: gr.Request) -> Any:
            return studio.version(sid, index, request)

        def on_end(sid: str, request: gr.Request) -> tuple[Any, ...]:
            view = studio.end(sid, request)
            return (*show_debrief(view), gr.Tabs(selected="debrief"))

        def on_again(sid: str, request: gr.Request) -> tuple[Any, ...]:
            view = studio.again(sid, request)
            return (*show_practice(view), gr.Tabs(selected="practice"))

        def on_sessions(request: gr.Request) -> Any:
            return gr.Radio(choices=studio.sessions(request), value=None)

        def on_open(sid: str, request: gr.Request) -> tuple[Any, ...]:
            practice, debrief = studio.resume(sid, request)
            tab = "debrief" if debrief is not None else "practice"
            if debrief is None:
                hidden = [gr.skip()] * (len(debrief_outputs) - 2)
                return (
                    *show_practice(practice),
                    *hidden,
                    gr.Markdown(visible=True),
                    gr.Column(visible=False),
                    gr.Tabs(selected=tab),
                )
            return (*show_practice(practice), *show_debrief(debrief), gr.Tabs(selected=tab))

        category.change(on_category, category, scenario, **cheap)
        scenario.change(on_scenario, scenario, [card_md, difficulty], **cheap)
        start_btn.click(on_start, [scenario, difficulty], [*practice_outputs, tabs], **cheap)

        def after_turn(event: Any) -> None:
            event.then(on_after_turn, session, [*debrief_outputs, tabs], **cheap).then(
                on_sessions, None, session_list, **cheap
            )

        turn_inputs = [session, text]
        stream = {"show_progress": "hidden", **heavy}
        streamed(send_btn.click(on_send, turn_inputs, stream_outputs, **stream))
        streamed(text.submit(on_send, turn_inputs, stream_outputs, **stream))
        streamed(retry_btn.click(on_retry, session, stream_outputs, **stream))
        hint_btn.click(on_hint, session, hint_md, **heavy)
        rewind_btn.click(on_rewind, [session, turn_pick], practice_outputs, **cheap)
        safe_btn.click(on_safe, session, practice_outputs, **cheap)
        version_pick.change(on_version, [session, version_pick], version_chat, **cheap)
        end_btn.click(on_end, session, [*debrief_outputs, tabs], **heavy).then(
            on_sessions, None, session_list, **cheap
        )
        again_btn.click(on_again, session, [*practice_outputs, tabs], **cheap)

        # Grounding pauses (ui/grounding.py): the user's own pause, then the way on.
        def on_pause(sid: str, request: gr.Request) -> tuple[Any, ...]:
            return show_practice(grounding.pause(studio, sid, request))

        def on_ground(choice: str) -> Callable[..., Any]:
            def ground(sid: str, request: gr.Request) -> Any:
                yield from show_streamed(grounding.resume(studio, sid, choice, request))

            return ground

        breather.pause_btn.click(on_pause, session, practice_outputs, **cheap)
        for choice, button in (
            ("continue", breather.continue_btn),
            ("step_down", breather.step_down_btn),
        ):
            streamed(button.click(on_ground(choice), session, stream_outputs, **stream))
        breather.stop_btn.click(on_end, session, [*debrief_outputs, tabs], **heavy).then(
            on_sessions, None, session_list, **cheap
        )

        def on_presence(index: int) -> Callable[..., tuple[Any, ...]]:
            def step_back_or_invite(
                sid: str, ids: list[str], label: str, request: gr.Request
            ) -> tuple[Any, ...]:
                who = ids[index] if index < len(ids) else ""
                act = studio.invite if label == "Invite" else studio.step_back
                return show_practice(act(sid, who, request))

            return step_back_or_invite

        for i, (_row, _md, who_btn) in enumerate(cast_slots):
            who_btn.click(on_presence(i), [session, cast_ids, who_btn], practice_outputs, **cheap)
        for trigger in (sessions_tab.select, refresh_btn.click, demo.load):
            trigger(on_sessions, None, session_list, **cheap)
        open_btn.click(on_open, session_list, [*practice_outputs, *debrief_outputs, tabs], **cheap)

        # Deleting: ask first, naming what goes; the second click deletes what was asked.
        pending = gr.State("")  # the session id the open question is about

        def on_ask_delete(sid: str, request: gr.Request) -> tuple[Any, ...]:
            question = studio.delete_question(sid, request)
            return sid, question, gr.Column(visible=True), gr.Column(visible=False), ""

        def after_removal(
            removal: Removal, practised: str, debriefed: str, request: gr.Request
        ) -> tuple[Any, ...]:
            if not removal.wiped:  # worth a toast: the notice may be out of view
                gr.Warning(removal.notice)
            gone = set(removal.ids)
            practice = (
                clear_practice() if practised in gone else [gr.skip()] * len(practice_cleared)
            )
            debrief = clear_debrief() if debriefed in gone else [gr.skip()] * len(debrief_cleared)
            return (
                removal.notice,
                gr.Radio(choices=studio.sessions(request), value=None),
                gr.File(value=None, visible=False),  # the archive held the deleted text
                *practice,
                *debrief,
            )

        def on_delete(
            sid: str, practised: str, debriefed: str, request: gr.Request
        ) -> tuple[Any, ...]:
            removal = studio.delete(sid, request)
            return (
                "",
                gr.Column(visible=False),
                *after_removal(removal, practised, debriefed, request),
            )

        def on_ask_forget(request: gr.Request) -> tuple[Any, ...]:
            question = studio.forget_question(request)
            return question, gr.Column(visible=True), gr.Column(visible=False), ""

        def on_forget(practised: str, debriefed: str, request: gr.Request) -> tuple[Any, ...]:
            removal = studio.forget_all(request)
            return (
                gr.Column(visible=False),
                *after_removal(removal, practised, debriefed, request),
            )

        def on_archive(request: gr.Request) -> Any:
            return gr.File(value=str(studio.export_all(request)), visible=True)

        removal_outputs = [
            sessions_notice,
            session_list,
            archive_file,
            *practice_cleared,
            *debrief_cleared,
        ]
        delete_btn.click(
            on_ask_delete,
            session_list,
            [pending, delete_question, confirm_delete, confirm_forget, sessions_notice],
            **cheap,
        )
        delete_yes.click(
            on_delete,
            [pending, session, debriefed],
            [pending, confirm_delete, *removal_outputs],
            **cheap,
        )
        delete_no.click(
            lambda: ("", gr.Column(visible=False)), None, [pending, confirm_delete], **cheap
        )
        forget_btn.click(
            on_ask_forget,
            None,
            [forget_question, confirm_forget, confirm_delete, sessions_notice],
            **cheap,
        )
        forget_yes.click(
            on_forget, [session, debriefed], [confirm_forget, *removal_outputs], **cheap
        )
        forget_no.click(lambda: gr.Column(visible=False), None, confirm_forget, **cheap)
        archive_btn.click(on_archive, None, archive_file, **cheap)

        # The API for scripted clients (gradio_client): four named endpoints, plus retry.
        api: list[tuple[Callable[..., Any], str, dict[str, Any]]] = [
            (studio.api_list_scenarios, "list_scenarios", {"concurrency_limit": None}),
            (studio.api_start_session, "start_session", {"concurrency_limit": None}),
            (studio.api_send_message, "send_message", _model_group(concurrency)),
            (studio.api_retry_message, "retry_message", _model_group(concurrency)),
            (studio.api_end_session, "end_session", _model_group(concurrency)),
        ]
        for fn, name, limits in api:
            gr.api(fn, api_name=name, **limits)

    demo.queue(default_concurrency_limit=concurrency)
    trim_status_targets(demo)
    demo.studio = studio  # type: ignore[attr-defined]
    return demo


def _confirmation(name: str, yes: str, no: str) -> tuple[Any, Any, Any, Any]:
    """A hidden "are you sure?" box: (box, question, yes button, no button)."""
    with gr.Column(visible=False, elem_classes="confirm", elem_id=f"confirm-{name}") as box:
        question = gr.Markdown()
        with gr.Row():
            yes_btn = gr.Button(yes, variant="stop", elem_id=f"{name}-yes")
            no_btn = gr.Button(no, elem_id=f"{name}-no")
    return box, question, yes_btn, no_btn


def _model_group(concurrency: int) -> dict[str, Any]:
    return {"concurrency_limit": concurrency, "concurrency_id": MODEL}


def download_folder() -> Path:
    """A private folder inside Gradio's cache for the files the studio offers to download.

    Gradio serves a file from its cache. A file written elsewhere is copied in, under a
    hash of its content, and that copy is not the studio's to delete: it outlives a
    deleted session (and the server). A file already inside the cache is served as it
    is, so deleting it deletes the only copy. The cache serves any file in it to anyone
    who knows its path, hence the unguessable folder names (:class:`Studio`).
    """
    cache = Path(get_upload_folder())
    cache.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="rehearse-downloads-", dir=cache))
