"""Benchmarks: what Rehearse adds to the model's own time, each against a baseline.

``python -m benchmarks`` runs them all and writes ``benchmarks/results.json`` and
``benchmarks/results.md`` (see :mod:`benchmarks.run_all`); each module also runs alone.
"""

from __future__ import annotations

__all__ = ["Skipped"]


class Skipped(Exception):
    """A benchmark that cannot run here (no browser, no database): the reason, not a failure."""
