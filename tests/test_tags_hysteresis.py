"""Tag tracks: hysteresis turns flickering per-sample scores into stable intervals with provenance."""

from __future__ import annotations

import numpy as np
import pytest

from rushes.tags.hysteresis import HysteresisParams, Provenance, TagSeries, hysteresis_mask, hysteresis_runs

PROV = Provenance("model-x", "1", "ab" * 32)


def test_mask_needs_a_seed_above_on_and_continues_above_off() -> None:
    s = np.array([0.35, 0.6, 0.4, 0.35, 0.1, 0.45, 0.45, 0.1])
    assert hysteresis_mask(s, 0.5, 0.3).tolist() == [True, True, True, True, False, False, False, False]


def test_flicker_is_bridged_into_one_interval() -> None:
    t = np.arange(10, dtype=float)
    s = np.array([0.8, 0.1, 0.8, 0.1, 0.8, 0.1, 0.8, 0.0, 0.0, 0.0])
    runs = hysteresis_runs(t, s, step=1.0, params=HysteresisParams(on=0.5, off=0.3, max_gap_s=1.0))
    assert [(r.start, r.end) for r in runs] == [(0.0, 7.0)]
    plain = hysteresis_runs(t, s, step=1.0, params=HysteresisParams(on=0.5, off=0.3, max_gap_s=0.0))
    assert len(plain) == 4


def test_min_length_drops_short_runs_and_stills_are_instants() -> None:
    t = np.arange(6, dtype=float)
    s = np.array([0.9, 0.0, 0.0, 0.9, 0.9, 0.9])
    runs = hysteresis_runs(t, s, step=1.0, params=HysteresisParams(max_gap_s=0.0, min_length_s=2.0))
    assert [(r.start, r.end, r.samples) for r in runs] == [(3.0, 6.0, 3)]
    still = hysteresis_runs([0.0], [0.9], step=0.0, params=HysteresisParams())
    assert [(r.start, r.end) for r in still] == [(0.0, 0.0)]


def test_bad_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError):
        HysteresisParams(on=0.3, off=0.5)


def test_series_to_intervals_carries_provenance_on_every_row() -> None:
    ts = TagSeries()
    for i, sc in enumerate([0.9, 0.2, 0.9, 0.0, 0.0, 0.0, 0.7]):
        ts.add(float(i), {"car": sc, "person": 0.9 if i < 3 else 0.0})
    iv = ts.to_intervals(step=1.0, params=HysteresisParams(max_gap_s=1.0), provenance=PROV)
    rows = [(r.label, r.start_seconds, r.end_seconds) for r in iv]
    assert rows == [("car", 0.0, 3.0), ("person", 0.0, 3.0), ("car", 6.0, 7.0)]
    assert set(iv.data["model"]) == {"model-x"} and set(iv.data["model_sha256"]) == {"ab" * 8}
    assert iv.metadata["model_id"] == "model-x@" + "ab" * 8
    assert iv.score.tolist()[0] == pytest.approx(0.9)
