"""Score predicted intervals (pattern hits) against ground truth.

Two views, both per media and summed over all media:

* **time** — how much time the two agree on: ``iou = |P ∩ T| / |P ∪ T|`` of the unions, with
  time precision ``|P ∩ T| / |P|`` and recall ``|P ∩ T| / |T|``;
* **intervals** — how many hits find a true interval: a prediction matches a truth interval
  of the same media when both its start and its end are within ``tolerance_s`` of the truth's
  (one-to-one; closest pairs first). Precision = matched / predictions, recall = matched / truths,
  F1 their harmonic mean. With ``by_label`` labels must agree too.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from rushes.intervals import Intervals, common_time_base
from rushes.patterns._layout import BlockLayout
from rushes.patterns._units import as_seconds, floor_ticks
from rushes.patterns.timeset import intersect, union

__all__ = ["evaluate_intervals", "match_intervals"]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def match_intervals(
    pred: Intervals, truth: Intervals, tolerance_s: Fraction | float = 1.0, by_label: bool = False
) -> list[tuple[int, int]]:
    """One-to-one ``(pred index, truth index)`` matches with both ends within the tolerance."""
    if len(pred) == 0 or len(truth) == 0:
        return []
    tb = common_time_base(pred.time_base, truth.time_base)
    p, t = pred.rebase(tb), truth.rebase(tb)
    tol = floor_ticks(as_seconds(tolerance_s, "tolerance_s"), tb)
    parts = ([p.media, t.media], [p.start, t.start], [p.end, t.end])
    tol = min(tol, int(BlockLayout.build(*parts).hi[-1]) + 1)  # beyond the axis every start is near
    layout = BlockLayout.build(*parts, pad=tol + 1)  # media blocks further apart than the tolerance
    t_axis = layout.shift(layout.ranks(t.media), t.start)
    order = np.argsort(t_axis, kind="stable")
    t_sorted = t_axis[order]
    p_axis = layout.shift(layout.ranks(p.media), p.start)
    lo = np.searchsorted(t_sorted, p_axis - tol, side="left")
    hi = np.searchsorted(t_sorted, p_axis + tol, side="right")
    candidates: list[tuple[int, int, int]] = []
    for i in range(len(p)):
        for k in range(int(lo[i]), int(hi[i])):
            j = int(order[k])
            d_end = abs(int(p.end[i]) - int(t.end[j]))
            if d_end > tol or (by_label and p.label[i] != t.label[j]):
                continue
            candidates.append((abs(int(p.start[i]) - int(t.start[j])) + d_end, i, j))
    candidates.sort()
    used_p: set[int] = set()
    used_t: set[int] = set()
    matches = []
    for _, i, j in candidates:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matches.append((i, j))
    return sorted(matches)


def _seconds(iv: Intervals) -> dict[int, float]:
    out: dict[int, float] = {}
    lengths = (iv.end - iv.start).astype(np.float64) * float(iv.time_base)
    for m, length in zip(iv.media.tolist(), lengths.tolist(), strict=True):
        out[m] = out.get(m, 0.0) + length
    return out


def evaluate_intervals(
    pred: Intervals, truth: Intervals, tolerance_s: Fraction | float = 1.0, by_label: bool = False
) -> dict[str, Any]:
    """Time IoU/precision/recall and interval precision/recall/F1 (see the module docs)."""
    pu, tu = union(pred), union(truth)
    inter = intersect(pu, tu)
    p_s, t_s, i_s = _seconds(pu), _seconds(tu), _seconds(inter)
    matches = match_intervals(pred, truth, tolerance_s, by_label)
    media = sorted(set(pred.media.tolist()) | set(truth.media.tolist()))

    def time_scores(p: float, t: float, i: float) -> dict[str, float]:
        u = p + t - i
        return {"iou": i / u if u > 0 else 1.0, "precision": i / p if p > 0 else (1.0 if t == 0 else 0.0),
                "recall": i / t if t > 0 else 1.0, "pred_s": p, "truth_s": t, "overlap_s": i}

    def interval_scores(n_pred: int, n_truth: int, n_match: int) -> dict[str, float]:
        prec = n_match / n_pred if n_pred else (1.0 if n_truth == 0 else 0.0)
        rec = n_match / n_truth if n_truth else 1.0
        return {"precision": prec, "recall": rec, "f1": _f1(prec, rec), "pred": n_pred, "truth": n_truth,
                "matched": n_match}

    matched_media = [int(pred.media[i]) for i, _ in matches]
    per_media = {
        str(m): {
            "time": time_scores(p_s.get(m, 0.0), t_s.get(m, 0.0), i_s.get(m, 0.0)),
            "intervals": interval_scores(int(np.sum(pred.media == m)), int(np.sum(truth.media == m)),
                                         matched_media.count(m)),
        }
        for m in media
    }
    errors = [(abs(float((pred.start[i]) * pred.time_base - truth.start[j] * truth.time_base)),
               abs(float(pred.end[i] * pred.time_base - truth.end[j] * truth.time_base))) for i, j in matches]
    return {
        "tolerance_s": float(tolerance_s),
        "time": time_scores(sum(p_s.values()), sum(t_s.values()), sum(i_s.values())),
        "intervals": interval_scores(len(pred), len(truth), len(matches)),
        "mean_start_error_s": float(np.mean([e[0] for e in errors])) if errors else None,
        "mean_end_error_s": float(np.mean([e[1] for e in errors])) if errors else None,
        "per_media": per_media,
    }
