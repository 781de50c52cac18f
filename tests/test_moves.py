"""The deterministic moves reader used by the rule-based assessment and the debrief."""

from __future__ import annotations

import pytest

from simulator.moves import MOVES, analyse, count_moves


@pytest.mark.parametrize(
    ("text", "moves"),
    [
        ("What would help you say yes?", {"open_question"}),
        ("How did that land for you?", {"open_question"}),
        ("Tell me more about that.", {"open_question"}),
        ("Do you have a minute?", {"closed_question"}),
        ("Is that fair?", {"closed_question"}),
        ("It sounds like the budget is really tight.", {"reflection"}),
        ("So you feel stuck between the two.", {"reflection"}),
        ("That must be hard.", {"empathy"}),
        ("I'm sorry I wasn't there.", {"empathy"}),
        ("I need you to call before you come over.", {"need_statement"}),
        ("It matters to me that we split this fairly.", {"need_statement"}),
        ("You should just stop drinking.", {"advice"}),
        ("You always do this!", {"blame"}),
        ("Calm down, it's not a big deal.", {"dismissal"}),
        ("Give me the raise or else.", {"threat"}),
        ("Hi Jordan, thanks for making time.", set()),
    ],
)
def test_moves(text: str, moves: set[str]) -> None:
    assert set(analyse(text)) == moves


def test_a_turn_can_hold_several_moves() -> None:
    assert analyse("It sounds like a lot. What would help?") == {"reflection", "open_question"}


def test_count_moves_lists_every_move() -> None:
    counts = count_moves(["What happened?", "What now? I need a break.", "Ok."])
    assert list(counts) == list(MOVES)
    assert counts["open_question"] == 2 and counts["need_statement"] == 1 and counts["advice"] == 0
