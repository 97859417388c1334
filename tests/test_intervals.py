from fractions import Fraction

import numpy as np
import pytest

from rushes.intervals import Intervals, common_time_base


def test_from_seconds_and_views() -> None:
    iv = Intervals.from_seconds([0.0, 1.5], [1.0, 2.0], ["a", "b"], score=[0.5, 1.0])
    assert len(iv) == 2
    assert iv.labels() == ["a", "b"]
    assert iv.start_seconds.tolist() == [0.0, 1.5]
    assert iv.duration_seconds.tolist() == [1.0, 0.5]
    assert iv[iv.label == "b"].score.tolist() == [1.0]
    rows = list(iv)
    assert rows[1].label == "b" and rows[1].start_seconds == 1.5


def test_validation() -> None:
    with pytest.raises(ValueError, match="ends before"):
        Intervals.from_seconds([2.0], [1.0], "x")
    with pytest.raises(ValueError, match="rows"):
        Intervals.from_ticks([0, 1], [1], "x", Fraction(1, 10))
    with pytest.raises(ValueError, match="data column"):
        Intervals.from_ticks([0], [1], "x", Fraction(1, 10), data={"k": [1, 2]})


def test_exact_rebase_between_frame_rates() -> None:
    a = Intervals.from_ticks([1001], [2002], "x", Fraction(1, 24000))  # 1 frame at 23.976
    tb = common_time_base(Fraction(1, 24000), Fraction(1, 30000))
    b = a.rebase(tb)
    assert Fraction(int(b.start[0])) * tb == Fraction(1001, 24000)
    assert a == b


def test_concat_and_merge() -> None:
    a = Intervals.from_ticks([0, 10], [5, 12], "p", Fraction(1, 10))  # [0, .5], [1, 1.2]
    b = Intervals.from_ticks([4, 30], [8, 31], "p", Fraction(1, 100))  # [.04, .08], [.3, .31]
    c = Intervals.concat([a, b])
    assert c.time_base == Fraction(1, 100) and len(c) == 4
    merged = c.merge_overlapping()
    spans = sorted(zip(merged.start_seconds.tolist(), merged.end_seconds.tolist()))
    assert spans == [(0.0, 0.5), (1.0, 1.2)]


def test_merge_with_gap_and_labels() -> None:
    iv = Intervals.from_seconds([0, 1.2, 5, 0.5], [1, 2, 6, 0.7], ["a", "a", "a", "b"])
    m = iv.merge_overlapping(gap=0.5)
    got = sorted(zip(m.labels(), m.start_seconds.tolist(), m.end_seconds.tolist()))
    assert got == [("a", 0.0, 2.0), ("a", 5.0, 6.0), ("b", 0.5, 0.7)]
    assert iv.total_seconds() == pytest.approx(2.8)  # union of all rows


def test_sorted_and_media() -> None:
    iv = Intervals.from_seconds([3, 1, 2], [4, 2, 3], "x", media=[2, 1, 1])
    s = iv.sorted()
    assert s.media.tolist() == [1, 1, 2]
    assert s.start_seconds.tolist() == [1, 2, 3]
    assert np.all(iv.with_media(7).media == 7)


def test_empty_and_records() -> None:
    e = Intervals.empty()
    assert len(e) == 0 and e.total_seconds() == 0.0
    recs = Intervals.from_seconds([0], [1], "x", data={"n": [3]}).to_records()
    assert recs == [{"media": 0, "label": "x", "start": 0.0, "end": 1.0, "score": 1.0, "data": {"n": 3}}]
