"""Seconds ↔ ticks conversions shared by the pattern modules (private helper)."""

from __future__ import annotations

import math
from fractions import Fraction

from rushes.errors import QueryError
from rushes.timecode import to_fraction


def as_seconds(value: Fraction | float | int | str, what: str, *, allow_zero: bool = True) -> Fraction:
    """A non-negative duration in exact seconds, or :class:`QueryError` naming ``what``."""
    if isinstance(value, bool):
        raise QueryError(f"{what} must be a number of seconds, got {value!r}")
    try:
        sec = to_fraction(value)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise QueryError(f"{what} must be a number of seconds, got {value!r}") from exc
    if sec < 0 or (sec == 0 and not allow_zero):
        raise QueryError(f"{what} must be {'>= 0' if allow_zero else '> 0'} seconds, got {value!r}")
    return sec


def floor_ticks(seconds: Fraction, time_base: Fraction) -> int:
    """Whole ticks of ``time_base`` in ``seconds``, rounded down (exact).

    For integer tick values ``x``, ``y``: ``|x - y| * time_base <= seconds`` exactly when
    ``|x - y| <= floor_ticks(seconds, time_base)``.
    """
    return math.floor(seconds / time_base)
