"""Weighted (and fuzzy) intensity curves, and the pattern hits they contain.

Time is cut into samples of ``step`` seconds: sample ``k`` stands for ``[k·step, (k+1)·step)``.
A row is *present* in every sample it intersects (an instant: the sample it falls in), so rows
shorter than a step are never lost.

* **Weighted mode** (the seed's intensity chart): the curve is, per sample, the sum of the weights
  of the rules with at least one selected row present. A rule counts once however many of its
  rows overlap (``ocr:*`` adds its weight once, not once per text line). Computed with
  cumulative sums of +1/-1 at row boundaries: no loop over samples.
* **Fuzzy mode**: each selected row has a membership ``T(conf_mf(score), dur_mf(seconds))``
  (default: its score clipped to [0, 1]); a rule's membership per sample is the maximum over its
  present rows, scaled by ``min(|weight|, 1)``. Positive rules combine with the t-conorm
  (``positive = "any"``) or t-norm (``"all"``), negative ones with the t-conorm, and the pattern
  membership is ``T(positive, 1 - negative)``.

Hits are maximal runs of samples with ``value >= threshold`` (the seed's red line); runs at most
``merge_gap`` apart are joined, then runs shorter than ``min_length`` dropped. Each hit's score
is the mean or peak value over its span.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns._build import build_intervals, last_end_per_media
from rushes.patterns.definition import PatternDef, TagRule, load_pattern, parse_pattern
from rushes.patterns.fuzzy import tconorm, tnorm
from rushes.patterns.render import render_curve_png
from rushes.patterns.sources import TrackSource

__all__ = [
    "IntensityCurve",
    "PatternResult",
    "find_hits",
    "intensity_curves",
    "load_pattern",
    "parse_pattern",
    "render_curve_png",
    "run_pattern",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class IntensityCurve:
    """Per-sample values of one media: ``values[k]`` covers ``[k·step, (k+1)·step)`` seconds."""

    media: int
    step: Fraction
    values: FloatArray
    mode: str = "weighted"

    @property
    def times(self) -> FloatArray:
        """Start of each sample, in seconds."""
        return np.arange(len(self.values), dtype=np.float64) * float(self.step)

    @property
    def duration(self) -> Fraction:
        """Seconds covered by the curve."""
        return len(self.values) * self.step

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"media": self.media, "step": float(self.step), "mode": self.mode,
                "values": [round(float(v), 6) for v in self.values]}


@dataclass(frozen=True)
class PatternResult:
    """Hits of a pattern over every media, with the curves they were cut from."""

    pattern: PatternDef
    hits: Intervals
    curves: dict[int, IntensityCurve]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (hits as records; curves left out, they can be long)."""
        return {"pattern": self.pattern.name, "mode": self.pattern.mode,
                "threshold": self.pattern.threshold, "hits": self.hits.to_records()}


# -- sampling -------------------------------------------------------------------------------------


def _sample_counts(durations: dict[int, Fraction], step: Fraction) -> dict[int, int]:
    return {m: max(math.ceil(d / step), 0) for m, d in durations.items()}


