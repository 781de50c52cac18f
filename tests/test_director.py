"""The director of scenes with several characters: addressing, activation, the turn cap."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.catalog import Catalog
from simulator.director import (
    ANSWER_THRESHOLD,
    Addressing,
    DirectorChoice,
    activation,
    addressing,
    choose,
    find_member,
)
from simulator.schema import Scenario
from tests.conftest import DATA, fake_model

MUM, DAD, GRAN = "mum-test", "dad-test", "gran-test"
BOTH = [MUM, DAD]


@pytest.fixture(scope="module")
def dinner() -> Scenario:
    catalog = Catalog.load([("test", DATA / "group" / "scenarios", DATA / "group" / "personas")])
    assert [str(p) for p in catalog.problems] == []
    return catalog.get("dinner-test")


def pick(scene: Scenario, line: str, **kwargs: Any) -> dict[str, Any]:
    present = kwargs.pop("present", BOTH)
    options: dict[str, Any] = {
        "present": present,
        "addressed": addressing(scene, line, present),
        "user_line": line,
        "deltas": {},
        "spoken": [],
        "last_line": None,
        "previous_speaker": None,
    }
    options.update(kwargs)
    return choose(scene, **options)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mum, what worries you?", [MUM]),
        ("@Dad what do you think?", [DAD]),
        ("@dad-test what do you think?", [DAD]),
        ("Is that all right, Dad?", [DAD]),
        ("Hey Mum and Dad, I have news.", BOTH),
        ("Mum, Dad, I have news.", BOTH),
        ("Well, Dad, what now?", [DAD]),
        ("I told Mum about it yesterday.", []),  # a mention, not an address
        ("Let's eat.", []),
    ],
)
def test_addressing_by_name(dinner: Scenario, line: str, expected: list[str]) -> None:
    assert addressing(dinner, line, BOTH).speakers == expected


@pytest.mark.parametrize(
    "line", ["@all I'm moving abroad.", "Both of you, listen.", "Everyone: hi"]
)
def test_speaking_to_all(dinner: Scenario, line: str) -> None:
    found = addressing(dinner, line, BOTH)
    assert found.to_all and found.speakers == BOTH


def test_find_member_by_name_id_or_unique_prefix(dinner: Scenario) -> None:
    assert find_member(dinner, "Gran") == GRAN
    assert find_member(dinner, "@mum") == MUM
    assert find_member(dinner, "dad test") == DAD
    assert find_member(dinner, "Gra") == GRAN  # a unique prefix of three letters or more
    assert find_member(dinner, "nobody") is None


def test_activation_counts_names_keywords_state_and_relationships(dinner: Scenario) -> None:
    assert activation(dinner, MUM, "Can we afford it?") > activation(
        dinner, DAD, "Can we afford it?"
    )
    assert activation(dinner, DAD, "My career at the firm.") > activation(dinner, MUM, "My career.")
    assert activation(dinner, MUM, "I told Mum.") >= 3
    moved = activation(dinner, DAD, "Hm.", deltas={"dad-test.trust": 2.0, "mum-test.trust": 1.0})
    assert moved == 1.0  # only its own variables count
    # Mum relates to Dad, so his line draws her in a little more than a stranger's would.
    assert activation(dinner, MUM, "Hm.", speaker=DAD) > activation(dinner, MUM, "Hm.")


def test_the_addressed_character_speaks_first(dinner: Scenario) -> None:
    decision = pick(dinner, "Dad, what do you think about the money?")
    assert decision["speaker"] == DAD and decision["source"] == "address"


def test_without_an_address_the_most_activated_speaks(dinner: Scenario) -> None:
    decision = pick(dinner, "I know it will cost a lot of money.")
    assert decision["speaker"] == MUM and decision["source"] == "activation"
    decision = pick(dinner, "I'm leaving my job at the firm.")
    assert decision["speaker"] == DAD


def test_a_tie_goes_to_whoever_the_user_was_answering(dinner: Scenario) -> None:
    assert pick(dinner, "Okay.", previous_speaker=DAD)["speaker"] == DAD
    assert pick(dinner, "Okay.", previous_speaker=MUM)["speaker"] == MUM
    assert pick(dinner, "Okay.")["speaker"] == MUM  # then cast order


def test_a_stepped_back_character_is_never_given_the_turn(dinner: Scenario) -> None:
    decision = pick(dinner, "@Dad are you there?", present=[MUM])
    assert decision["speaker"] == MUM
    assert pick(dinner, "Hello?", present=[])["speaker"] is None


def test_characters_answer_each_other_when_drawn_in(dinner: Scenario) -> None:
    named = pick(dinner, "Mum?", spoken=[MUM], last_line=(MUM, "Dad, say something."))
    assert named["speaker"] == DAD and named["source"] == "answer"
    quiet = pick(dinner, "Mum?", spoken=[MUM], last_line=(MUM, "It's getting cold."))
    assert quiet["speaker"] is None
    assert activation(dinner, DAD, "It's getting cold.", speaker=MUM) < ANSWER_THRESHOLD


def test_the_cap_on_lines_per_turn(dinner: Scenario) -> None:
    assert dinner.director.max_lines_per_turn == 2
    capped = pick(dinner, "Mum?", spoken=[MUM, DAD], last_line=(DAD, "Mum, you tell them."))
    assert capped["speaker"] is None
    # Speaking to all lets everyone present answer once, even past the cap.
    three = [MUM, DAD, GRAN]
    everyone = addressing(dinner, "@all hello", three)
    order = []
    for _ in range(5):
        decision = pick(dinner, "@all hello", present=three, addressed=everyone, spoken=order)
        if decision["speaker"] is None:
            break
        order.append(decision["speaker"])
    assert order == three


def test_single_character_scenes_need_no_director(scene: Scenario) -> None:
    assert addressing(scene, "@Sam hi", ["sam-test"]) == Addressing()
    first = choose(
        scene,
        present=["sam-test"],
        addressed=Addressing(),
        user_line="Hi.",
        deltas={},
        spoken=[],
        last_line=None,
        previous_speaker=None,
    )
    assert first["speaker"] == "sam-test" and first["source"] == "only"


class Directing:
    """A fake model whose structured output names a speaker."""

    def __init__(self, speaker: str) -> None:
        self.speaker = speaker
        self.calls = 0

    def invoke(self, *_: Any) -> DirectorChoice:
        self.calls += 1
        return DirectorChoice(speaker=self.speaker, reason="judged")


def test_the_model_chooses_when_nobody_was_addressed(dinner: Scenario) -> None:
    model = fake_model()
    judge = Directing(DAD)
    object.__setattr__(model, "with_structured_output", lambda *_a, **_k: judge)
    decision = pick(dinner, "It will cost a lot of money.", model=model)
    assert decision == {"speaker": DAD, "source": "model", "reason": "judged"}
    # An explicit address always wins; the model is not asked.
    assert pick(dinner, "Mum, hi.", model=model)["speaker"] == MUM and judge.calls == 1


def test_a_model_naming_nobody_present_falls_back_to_the_rules(dinner: Scenario) -> None:
    model = fake_model()
    object.__setattr__(model, "with_structured_output", lambda *_a, **_k: Directing(GRAN))
    decision = pick(dinner, "It will cost a lot of money.", model=model)
    assert decision["speaker"] == MUM and decision["source"] == "activation"


def test_a_model_without_structured_output_falls_back(dinner: Scenario) -> None:
    # Fake chat models have no structured output at all.
    decision = pick(dinner, "It will cost a lot of money.", model=fake_model())
    assert decision["speaker"] == MUM and decision["source"] == "activation"
