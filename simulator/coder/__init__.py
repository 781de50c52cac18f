"""The skill coder: MITI-style codes for each turn of a rehearsal, learned from AnnoMI.

    from simulator.coder import code_conversation, skill_summary
    codings = code_conversation([("character", "I drink, so what?"), ("you", "What worries you?")])
    skill_summary(codings)["scores"]["percent_open_questions"]

Each user turn gets a main behaviour (question | reflection | therapist_input | other),
a question type (open | closed) where it asks and a reflection type (simple | complex)
where it reflects; each character turn gets change | neutral | sustain talk. Offline and
deterministic: hand-made cues and word features, logistic regression in numpy, weights in
``weights.npz`` (rebuilt by ``scripts/train_coder.py`` from AnnoMI: Wu et al., "Anno-MI: A
Dataset of Expert-Annotated Counselling Dialogues", ICASSP 2022; "Creation, Analysis and
Evaluation of AnnoMI", Future Internet 15(3):110, 2023).
"""

from simulator.coder.coder import Coder, Coding, code_conversation, default_coder
from simulator.coder.data import (
    BEHAVIOURS,
    CLIENT_TALK,
    QUESTION_TYPES,
    REFLECTION_TYPES,
    CoderDataError,
)
from simulator.coder.evaluate import evaluate_file, format_report
from simulator.coder.summary import code_lines, move_counts, skill_summary

__all__ = [
    "BEHAVIOURS",
    "CLIENT_TALK",
    "QUESTION_TYPES",
    "REFLECTION_TYPES",
    "Coder",
    "CoderDataError",
    "Coding",
    "code_conversation",
    "code_lines",
    "default_coder",
    "evaluate_file",
    "format_report",
    "move_counts",
    "skill_summary",
]
