"""The tag explorer: buckets, measures, rankings."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from rushes.intervals import Intervals
from rushes.patterns.allen import CROSSING, IN_RELATIONS, relation_of
from rushes.patterns.buckets import explore, tag_keys


def advert() -> tuple[Intervals, Intervals]:
    rows = [
        ("text", 22, 25), ("font", 20, 30), ("graphic", 18, 32), ("design", 28, 35), ("person", 0, 19),
        ("person", 10, 20), ("outdoor", 0, 20), ("outdoor", 30, 40), ("logo", 21, 29), ("text", 5, 6),
    ]
    tracks = Intervals.from_seconds([r[1] for r in rows], [r[2] for r in rows], [r[0] for r in rows])
    baseline = Intervals.from_seconds([20.0, 24.0], [26.0, 30.0], ["logo", "logo"])  # one region 20–30 s
    return tracks, baseline


def test_buckets_follow_the_seed():
    tracks, baseline = advert()
    report = explore(tracks, baseline, durations={0: Fraction(40)})
    assert report.regions == 1 and report.pattern_seconds == 10.0 and report.total_seconds == 40.0
    assert report.baseline_labels == ["logo"]
    with pytest.raises(KeyError):
        report.tag("logo")  # baseline tags are left out by default
    text = report.tag("text")
    assert (text.occurrences, text.n_in, text.n_crossing, text.n_non_crossing) == (2, 1, 1, 1)
    assert text.buckets == ["in", "crossing", "non-crossing"]
    assert text.relations == {"during": 1}
    assert report.tag("font").relations == {"equals": 1}
    graphic = report.tag("graphic")
    assert graphic.n_in == 1 and graphic.relations == {"contains": 1}  # the seed counts di as "in"
    design = report.tag("design")
    assert (design.n_in, design.n_crossing) == (0, 1) and design.relations == {"overlapped_by": 1}
    person = report.tag("person")
    assert (person.n_crossing, person.n_non_crossing) == (0, 2) and person.relations == {"meets": 1}
    assert person.buckets == ["non-crossing"]


def test_measures_and_rankings():
    tracks, baseline = advert()
    report = explore(tracks, baseline, durations={0: 40})
    font = report.tag("font")
    assert (font.specificity, font.coverage, font.frequency) == (1.0, 1.0, 1.0)
    assert font.lift == 4.0  # the pattern is a quarter of the time
    text = report.tag("text")
    assert text.seconds == 4.0 and text.seconds_in_pattern == 3.0 and text.specificity == 0.75
    outdoor = report.tag("outdoor")
    assert outdoor.outside == pytest.approx(30 / 30) and outdoor.coverage == 0.0 and outdoor.lift == 0.0
    assert report.positive[0] == "font"
    assert report.negative[0] == "outdoor" and "person" in report.negative
    assert "graphic" not in report.negative
    weights = report.suggest_weights()
    assert weights["font"] > 0 and weights["outdoor"] == -1.0
    json.dumps(report.to_dict())


def test_including_baseline_tags_and_track_keys():
    tracks, baseline = advert()
    with_base = explore(tracks, baseline, exclude_baseline=False)
    assert with_base.tag("logo").n_in == 1
    tracks.data["track"] = np.array(["tag"] * len(tracks), dtype=object)
    assert tag_keys(tracks)[0] == "tag:text"
    keyed = explore(tracks, baseline)  # baseline labels are "logo", tags are "tag:logo": kept
    assert keyed.tag("tag:logo").n_in == 1


def test_buckets_agree_with_brute_force_on_random_data():
    rng = np.random.default_rng(7)
    n = 400
    start = rng.integers(0, 500, n)
    end = start + np.where(rng.random(n) < 0.1, 0, rng.integers(1, 40, n))
    media = rng.integers(0, 3, n)
    labels = [f"t{k}" for k in rng.integers(0, 12, n)]
    tracks = Intervals.from_ticks(start, end, labels, Fraction(1, 10), media=media.tolist())
    b_start = rng.integers(0, 500, 15)
    base = Intervals.from_ticks(b_start, b_start + rng.integers(1, 60, 15), "base", Fraction(1, 10),
                                media=rng.integers(0, 3, 15).tolist())
    # reference regions: merge the baseline per media
    regions: list[tuple[int, int, int]] = []
    for m, s, e in sorted(zip(base.media.tolist(), base.start.tolist(), base.end.tolist(), strict=True)):
        if regions and regions[-1][0] == m and s <= regions[-1][2]:
            regions[-1] = (m, regions[-1][1], max(regions[-1][2], e))
        else:
            regions.append((m, s, e))
    report = explore(tracks, base)
    for name in sorted(set(labels)):
        expected_in = expected_cross = 0
        for m, s, e, lab in zip(media.tolist(), start.tolist(), end.tolist(), labels, strict=True):
            if lab != name:
                continue
            rels = {relation_of(s, e, rs, re_) for rm, rs, re_ in regions if rm == m}
            expected_in += bool(rels & IN_RELATIONS)
            expected_cross += bool(rels & CROSSING)
        stats = report.tag(name)
        assert (stats.n_in, stats.n_crossing) == (expected_in, expected_cross)
        assert stats.n_crossing + stats.n_non_crossing == stats.occurrences


def test_empty_inputs():
    tracks, _ = advert()
    report = explore(tracks, Intervals.empty())
    assert report.regions == 0 and all(t.n_crossing == 0 for t in report.tags)
    assert explore(Intervals.empty(), Intervals.empty()).tags == []
