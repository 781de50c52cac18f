"""The skill coder in the studio's debrief: scores beside their thresholds, counts linked to
their lines, and a transcript whose lines carry their codes in words as well as colour."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from simulator.coder import Coder, skill_summary
from simulator.coder.summary import CODES
from simulator.schema import Scenario
from ui import render
from ui.skills import CODE_COLOURS, coded_line_id, skills_markdown

CONVERSATION = [
    ("sam-test", "I drink most nights, I guess."),
    ("you", "What would you like to be different about your drinking?"),
    ("sam-test", "I really want to cut down, for my kids."),
    ("you", "Do you drink every day?"),
    ("sam-test", "I don't think I have a problem. I like drinking, it helps me relax."),
    ("you", "It sounds like part of you wants to change, and part of you enjoys it."),
]


@pytest.fixture(scope="module")
def coded() -> list:
    return Coder().code_conversation(CONVERSATION, numbers=[0, 1, 1, 2, 2, 3])


class _Lines(HTMLParser):
    """The coded lines of the panel: anchor id -> (classes, title, visible text)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, list[str]] = {}
        self._open: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self._open is not None:
            self._depth += tag == "div"
        elif tag == "div" and (a.get("id") or "").startswith("coded-line-"):
            self._open = str(a["id"])
            self._depth = 1
            self.lines[self._open] = [str(a.get("class")), str(a.get("title")), ""]

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == "div":
            self._depth -= 1
            if self._depth == 0:
                self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.lines[self._open][2] += data


def _parse(markdown: str) -> dict[str, list[str]]:
    parser = _Lines()
    parser.feed(markdown)
    return parser.lines


def test_each_line_carries_its_codes_in_class_title_and_words(coded: list) -> None:
    debrief = {"skills": skill_summary(coded)}
    lines = _parse(skills_markdown(debrief, {"sam-test": "Sam"}))
    assert list(lines) == [coded_line_id(i) for i in range(len(CONVERSATION))]
    expected = {
        1: "open_question",
        2: "change",
        3: "closed_question",
        4: "sustain",
        5: "complex_reflection",
    }
    for index, code in expected.items():
        classes, title, text = lines[coded_line_id(index)]
        assert f"code-{code}" in classes.split()
        label = CODES[code][0]  # MITI words: the summary was not asked for plain words
        assert label in title, (index, title)
        assert label in text  # a visible tag, not colour alone
        assert CONVERSATION[index][1] in text
    assert "Sam" in lines[coded_line_id(2)][2] and "You" in lines[coded_line_id(1)][2]


def test_counts_link_to_the_lines_they_count(coded: list) -> None:
    panel = skills_markdown({"skills": skill_summary(coded)})
    counts = [line for line in panel.splitlines() if line.startswith("- <span")]
    assert len(counts) == 9  # six codes of the user's, three of the character's
    open_row = next(
        row for row in panel.splitlines() if "code-open_question" in row and "- " in row
    )
    assert re.findall(r"href='#(coded-line-\d+)'", open_row) == [coded_line_id(1)]
    sustain_row = next(
        row for row in panel.splitlines() if row.startswith("- ") and "code-sustain" in row
    )
    assert re.findall(r"href='#(coded-line-\d+)'", sustain_row) == [coded_line_id(4)]
    # Every link has its target in the panel.
    targets = set(re.findall(r"id='(coded-line-\d+)'", panel))
    assert set(re.findall(r"href='#(coded-line-\d+)'", panel)) <= targets


def test_scores_sit_beside_the_miti_thresholds(coded: list) -> None:
    panel = skills_markdown({"skills": skill_summary(coded)})
    rows = {row.split("|")[1].strip(): row for row in panel.splitlines() if row.startswith("| ")}
    ratio = rows["reflection-to-question ratio"]
    # One reflection, two questions: 0.5 reflections a question, below fair (1:1).
    assert [c.strip() for c in ratio.split("|")[2:6]] == ["0.5:1", "1:1", "2:1", "below fair"]
    open_q = rows["percent open questions"]
    assert [c.strip() for c in open_q.split("|")[2:6]] == ["50 %", "50 %", "70 %", "fair"]
    complex_r = rows["percent complex reflections"]
    assert [c.strip() for c in complex_r.split("|")[2:6]] == ["100 %", "40 %", "50 %", "good"]
    assert "MITI 4.2.1" in panel and "MITI 3.1" in panel
    assert "50 %** of their change and sustain talk" in panel


def test_plain_words_outside_clinical_scenes(coded: list) -> None:
    panel = skills_markdown({"skills": skill_summary(coded, plain=True)})
    for words in ("asked an open question", "reflected what they meant", "talked about changing"):
        assert words in panel
    assert "reflections for each question" in panel
    lines = _parse(panel)
    assert "asked a closed question" in lines[coded_line_id(3)][1]


def test_legend_names_every_code_in_words_and_colour(coded: list) -> None:
    panel = skills_markdown({"skills": skill_summary(coded)})
    legend = next(line for line in panel.splitlines() if "code-legend" in line)
    for code, colour in CODE_COLOURS.items():
        assert f"code-{code}' style='background:{colour}'>{CODES[code][0]}<" in legend


def test_words_are_escaped_not_run() -> None:
    coded = Coder().code_conversation(
        [("you", "What <script>alert(1)</script> do you mean?"), ("sam", "It's <b>fine</b>.")]
    )
    panel = skills_markdown({"skills": skill_summary(coded)})
    assert "<script>" not in panel and "<b>fine" not in panel
    assert "&lt;script&gt;" in panel


def test_debriefs_without_the_coder_have_no_panel() -> None:
    assert skills_markdown({"skills": None}) == ""
    assert skills_markdown({}) == ""
    # A free expression scene: what the user says is not scored.
    skills = skill_summary(Coder().code_conversation([("you", "How are you?")]))
    assert skills_markdown({"skills": skills, "scenario": {"category": "clinical-practice"}})
    assert skills_markdown({"skills": skills, "scenario": {"category": "expression"}}) == ""
    # A debrief kept from before the lines' words were stored: counts, no coded transcript.
    skills = skill_summary(Coder().code_conversation([("you", "How are you?")]))
    for entry in skills["turns"]:
        del entry["text"]
    panel = skills_markdown({"skills": skills})
    assert "open question" in panel and "turn 1" not in panel  # turns are numbered from 0
    assert "turn 0" in panel and "coded-line" not in panel  # no links to lines not shown
    assert "The conversation, coded" not in panel


def test_the_debrief_page_has_the_panel(scene: Scenario) -> None:
    coded = Coder().code_conversation(
        [(scene.cast[0].persona_id, "Hi."), ("you", "What is on your mind today?")]
    )
    debrief = {
        "scenario": {"title": scene.title},
        "difficulty": "easy",
        "user_turns": 1,
        "ended_by": "user",
        "goals": [],
        "state": {"variables": {}},
        "moves": {},
        "try_instead": {"turn": None, "original": None, "rewrite": None, "unavailable": ""},
        "next_practice": "",
        "skills": skill_summary(coded, plain=True),
    }
    sections = render.debrief_sections(debrief, scene)
    lines = _parse(sections["skills"])
    name = scene.persona().name
    assert name in lines[coded_line_id(0)][2]
    assert "code-open_question" in lines[coded_line_id(1)][0]
