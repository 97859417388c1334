"""The seed's tag explorer: how every tag relates to a baseline pattern.

The *pattern region* of a media is the union of its baseline rows (the time where any baseline
tag is present). Every tag occurrence is then put in the seed's buckets:

* **in** — it stands in ``during``, ``contains`` or ``equals`` to a pattern region (the seed's
  d, di, =);
* **crossing** — it shares time with a region (o, s, f, d, =, di, si, fi, oi);
* **non-crossing** — it shares no time with any region.

("in" implies "crossing"; "non-crossing" is the rest.) Per tag (the row label, or
``track:label`` when the rows carry a ``track`` data column) the report gives counts per bucket
and per relation, and time-based measures:

* ``specificity`` — share of the tag's time that lies inside the pattern (precision);
* ``coverage`` — share of the pattern's time the tag covers (recall);
* ``frequency`` — share of pattern regions the tag crosses;
* ``lift`` — specificity divided by the pattern's share of all time (> 1: attracted to the
  pattern, < 1: avoids it);
* ``outside`` — share of the non-pattern time the tag covers.

Tags are ranked by ``rank_score``, the harmonic mean of specificity and frequency. *Negative*
tags are those present almost everywhere except in the pattern: ``outside >= min_outside`` and
``lift <= max_lift``, ranked by ``outside - coverage``. :meth:`ExploreReport.suggest_weights`
turns both lists into starting weights for a pattern file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.intervals import Intervals, common_time_base
from rushes.patterns.allen import CROSSING, IN_RELATIONS, RELATIONS, allen_join
from rushes.patterns.timeset import overlap_ticks, union

__all__ = ["ExploreReport", "TagStats", "explore", "tag_keys"]


def tag_keys(rows: Intervals) -> npt.NDArray[np.object_]:
    """The tag name of each row: ``track:label`` when a ``track`` data column exists, else the label."""
    out = np.empty(len(rows), dtype=object)
    if "track" in rows.data:
        out[:] = [f"{t}:{lab}" for t, lab in zip(rows.data["track"].tolist(), rows.labels(), strict=True)]
    else:
        out[:] = rows.labels()
    return out


@dataclass(frozen=True)
class TagStats:
    """How one tag relates to the pattern (see the module documentation for the measures)."""

    tag: str
    occurrences: int
    n_in: int
    n_crossing: int
    n_non_crossing: int
    media: int
    seconds: float
    seconds_in_pattern: float
    specificity: float
    coverage: float
    frequency: float
    lift: float
    outside: float
    rank_score: float
    relations: dict[str, int] = field(default_factory=dict)

    @property
    def buckets(self) -> list[str]:
        """The buckets this tag has at least one occurrence in."""
        names = [("in", self.n_in), ("crossing", self.n_crossing), ("non-crossing", self.n_non_crossing)]
        return [name for name, n in names if n]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "buckets": self.buckets}


@dataclass(frozen=True)
class ExploreReport:
    """The explorer's result: per-tag statistics, ranked lists and pattern totals."""

    tags: list[TagStats]
    positive: list[str]
    negative: list[str]
    baseline_labels: list[str]
    pattern_seconds: float
    total_seconds: float
    regions: int

    def tag(self, name: str) -> TagStats:
        """Statistics of one tag (``KeyError`` if unknown)."""
        for t in self.tags:
            if t.tag == name:
                return t
        raise KeyError(name)

    def suggest_weights(self, top: int = 6, bottom: int = 4) -> dict[str, float]:
        """Starting weights: +1 scaled by rank score for the best positives, -1 for the negatives.

        Keys are tag names as in the report; prefix them with a track to use them as selectors.
        """
        out: dict[str, float] = {}
        for name in self.positive[:top]:
            out[name] = round(max(self.tag(name).rank_score, 0.1) * 2, 2)
        for name in self.negative[:bottom]:
            out[name] = -1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "baseline_labels": self.baseline_labels, "regions": self.regions,
            "pattern_seconds": self.pattern_seconds, "total_seconds": self.total_seconds,
            "positive": self.positive, "negative": self.negative,
            "tags": [t.to_dict() for t in self.tags],
        }


