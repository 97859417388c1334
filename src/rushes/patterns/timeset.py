"""Intervals as sets of time, per media: union, intersection, complement, overlap.

Rows are half-open ``[start, end)``; every operation stays within one media. Union keeps
instants (``start == end``) that no other row absorbs; intersection and complement measure
time, so instants (zero length) never survive them. Results are *normalised*: per media,
sorted, disjoint and not touching. All operations are vectorised over all media at once.

>>> a = Intervals.from_seconds([0, 4], [5, 9], "a")
>>> b = Intervals.from_seconds([3], [6], "b")
>>> [(r.start_seconds, r.end_seconds) for r in intersect(a, b)]
[(3.0, 6.0)]
>>> [(r.start_seconds, r.end_seconds) for r in union(a)]
[(0.0, 9.0)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError
from rushes.intervals import Intervals, common_time_base
from rushes.patterns._build import build_intervals
from rushes.patterns._layout import BlockLayout
from rushes.patterns._units import as_seconds, floor_ticks

__all__ = ["complement", "intersect", "measure", "near_mask", "overlap_ticks", "union"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _result(starts: IntArray, ends: IntArray, media: IntArray, time_base: Fraction, label: str) -> Intervals:
    return build_intervals(starts, ends, label, time_base, media)


def union(iv: Intervals, label: str = "") -> Intervals:
    """Merge rows that overlap or touch, per media (labels are dropped: all rows get ``label``)."""
    if len(iv) == 0:
        return Intervals.empty(iv.time_base)
    layout = BlockLayout.build([iv.media], [iv.start], [iv.end])
    ranks = layout.ranks(iv.media)
    s, e = layout.shift(ranks, iv.start), layout.shift(ranks, iv.end)
    order = np.lexsort((e, s))
    s, e, ranks = s[order], e[order], ranks[order]
    reach = np.maximum.accumulate(e)
    first = np.ones(len(s), dtype=np.bool_)
    first[1:] = s[1:] > reach[:-1]
    at = np.flatnonzero(first)
    ends = np.maximum.reduceat(e, at)
    r = ranks[at]
    return _result(layout.unshift(s[at], r), layout.unshift(ends, r), layout.media[r], iv.time_base, label)


def _sweep(
    layout: BlockLayout,
    parts: Sequence[tuple[IntArray, IntArray]],
    keep: Callable[[list[IntArray]], BoolArray],
) -> tuple[IntArray, IntArray, IntArray]:
    """Maximal runs of axis time where ``keep(coverage counts per part)`` holds.

    ``parts`` are (start, end) arrays already on the layout's axis. Returns (start, end, rank).
    """
    times = np.concatenate([x for s, e in parts for x in (s, e)])
    deltas = np.concatenate([np.r_[np.ones(len(s), np.int64), -np.ones(len(e), np.int64)] for s, e in parts])
    owner = np.concatenate([np.full(2 * len(s), k, dtype=np.int64) for k, (s, _e) in enumerate(parts)])
    if len(times) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    order = np.lexsort((deltas, times))  # at equal times, ends (-1) before starts (+1)
    t, d, o = times[order], deltas[order], owner[order]
    counts = [np.cumsum(np.where(o == k, d, 0)) for k in range(len(parts))]
    state = keep(counts)  # coverage on [t[i], t[i+1])
    real = np.flatnonzero(t[1:] > t[:-1])  # segments of positive length
    on = state[real]
    if not np.any(on):
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    prev = np.r_[False, on[:-1]]
    nxt = np.r_[on[1:], False]
    # consecutive positive segments are contiguous in time, so runs of "on" are runs of time
    starts = t[real[on & ~prev]]
    ends = t[real[on & ~nxt] + 1]
    return starts, ends, layout.rank_of_axis(starts)


def intersect(a: Intervals, b: Intervals, label: str = "") -> Intervals:
    """Time covered by both ``a`` and ``b`` (per media), normalised."""
    tb = common_time_base(a.time_base, b.time_base)
    if len(a) == 0 or len(b) == 0:
        return Intervals.empty(tb)
    ra, rb = a.rebase(tb), b.rebase(tb)
    layout = BlockLayout.build([ra.media, rb.media], [ra.start, rb.start], [ra.end, rb.end])
    ka, kb = layout.ranks(ra.media), layout.ranks(rb.media)
    parts = [(layout.shift(ka, ra.start), layout.shift(ka, ra.end)),
             (layout.shift(kb, rb.start), layout.shift(kb, rb.end))]
    s, e, r = _sweep(layout, parts, lambda c: (c[0] > 0) & (c[1] > 0))
    return _result(layout.unshift(s, r), layout.unshift(e, r), layout.media[r], tb, label)


def complement(
    iv: Intervals,
    durations: Mapping[int, Fraction],
    media: Iterable[int] | None = None,
    label: str = "",
) -> Intervals:
    """Time of ``[0, duration)`` not covered by ``iv``, for each media.

    ``media`` lists the media to complement (default: every media in ``durations`` and ``iv``);
    each needs a duration, else :class:`~rushes.errors.QueryError`. Durations are rounded to the
    nearest tick of ``iv.time_base``.
    """
    ids = sorted(set(durations) | {int(m) for m in np.unique(iv.media)} if media is None else
                 {int(m) for m in media})
    missing = [m for m in ids if m not in durations]
    if missing:
        raise QueryError(f"NOT needs the duration of media {', '.join(map(str, missing[:5]))}")
    tb = iv.time_base
    if not ids:
        return Intervals.empty(tb)
    keep_rows = np.isin(iv.media, np.asarray(ids, dtype=np.int64))
    rows = iv[keep_rows] if not bool(np.all(keep_rows)) else iv
    u_media = np.asarray(ids, dtype=np.int64)
    u_end = np.asarray([round(Fraction(durations[m]) / tb) for m in ids], dtype=np.int64)
    u_start = np.zeros(len(ids), dtype=np.int64)
    layout = BlockLayout.build([u_media, rows.media], [u_start, rows.start], [u_end, rows.end])
    ku, kr = layout.ranks(u_media), layout.ranks(rows.media)
    parts = [(layout.shift(ku, u_start), layout.shift(ku, u_end)),
             (layout.shift(kr, rows.start), layout.shift(kr, rows.end))]
    s, e, r = _sweep(layout, parts, lambda c: (c[0] > 0) & (c[1] <= 0))
    return _result(layout.unshift(s, r), layout.unshift(e, r), layout.media[r], tb, label)


def overlap_ticks(rows: Intervals, regions: Intervals) -> IntArray:
    """For each row of ``rows``, how many ticks (of the common time base) it shares with ``regions``.

    ``regions`` may overlap each other: their union is used. Rows and regions only meet within
    one media.
    """
    tb = common_time_base(rows.time_base, regions.time_base)
    out = np.zeros(len(rows), dtype=np.int64)
    if len(rows) == 0 or len(regions) == 0:
        return out
    rr = rows.rebase(tb)
    u = union(regions.rebase(tb))
    layout = BlockLayout.build([rr.media, u.media], [rr.start, u.start], [rr.end, u.end])
    ku, kr = layout.ranks(u.media), layout.ranks(rr.media)
    us, ue = layout.shift(ku, u.start), layout.shift(ku, u.end)  # sorted and disjoint along the axis
    before = np.r_[0, np.cumsum(ue - us)[:-1]]

    def covered(x: IntArray) -> IntArray:
        k = np.searchsorted(us, x, side="right") - 1
        kk = np.maximum(k, 0)
        inside = np.clip(x - us[kk], 0, ue[kk] - us[kk])
        return np.where(k >= 0, before[kk] + inside, 0)

    return np.asarray(covered(layout.shift(kr, rr.end)) - covered(layout.shift(kr, rr.start)), dtype=np.int64)


def measure(iv: Intervals) -> dict[int, Fraction]:
    """Seconds covered by ``iv`` (its union) in each media."""
    u = union(iv)
    out: dict[int, Fraction] = {}
    lengths = u.end - u.start
    for m in np.unique(u.media).tolist():
        out[int(m)] = Fraction(int(lengths[u.media == m].sum())) * u.time_base
    return out


def near_mask(rows: Intervals, others: Intervals, distance: Fraction | float = 0) -> BoolArray:
    """Mask over ``rows``: rows at most ``distance`` seconds from some row of ``others``.

    The gap between ``[a, b]`` and ``[c, d]`` is ``max(0, c - b, a - d)`` (closed ends), so rows
    that share time, touch, or are ``distance`` apart all count; only same-media rows are compared.
    """
    out = np.zeros(len(rows), dtype=np.bool_)
    if len(rows) == 0 or len(others) == 0:
        return out
    tb = common_time_base(rows.time_base, others.time_base)
    d = floor_ticks(as_seconds(distance, "distance"), tb)
    rr, oo = rows.rebase(tb), others.rebase(tb)
    layout = BlockLayout.build([rr.media, oo.media], [rr.start, oo.start], [rr.end, oo.end], pad=1)
    d = min(d, int(layout.hi[-1] - layout.lo[0]) + 1)
    layout = BlockLayout.build([rr.media, oo.media], [rr.start, oo.start], [rr.end, oo.end], pad=d + 1)
    kr, ko = layout.ranks(rr.media), layout.ranks(oo.media)
    os_, oe = layout.shift(ko, oo.start), layout.shift(ko, oo.end)
    order = np.argsort(os_)
    os_, reach = os_[order], np.maximum.accumulate(oe[order])
    xs, xe = layout.shift(kr, rr.start), layout.shift(kr, rr.end)
    k = np.searchsorted(os_, xe + d, side="right") - 1
    # blocks are more than d apart, so neither the search nor the reach crosses into another media
    return np.asarray((k >= 0) & (reach[np.maximum(k, 0)] >= xs - d), dtype=np.bool_)
