"""Helpers shared by the benchmark scripts (they run as scripts: ``python bench/bench_x.py``)."""

from __future__ import annotations

import resource
from pathlib import Path

__all__ = ["peak_rss_mb"]


def peak_rss_mb() -> float:
    """This process's peak resident set in MB (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