def _safe_div(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


def explore(
    tracks: Intervals,
    baseline: Intervals,
    durations: Mapping[int, Fraction] | None = None,
    tolerance: Fraction | float = 0,
    exclude_baseline: bool = True,
    min_outside: float = 0.3,
    max_lift: float = 0.5,
) -> ExploreReport:
    """Classify every tag occurrence of ``tracks`` against the ``baseline`` pattern.

    ``durations`` (seconds per media) sets the total time; by default the latest end of any row.
    ``tolerance`` (seconds) is passed to the Allen classification. With ``exclude_baseline``,
    tags whose name is one of the baseline's are left out (they are trivially "in").
    """
    tb = common_time_base(tracks.time_base, baseline.time_base)
    rows, base = tracks.rebase(tb), baseline.rebase(tb)
    keys = tag_keys(rows)
    base_names = sorted({str(k) for k in tag_keys(base)})
    if exclude_baseline and len(rows):
        keep = ~np.isin(keys, np.asarray(base_names, dtype=object))
        rows, keys = rows[keep], keys[keep]
    regions = union(base)
    # totals
    if durations is None:
        ends: dict[int, int] = {}
        for iv in (rows, base):
            for m, e in zip(iv.media.tolist(), iv.end.tolist(), strict=True):
                ends[m] = max(ends.get(m, 0), e)
        total_ticks = sum(ends.values())
    else:
        total_ticks = sum(round(Fraction(d) / tb) for d in durations.values())
    pattern_ticks = int(np.sum(regions.end - regions.start))
    non_pattern_ticks = max(total_ticks - pattern_ticks, 0)

    n = len(rows)
    in_mask = np.zeros(n, dtype=np.bool_)
    crossing = np.zeros(n, dtype=np.bool_)
    rel_counts: dict[str, npt.NDArray[np.int64]] = {}
    crossed_regions: dict[str, set[int]] = {}
    names = sorted({str(k) for k in keys})
    code_of = {name: i for i, name in enumerate(names)}
    key_codes = np.asarray([code_of[str(k)] for k in keys], dtype=np.int64)
    for rel in RELATIONS:
        if rel in ("before", "after"):
            continue
        i, j = allen_join(rows, regions, rel, tolerance=tolerance)
        rel_counts[rel] = np.bincount(key_codes[i], minlength=len(names)) if len(i) else np.zeros(
            len(names), dtype=np.int64)
        if rel in CROSSING:
            crossing[i] = True
            for code, region in zip(key_codes[i].tolist(), j.tolist(), strict=True):
                crossed_regions.setdefault(names[code], set()).add(region)
        if rel in IN_RELATIONS:
            in_mask[i] = True
    tags: list[TagStats] = []
    seconds = float(tb)
    pattern_share = _safe_div(pattern_ticks, total_ticks)
    for code, name in enumerate(names):
        sel = key_codes == code
        tag_rows = rows[sel]
        tag_union = union(tag_rows)
        tag_ticks = int(np.sum(tag_union.end - tag_union.start))
        tag_inside = int(np.sum(overlap_ticks(tag_union, regions)))
        specificity = _safe_div(tag_inside, tag_ticks)
        coverage = _safe_div(tag_inside, pattern_ticks)
        frequency = _safe_div(len(crossed_regions.get(name, ())), len(regions))
        outside = _safe_div(tag_ticks - tag_inside, non_pattern_ticks)
        lift = _safe_div(specificity, pattern_share)
        rank = _safe_div(2 * specificity * frequency, specificity + frequency)
        tags.append(TagStats(
            tag=name, occurrences=int(sel.sum()), n_in=int(in_mask[sel].sum()),
            n_crossing=int(crossing[sel].sum()), n_non_crossing=int((~crossing[sel]).sum()),
            media=len(np.unique(tag_rows.media)), seconds=tag_ticks * seconds,
            seconds_in_pattern=tag_inside * seconds,
            specificity=round(specificity, 6), coverage=round(coverage, 6), frequency=round(frequency, 6),
            lift=round(lift, 6), outside=round(outside, 6), rank_score=round(rank, 6),
            relations={r: int(c[code]) for r, c in rel_counts.items() if int(c[code])},
        ))
    positive = [t.tag for t in sorted(tags, key=lambda t: (-t.rank_score, -t.occurrences, t.tag)) if t.rank_score > 0]
    negative = [t.tag for t in sorted(tags, key=lambda t: (-(t.outside - t.coverage), t.tag))
                if t.outside >= min_outside and t.lift <= max_lift]
    return ExploreReport(
        tags=sorted(tags, key=lambda t: (-t.rank_score, t.tag)), positive=positive, negative=negative,
        baseline_labels=base_names, pattern_seconds=pattern_ticks * seconds,
        total_seconds=total_ticks * seconds, regions=len(regions),
    )
