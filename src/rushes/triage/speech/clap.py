"""Clapperboard clap detection: a broadband, impulsive, isolated transient in the sound.

The sticks closing make a click of a few milliseconds: energy jumps by tens of dB within one or
two milliseconds, is spread up to the top of the band, and dies away within ~50 ms. Speech
plosives rise more slowly, carry less high-frequency energy relative to their level and are
followed by a vowel. :class:`ClapDetector` streams over 16 kHz audio keeping only three numbers
per 2 ms frame (energy, pre-emphasised "high-band" energy, peak), then in :meth:`finish` keeps
frames where

* the high-band energy rises ``min_rise_db`` above the median of the preceding 250 ms,
* the peak's crest factor over the surrounding second is at least ``min_crest_db``,
* the energy falls ``min_decay_db`` within ``decay_s`` (impulsive, not a sustained sound),
* the high band carries at least ``min_hf_ratio`` of the energy (broadband),

and reports the strongest such onset per ``min_gap_s`` as a :class:`Clap` with a score in
0..1. Which clap belongs to which slate is decided downstream (takes), where the slate and
"mark"/"action" times are known; ``near`` in :func:`claps_near` does that pairing for callers
that have them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Clap", "ClapDetector", "ClapParams", "claps_near", "detect_claps"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ClapParams:
    """Detection thresholds (the ``clap`` analyzer's parameters)."""

    frame_s: float = 0.002
    min_rise_db: float = 18.0
    min_crest_db: float = 20.0
    min_decay_db: float = 10.0
    decay_s: float = 0.08
    min_hf_ratio: float = 0.25
    min_gap_s: float = 2.0
    """At most one clap per this many seconds (the strongest)."""

    def __post_init__(self) -> None:
        if not 0.0005 <= self.frame_s <= 0.01:
            raise ValueError("frame_s must be within 0.0005..0.01")
        if self.min_gap_s < 0:
            raise ValueError("min_gap_s must be non-negative")


@dataclass(frozen=True)
class Clap:
    """One detected clap."""

    t: float
    """Onset (file seconds)."""
    score: float
    """Transient strength mapped to 0..1 (rise and crest factor)."""
    rise_db: float
    crest_db: float
    decay_db: float
    hf_ratio: float


class ClapDetector:
    """Streaming clap detector (see the module docstring)."""

    def __init__(self, params: ClapParams | None = None, *, rate: int = 16_000, time_offset: float = 0.0) -> None:
        self.params = params or ClapParams()
        self.rate = rate
        self.time_offset = time_offset
        self.hop = max(1, int(round(self.params.frame_s * rate)))
        self._carry = np.zeros(0, dtype=np.float32)
        self._last = 0.0  # last sample of the previous chunk (pre-emphasis continuity)
        self._e: list[F64] = []
        self._h: list[F64] = []
        self._p: list[F64] = []

    def feed(self, samples: F32) -> None:
        """Add the next samples."""
        x = np.concatenate([self._carry, np.asarray(samples, dtype=np.float32)])
        n = x.size // self.hop
        if n:
            body = x[: n * self.hop].astype(np.float64)
            prev = np.concatenate([[self._last], body[:-1]])
            hp = body - 0.97 * prev
            f = body.reshape(n, self.hop)
            fh = hp.reshape(n, self.hop)
            self._e.append(np.mean(f * f, axis=1))
            self._h.append(np.mean(fh * fh, axis=1))
            self._p.append(np.max(np.abs(f), axis=1))
            self._last = float(body[-1])
        self._carry = x[n * self.hop :]

    def finish(self) -> list[Clap]:
        """Detected claps in time order."""
        if not self._e:
            return []
        e = np.concatenate(self._e)
        h = np.concatenate(self._h)
        peak = np.concatenate(self._p)
        return _detect(e, h, peak, self.params, self.hop / self.rate, self.time_offset)


def _detect(e: F64, h: F64, peak: F64, p: ClapParams, step: float, t0: float) -> list[Clap]:
    n = e.size
    eps = 1e-12
    hdb = 10 * np.log10(h + eps)
    edb = 10 * np.log10(e + eps)
    back = max(1, int(0.25 / step))
    ctx = max(1, int(0.5 / step))
    dec = max(1, int(p.decay_s / step))
    # candidate frames: big frame-to-frame jump in the high band (cheap pre-filter)
    jump = np.full(n, -np.inf)
    jump[3:] = hdb[3:] - hdb[:-3]
    cands = np.flatnonzero(jump >= p.min_rise_db * 0.5)
    found: list[Clap] = []
    for i in cands.tolist():
        if i < 2:
            continue
        base = float(np.median(hdb[max(0, i - back) : i - 1])) if i - 1 > max(0, i - back) else float(hdb[i - 1])
        top = i + int(np.argmax(hdb[i : i + 3]))
        rise = float(hdb[top] - base)
        if rise < p.min_rise_db:
            continue
        lo, hi = max(0, i - ctx), min(n, i + ctx)
        rms = float(np.sqrt(np.mean(e[lo:hi]) + eps))
        crest = float(20 * np.log10((peak[top] + eps) / rms))
        if crest < p.min_crest_db:
            continue
        tail = edb[top + dec : top + dec + 3]
        decay = float(edb[top] - (tail.mean() if tail.size else edb[top]))
        if decay < p.min_decay_db:
            continue
        seg = slice(top, min(n, top + 5))
        hf = float(np.sum(h[seg]) / (np.sum(e[seg]) * 2.0 + eps))  # white noise gives ~1
        if hf < p.min_hf_ratio:
            continue
        # onset: first frame of the rise above half its height
        j = i
        while j > max(0, i - 3) and hdb[j - 1] > base + rise / 2:
            j -= 1
        score = float(np.clip((rise - p.min_rise_db) / 30.0 * 0.5 + (crest - p.min_crest_db) / 20.0 * 0.5, 0, 1))
        found.append(Clap(t0 + j * step, round(0.5 + 0.5 * score, 4), round(rise, 2), round(crest, 2),
                          round(decay, 2), round(min(hf, 9.99), 3)))
    # one clap per min_gap_s: keep the strongest, in time order
    found.sort(key=lambda c: -c.score)
    kept: list[Clap] = []
    for c in found:
        if all(abs(c.t - k.t) >= p.min_gap_s for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.t)


def detect_claps(audio: F32, params: ClapParams | None = None, *, rate: int = 16_000,
                 time_offset: float = 0.0) -> list[Clap]:
    """Claps in a whole array (see :class:`ClapDetector`)."""
    det = ClapDetector(params, rate=rate, time_offset=time_offset)
    det.feed(audio)
    return det.finish()


def claps_near(claps: Sequence[Clap], times: Sequence[float], before_s: float = 1.0,
               after_s: float = 4.0) -> list[Clap | None]:
    """For each time (e.g. a slate's appearance), the strongest clap in ``[t - before_s, t + after_s]``."""
    out: list[Clap | None] = []
    for t in times:
        near = [c for c in claps if t - before_s <= c.t <= t + after_s]
        out.append(max(near, key=lambda c: c.score) if near else None)
    return out
