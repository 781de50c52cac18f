"""Which components carry an event's loading status on the page.

Gradio's page keeps a loading status for every component any event has ever given one
(by default, every output of every event that ran), and on each status message of any
event (pending, each streamed update, complete) it refreshes all of them: for each, a
search of the whole layout and a ``structuredClone`` of its value, and for a layout
block (a row, a column, the tabs) of every value inside it. With the tabs among an
event's outputs, that was a copy of the whole studio on every streamed update: measured
in Chromium, about a second of script per turn and 45 ms more to the reply's first token.

So an event's status goes where it can be seen and costs little: on the first of its
outputs that is a component with something to show (never a layout block or
``gr.State``), and nowhere for an event whose progress is hidden (the streamed turns).
One target each keeps the page's set small however many events have run.
"""

from __future__ import annotations

import gradio as gr
from gradio.blocks import BlockContext

__all__ = ["trim_status_targets"]


def _shows_status(block: object) -> bool:
    return not isinstance(block, BlockContext | gr.State)


def trim_status_targets(demo: gr.Blocks) -> None:
    """Give every event of ``demo`` at most one status target, and only one it can show."""
    for fn in demo.fns.values():
        if fn.show_progress == "hidden":
            fn.show_progress_on = []
            continue
        targets = fn.outputs if fn.show_progress_on is None else fn.show_progress_on
        fn.show_progress_on = [block for block in targets if _shows_status(block)][:1]
