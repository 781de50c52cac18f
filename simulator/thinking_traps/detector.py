"""The offline thinking-trap detector: rules over a thought, multi-label, deterministic.

A thought may hold several traps or none. Each rule that fires gives the words that
showed it, unless a negation or a hedge just before those words, in the same clause,
takes it back ("it's *not* the end of the world", "*maybe* she thinks I'm rude").

Two readings of the whole thought come on top of the rules:

- a thought that reasons from a feeling ("I feel stupid, so I must be") is marked
  emotional reasoning, not also "negative feeling or emotion": the feeling is the
  premise of the trap, not what the thought dwells on;
- a feeling named and accepted in the same thought ("I'm nervous, and that's normal",
  "even if I feel awkward at first...") is balanced, not a trap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulator.thinking_traps.catalog import DESCRIPTIONS, TRAPS
from simulator.thinking_traps.rules import RULES, Rule

__all__ = ["Detection", "TrapHit", "detect", "normalise"]

# The end of the clause before a cue: negations do not reach across these.
_CLAUSE_BREAK = re.compile(r"[.,;:!?]|\bbut\b|\band\b|\bso\b|\bbecause\b")
_NEGATORS = re.compile(
    r"\b(?:not|no|hardly|without|nor)\b|n't\b|\bdoesn't mean\b|\bno longer\b|\bisn't\b"
)
_HEDGES = re.compile(r"\b(?:maybe|perhaps|might|may|possibly|wonder(?:ing)?|whether|if)\b")
_ACCEPTING = re.compile(
    r"\b(?:that's|that is|it's|it is) (?:ok|okay|normal|fine|understandable|allowed|natural|"
    r"human)\b|\beven if\b|\band still\b|\bbut i (?:can|will|did|managed|still)\b"
    r"|\bi notic(?:e|ed)\b"
)
# A comparison that also names the person's own strength is a fair one, not despair.
_FAIR_COMPARISON = re.compile(r"\b(?:and|but|while) i'?m (?:better|good|great|strong) at\b")
_WINDOW_WORDS = 4


@dataclass(frozen=True)
class TrapHit:
    """One trap found in a thought: the words that showed it, and what the trap is."""

    trap: str
    evidence: str
    explanation: str


@dataclass(frozen=True)
class Detection:
    """What the detector found in one thought; ``traps`` is empty for a balanced one."""

    text: str
    hits: tuple[TrapHit, ...] = field(default_factory=tuple)

    @property
    def traps(self) -> list[str]:
        return [hit.trap for hit in self.hits]

    @property
    def explanations(self) -> dict[str, str]:
        return {hit.trap: hit.explanation for hit in self.hits}


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: what the rules are written for."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text.strip().lower())


def _preceding_words(text: str, start: int) -> str:
    """The few words just before ``start`` within its clause."""
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    return " ".join(before.split()[-_WINDOW_WORDS:])


def _taken_back(rule: Rule, text: str, match: re.Match[str]) -> bool:
    window = _preceding_words(text, match.start())
    if rule.not_after is not None and rule.not_after.search(window):
        return True
    if rule.negatable and _NEGATORS.search(window):
        return True
    # A hedge may also sit inside the cue: "*maybe* he thinks I'm rude" matches from "maybe".
    return rule.hedgeable and bool(_HEDGES.search(f"{window} {match.group(0)}"))


def _first_match(rule: Rule, text: str) -> str | None:
    for match in rule.pattern.finditer(text):
        if not _taken_back(rule, text, match):
            return match.group(0).strip()
    return None


def _explain(trap: str, evidence: str) -> str:
    return f'{DESCRIPTIONS[trap]} ("{evidence}")'


def detect(text: str) -> Detection:
    """The thinking traps in ``text``, in the catalogue's order, each with its evidence."""
    clean = normalise(text)
    found: dict[str, str] = {}
    for rule in RULES:
        if rule.trap in found:
            continue
        evidence = _first_match(rule, clean)
        if evidence is not None:
            found[rule.trap] = evidence
    if "comparing and despairing" in found and _FAIR_COMPARISON.search(clean):
        del found["comparing and despairing"]
    if "emotional reasoning" in found:
        found.pop("negative feeling or emotion", None)
    if "negative feeling or emotion" in found and len(found) == 1 and _ACCEPTING.search(clean):
        found.clear()
    hits = tuple(
        TrapHit(trap, found[trap], _explain(trap, found[trap])) for trap in TRAPS if trap in found
    )
    return Detection(text=text, hits=hits)
