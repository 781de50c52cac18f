"""The character's prompt pieces and the clean-up of streamed replies."""

from __future__ import annotations

import pytest

from simulator.character import ReplyCleaner, clean_stream, feelings
from simulator.schema import Scenario


def cleaned(raw: str, size: int = 2) -> tuple[str, list[str]]:
    pieces = [raw[i : i + size] for i in range(0, len(raw), size)]
    out = list(clean_stream(ReplyCleaner("Jordan"), iter(pieces)))
    return "".join(out), out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('Jordan: "Look, the cycle is in March."\nUser: ok', "Look, the cycle is in March."),
        ("**Jordan**: Fine.", "Fine."),
        ("JORDAN: fine then", "fine then"),
        ("Sure, what is it?\n\nUser: hi", "Sure, what is it?"),
        ("Sure.\nYou: and then I said", "Sure."),
        ("Hello there. <|im_end|>", "Hello there."),
        ("One. Two! Three? Four. Five. Six.", "One. Two! Three? Four."),
        ("Jordan said no, and that was that.", "Jordan said no, and that was that."),
        ('He said "no way" and left.', 'He said "no way" and left.'),
        ("Okay.\nYour turn is next, I suppose.", "Okay.\nYour turn is next, I suppose."),
    ],
)
def test_cleaner(raw: str, expected: str) -> None:
    for size in (1, 2, 5, 100):
        assert cleaned(raw, size)[0] == expected, size


def test_clean_text_streams_without_waiting_for_the_end() -> None:
    text, pieces = cleaned("I have been swamped lately, to be honest with you.", 3)
    assert text == "I have been swamped lately, to be honest with you."
    assert len(pieces) > 10
    assert pieces[0] == "I h"  # nothing that could become a tag, so nothing held back


def test_feelings_describe_levels_in_words(scene: Scenario) -> None:
    assert feelings(scene, {"trust": 1, "defensiveness": 9.5}) == (
        "trust: very low; defensiveness: very high"
    )
    assert feelings(scene, {}) == "trust: moderate; defensiveness: moderate"
