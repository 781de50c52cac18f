"""The free expression space: a listener, and a summary in the user's own words."""

from __future__ import annotations

from simulator.catalog import Catalog
from simulator.expression import extractive_summary, gives_advice, listener_summary
from simulator.report import debrief_text
from simulator.session import Rehearsal
from simulator.store import SessionStore
from simulator.transcript import Line
from tests.conftest import BrokenChatModel, fake_model

SAID = [
    "Work has been heavy lately. I keep staying late because I'm scared of letting the team down.",
    "Is that normal?",
    "And I miss my sister. She moved to Lisbon in March and the flat feels quiet.",
    "I think I'm tired more than anything.",
]


def lines() -> list[Line]:
    out = [Line(0, "patient-listener", "Robin", "Hello. I'll listen.")]
    for turn, text in enumerate(SAID, start=1):
        out += [Line(turn, "you", "You", text), Line(turn, "patient-listener", "Robin", "Mm.")]
    return out


def test_the_extractive_summary_quotes_the_user_in_order() -> None:
    summary = extractive_summary(lines())
    assert summary["source"] == "extractive"
    quotes = [q["quote"] for q in summary["quotes"]]
    assert "Is that normal?" not in quotes  # a question to the listener says less of them
    assert [q["turn"] for q in summary["quotes"]] == sorted(q["turn"] for q in summary["quotes"])
    assert (
        "I miss my sister" in summary["text"]
        and "I'm scared of letting the team down" in (summary["text"])
    )
    assert all(q in " ".join(SAID) for q in quotes)  # their words, not ours
    assert not gives_advice(summary["text"])


def test_a_model_summary_is_kept_when_it_stays_in_their_words() -> None:
    reply = (
        "You said work has been heavy and you keep staying late, scared of letting the team "
        "down. You miss your sister since she moved to Lisbon, and you're tired."
    )
    summary = listener_summary(lines(), fake_model(reply))
    assert summary == {**summary, "text": reply, "source": "model"}


def test_advice_or_drift_from_the_model_falls_back_to_their_words() -> None:
    advice = "You should talk to your manager and try to set boundaries at work."
    assert listener_summary(lines(), fake_model(advice))["source"] == "extractive"
    drift = "Someone reflected on productivity frameworks, weekly rituals and cosmic harmony."
    assert listener_summary(lines(), fake_model(drift))["source"] == "extractive"


def test_a_failing_model_still_gives_a_summary(broken_model: BrokenChatModel) -> None:
    summary = listener_summary(lines(), broken_model)
    assert summary["source"] == "extractive" and "I miss my sister" in summary["text"]


def test_the_bundled_listener_scene_ends_in_the_users_own_words(
    store: SessionStore, broken_model: BrokenChatModel
) -> None:
    scenario = Catalog.load().get("free-expression")
    assert scenario.category == "expression" and scenario.goals == []
    replies = ["I'm here.", "That sounds like a lot to carry.", "Mm. What else is there?"]
    rehearsal = Rehearsal.begin(store, scenario, fake_model(*replies), assessor="model")
    list(rehearsal.start())
    list(rehearsal.say(SAID[0]))
    # "I'm scared": the expression space offers a pause most readily; then it goes on.
    assert rehearsal.status == "grounding"
    list(rehearsal.ground("continue"))
    for text in SAID[1:3]:
        list(rehearsal.say(text))
    # The endpoint goes down before the end: the summary is built from their lines.
    rehearsal.model = broken_model
    list(rehearsal.end())
    debrief = rehearsal.debrief()
    assert debrief["expression"]["source"] == "extractive"
    assert debrief["try_instead"]["rewrite"] is None  # nobody corrects what they said
    text = debrief_text(debrief)
    assert text.index("In your own words") < text.index("How the other side moved")
    assert "Goals" not in text and "I miss my sister" in text
