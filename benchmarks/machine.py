"""The machine a benchmark ran on: CPU model, cores, memory, Python, OS, load.

Figures mean little without it; the results file and the README name it beside them.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["describe", "machine"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def machine() -> dict[str, Any]:
    """What the results depend on, as plain JSON values."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        # Other work on the machine slows everything; the load says how busy it was.
        "load_average": load,
    }


def describe(info: dict[str, Any]) -> str:
    """One line: 'Intel Xeon ..., 2 cores, 24 GiB, Python 3.11.2, Linux-6.1 (load 1.2)'."""
    load = info.get("load_average") or []
    memory = f", {info['memory_gib']:g} GiB" if info.get("memory_gib") else ""
    return (
        f"{info['cpu']}, {info['cores']} cores{memory}, Python {info['python']}, "
        f"{info['os']}" + (f" (load {load[0]:g} at the start)" if load else "")
    )
