"""Per-sample detection scores → labelled time intervals, with hysteresis.

A detector run at a few samples per second gives, for every label, a score per sample. A plain
threshold makes a label flicker on and off when the score hovers around it; hysteresis uses two
thresholds instead: a run *starts* at a sample scoring at least ``on`` and *continues* while the
score stays at least ``off`` (``off <= on``). Short dips below ``off`` (at most ``max_gap_s``)
are bridged, and runs shorter than ``min_length_s`` are dropped.

>>> import numpy as np
>>> t = np.arange(8, dtype=float)
>>> s = np.array([0.1, 0.7, 0.45, 0.5, 0.2, 0.6, 0.1, 0.1])
>>> runs = hysteresis_runs(t, s, step=1.0, params=HysteresisParams(on=0.6, off=0.4, max_gap_s=1.0))
>>> [(r.start, r.end) for r in runs]
[(1.0, 6.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from rushes.intervals import Intervals

__all__ = ["HysteresisParams", "Provenance", "Run", "TagSeries", "hysteresis_mask", "hysteresis_runs"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class HysteresisParams:
    """Thresholds of the on/off state machine and the clean-up of its runs."""

    on: float = 0.5
    """A run starts at a sample scoring at least this."""
    off: float = 0.3
    """... and continues while samples score at least this."""
    max_gap_s: float = 1.0
    """Dips below ``off`` lasting at most this long are bridged (flicker)."""
    min_length_s: float = 0.0
    """Runs shorter than this are dropped (a single sample lasts one step)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.off <= self.on:
            raise ValueError(f"hysteresis needs 0 <= off <= on (got off={self.off}, on={self.on})")
        if self.max_gap_s < 0 or self.min_length_s < 0:
            raise ValueError("max_gap_s and min_length_s must be >= 0")


@dataclass(frozen=True)
class Run:
    """One interval of a label: ``[start, end)`` seconds and its score statistics."""

    start: float
    end: float
    peak: float
    mean: float
    samples: int


@dataclass(frozen=True)
class Provenance:
    """Which model produced a tag: written on every row so a model change is traceable."""

    model: str
    version: str
    sha256: str

    @property
    def model_id(self) -> str:
        """``name@sha16``: what the pipeline's cache key carries."""
        return f"{self.model}@{self.sha256[:16]}"


def hysteresis_mask(scores: FloatArray, on: float, off: float) -> npt.NDArray[np.bool_]:
    """Boolean state per sample of the two-threshold state machine (see the module docstring).

    A run is seeded by every sample ``>= on`` and grows in both directions over samples ``>= off``
    (so a run's rising edge below ``on`` is kept as well as its falling edge).
    """
    s = np.asarray(scores, dtype=np.float64)
    n = len(s)
    if n == 0:
        return np.zeros(0, dtype=bool)
    above_off = s >= off
    # connected runs of samples >= off; keep those containing at least one sample >= on
    padded = np.concatenate([[False], above_off, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    out = np.zeros(n, dtype=bool)
    seeds = s >= on
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        if bool(seeds[a:b].any()):
            out[a:b] = True
    return out


def hysteresis_runs(
    times: Sequence[float] | FloatArray,
    scores: Sequence[float] | FloatArray,
    *,
    step: float,
    params: HysteresisParams,
) -> list[Run]:
    """Runs of one label; sample ``i`` covers ``[times[i], times[i] + step)``.

    ``step == 0`` (a still image: one sample) gives instants ``[t, t]``.
    """
    t = np.asarray(times, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if len(t) != len(s):
        raise ValueError("times and scores differ in length")
    mask = hysteresis_mask(s, params.on, params.off)
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    spans = [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]
    # bridge short gaps between consecutive runs
    merged: list[tuple[int, int]] = [spans[0]]
    for a, b in spans[1:]:
        pa, pb = merged[-1]
        gap = t[a] - (t[pb - 1] + step)
        if gap <= params.max_gap_s + 1e-9:
            merged[-1] = (pa, b)
        else:
            merged.append((a, b))
    runs: list[Run] = []
    for a, b in merged:
        start, end = float(t[a]), float(t[b - 1] + step)
        if end - start + 1e-9 < params.min_length_s:
            continue
        seg = s[a:b]
        on_samples = seg[seg >= params.off]
        runs.append(Run(start, end, float(seg.max()), float(on_samples.mean() if len(on_samples) else seg.mean()),
                        int(b - a)))
    return runs


class TagSeries:
    """Accumulates per-sample label scores, then turns them into one interval track.

    Labels missing from a sample score 0 there. ``to_intervals`` writes one row per run with the
    run's peak score as ``score`` and data columns ``mean``, ``samples``, ``model``,
    ``model_version`` and ``model_sha256`` (provenance on every row).
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self._scores: dict[str, dict[int, float]] = {}

    def add(self, t: float, scores: Mapping[str, float]) -> None:
        """Record one sample at ``t`` seconds: label → score (max is kept when repeated)."""
        i = len(self.times)
        self.times.append(float(t))
        for label, sc in scores.items():
            row = self._scores.setdefault(label, {})
            row[i] = max(float(sc), row.get(i, 0.0))

    @property
    def labels(self) -> list[str]:
        return sorted(self._scores)

    def series(self, label: str) -> FloatArray:
        """Dense score array of ``label`` over all samples."""
        out = np.zeros(len(self.times), dtype=np.float64)
        for i, sc in self._scores.get(label, {}).items():
            out[i] = sc
        return out

    def to_intervals(
        self,
        *,
        step: float,
        params: HysteresisParams,
        provenance: Provenance,
        time_base: Fraction = Fraction(1, 1000),
        label_params: Mapping[str, HysteresisParams] | None = None,
    ) -> Intervals:
        """All labels' runs as one :class:`Intervals` sorted by start."""
        t = np.asarray(self.times, dtype=np.float64)
        starts: list[float] = []
        ends: list[float] = []
        labels: list[str] = []
        peaks: list[float] = []
        means: list[float] = []
        counts: list[int] = []
        for label in self.labels:
            p = (label_params or {}).get(label, params)
            for run in hysteresis_runs(t, self.series(label), step=step, params=p):
                starts.append(run.start)
                ends.append(run.end)
                labels.append(label)
                peaks.append(round(run.peak, 4))
                means.append(round(run.mean, 4))
                counts.append(run.samples)
        n = len(starts)
        if n == 0:
            return Intervals.empty(time_base)
        order = np.lexsort((np.asarray(labels, dtype=object).astype(str), np.asarray(starts)))
        iv = Intervals.from_seconds(
            np.asarray(starts)[order], np.asarray(ends)[order], [labels[i] for i in order],
            score=np.asarray(peaks)[order], time_base=time_base,
            data={
                "mean": np.asarray(means)[order],
                "samples": np.asarray(counts, dtype=np.int64)[order],
                "model": [provenance.model] * n,
                "model_version": [provenance.version] * n,
                "model_sha256": [provenance.sha256[:16]] * n,
            },
            metadata={"model_id": provenance.model_id},
        )
        return iv
