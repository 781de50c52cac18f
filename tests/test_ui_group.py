"""Scenes with several characters in the studio: handlers with fake models, then a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import gradio as gr
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from simulator.catalog import Catalog
from simulator.store import SessionStore
from tests.conftest import DATA, fake_model
from ui import render
from ui.app import create_app
from ui.handlers import Practice, Studio
from ui.serving import CHROMIUM, launch_chromium, release_event_loop, served

ALICE = gr.Request(username="alice")
BOB = gr.Request(username="bob")
MUM, DAD, GRAN = "mum-test", "dad-test", "gran-test"


@pytest.fixture
def group_catalog() -> Catalog:
    return Catalog.load([("test", DATA / "group" / "scenarios", DATA / "group" / "personas")])


def studio_with(store: SessionStore, catalog: Catalog, *replies: str) -> Studio:
    return Studio(store, fake_model(*replies), catalog, model_name="fake", assessor="rules")


def say(studio: Studio, session_id: str, text: str, request: gr.Request | None = ALICE) -> Practice:
    *_, last = studio.send(session_id, text, request)
    return last


def contents(view: Practice) -> list[str]:
    return [m["content"] for m in view.chat]


def test_each_character_is_named_in_its_colour(store: SessionStore, group_catalog: Catalog) -> None:
    studio = studio_with(store, group_catalog, "Dad, tell them it's too much.", "Let them finish.")
    view = studio.start("dinner-test", "medium", ALICE)
    colours = render.speaker_colours(group_catalog.get("dinner-test"))
    assert len({colours[MUM], colours[DAD], colours[GRAN]}) == 3
    assert [m["role"] for m in view.chat] == ["assistant", "assistant"]
    assert "Mum" in view.chat[0]["content"] and colours[MUM] in view.chat[0]["content"]
    assert "Dad" in view.chat[1]["content"] and colours[DAD] in view.chat[1]["content"]
    assert "@all" in view.placeholder
    assert [(m.name, m.present, m.waiting) for m in view.cast] == [
        ("Mum", True, False),
        ("Dad", True, False),
        ("Gran", False, True),
    ]

    # Two characters answer one line: both lines, each signed, after the user's own.
    streamed = list(studio.send(view.session_id, "Mum, I'm moving to Lisbon.", ALICE))
    last = streamed[-1]
    assert last.chat[2]["role"] == "user" and render.YOU_COLOUR in last.chat[2]["content"]
    assert "I'm moving to Lisbon." in last.chat[2]["content"]
    mum, dad = last.chat[3]["content"], last.chat[4]["content"]
    assert "Mum" in mum and colours[MUM] in mum and "too much" in mum
    assert "Dad" in dad and colours[DAD] in dad and "Let them finish." in dad
    assert streamed[-2].chat == last.chat  # what streamed in is what was saved
    # A one-character scene's view is unchanged: no cast panel, the plain placeholder.
    assert render.say_placeholder(group_catalog.get("dinner-test")) != "What would you say?"


def test_step_back_and_invite_through_the_handlers(
    store: SessionStore, group_catalog: Catalog
) -> None:
    studio = studio_with(store, group_catalog, "Dad's thinking.", "Welcome back, love.")
    session = studio.start("dinner-test", "", ALICE).session_id

    away = studio.step_back(session, DAD, ALICE)
    assert [(m.name, m.present) for m in away.cast] == [
        ("Mum", True),
        ("Dad", False),
        ("Gran", False),
    ]
    assert "Dad steps back." in away.chat[-1]["content"]
    assert "your turn 1 " in away.heading  # stepping back is not a turn
    with pytest.raises(gr.Error, match="only one here"):
        studio.step_back(session, MUM, ALICE)
    with pytest.raises(gr.Error, match="already stepped back"):
        studio.step_back(session, DAD, ALICE)
    # Someone else cannot change who is in the room of alice's scene.
    with pytest.raises(gr.Error, match="No session with that id"):
        studio.invite(session, DAD, BOB)

    after = say(studio, session, "@Dad what do you think?")
    assert "Dad's thinking." in after.chat[-1]["content"] and "Mum" in after.chat[-1]["content"]

    # Gran joins for the first time: the note, then her opening line.
    joined = studio.invite(session, GRAN, ALICE)
    texts = contents(joined)
    note = next(i for i, t in enumerate(texts) if "Gran joins the conversation." in t)
    assert "only here for the pudding" in texts[note + 1]
    assert [m.present for m in joined.cast] == [True, False, True]
    back = studio.invite(session, "Dad", ALICE)
    assert "Dad joins the conversation." in back.chat[-1]["content"]
    assert all(m.present for m in back.cast)

    # Reopened later, the notes stand where they happened.
    reopened, _ = studio.resume(session, ALICE)
    order = [
        next(i for i, t in enumerate(contents(reopened)) if part in t)
        for part in ("Dad steps back.", "what do you think?", "Gran joins", "pudding", "Dad joins")
    ]
    assert order == sorted(order)


def test_the_debrief_chart_has_a_series_per_character(
    store: SessionStore, group_catalog: Catalog
) -> None:
    studio = studio_with(store, group_catalog, "It's the cost, love.", "Hm.", "Fine.")
    session = studio.start("dinner-test", "", ALICE).session_id
    say(studio, session, "Mum, what worries you most? It sounds like the money scares you.")
    say(studio, session, "Dad, what do you think?")
    view = studio.end(session, ALICE)

    frame = view.chart
    measures = set(frame["measure"])
    assert measures == {
        "Mum: trust (higher is better)",
        "Mum: tension (lower is better)",
        "Dad: trust (higher is better)",
        "Dad: tension (lower is better)",
    }  # Gran was never invited: no series
    assert set(frame["step"]) == {"start", "turn 1", "turn 2"}
    scenario = group_catalog.get("dinner-test")
    variables = scenario.variables().values()
    assert view.chart_range == [min(v.min for v in variables), max(v.max for v in variables)]
    colours = render.speaker_colours(scenario)
    assert view.chart_colours is not None
    assert view.chart_colours["Mum: trust (higher is better)"] == colours[MUM]
    assert view.chart_colours["Dad: trust (higher is better)"] == colours[DAD]
    assert view.chart_colours["Mum: tension (lower is better)"] not in colours.values()

    group = view.sections["group"]
    assert "### The characters" in group and "#### " in group
    assert "Mum" in group and "Dad" in group and "Gran" not in group
    assert "**Protects**" in group and "**Fears**" in group
    assert "felt heard" in group
    assert "It's the cost, love." in group
    assert "### Journal entry" in group
    assert "How you met the parts" not in group  # not an inner-parts scene
    assert "Mum: trust" in view.sections["movement"]


def test_an_inner_parts_debrief_shows_how_you_met_the_parts(store: SessionStore) -> None:
    catalog = Catalog.load()
    studio = studio_with(store, catalog, *[f"I hear you ({i})." for i in range(8)])
    session = studio.start("critic-and-younger-part", "", ALICE).session_id
    say(studio, session, "I'm curious: what are you afraid would happen if you stopped?")
    say(studio, session, "Just stop it, you're being ridiculous.")
    view = studio.end(session, ALICE)
    group = view.sections["group"]
    assert "### How you met the parts" in group
    assert "| From curiosity or compassion | 1 |" in group
    assert "| Arguing or dismissing | 1 |" in group
    assert "what are you afraid would happen" in group
    assert "If you drew them" in group and "### Journal entry" in group
    assert set(m.split(":")[0] for m in view.chart["measure"]) == {"The Critic", "The Little One"}


def test_a_one_character_scene_has_no_group_panels(
    store: SessionStore, test_catalog: Catalog
) -> None:
    studio = studio_with(store, test_catalog, "Fine.", "unused")
    view = studio.start("test-scene", "", ALICE)
    assert view.cast == [] and view.placeholder == "What would you say?"
    with pytest.raises(gr.Error, match="one character"):
        studio.step_back(view.session_id, "Sam", ALICE)
    say(studio, view.session_id, "What is going on for you?")
    debrief = studio.end(view.session_id, ALICE)
    assert debrief.sections["group"] == "" and debrief.chart_colours is None


# --- in a real browser ---------------------------------------------------------------


@pytest.fixture
def page(store: SessionStore, group_catalog: Catalog) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)")
    model = fake_model("Dad, tell them it's too much.", "Let them finish, Ruth.")
    demo = create_app(store, model, group_catalog, assessor="rules")
    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)
        yield page
        browser.close()
    release_event_loop()


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_group_scene_in_the_browser(page: Page) -> None:
    page.get_by_role("button", name="Start this scene").click()
    chat = page.locator("#chat")
    # Consecutive lines share one bubble group; each is signed with its speaker's name.
    expect(chat).to_contain_text("● Mum")
    expect(chat).to_contain_text("● Dad")
    expect(page.locator("#say textarea")).to_have_attribute("placeholder", re.compile("@all"))
    expect(page.locator("#cast-panel")).to_contain_text("Gran")

    page.locator("#say textarea").fill("Mum, I'm moving to Lisbon.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#practice-heading")).to_contain_text("your turn 2 ")
    expect(chat).to_contain_text("Let them finish")

    page.locator("#cast-btn-1").click()  # Dad
    expect(chat).to_contain_text("Dad steps back.")
    expect(page.locator("#cast-1")).to_contain_text("stepped back")
    expect(page.locator("#cast-btn-1")).to_have_text("Invite")
