"""``allen_join``/``allen_semijoin`` against a brute-force reference."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns.allen import RELATIONS, allen_join, allen_semijoin, classify_pairs, relation_of

TB = Fraction(1, 10)


def random_track(rng: np.random.Generator, n: int, media: int = 3, horizon: int = 400, longest: int = 40,
                 time_base: Fraction = TB) -> Intervals:
    start = rng.integers(0, horizon, n)
    # a mix of instants, short and long intervals, with many shared endpoints on a coarse grid
    length = np.where(rng.random(n) < 0.1, 0, rng.integers(1, longest, n))
    return Intervals.from_ticks(start, start + length, "x", time_base, media=rng.integers(0, media, n))


def brute_force(a: Intervals, b: Intervals, relation: str, tol_ticks: int, dist_ticks: int | None,
                same_media: bool = True) -> list[tuple[int, int]]:
    """Classify every pair (O(n·m)) and keep the matches."""
    i, j = (g.reshape(-1) for g in np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij"))
    codes = classify_pairs(a.start[i], a.end[i], b.start[j], b.end[j], tol_ticks)
    keep = codes == RELATIONS.index(relation)
    if same_media:
        keep &= a.media[i] == b.media[j]
    if dist_ticks is not None and relation in ("before", "after"):
        gap = b.start[j] - a.end[i] if relation == "before" else a.start[i] - b.end[j]
        keep &= gap <= dist_ticks
    return list(zip(i[keep].tolist(), j[keep].tolist(), strict=True))


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize(("tol_ticks", "dist_ticks"), [(0, None), (0, 25), (2, 60)])
def test_join_matches_brute_force_on_100k_pairs(relation, tol_ticks, dist_ticks):
    rng = np.random.default_rng(RELATIONS.index(relation) * 7 + tol_ticks)
    a, b = random_track(rng, 320), random_track(rng, 320)  # 102,400 pairs
    tol = tol_ticks * TB
    dist = None if dist_ticks is None else dist_ticks * TB
    i, j = allen_join(a, b, relation, tolerance=tol, max_distance=dist)
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    expected = brute_force(a, b, relation, tol_ticks, dist_ticks)
    assert got == expected  # same pairs, sorted by (i, j)
    mask = allen_semijoin(a, b, relation, tolerance=tol, max_distance=dist)
    assert np.flatnonzero(mask).tolist() == sorted({p[0] for p in expected})


def test_join_codes_agree_with_scalar_relation_of():
    rng = np.random.default_rng(3)
    a, b = random_track(rng, 60, media=1), random_track(rng, 60, media=1)
    for relation in RELATIONS:
        i, j = allen_join(a, b, relation, tolerance=Fraction(3, 10), max_pairs=None)
        for x, y in zip(i.tolist(), j.tolist(), strict=True):
            assert relation_of(a.start[x], a.end[x], b.start[y], b.end[y], tolerance=3) == relation


def test_each_pair_is_found_by_exactly_one_relation():
    rng = np.random.default_rng(11)
    a, b = random_track(rng, 150), random_track(rng, 150)
    seen: dict[tuple[int, int], str] = {}
    for relation in RELATIONS:
        i, j = allen_join(a, b, relation, tolerance=Fraction(1, 10), max_pairs=None)
        for pair in zip(i.tolist(), j.tolist(), strict=True):
            assert pair not in seen
            seen[pair] = relation
    same = int(sum((a.media[:, None] == b.media[None, :]).ravel()))
    assert len(seen) == same


def test_join_rebases_to_a_common_time_base():
    rng = np.random.default_rng(5)
    a = random_track(rng, 120, time_base=Fraction(1, 25))  # frames at 25 fps
    b = random_track(rng, 120, horizon=16000, longest=1600, time_base=Fraction(1, 1000))  # ms
    tol = Fraction(1, 25)
    # reference in exact seconds (Fractions), computed once per pair
    pairs = {}
    for x in range(len(a)):
        for y in range(len(b)):
            if a.media[x] == b.media[y]:
                a_s, a_e = a.start[x] * a.time_base, a.end[x] * a.time_base
                b_s, b_e = b.start[y] * b.time_base, b.end[y] * b.time_base
                pairs[(x, y)] = (relation_of(a_s, a_e, b_s, b_e, tol), b_s - a_e)
    for relation in ("during", "overlaps", "meets", "starts", "before", "finished_by"):
        i, j = allen_join(a, b, relation, tolerance=tol, max_distance=2)
        expected = sorted(k for k, (r, gap) in pairs.items() if r == relation and (relation != "before" or gap <= 2))
        assert list(zip(i.tolist(), j.tolist(), strict=True)) == expected


def test_same_media_false_joins_across_media():
    a = Intervals.from_seconds([0.0], [10.0], "a", media=1)
    b = Intervals.from_seconds([2.0], [3.0], "b", media=2)
    assert len(allen_join(a, b, "contains")[0]) == 0
    i, j = allen_join(a, b, "contains", same_media=False)
    assert (i.tolist(), j.tolist()) == ([0], [0])


def test_unbounded_before_is_guarded_but_semijoin_is_linear():
    n = 3000
    a = Intervals.from_ticks(np.arange(n) * 10, np.arange(n) * 10 + 5, "a", TB)
    with pytest.raises(QueryError, match="max_distance"):
        allen_join(a, a, "before", max_pairs=100_000)
    mask = allen_semijoin(a, a, "before")
    assert mask.sum() == n - 1 and not mask[-1]
    after = allen_semijoin(a, a, "after")
    assert after.sum() == n - 1 and not after[0]
    i, _ = allen_join(a, a, "before", max_distance=Fraction(6, 10))
    assert len(i) == n - 1  # only the next one starts within 0.6 s


def test_empty_inputs_and_bad_arguments():
    empty = Intervals.empty()
    one = Intervals.from_seconds([0.0], [1.0], "x")
    for x, y in ((empty, one), (one, empty), (empty, empty)):
        i, j = allen_join(x, y, "during")
        assert len(i) == len(j) == 0
    assert allen_semijoin(empty, one, "before").shape == (0,)
    with pytest.raises(QueryError):
        allen_join(one, one, "nearby")
    with pytest.raises(QueryError):
        allen_join(one, one, "meets", tolerance=-1)
    with pytest.raises(QueryError):
        allen_join(one, one, "before", max_distance=float("nan"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.integers(0, 1)), max_size=25),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12), st.integers(0, 1)), max_size=25),
    st.sampled_from(RELATIONS),
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(0, 20)),
)
def test_join_property(rows_a, rows_b, relation, tol_ticks, dist_ticks):
    def build(rows: list[tuple[int, int, int]]) -> Intervals:
        return Intervals.from_ticks([r[0] for r in rows], [r[0] + r[1] for r in rows], "x", TB,
                                    media=[r[2] for r in rows])

    a, b = build(rows_a), build(rows_b)
    dist = None if dist_ticks is None else dist_ticks * TB
    i, j = allen_join(a, b, relation, tolerance=tol_ticks * TB, max_distance=dist)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == brute_force(a, b, relation, tol_ticks, dist_ticks)


@pytest.mark.slow
def test_million_interval_joins_are_fast():
    """Benchmark-as-test: two tracks of 1,000,000 intervals (bench/bench_patterns.py has the figures)."""
    import time

    rng = np.random.default_rng(0)

    def big() -> Intervals:
        n = 1_000_000
        start = rng.integers(0, 7_200_000_000, n)  # 2 hours in microseconds
        end = start + rng.exponential(3e6, n).astype(np.int64)
        return Intervals.from_ticks(start, end, "x", Fraction(1, 1_000_000), media=rng.integers(0, 100, n).tolist())

    a, b = big(), big()
    for relation, kwargs in (("during", {}), ("overlaps", {}), ("before", {"max_distance": 5})):
        t0 = time.perf_counter()
        i, _ = allen_join(a, b, relation, **kwargs)
        assert time.perf_counter() - t0 < 6.0  # ~1-2 s on 2 idle cores; generous for loaded CI
        assert len(i) > 1_000_000
