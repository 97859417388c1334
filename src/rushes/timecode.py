"""Rational time and SMPTE timecode.

Time inside ``rushes`` is exact: a presentation timestamp (PTS) is an integer count of
``time_base`` ticks, and seconds are :class:`fractions.Fraction`. Floats appear only at the
edges (JSON, UI). Frame rates are ``Fraction`` too (``24000/1001``, never ``23.976``).

SMPTE timecode follows the usual conventions: ``HH:MM:SS:FF`` for non-drop rates and
``HH:MM:SS;FF`` with drop-frame counting for 29.97 and 59.94 (frame numbers 0 and 1 — or
0–3 at 59.94 — are skipped at the start of every minute except every tenth minute).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from rushes.errors import QueryError

__all__ = [
    "Timecode",
    "frame_rate_is_drop_frame",
    "nominal_fps",
    "parse_rate",
    "seconds_to_frames",
    "to_fraction",
]

_NTSC_DROP_RATES = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}
_TC_RE = re.compile(r"^(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.])(\d{2,3})$")


def to_fraction(value: Fraction | int | float | str) -> Fraction:
    """Exact conversion; floats are limited to a microsecond-scale denominator."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite time: {value}")
        return Fraction(value).limit_denominator(1_000_000)
    return Fraction(value)


def parse_rate(value: Fraction | int | float | str) -> Fraction:
    """Parse a frame rate, snapping float NTSC rates (23.976, 29.97, 59.94) to their exact fractions."""
    rate = to_fraction(value)
    if rate <= 0:
        raise ValueError(f"frame rate must be positive, got {value!r}")
    for base in (24, 30, 48, 60, 120):
        ntsc = Fraction(base * 1000, 1001)
        if rate != ntsc and abs(rate - ntsc) < Fraction(1, 200):
            return ntsc
    return rate


def nominal_fps(rate: Fraction) -> int:
    """The integer frame count per timecode second (30 for 29.97, 24 for 23.976)."""
    return max(1, round(rate))


def frame_rate_is_drop_frame(rate: Fraction) -> bool:
    return rate in _NTSC_DROP_RATES


def seconds_to_frames(seconds: Fraction, rate: Fraction) -> int:
    """Index of the frame shown at ``seconds`` for a constant ``rate`` (floor, exact)."""
    return math.floor(seconds * rate)


@dataclass(frozen=True, slots=True)
class Timecode:
    """A SMPTE timecode: a frame count at a rate, optionally drop-frame."""

    frames: int
    rate: Fraction
    drop_frame: bool = False

    def __post_init__(self) -> None:
        if self.frames < 0:
            raise ValueError("timecode frames must be >= 0")
        if self.drop_frame and self.rate not in _NTSC_DROP_RATES:
            raise ValueError(f"drop-frame timecode is only defined for 29.97/59.94, not {self.rate}")

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_seconds(
        cls, seconds: Fraction | float | int, rate: Fraction, drop_frame: bool | None = None
    ) -> Timecode:
        """Timecode of the frame displayed at ``seconds`` (from PTS, never frame count × fps)."""
        sec = to_fraction(seconds)
        if sec < 0:
            raise ValueError("negative time")
        drop = frame_rate_is_drop_frame(rate) if drop_frame is None else drop_frame
        # round to the nearest frame to absorb PTS rounding in containers with coarse time bases
        return cls(frames=round(sec * rate), rate=rate, drop_frame=drop)

    @classmethod
    def parse(cls, text: str, rate: Fraction) -> Timecode:
        """Parse ``HH:MM:SS:FF`` (or ``;`` before FF for drop-frame)."""
        m = _TC_RE.match(text.strip())
        if not m:
            raise QueryError(f"not a SMPTE timecode: {text!r} (expected HH:MM:SS:FF)")
        hh, mm, ss, sep, ff = m.groups()
        drop = sep == ";" and frame_rate_is_drop_frame(rate)
        fps = nominal_fps(rate)
        h, mi, s, f = int(hh), int(mm), int(ss), int(ff)
        if mi > 59 or s > 59 or f >= fps:
            raise QueryError(f"timecode out of range: {text!r} at {float(rate):.3f} fps")
        total_minutes = 60 * h + mi
        frames = ((h * 3600 + mi * 60 + s) * fps) + f
        if drop:
            skip = _NTSC_DROP_RATES[rate]
            if s == 0 and f < skip and mi % 10 != 0:
                raise QueryError(f"{text!r} does not exist in drop-frame timecode")
            frames -= skip * (total_minutes - total_minutes // 10)
        return cls(frames=frames, rate=rate, drop_frame=drop)

    # -- conversion ---------------------------------------------------------------------
    @property
    def seconds(self) -> Fraction:
        return Fraction(self.frames) / self.rate

    def __add__(self, other: Timecode | int) -> Timecode:
        extra = other.frames if isinstance(other, Timecode) else int(other)
        return Timecode(self.frames + extra, self.rate, self.drop_frame)

    def fields(self) -> tuple[int, int, int, int]:
        """(hours, minutes, seconds, frames) as displayed; hours wrap at 24."""
        fps = nominal_fps(self.rate)
        n = self.frames
        if self.drop_frame:
            skip = _NTSC_DROP_RATES[self.rate]
            per_10min = fps * 600 - skip * 9
            per_min = fps * 60 - skip
            tens, rem = divmod(n, per_10min)
            extra = 0 if rem < skip else skip * ((rem - skip) // per_min)
            n = n + skip * 9 * tens + extra
        ff = n % fps
        total_s = n // fps
        return (total_s // 3600) % 24, (total_s // 60) % 60, total_s % 60, ff

    def __str__(self) -> str:
        hh, mm, ss, ff = self.fields()
        sep = ";" if self.drop_frame else ":"
        width = 3 if nominal_fps(self.rate) > 99 else 2
        return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:0{width}d}"
