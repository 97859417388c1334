"""Helpers shared by the report writers: frames and timecodes of a file, names, number formats."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from rushes.timecode import Timecode, frame_rate_is_drop_frame, parse_rate

__all__ = ["FileClock", "clock_of", "human_bytes", "take_label"]


@dataclass(frozen=True)
class FileClock:
    """A file's frame rate and start timecode: seconds → frames → SMPTE timecode.

    In points are the frame displayed at a time (floor), out points one past the last frame a
    range touches (ceil), so an exported range always covers the whole take.
    """

    rate: Fraction
    start_frames: int = 0
    """The file's first frame as a timecode frame count (0 without a start timecode)."""
    drop_frame: bool = False

    def frame_in(self, seconds: float) -> int:
        """Frame index (from the file's first frame) displayed at ``seconds``."""
        return max(0, math.floor(Fraction(seconds).limit_denominator(1_000_000) * self.rate))

    def frame_out(self, seconds: float) -> int:
        """Exclusive out frame of a range ending at ``seconds``."""
        return max(0, math.ceil(Fraction(seconds).limit_denominator(1_000_000) * self.rate))

    def timecode(self, frames: int) -> Timecode:
        """Timecode of a frame index of the file (start timecode added)."""
        return Timecode(self.start_frames + frames, self.rate, self.drop_frame)

    def tc_in(self, seconds: float) -> str:
        """SMPTE timecode of the frame displayed at ``seconds``."""
        return str(self.timecode(self.frame_in(seconds)))

    def tc_out(self, seconds: float) -> str:
        """SMPTE timecode one past the last frame of a range ending at ``seconds``."""
        return str(self.timecode(self.frame_out(seconds)))


def clock_of(frame_rate: str | Fraction | None, start_timecode: str | None) -> FileClock | None:
    """A :class:`FileClock` from a report file's ``frame_rate`` and ``start_timecode``; ``None``
    without a frame rate (audio files)."""
    if frame_rate in (None, ""):
        return None
    rate = parse_rate(Fraction(str(frame_rate)) if not isinstance(frame_rate, Fraction) else frame_rate)
    if start_timecode:
        drop = ";" in start_timecode and frame_rate_is_drop_frame(rate)
        try:
            tc = Timecode.parse(start_timecode, rate)
            return FileClock(rate, tc.frames, drop)
        except Exception:  # an unreadable container timecode: count from zero
            pass
    return FileClock(rate, 0, frame_rate_is_drop_frame(rate))


def take_label(take: Mapping[str, Any], name: str | None = None) -> str:
    """A short human name of a take: ``12A-3`` (scene-take), else ``take 2``; with the clip name."""
    scene, tk = take.get("scene"), take.get("take")
    if scene and tk:
        base = f"{scene}-{tk}"
    elif scene:
        base = f"{scene}-?"
    else:
        base = f"take {take.get('index', '?')}"
    return f"{base} ({Path(name).stem})" if name else base


def human_bytes(n: float) -> str:
    """``1.2 GB`` style (decimal units, as storage is billed)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} TB"


def safe_stem(name: str) -> str:
    """A file-system friendly version of a media file's stem."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem) or "media"
