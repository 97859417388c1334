"""Evaluation of predicted intervals against ground truth."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from rushes.intervals import Intervals
from rushes.patterns.evaluate import evaluate_intervals, match_intervals


def iv(rows: list[tuple[float, float]], media: int | list[int] = 0, labels: str | list[str] = "x") -> Intervals:
    return Intervals.from_seconds([r[0] for r in rows], [r[1] for r in rows], labels, media=media)


def test_perfect_prediction():
    truth = iv([(0, 10), (20, 30)])
    result = evaluate_intervals(truth, truth)
    assert result["time"]["iou"] == 1.0
    assert result["intervals"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "pred": 2, "truth": 2, "matched": 2}
    assert result["mean_start_error_s"] == 0.0
    json.dumps(result)


def test_time_iou_precision_recall():
    pred = iv([(0, 10)])
    truth = iv([(5, 20)])
    t = evaluate_intervals(pred, truth)["time"]
    assert (t["overlap_s"], t["pred_s"], t["truth_s"]) == (5.0, 10.0, 15.0)
    assert t["iou"] == pytest.approx(5 / 20)
    assert t["precision"] == 0.5 and t["recall"] == pytest.approx(1 / 3)


def test_tolerance_and_one_to_one_matching():
    truth = iv([(10, 20), (40, 50)])
    pred = iv([(10.8, 19.5), (11.0, 20.2), (43, 50)])
    # both first predictions are within 1 s of (10, 20); the closer one (total error 1.2 s) wins
    assert match_intervals(pred, truth, 1.0) == [(1, 0)]
    result = evaluate_intervals(pred, truth, tolerance_s=1.0)
    assert result["intervals"]["matched"] == 1
    assert result["intervals"]["precision"] == pytest.approx(1 / 3)
    assert result["intervals"]["recall"] == 0.5
    assert result["intervals"]["f1"] == pytest.approx(0.4)
    assert result["mean_start_error_s"] == pytest.approx(1.0)
    assert result["mean_end_error_s"] == pytest.approx(0.2)
    assert evaluate_intervals(pred, truth, tolerance_s=3.0)["intervals"]["matched"] == 2
    assert evaluate_intervals(pred, truth, tolerance_s=Fraction(1, 2))["intervals"]["matched"] == 0


def test_media_and_labels_must_agree():
    truth = iv([(0, 10), (0, 10)], media=[1, 2], labels=["a", "b"])
    pred = iv([(0, 10), (0, 10)], media=[2, 3], labels=["a", "a"])
    result = evaluate_intervals(pred, truth)
    assert result["intervals"]["matched"] == 1
    assert set(result["per_media"]) == {"1", "2", "3"}
    assert result["per_media"]["3"]["intervals"]["precision"] == 0.0
    assert result["per_media"]["1"]["time"]["recall"] == 0.0
    assert evaluate_intervals(pred, truth, by_label=True)["intervals"]["matched"] == 0


def test_empty_sides():
    empty = Intervals.empty()
    truth = iv([(0, 1)])
    assert evaluate_intervals(empty, truth)["intervals"]["recall"] == 0.0
    assert evaluate_intervals(truth, empty)["intervals"]["precision"] == 0.0
    both = evaluate_intervals(empty, empty)
    assert both["intervals"]["f1"] == 1.0 and both["time"]["iou"] == 1.0
    assert both["mean_start_error_s"] is None


def test_random_time_measures_match_a_sample_grid():
    rng = np.random.default_rng(2)
    tb = Fraction(1, 10)
    for _ in range(20):
        def rand() -> Intervals:
            n = int(rng.integers(1, 15))
            s = rng.integers(0, 200, n)
            return Intervals.from_ticks(s, s + rng.integers(1, 40, n), "x", tb, media=rng.integers(0, 2, n).tolist())

        pred, truth = rand(), rand()
        grid_p = np.zeros((2, 260), dtype=bool)
        grid_t = np.zeros((2, 260), dtype=bool)
        for grid, x in ((grid_p, pred), (grid_t, truth)):
            for m, s, e in zip(x.media.tolist(), x.start.tolist(), x.end.tolist(), strict=True):
                grid[m, s:e] = True
        t = evaluate_intervals(pred, truth)["time"]
        assert t["overlap_s"] == pytest.approx((grid_p & grid_t).sum() / 10)
        assert t["iou"] == pytest.approx((grid_p & grid_t).sum() / (grid_p | grid_t).sum())
