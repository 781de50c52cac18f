"""Loading statuses only where the page can show them (ui/status.py)."""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr
import pytest

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import fake_model
from ui.app import StudioBlocks, create_app
from ui.status import trim_status_targets

pytestmark = [
    pytest.mark.usefixtures("gradio_loop_released"),
    # Sockets and event loops that building Blocks leaves to the garbage collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

LAYOUTS = {"row", "column", "tabs", "tabitem", "group", "accordion", "state"}


def test_status_goes_to_the_first_component_that_can_show_it() -> None:
    with gr.Blocks() as demo:
        kept = gr.State("")
        with gr.Tabs() as tabs, gr.Tab("One"), gr.Row() as row:
            shown = gr.Markdown()
            other = gr.Textbox()
        button = gr.Button()
        button.click(lambda: None, None, [kept, tabs, row, shown, other])
        button.click(lambda: None, None, [shown, other], show_progress="hidden")
        button.click(lambda: None, None, [shown, other], show_progress_on=[row, other])
    trim_status_targets(demo)
    both, hidden, chosen = demo.fns.values()
    assert both.show_progress_on == [shown]
    assert hidden.show_progress_on == []
    assert chosen.show_progress_on == [other]  # the event's own choice, less the layout


@pytest.fixture
def studio(store: SessionStore, test_catalog: Catalog) -> Iterator[StudioBlocks]:
    demo = create_app(store, fake_model("Fine."), test_catalog, assessor="rules")
    yield demo
    demo.close()


def test_no_event_of_the_studio_puts_a_status_on_a_layout(studio: StudioBlocks) -> None:
    config = studio.get_config_file()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    dependencies = config["dependencies"]
    assert dependencies
    for dep in dependencies:
        targets = dep["show_progress_on"]
        assert targets is not None and len(targets) <= 1, dep
        assert not {kinds[t] for t in targets} & LAYOUTS, dep


def test_a_streamed_turn_sends_only_what_changes_while_the_reply_comes(
    studio: StudioBlocks,
) -> None:
    streamed = [fn for fn in studio.fns.values() if fn.name == "on_send"]
    assert len(streamed) == 2  # the Send button and Enter in the text box
    for fn in streamed:
        assert fn.show_progress_on == []
        kinds = [type(block).__name__ for block in fn.outputs]
        assert kinds == ["Chatbot", "Markdown", "Textbox", "State"]