def _bins(rows: Intervals, step: Fraction) -> tuple[IntArray, IntArray]:
    """First and one-past-last sample index touched by each row (exact integer arithmetic)."""
    ratio = rows.time_base / step  # samples per tick
    p, q = ratio.numerator, ratio.denominator
    big = max(int(np.max(np.abs(rows.end), initial=0)), 1)
    if big * p < 2**62:
        first = (rows.start * p) // q
        last = -((-rows.end * p) // q)
    else:  # exact but slower for enormous tick counts
        first = np.asarray([int(s) * p // q for s in rows.start.tolist()], dtype=np.int64)
        last = np.asarray([-(-int(e) * p // q) for e in rows.end.tolist()], dtype=np.int64)
    return first.astype(np.int64), np.maximum(last, first + 1).astype(np.int64)


@dataclass(frozen=True)
class _Grid:
    """All media's samples laid end to end: media ``m`` owns ``[base[m], base[m] + count[m])``."""

    media: list[int]
    base: dict[int, int]
    count: dict[int, int]
    total: int

    @classmethod
    def build(cls, counts: dict[int, int]) -> _Grid:
        media = sorted(counts)
        base: dict[int, int] = {}
        total = 0
        for m in media:
            base[m] = total
            total += counts[m]
        return cls(media, base, counts, total)

    def place(self, rows: Intervals, step: Fraction) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
        """Global (first, last) sample of each row, clipped to its media; mask of rows kept."""
        first, last = _bins(rows, step)
        ids = np.asarray(self.media, dtype=np.int64)
        known = np.isin(rows.media, ids)
        pos = np.searchsorted(ids, rows.media)
        pos = np.minimum(pos, max(len(ids) - 1, 0))
        base = np.asarray([self.base[m] for m in self.media], dtype=np.int64)[pos] if len(ids) else pos
        count = np.asarray([self.count[m] for m in self.media], dtype=np.int64)[pos] if len(ids) else pos
        first, last = np.clip(first, 0, count), np.clip(last, 0, count)
        keep = known & (last > first)
        return base + first, base + last, keep


def _weighted_values(pattern: PatternDef, rule_rows: list[Intervals], grid: _Grid) -> FloatArray:
    """Sum of the weights of the rules present in each sample.

    Each rule's sample ranges are merged into disjoint runs first (all rules at once, each in its
    own stretch of one axis), so a rule adds its weight once per sample; one weighted difference
    array and one cumulative sum then give the whole curve.
    """
    firsts, lasts, weights = [], [], []
    stride = grid.total + 1
    for k, (rule, rows) in enumerate(zip(pattern.rules, rule_rows, strict=True)):
        if len(rows) == 0 or rule.weight == 0:
            continue
        first, last, keep = grid.place(rows, pattern.step)
        firsts.append(first[keep] + k * stride)
        lasts.append(last[keep] + k * stride)
        weights.append(np.full(int(keep.sum()), rule.weight))
    if not firsts:
        return np.zeros(grid.total, dtype=np.float64)
    first, last, weight = np.concatenate(firsts), np.concatenate(lasts), np.concatenate(weights)
    order = np.lexsort((last, first))
    first, last, weight = first[order], last[order], weight[order]
    reach = np.maximum.accumulate(last)
    opens = np.ones(len(first), dtype=np.bool_)
    opens[1:] = first[1:] > reach[:-1]  # rules are a stride apart: runs never cross rules
    at = np.flatnonzero(opens)
    run_first, run_last, run_weight = first[at] % stride, np.maximum.reduceat(last, at), weight[at]
    run_last = run_last - (first[at] - run_first)
    delta = (np.bincount(run_first, weights=run_weight, minlength=stride)
             - np.bincount(run_last, weights=run_weight, minlength=stride))
    # rounding removes float drift of the running sum (0.1 + 0.2 - 0.1 - 0.2 != 0)
    return np.asarray(np.round(np.cumsum(delta[: grid.total]), 9) + 0.0, dtype=np.float64)


def _rule_rows(source: TrackSource, rule: TagRule, media: int | None) -> Intervals:
    rows = source.get(rule.selector.track, rule.selector.glob)
    keep = rows.score >= rule.min_score
    if media is not None:
        keep &= rows.media == media
    return rows if bool(np.all(keep)) else rows[keep]


def _memberships(rows: Intervals, rule: TagRule, pattern: PatternDef) -> FloatArray:
    conf = (rule.confidence(rows.score) if rule.confidence is not None
            else np.clip(rows.score, 0.0, 1.0))
    if rule.duration is not None:
        conf = tnorm(pattern.tnorm, conf, rule.duration(rows.duration_seconds))
    return np.asarray(conf * min(abs(rule.weight), 1.0), dtype=np.float64)


def _max_membership(first: IntArray, last: IntArray, mu: FloatArray, total: int) -> FloatArray:
    """Per sample, the largest ``mu`` of the ranges covering it."""
    out = np.zeros(total, dtype=np.float64)
    counts = last - first
    n = int(counts.sum())
    if n == 0:
        return out
    starts = np.cumsum(counts) - counts
    samples = np.arange(n, dtype=np.int64) + np.repeat(first - starts, counts)
    np.maximum.at(out, samples, np.repeat(mu, counts))
    return out


def intensity_curves(
    source: TrackSource, pattern: PatternDef, media: int | None = None
) -> dict[int, IntensityCurve]:
    """The pattern's curve for every media of ``source`` (or only ``media``).

    A media's length is its duration from the source, extended to the last selected row.
    """
    durations = dict(source.durations())
    rule_rows = [_rule_rows(source, rule, media) for rule in pattern.rules]
    for rows in rule_rows:
        for m, end in last_end_per_media(rows).items():
            durations[m] = max(durations.get(m, Fraction(0)), end)
    if media is not None:
        durations = {m: d for m, d in durations.items() if m == media}
    grid = _Grid.build(_sample_counts(durations, pattern.step))
    if pattern.mode == "weighted":
        values = _weighted_values(pattern, rule_rows, grid)
    else:
        values = _fuzzy_values(pattern, rule_rows, grid)
    return {
        m: IntensityCurve(m, pattern.step, values[grid.base[m]: grid.base[m] + grid.count[m]].copy(), pattern.mode)
        for m in grid.media
    }


def _fuzzy_values(pattern: PatternDef, rule_rows: list[Intervals], grid: _Grid) -> FloatArray:
    positive: FloatArray | None = None
    negative: FloatArray | None = None
    for rule, rows in zip(pattern.rules, rule_rows, strict=True):
        if rule.weight == 0:
            continue
        first, last, keep = grid.place(rows, pattern.step)
        mu = _max_membership(first[keep], last[keep], _memberships(rows, rule, pattern)[keep], grid.total)
        if rule.weight > 0:
            if positive is None:
                positive = mu
            elif pattern.positive == "all":
                positive = tnorm(pattern.tnorm, positive, mu)
            else:
                positive = tconorm(pattern.tconorm, positive, mu)
        else:
            negative = mu if negative is None else tconorm(pattern.tconorm, negative, mu)
    pos = positive if positive is not None else np.ones(grid.total)
    if negative is None:
        return np.asarray(pos, dtype=np.float64)
    return tnorm(pattern.tnorm, pos, 1.0 - negative)


# -- hits -----------------------------------------------------------------------------------------


def find_hits(curve: IntensityCurve, pattern: PatternDef) -> Intervals:
    """Pattern occurrences in one curve (time base: the sampling step).

    Data columns: ``peak`` and ``mean`` value over each hit; ``score`` is one of them.
    """
    v = curve.values
    above = v >= pattern.threshold
    empty = build_intervals([], [], pattern.name, curve.step, curve.media,
                            data={"peak": np.zeros(0), "mean": np.zeros(0)})
    if not bool(np.any(above)):
        return empty
    edges = np.diff(np.r_[0, above.astype(np.int8), 0])
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    gap = math.floor(pattern.merge_gap / curve.step)
    if len(starts) > 1:
        join = (starts[1:] - ends[:-1]) <= gap
        keep_start = np.r_[True, ~join]
        keep_end = np.r_[~join, True]
        starts, ends = starts[keep_start], ends[keep_end]
    long_enough = (ends - starts) >= math.ceil(pattern.min_length / curve.step)
    starts, ends = starts[long_enough], ends[long_enough]
    if len(starts) == 0:
        return empty
    bounds = np.ravel(np.column_stack([starts, ends]))  # strictly increasing: runs never touch
    padded = np.r_[v, 0.0]
    peak = np.maximum.reduceat(padded, bounds)[::2]
    low = np.minimum.reduceat(padded, bounds)[::2]
    # the mean lies between the run's extremes; clipping removes float rounding beyond them
    mean = np.clip(np.add.reduceat(padded, bounds)[::2] / (ends - starts), low, peak)
    score = peak if pattern.score == "peak" else mean
    return build_intervals(starts, ends, pattern.name, curve.step, curve.media, score,
                           data={"peak": peak, "mean": mean})


def run_pattern(source: TrackSource, pattern: PatternDef | str | Path, media: int | None = None) -> PatternResult:
    """Curves and hits of a pattern (a :class:`PatternDef` or the path of a TOML file)."""
    pdef = load_pattern(pattern) if isinstance(pattern, str | Path) else pattern
    if not isinstance(pdef, PatternDef):
        raise QueryError(f"not a pattern definition: {pattern!r}")
    curves = intensity_curves(source, pdef, media)
    hits = Intervals.concat([find_hits(c, pdef) for c in curves.values()]) if curves else build_intervals(
        [], [], pdef.name, pdef.step, 0)
    return PatternResult(pdef, hits, curves)
