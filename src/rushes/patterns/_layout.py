"""Lay every media's timeline end to end on one int64 axis (private helper).

Interval operations that must stay within one media (joins, unions, intersections) become
single vectorised passes once each media's ticks are shifted into a block of their own:
block ``r`` covers ``[lo[r], hi[r]]`` on the shared axis, and consecutive blocks are at least
``pad`` ticks apart, so a window clipped to its own block never reaches another media's rows,
and a sweep over the whole axis never merges two media.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError

IntArray = npt.NDArray[np.int64]

_AXIS_LIMIT = 2**60


@dataclass(frozen=True)
class BlockLayout:
    """Per-media offsets that put every media's ticks in a block of its own.

    ``media`` holds the sorted media ids; ``offset[r]`` is added to ticks of ``media[r]``;
    ``lo[r]``/``hi[r]`` bound the shifted block (inclusive).
    """

    media: IntArray
    offset: IntArray
    lo: IntArray
    hi: IntArray

    @classmethod
    def build(
        cls,
        media: Sequence[IntArray],
        starts: Sequence[IntArray],
        ends: Sequence[IntArray],
        pad: int = 1,
    ) -> BlockLayout:
        """Layout covering every ``[start, end]`` of every part, blocks ``pad`` (>= 1) ticks apart."""
        pad = max(int(pad), 1)
        all_media = np.concatenate([np.asarray(m, dtype=np.int64) for m in media]) if media else np.zeros(
            0, np.int64)
        ids = np.unique(all_media)
        k = len(ids)
        lo_t = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
        hi_t = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
        for m, s, e in zip(media, starts, ends, strict=True):
            if len(m) == 0:
                continue
            r = media_ranks(ids, m)
            np.minimum.at(lo_t, r, np.minimum(s, e))
            np.maximum.at(hi_t, r, np.maximum(s, e))
        span = hi_t - lo_t
        widths = span + pad
        if k and float(np.sum(widths.astype(np.float64))) >= _AXIS_LIMIT:
            raise QueryError(
                "time values are too large to combine on one axis; use a coarser time base"
            )
        base = np.zeros(k, dtype=np.int64)
        if k > 1:
            base[1:] = np.cumsum(widths[:-1])
        offset = base - lo_t
        return cls(ids, offset, base, base + span)

    def ranks(self, media: IntArray) -> IntArray:
        """Block index of each media id (every id must be part of the layout)."""
        return media_ranks(self.media, media)

    def shift(self, ranks: IntArray, ticks: IntArray) -> IntArray:
        """Ticks (of rows in blocks ``ranks``) moved onto the shared axis."""
        if len(ticks) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(ticks, dtype=np.int64) + self.offset[ranks]

    def rank_of_axis(self, values: IntArray) -> IntArray:
        """Block index of points on the shared axis (points between blocks go to the left one)."""
        return np.maximum(np.searchsorted(self.lo, values, side="right") - 1, 0).astype(np.int64)

    def unshift(self, values: IntArray, ranks: IntArray) -> IntArray:
        """Shared-axis values back to media ticks."""
        return np.asarray(values, dtype=np.int64) - self.offset[ranks]


def media_ranks(ids: IntArray, media: IntArray) -> IntArray:
    """Position of each of ``media`` in the sorted unique ``ids`` (a table lookup for small ids)."""
    media = np.asarray(media, dtype=np.int64)
    if len(ids) and len(media) > 1000 and ids[0] >= 0 and ids[-1] < 4 * len(media) + 1_000_000:
        table = np.zeros(int(ids[-1]) + 1, dtype=np.int64)
        table[ids] = np.arange(len(ids), dtype=np.int64)
        return table[media]
    return np.searchsorted(ids, media).astype(np.int64, copy=False)
