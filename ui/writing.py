"""Creative writing and pictures in the studio's debrief: "Write it down" and "Draw them".

Under a session's debrief the user can turn the session into a journal entry or a short
story (first person, their voice) in an editable box, and download what they edited;
and, for any character or part, get a description to draw from or to give to an image
generator, with the image itself when an image model is configured
(``REHEARSE_IMAGE_MODEL``; off by default). The model writes when it can; templates
built from the user's own lines stand in, so all of it works offline.

Files go to the session's private download folder (:meth:`ui.handlers.Studio._download_folder`),
so deleting the session deletes them too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from simulator.errors import RehearseError
from simulator.picture import describe, generate_image, image_settings
from simulator.writing import write_up
from ui.handlers import Studio

__all__ = ["FORMS", "build", "characters", "picture", "save", "write"]

FORMS = {"Journal entry": "journal", "Short story": "story"}


def _finished(studio: Studio, session_id: str, request: gr.Request | None) -> Any:
    rehearsal, info = studio.open(session_id, request)
    if not rehearsal.lines():
        raise gr.Error("There is nothing written in this session yet.")
    return rehearsal, info


def write(
    studio: Studio, session_id: str, form: str, request: gr.Request | None
) -> tuple[str, Path]:
    """The session as a journal entry or story: (text, a file of it to download)."""
    rehearsal, _info = _finished(studio, session_id, request)
    kind = FORMS.get(form, form)
    with studio.busy(rehearsal.session_id):  # the transcript is on its way to the model
        written = write_up(
            rehearsal.scenario, rehearsal.lines(), rehearsal.debrief(), studio.model, kind
        )
    return written["text"], save(studio, session_id, written["text"], form, request)


def save(studio: Studio, session_id: str, text: str, form: str, request: gr.Request | None) -> Path:
    """Write the (edited) text to the session's download file; returns its path."""
    _rehearsal, info = studio.open(session_id, request)
    kind = FORMS.get(form, form)
    target = studio._download_folder(info.id) / f"rehearse-{info.scenario_id}-{info.id}-{kind}.md"
    target.write_text((text or "").rstrip() + "\n", encoding="utf-8")
    target.chmod(0o600)
    return target


def characters(studio: Studio, session_id: str, request: gr.Request | None) -> list[Any]:
    """(name, persona id) of the session's characters, for the picture picker."""
    if not session_id:
        return []
    rehearsal, _info = studio.open(session_id, request)
    scenario = rehearsal.scenario
    return [(scenario.persona(m.persona_id).name, m.persona_id) for m in scenario.cast]


def picture(
    studio: Studio, session_id: str, who: str | None, request: gr.Request | None
) -> tuple[str, Path | None]:
    """A description of one character to draw, and its image when one can be made."""
    rehearsal, info = _finished(studio, session_id, request)
    scenario = rehearsal.scenario
    persona_id = who or scenario.cast[0].persona_id
    if persona_id not in [m.persona_id for m in scenario.cast]:
        raise gr.Error("Choose one of this scene's characters.")
    with studio.busy(rehearsal.session_id):
        found = describe(scenario, persona_id, rehearsal.lines(), rehearsal.debrief(), studio.model)
    images = image_settings()
    if images is None:
        return found["text"], None
    target = studio._download_folder(info.id) / f"rehearse-{info.id}-{persona_id}.png"
    try:
        with studio.busy(rehearsal.session_id):
            return found["text"], generate_image(found["text"], target, images)
    except RehearseError as exc:  # the description stands without the image
        gr.Warning(str(exc))
        return found["text"], None


def build(studio: Studio, debriefed: Any, heavy: dict[str, Any], cheap: dict[str, Any]) -> None:
    """The two panels, inside the Debrief tab; ``debriefed`` holds the session id shown."""
    with gr.Accordion("Write it down", open=False, elem_id="writing-panel"):
        gr.Markdown(
            "Turn this session into a journal entry or a short story, in your own voice. "
            "Edit it as you like; the download holds your edits."
        )
        with gr.Row(equal_height=True):
            form = gr.Radio(list(FORMS), value="Journal entry", show_label=False, scale=3)
            write_btn = gr.Button("Write it", variant="primary", scale=1, elem_id="write")
        text = gr.Textbox(
            label="Yours to edit", lines=8, max_lines=30, interactive=True, elem_id="writing"
        )
        download = gr.DownloadButton(
            "Download what I wrote", value=None, interactive=False, elem_id="writing-download"
        )
    with gr.Accordion("Draw them", open=False, elem_id="picture-panel"):
        gr.Markdown(
            "A description of a character or part to draw, or to give to an image generator."
        )
        with gr.Row(equal_height=True):
            who = gr.Dropdown(choices=[], label="Who", scale=3, elem_id="picture-who")
            describe_btn = gr.Button("Describe", scale=1, elem_id="describe")
        described = gr.Markdown(elem_id="picture-text")
        image = gr.Image(
            label="Picture", visible=False, interactive=False, type="filepath", elem_id="picture"
        )

    def on_debriefed(sid: str, request: gr.Request) -> tuple[Any, ...]:
        # A new debrief (or none, after a delete): nothing of another session stays here.
        choices = characters(studio, sid, request) if sid else []
        return (
            "",
            gr.DownloadButton(value=None, interactive=False),
            gr.Dropdown(choices=choices, value=choices[0][1] if choices else None),
            "",
            gr.Image(value=None, visible=False),
        )

    def on_write(sid: str, kind: str, request: gr.Request) -> tuple[Any, ...]:
        written, path = write(studio, sid, kind, request)
        return written, gr.DownloadButton(value=str(path), interactive=True)

    def on_edit(sid: str, edited: str, kind: str, request: gr.Request) -> Any:
        if not sid:
            return gr.skip()
        path = save(studio, sid, edited, kind, request)
        return gr.DownloadButton(value=str(path), interactive=bool(edited.strip()))

    def on_describe(sid: str, persona_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        words, path = picture(studio, sid, persona_id, request)
        shown = gr.Image(value=str(path), visible=True) if path else gr.Image(visible=False)
        return words, shown

    debriefed.change(on_debriefed, debriefed, [text, download, who, described, image], **cheap)
    write_btn.click(on_write, [debriefed, form], [text, download], **heavy)
    text.change(on_edit, [debriefed, text, form], download, **cheap)
    describe_btn.click(on_describe, [debriefed, who], [described, image], **heavy)
