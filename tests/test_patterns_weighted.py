"""Weighted and fuzzy intensity curves, hit extraction, and the seed's ending example."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rushes.intervals import Intervals
from rushes.patterns.definition import PatternDef, TagRule
from rushes.patterns.fuzzy import Membership, tconorm, tnorm
from rushes.patterns.selectors import Selector
from rushes.patterns.sources import DictTrackSource
from rushes.patterns.weighted import IntensityCurve, find_hits, intensity_curves, run_pattern

TB = Fraction(1, 100)


def rule(sel: str, weight: float, **kw) -> TagRule:
    track, label = sel.split(":", 1)
    return TagRule(Selector(track, label), weight, **kw)


def present(start: int, end: int, k: int, step_ticks: int) -> bool:
    """Does row [start, end) touch sample k = [k·step, (k+1)·step)? (instants: the sample they fall in)"""
    lo, hi = k * step_ticks, (k + 1) * step_ticks
    if start == end:
        return lo <= start < hi
    return start < hi and end > lo


def reference_weighted(tracks: dict[str, list[tuple[int, int, str, float]]], rules: list[TagRule], n: int,
                       step_ticks: int) -> list[float]:
    out = []
    for k in range(n):
        total = 0.0
        for r in rules:
            rows = [x for x in tracks[r.selector.track] if x[2] == r.selector.label and x[3] >= r.min_score]
            if any(present(s, e, k, step_ticks) for s, e, _, _ in rows):
                total += r.weight
        out.append(round(total, 9))
    return out


def make_source(rng: np.random.Generator, duration_ticks: int) -> tuple[DictTrackSource, dict]:
    raw: dict[str, list[tuple[int, int, str, float]]] = {}
    tracks = {}
    for track, labels in (("tag", ["a", "b", "c"]), ("ocr", ["x", "y"])):
        n = int(rng.integers(0, 12))
        start = rng.integers(0, duration_ticks, n)
        length = np.where(rng.random(n) < 0.15, 0, rng.integers(1, 60, n))
        end = np.minimum(start + length, duration_ticks)
        lab = [labels[int(i)] for i in rng.integers(0, len(labels), n)]
        score = np.round(rng.random(n), 2)
        raw[track] = [(int(s), int(e), x, float(c)) for s, e, x, c in zip(start, end, lab, score, strict=True)]
        tracks[track] = Intervals.from_ticks(start, end, lab, TB, score=score.tolist())
    return DictTrackSource(tracks, durations={0: duration_ticks * TB}), raw


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([Fraction(1, 10), Fraction(1, 4), Fraction(1, 3)]))
def test_weighted_curve_matches_per_sample_reference(seed, step):
    rng = np.random.default_rng(seed)
    duration = 300
    source, raw = make_source(rng, duration)
    rules = [rule("tag:a", 1.0), rule("tag:b", -0.7), rule("ocr:x", 0.3, min_score=0.4), rule("ocr:y", 0.45),
             rule("tag:c", 0.1)]
    pattern = PatternDef("p", tuple(rules), step=step)
    curve = intensity_curves(source, pattern)[0]
    step_ticks = step / TB
    n = math.ceil(duration * TB / step)
    assert len(curve.values) == n
    if step_ticks.denominator == 1:
        assert curve.values.tolist() == reference_weighted(raw, rules, n, int(step_ticks))


def test_each_rule_counts_once_however_many_rows_overlap():
    tags = Intervals.from_seconds([0.0, 0.0, 0.5], [1.0, 1.0, 0.8], ["logo", "logo", "logo"])
    src = DictTrackSource({"tag": tags}, durations={0: 1})
    curve = intensity_curves(src, PatternDef("p", (rule("tag:logo", 2.0), rule("tag:*", 0.5))))[0]
    assert curve.values.tolist() == [2.5] * 10


def test_float_weights_do_not_drift():
    tags = Intervals.from_seconds([0.0, 0.0, 5.0], [5.0, 5.0, 10.0], ["a", "b", "c"])
    src = DictTrackSource({"tag": tags}, durations={0: 10})
    pattern = PatternDef("p", (rule("tag:a", 0.1), rule("tag:b", 0.2), rule("tag:c", 0.3)), threshold=0.3)
    curve = intensity_curves(src, pattern)[0]
    assert set(curve.values.tolist()) == {0.3}
    assert len(find_hits(curve, pattern)) == 1


def curve_of(values: list[float], step: Fraction = Fraction(1, 10), media: int = 0) -> IntensityCurve:
    return IntensityCurve(media, step, np.asarray(values, dtype=np.float64))


def test_find_hits_threshold_merge_gap_min_length_and_scores():
    v = [0, 1, 2, 1, 0, 0, 3, 0, 0, 0, 0, 1, 1, 1, 1]
    base = PatternDef("ending", (rule("tag:x", 1),), threshold=1.0)
    hits = find_hits(curve_of(v), base)
    assert list(zip(hits.start.tolist(), hits.end.tolist(), strict=True)) == [(1, 4), (6, 7), (11, 15)]
    assert hits.time_base == Fraction(1, 10)
    assert hits.data["peak"].tolist() == [2.0, 3.0, 1.0]
    assert hits.score.tolist() == pytest.approx([4 / 3, 3.0, 1.0])
    merged = find_hits(curve_of(v), PatternDef("e", base.rules, threshold=1.0, merge_gap=Fraction(2, 10)))
    assert list(zip(merged.start.tolist(), merged.end.tolist(), strict=True)) == [(1, 7), (11, 15)]
    assert merged.data["mean"].tolist()[0] == pytest.approx(7 / 6)  # gap samples count in the mean
    long = find_hits(curve_of(v), PatternDef("e", base.rules, threshold=1.0, min_length=Fraction(3, 10),
                                             score="peak"))
    assert list(zip(long.start.tolist(), long.end.tolist(), strict=True)) == [(1, 4), (11, 15)]
    assert long.score.tolist() == [2.0, 1.0]
    assert len(find_hits(curve_of([0, 0.5]), base)) == 0
    assert long.labels() == ["e", "e"]


def test_curve_length_uses_durations_and_rows_beyond_them():
    tags = Intervals.from_seconds([0.0, 4.0], [1.0, 6.0], "x", media=[0, 1])
    src = DictTrackSource({"tag": tags}, durations={0: 2, 1: 5, 2: 1})
    curves = intensity_curves(src, PatternDef("p", (rule("tag:x", 1),)))
    assert {m: len(c.values) for m, c in curves.items()} == {0: 20, 1: 60, 2: 10}
    only = intensity_curves(src, PatternDef("p", (rule("tag:x", 1),)), media=1)
    assert list(only) == [1]


def test_seed_ending_example():
    """Six positive labels (design, graphic, logo, text, screenshot, font), four negative ones; the
    ending starts near 25 s of a 30 s advert and the curve crosses 1 there."""
    rows = [
        ("person", 0, 24), ("human face", 2, 20), ("wearing", 0, 23), ("outdoor", 5, 22),
        ("text", 3, 5), ("text", 25, 30), ("logo", 25.5, 30), ("design", 24.8, 30), ("graphic", 25, 29),
        ("font", 26, 30), ("screenshot", 27, 30), ("design", 10, 11),
    ]
    tags = Intervals.from_seconds([r[1] for r in rows], [r[2] for r in rows], [r[0] for r in rows])
    src = DictTrackSource({"tag": tags}, durations={0: 30})
    weights = {"design": 1, "graphic": 1, "logo": 1, "text": 0.5, "screenshot": 0.5, "font": 0.5,
               "outdoor": -1, "person": -1, "human face": -1, "wearing": -1}
    pattern = PatternDef("ending", tuple(rule(f"tag:{k}", w) for k, w in weights.items()), threshold=1.0,
                         min_length=Fraction(1), merge_gap=Fraction(1, 2))
    result = run_pattern(src, pattern)
    assert len(result.hits) == 1
    hit = result.hits.row(0)
    assert 24.5 <= hit.start_seconds <= 25.5 and hit.end_seconds == 30.0
    assert result.to_dict()["hits"][0]["label"] == "ending"


# -- fuzzy -------------------------------------------------------------------------------------------


def test_membership_shapes_and_norms():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert Membership("triangle", points=(0, 1, 2))(x).tolist() == [0, 0, 0.5, 1, 0]
    assert Membership("rising", points=(0, 1))(x).tolist() == [0, 0, 0.5, 1, 1]
    assert Membership("falling", points=(0, 1))(x).tolist() == [1, 1, 0.5, 0, 0]
    assert Membership("trapezoid", points=(0, 0, 1, 1))(x).tolist() == [0, 1, 1, 1, 0]
    assert Membership("identity")(x).tolist() == [0, 0, 0.5, 1, 1]
    assert Membership("constant", value=0.25)(x).tolist() == [0.25] * 5
    sig = Membership("sigmoid", center=0.5, slope=10)(np.array([0.5, -1e6, 1e6]))
    assert sig.tolist() == pytest.approx([0.5, 0.0, 1.0])
    a, b = np.array([0.2, 0.9]), np.array([0.5, 0.5])
    assert tnorm("min", a, b).tolist() == [0.2, 0.5]
    assert tnorm("product", a, b).tolist() == pytest.approx([0.1, 0.45])
    assert tconorm("max", a, b).tolist() == [0.5, 0.9]
    assert tconorm("probsum", a, b).tolist() == pytest.approx([0.6, 0.95])


def reference_fuzzy(raw, rules, pattern, n, step_ticks):
    out = []
    for k in range(n):
        pos = None
        neg = None
        for r in rules:
            mus = [min(1.0, abs(r.weight)) * min(max(c, 0.0), 1.0) * (
                1.0 if r.duration is None else float(r.duration(np.array([(e - s) * float(TB)]))[0]))
                for s, e, lab, c in raw[r.selector.track]
                if lab == r.selector.label and c >= r.min_score and present(s, e, k, step_ticks)]
            mu = max(mus, default=0.0)
            if r.weight > 0:
                pos = mu if pos is None else (mu * pos if pattern.positive == "all" else pos + mu - pos * mu)
            else:
                neg = mu if neg is None else neg + mu - neg * mu
        p = 1.0 if pos is None else pos
        out.append(p if neg is None else p * (1 - neg))
    return out


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["any", "all"]))
def test_fuzzy_curve_matches_per_sample_reference(seed, positive):
    rng = np.random.default_rng(seed)
    source, raw = make_source(rng, 200)
    rules = (rule("tag:a", 1.0), rule("ocr:x", 0.6, duration=Membership("rising", points=(0.0, 0.3))),
             rule("tag:b", -0.8), rule("ocr:y", -1.0))
    pattern = PatternDef("f", rules, mode="fuzzy", tnorm="product", tconorm="probsum", positive=positive,
                         threshold=0.3)
    curve = intensity_curves(source, pattern)[0]
    expected = reference_fuzzy(raw, rules, pattern, 20, 10)
    assert curve.values.tolist() == pytest.approx(expected, abs=1e-12)
    assert curve.mode == "fuzzy"
    hits = find_hits(curve, pattern)
    assert all(0.3 <= s <= 1.0 for s in hits.score.tolist())


def test_fuzzy_confidence_membership_and_min_max_norms():
    tags = Intervals.from_seconds([0.0, 0.0], [1.0, 1.0], ["logo", "person"], score=[0.9, 0.3])
    src = DictTrackSource({"tag": tags}, durations={0: 1})
    pattern = PatternDef("f", (
        rule("tag:logo", 1.0, confidence=Membership("rising", points=(0.5, 1.0))),
        rule("tag:person", -1.0),
    ), mode="fuzzy")
    values = intensity_curves(src, pattern)[0].values
    assert values.tolist() == pytest.approx([min(0.8, 1 - 0.3)] * 10)


def test_two_hour_file_with_200_tags_is_fast():
    rng = np.random.default_rng(0)
    labels = [f"tag{i}" for i in range(200)]
    n = 60
    start = rng.uniform(0, 7200, 200 * n)
    end = np.minimum(start + rng.exponential(6, 200 * n), 7200)
    tags = Intervals.from_seconds(start, end, np.repeat(labels, n).tolist(), score=rng.random(200 * n).tolist())
    src = DictTrackSource({"tag": tags}, durations={0: 7200})
    rules = tuple(rule(f"tag:{lab}", float(w)) for lab, w in zip(labels, rng.uniform(-1, 1, 200), strict=True))
    src.get("tag", "warm-up")  # builds the label index once, as a long-lived source would
    t0 = time.perf_counter()
    result = run_pattern(src, PatternDef("p", rules, threshold=1.5, min_length=Fraction(1)))
    elapsed = time.perf_counter() - t0
    assert len(result.curves[0].values) == 72_000
    assert elapsed < 3.0  # ~0.1 s on an idle laptop; bench/bench_patterns.py records the real figure
