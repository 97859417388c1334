"""Turn a sampled boolean signal into intervals (shared by level-type analyzers)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from rushes.intervals import Intervals

__all__ = ["runs_to_intervals"]


def runs_to_intervals(
    times: npt.NDArray[np.float64],
    mask: npt.NDArray[np.bool_],
    step: float,
    label: str,
    *,
    min_length: float = 0.0,
    scores: npt.NDArray[np.float64] | None = None,
    time_base: Fraction = Fraction(1, 1000),
) -> Intervals:
    """Runs of ``True`` in ``mask`` (sample ``i`` covers ``[times[i], times[i] + step)``) as intervals.

    Runs shorter than ``min_length`` seconds are dropped; each interval's score is the mean of
    ``scores`` over its samples (1.0 when not given).
    """
    if len(mask) == 0 or not bool(mask.any()):
        return Intervals.empty(time_base)
    m = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    starts_i, ends_i = edges[0::2], edges[1::2]
    starts = times[starts_i]
    ends = times[ends_i - 1] + step
    keep = (ends - starts) >= min_length - 1e-9
    sc = (
        np.array([float(np.mean(scores[a:b])) for a, b in zip(starts_i, ends_i, strict=True)])
        if scores is not None else np.ones(len(starts))
    )
    return Intervals.from_seconds(starts[keep], ends[keep], label, score=sc[keep], time_base=time_base)
