"""The thirteen thinking traps: their names, what each means, and questions that loosen it.

The names are spelled exactly as the CLI writes them and as test sets label them. The
descriptions and questions are plain-language versions of the usual CBT worksheets; the
reframing flow shows them, and the rules use the descriptions as the fallback
explanation when no model explains a trap.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DESCRIPTIONS", "GENERAL_QUESTIONS", "QUESTIONS", "TRAPS"]

TRAPS: Final[tuple[str, ...]] = (
    "all-or-nothing thinking",
    "overgeneralising",
    "labelling",
    "fortune telling",
    "mind reading",
    "emotional reasoning",
    "should statements",
    "personalising",
    "disqualifying the positive",
    "catastrophising",
    "comparing and despairing",
    "blaming",
    "negative feeling or emotion",
)

DESCRIPTIONS: Final[dict[str, str]] = {
    "all-or-nothing thinking": "Seeing things in two boxes only: perfect or a failure, "
    "all or nothing, with no room for the middle.",
    "overgeneralising": "Turning one event into a rule: always, never, every time, nobody.",
    "labelling": "Summing up a whole person (often yourself) with one harsh word.",
    "fortune telling": "Predicting that things will go badly, as if the future were known.",
    "mind reading": "Assuming you know what someone else thinks or feels about you.",
    "emotional reasoning": "Taking a feeling as proof: I feel it, so it must be true.",
    "should statements": "Holding yourself or others to rigid rules: should, must, ought to.",
    "personalising": "Taking the blame for something that was not only, or not at all, "
    "in your hands.",
    "disqualifying the positive": "Explaining away good things: luck, politeness, "
    "'it doesn't count'.",
    "catastrophising": "Jumping to the worst possible outcome, or calling it unbearable.",
    "comparing and despairing": "Measuring yourself against others and finding yourself lacking.",
    "blaming": "Putting the whole cause of how you feel or what happened on someone else.",
    "negative feeling or emotion": "A painful feeling is taking up the whole thought; "
    "naming it is a first step.",
}

GENERAL_QUESTIONS: Final[tuple[str, ...]] = (
    "What is the evidence that this thought is true?",
    "What is the evidence that it is not true, or not the whole story?",
    "If a friend had this thought about themselves, what would you say to them?",
    "Is there another way to see what happened?",
)

QUESTIONS: Final[dict[str, str]] = {
    "all-or-nothing thinking": "Is there something in between the two extremes? "
    "What would 'partly' or 'good enough' look like here?",
    "overgeneralising": "Can you think of one time it went differently? "
    "Is 'always' or 'never' really true?",
    "labelling": "Would you sum up a friend with that one word after the same thing? "
    "What does the label leave out?",
    "fortune telling": "What else could happen? What has actually happened the "
    "other times you predicted this?",
    "mind reading": "What do you actually know about what they think? How could you find out?",
    "emotional reasoning": "If you set the feeling aside for a moment, what do the facts say?",
    "should statements": "Whose rule is this? What would change if you said "
    "'I'd prefer' instead of 'I should'?",
    "personalising": "What else played a part? How much of it was really in your hands?",
    "disqualifying the positive": "What if the good part does count? What would it say about you?",
    "catastrophising": "What is the most likely outcome, not the worst one? "
    "If the worst happened, how would you cope?",
    "comparing and despairing": "What don't you see of their life? Compared with where "
    "you were a year ago, where are you now?",
    "blaming": "What part, however small, is yours to act on? "
    "What can you do from here, whoever started it?",
    "negative feeling or emotion": "Where do you feel it, and how strong is it (0-10)? "
    "Feelings pass; what might help this one ease a little?",
}
