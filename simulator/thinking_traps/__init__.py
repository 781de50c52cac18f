"""Thinking traps: an offline, deterministic, multi-label detector and its measurement.

``detect(text)`` returns the traps in a thought (none for a balanced one), each with the
words that showed it and a plain explanation; ``evaluate`` and ``format_report`` measure
it on a labelled JSON-lines file. No model and no network are needed.
"""

from simulator.thinking_traps.catalog import DESCRIPTIONS, GENERAL_QUESTIONS, QUESTIONS, TRAPS
from simulator.thinking_traps.detector import Detection, TrapHit, detect
from simulator.thinking_traps.metrics import (
    Example,
    TrapDataError,
    evaluate,
    format_report,
    read_examples,
)

__all__ = [
    "DESCRIPTIONS",
    "GENERAL_QUESTIONS",
    "QUESTIONS",
    "TRAPS",
    "Detection",
    "Example",
    "TrapDataError",
    "TrapHit",
    "detect",
    "evaluate",
    "format_report",
    "read_examples",
]
