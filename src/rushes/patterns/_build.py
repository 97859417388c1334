"""Construct :class:`~rushes.intervals.Intervals` from numpy columns (private helper)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.intervals import Intervals


def labels_array(labels: str | Sequence[str] | npt.NDArray[Any], n: int) -> npt.NDArray[np.object_]:
    """An object array of ``n`` labels (one string repeated, or a sequence of ``n``)."""
    out = np.empty(n, dtype=object)
    if isinstance(labels, str):
        out[:] = labels
    else:
        out[:] = list(labels) if not isinstance(labels, np.ndarray) else labels
    return out


def build_intervals(
    start: npt.ArrayLike,
    end: npt.ArrayLike,
    labels: str | Sequence[str] | npt.NDArray[Any],
    time_base: Fraction,
    media: npt.ArrayLike,
    score: npt.ArrayLike | float = 1.0,
    data: dict[str, npt.NDArray[Any]] | None = None,
) -> Intervals:
    """Intervals from array columns; ``media``/``score`` scalars are broadcast."""
    s = np.asarray(start, dtype=np.int64).reshape(-1)
    n = len(s)
    m = np.broadcast_to(np.asarray(media, dtype=np.int64), (n,)).copy()
    sc = np.broadcast_to(np.asarray(score, dtype=np.float64), (n,)).copy()
    return Intervals(s, np.asarray(end, dtype=np.int64).reshape(-1), labels_array(labels, n), sc, m,
                     time_base, dict(data or {}))


def last_end_per_media(iv: Intervals) -> dict[int, Fraction]:
    """Seconds of the latest row end in each media of ``iv``."""
    if len(iv) == 0:
        return {}
    ids = np.unique(iv.media)
    ends = np.full(len(ids), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(ends, np.searchsorted(ids, iv.media), iv.end)
    return {int(m): Fraction(int(e)) * iv.time_base for m, e in zip(ids.tolist(), ends.tolist(), strict=True)}
