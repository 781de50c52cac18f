"""The grounding pause in the studio: a pause button, a breathing timer, the choices.

The engine decides when a scene pauses (:mod:`simulator.grounding`); this module shows
it. While the session's status is ``"grounding"`` the practice room shows a panel: a
breathing circle with a ticking countdown (4 in, 4 hold, 6 out, three times), the
5-4-3-2-1 senses steps, and three buttons: continue, step it down, stop and debrief.
The character says nothing meanwhile, and the text box keeps whatever the user had
typed.

The countdown runs in the browser from a small script in the page's ``<head>``
(:data:`HEAD`): it finds every ``[data-breathing]`` element and updates it five times
a second from the time it first saw it, so the server sends one update, not a stream,
and a re-rendered panel simply starts its timer again. "Skip" jumps to the end.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterator
from typing import Any

import gradio as gr

from ui.handlers import GROUNDING_NOTICE, Practice, Studio

__all__ = [
    "CSS",
    "HEAD",
    "NOTICE",
    "Panel",
    "cleared",
    "panel",
    "pause",
    "pause_button",
    "resume",
    "senses_markdown",
    "timer_html",
    "updates",
]

NOTICE = GROUNDING_NOTICE

CSS = """
#grounding { background: #eef6f4; border-radius: 14px; padding: 10px 16px; }
.breathing { display: flex; align-items: center; gap: 22px; padding: 6px 0; }
.breath-ball { width: 120px; height: 120px; border-radius: 50%; background: #9fd0c7;
  transform: scale(0.55); box-shadow: 0 0 0 6px #d9eeea; flex: none; }
.breath-step { font-size: 1.35em; font-weight: 600; color: #23524d; }
.breath-count { font-size: 2.2em; font-variant-numeric: tabular-nums; color: #2f6f6a; }
.breath-cycle { color: #6b6a63; font-size: 0.92em; }
.breath-skip { background: none; border: 0; color: #2f6f6a; text-decoration: underline;
  cursor: pointer; padding: 0; font-size: 0.92em; }
"""

# The countdown: one interval for the whole page; the state lives in data attributes.
HEAD = """<script>
(() => {
  if (window.__rehearseBreathing) return;
  window.__rehearseBreathing = true;
  const tick = () => {
    for (const el of document.querySelectorAll("[data-breathing]")) {
      const steps = JSON.parse(el.dataset.breathing);
      const cycles = Number(el.dataset.cycles);
      if (!el.dataset.t0) el.dataset.t0 = String(Date.now());
      const period = steps.reduce((sum, s) => sum + s[1], 0);
      let t = (Date.now() - Number(el.dataset.t0)) / 1000;
      const cycle = Math.floor(t / period);
      const step = el.querySelector(".breath-step");
      const count = el.querySelector(".breath-count");
      const round = el.querySelector(".breath-cycle");
      const ball = el.querySelector(".breath-ball");
      if (cycle >= cycles) {
        step.textContent = "Done. Take your time.";
        count.textContent = "0";
        round.textContent = "Now notice your senses, then choose below.";
        ball.style.transition = "transform 2s ease";
        ball.style.transform = "scale(0.7)";
        el.dataset.done = "true";
        continue;
      }
      t -= cycle * period;
      for (const [name, seconds] of steps) {
        if (t < seconds) {
          step.textContent = name;
          count.textContent = String(Math.ceil(seconds - t));
          if (ball.dataset.phase !== name + cycle) {
            ball.dataset.phase = name + cycle;
            ball.style.transition = "transform " + seconds + "s linear";
            if (/in/i.test(name)) ball.style.transform = "scale(1)";
            if (/out/i.test(name)) ball.style.transform = "scale(0.55)";
          }
          break;
        }
        t -= seconds;
      }
      round.textContent = "Breath " + (cycle + 1) + " of " + cycles;
    }
  };
  document.addEventListener("click", (event) => {
    const skip = event.target.closest && event.target.closest(".breath-skip");
    const el = skip && skip.closest("[data-breathing]");
    if (el) el.dataset.t0 = "0";
  });
  setInterval(tick, 200);
})();
</script>"""


def timer_html(exercise: dict[str, Any] | None) -> str:
    """The breathing circle and its countdown, ticked by :data:`HEAD` in the browser."""
    if not exercise:
        return ""
    steps = [[b["step"], int(b["seconds"])] for b in exercise["breathing"]]
    pattern = ", ".join(f"{name.lower()} {seconds}" for name, seconds in steps)
    first_name, first_seconds = steps[0]
    return (
        f"<div class='breathing' data-breathing='{html.escape(json.dumps(steps))}' "
        f"data-cycles='{int(exercise['cycles'])}' role='timer' aria-live='polite'>"
        "<div class='breath-ball'></div><div>"
        f"<div class='breath-step'>{html.escape(first_name)}</div>"
        f"<div class='breath-count'>{first_seconds}</div>"
        f"<div class='breath-cycle'>Breath 1 of {int(exercise['cycles'])} ({pattern})</div>"
        "<button class='breath-skip' type='button'>Skip the breathing</button>"
        "</div></div>"
    )


def senses_markdown(exercise: dict[str, Any] | None) -> str:
    """The message and the 5-4-3-2-1 steps."""
    if not exercise:
        return ""
    steps = "\n".join(f"{i}. {html.escape(s)}" for i, s in enumerate(exercise["senses"], 1))
    return f"{html.escape(exercise['message'])}\n\n**Then notice, without hurrying:**\n\n{steps}"


def pause(studio: Studio, session_id: str, request: gr.Request | None) -> Practice:
    """The user asks for a pause: the scene waits, silent, and the exercise shows."""
    rehearsal, info = studio.open(session_id, request)
    with studio.exclusive(rehearsal.session_id):
        if rehearsal.status != "awaiting_user":
            raise gr.Error("A pause is for when the scene is waiting for your line.")
        for _event in rehearsal.pause():
            pass
    return studio.practice(rehearsal, info, notice=NOTICE, draft=None)


def resume(
    studio: Studio, session_id: str, choice: str, request: gr.Request | None
) -> Iterator[Practice]:
    """Continue or step down after the pause; the character may answer the pending line."""
    rehearsal, info = studio.open(session_id, request)
    with studio.exclusive(rehearsal.session_id):
        if rehearsal.status != "grounding":
            raise gr.Error("The scene is not paused for a breather.")
        first = studio.practice(rehearsal, info, notice="", draft=None, partial=True)
        first = dataclasses.replace(first, grounding=None)
        yield first
        note = "The character eases off a little. " if choice == "step_down" else ""
        for view in studio._stream(rehearsal, info, rehearsal.ground(choice), first.chat, first):
            if not view.partial and view.status == "awaiting_user":
                view = dataclasses.replace(view, notice=f"{note}Back to the scene.")
            yield view


@dataclasses.dataclass(frozen=True)
class Panel:
    """The pause button and the grounding panel's components, as the page holds them."""

    pause_btn: Any
    box: Any
    timer: Any
    senses: Any
    continue_btn: Any
    step_down_btn: Any
    stop_btn: Any

    @property
    def outputs(self) -> list[Any]:
        """The components each practice view updates, in :func:`updates` order."""
        return [self.pause_btn, self.box, self.timer, self.senses]


def pause_button() -> Any:
    """The "Pause to breathe" button, for the row under the text box."""
    return gr.Button("Pause to breathe", size="md", elem_id="pause")


def panel(pause_btn: Any) -> Panel:
    """The hidden grounding panel: the timer, the senses steps, the three choices."""
    with gr.Column(visible=False, elem_id="grounding") as box:
        timer = gr.HTML(elem_id="grounding-timer")
        senses = gr.Markdown(elem_id="grounding-senses")
        with gr.Row():
            continue_btn = gr.Button(
                "Continue the scene", variant="primary", elem_id="ground-continue"
            )
            step_down_btn = gr.Button("Step it down", elem_id="ground-step-down")
            stop_btn = gr.Button("Stop and debrief", elem_id="ground-stop")
    return Panel(pause_btn, box, timer, senses, continue_btn, step_down_btn, stop_btn)


def updates(view: Practice) -> list[Any]:
    """What a full practice view sets on :attr:`Panel.outputs`."""
    pausing = view.status == "grounding"
    return [
        gr.Button(visible=view.status == "awaiting_user"),
        gr.Column(visible=pausing),
        timer_html(view.grounding) if pausing else "",
        senses_markdown(view.grounding) if pausing else "",
    ]


def cleared() -> list[Any]:
    """:attr:`Panel.outputs` with nothing shown (after a delete)."""
    return [gr.Button(visible=True), gr.Column(visible=False), "", ""]
