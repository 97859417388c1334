"""Query evaluation against an independent brute-force reference on random tracks."""

from __future__ import annotations

import fnmatch
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns.allen import CROSSING, relation_of
from rushes.patterns.engine import evaluate_query
from rushes.patterns.query import And, Node, Not, Or, Relation, SelectorNode, parse_query
from rushes.patterns.selectors import Selector
from rushes.patterns.sources import DictTrackSource

TB = Fraction(1, 10)
DURATION = 80  # ticks per media
LABELS = {"tag": ["person", "logo", "Text", "car"], "ocr": ["THE END", "sale"], "takes": ["take 1", "take 2"]}

Row = tuple[int, int, int]  # media, start, end (ticks)


def random_source(seed: int) -> tuple[DictTrackSource, dict[str, list[tuple[int, int, int, str]]]]:
    rng = np.random.default_rng(seed)
    raw: dict[str, list[tuple[int, int, int, str]]] = {}
    tracks = {}
    for track, names in LABELS.items():
        n = int(rng.integers(0, 14))
        start = rng.integers(0, DURATION - 1, n)
        length = np.where(rng.random(n) < 0.1, 0, rng.integers(1, 25, n))
        end = np.minimum(start + length, DURATION)
        media = rng.integers(0, 3, n)
        lab = [names[int(k)] for k in rng.integers(0, len(names), n)]
        raw[track] = [(int(m), int(s), int(e), x) for m, s, e, x in zip(media, start, end, lab, strict=True)]
        tracks[track] = Intervals.from_ticks(start, end, lab, TB, media=media.tolist())
    return DictTrackSource(tracks, durations={m: DURATION * TB for m in range(3)}), raw


# -- reference ---------------------------------------------------------------------------------------


def merge(rows: list[Row]) -> list[Row]:
    out: list[list[int]] = []
    for m, s, e in sorted(rows):
        if out and out[-1][0] == m and s <= out[-1][2]:
            out[-1][2] = max(out[-1][2], e)
        else:
            out.append([m, s, e])
    return [(m, s, e) for m, s, e in out]


def runs(cover: dict[int, np.ndarray]) -> list[Row]:
    out = []
    for m, arr in cover.items():
        t = 0
        while t < len(arr):
            if arr[t]:
                u = t
                while u < len(arr) and arr[u]:
                    u += 1
                out.append((m, t, u))
                t = u
            else:
                t += 1
    return out


def coverage(rows: list[Row]) -> dict[int, np.ndarray]:
    cover = {m: np.zeros(DURATION, dtype=bool) for m in range(3)}
    for m, s, e in rows:
        cover[m][s:e] = True
    return cover


def holds(x: Row, y: Row, node: Relation) -> bool:
    if x[0] != y[0]:
        return False
    tol = node.tolerance / TB
    (_, xs, xe), (_, ys, ye) = x, y
    if node.relation == "within":
        return max(0, ys - xe, xs - ye) <= node.distance / TB
    rel = relation_of(xs, xe, ys, ye, tolerance=tol)
    if node.relation == "intersects":
        return rel in CROSSING
    if rel != node.relation:
        return False
    if node.distance is not None and rel == "before":
        return ys - xe <= node.distance / TB
    if node.distance is not None and rel == "after":
        return xs - ye <= node.distance / TB
    return True


def reference(node: Node, raw: dict[str, list[tuple[int, int, int, str]]]) -> list[Row]:
    if isinstance(node, SelectorNode):
        s = node.selector
        pat = s.label.lower()
        return [(m, a, b) for m, a, b, lab in raw[s.track]
                if (lab.lower() == pat if s.exact else fnmatch.fnmatchcase(lab.lower(), pat))]
    if isinstance(node, Relation):
        left, right = reference(node.left, raw), reference(node.right, raw)
        return [x for x in left if any(holds(x, y, node) for y in right)]
    if isinstance(node, Or):
        return merge(reference(node.left, raw) + reference(node.right, raw))
    if isinstance(node, And):
        a, b = coverage(reference(node.left, raw)), coverage(reference(node.right, raw))
        return runs({m: a[m] & b[m] for m in a})
    assert isinstance(node, Not)
    inner = coverage(reference(node.operand, raw))
    return runs({m: ~inner[m] for m in inner})


def rows_of(iv: Intervals) -> list[Row]:
    rb = iv.rebase(TB)
    return sorted(zip(rb.media.tolist(), rb.start.tolist(), rb.end.tolist(), strict=True))


# -- random queries ----------------------------------------------------------------------------------

leaf = st.sampled_from([
    SelectorNode(Selector("tag", "person")), SelectorNode(Selector("tag", "*")),
    SelectorNode(Selector("tag", "t*")), SelectorNode(Selector("ocr", "*")),
    SelectorNode(Selector("ocr", "the end", exact=True)), SelectorNode(Selector("takes", "take ?")),
    SelectorNode(Selector("tag", "LOGO")),
])
ticks = st.integers(0, 30).map(lambda k: k * TB)
names = st.sampled_from(["before", "after", "meets", "met_by", "overlaps", "overlapped_by", "starts", "started_by",
                         "during", "contains", "finishes", "finished_by", "equals", "within", "intersects"])


def relation(children: st.SearchStrategy) -> st.SearchStrategy:
    def build(left, right, name, dist, tol):
        if name not in ("before", "after", "within"):
            dist = None
        elif name == "within" and dist is None:
            dist = Fraction(1)
        return Relation(left, right, name, dist, tol)

    return st.builds(build, children, children, names, st.one_of(st.none(), ticks),
                     st.sampled_from([Fraction(0), Fraction(0), TB, 2 * TB]))


queries = st.recursive(
    leaf, lambda c: st.one_of(st.builds(And, c, c), st.builds(Or, c, c), st.builds(Not, c), relation(c)),
    max_leaves=5,
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries, st.integers(0, 10_000))
def test_engine_matches_brute_force_reference(tree, seed):
    source, raw = random_source(seed)
    assert rows_of(evaluate_query(tree, source)) == sorted(reference(tree, raw))


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize(
    "text",
    [
        "tag:person DURING takes:* AND NOT ocr:*",
        "tag:* OVERLAPS ~0.2s (takes:* OR ocr:*)",
        "tag:logo BEFORE 2s ocr:\"THE END\"",
        "NOT (tag:* OR takes:*) AND ocr:*",
        "tag:* WITHIN 1s ocr:* AND NOT tag:car",
        "takes:* CONTAINS tag:* AFTER ocr:*",
        "tag:* INTERSECTS ocr:* OR tag:text MET BY takes:*",
    ],
)
def test_fixed_queries_match_reference(text, seed):
    source, raw = random_source(seed)
    assert rows_of(evaluate_query(text, source)) == sorted(reference(parse_query(text), raw))


def test_relation_keeps_rows_with_their_labels_and_scores():
    tags = Intervals.from_seconds([1.0, 2.0, 20.0], [3.0, 4.0, 22.0], ["person", "Person", "person"],
                                  score=[0.9, 0.8, 0.7])
    takes = Intervals.from_seconds([0.0], [10.0], "take 1")
    src = DictTrackSource({"tag": tags, "takes": takes})
    out = evaluate_query("tag:person DURING takes:*", src)
    assert out.labels() == ["person", "Person"]
    assert out.score.tolist() == [0.9, 0.8]
    combined = evaluate_query("tag:person AND takes:*", src)
    assert combined.labels() == ["tag:person AND takes:*"]
    assert (combined.start_seconds.tolist(), combined.end_seconds.tolist()) == ([1.0], [4.0])


def test_media_filter_and_durations():
    tags = Intervals.from_seconds([1.0, 1.0], [3.0, 3.0], "person", media=[1, 2])
    src = DictTrackSource({"tag": tags}, durations={1: 10, 2: 5, 3: 4})
    everywhere = evaluate_query("NOT tag:person", src)
    assert sorted(set(everywhere.media.tolist())) == [1, 2, 3]
    only = evaluate_query("NOT tag:person", src, media=2)
    assert [(r.media, r.start_seconds, r.end_seconds) for r in only] == [(2, 0.0, 1.0), (2, 3.0, 5.0)]
    missing = DictTrackSource({"tag": tags}, durations={1: 10})
    with pytest.raises(QueryError, match="duration of media 2"):
        evaluate_query("NOT tag:person", missing)


def test_unknown_track_is_a_query_error():
    src = DictTrackSource({"tag": Intervals.from_seconds([0.0], [1.0], "x")})
    with pytest.raises(QueryError, match="unknown track 'tga'"):
        evaluate_query("tga:x", src)


def test_mixed_time_bases_are_rebased():
    frames = Intervals.from_ticks([25], [50], "person", Fraction(1, 25))  # 1 s .. 2 s
    ms = Intervals.from_ticks([500], [2500], "take", Fraction(1, 1000))
    src = DictTrackSource({"tag": frames, "takes": ms})
    assert len(evaluate_query("tag:* DURING takes:*", src)) == 1
    both = evaluate_query("tag:* AND takes:*", src)
    assert (both.start_seconds.tolist(), both.end_seconds.tolist()) == ([1.0], [2.0])


class FakeCatalog:
    """The catalog methods the adapter uses (the catalog filters labels case-sensitively)."""

    def __init__(self, tracks: dict[str, Intervals], durations: dict[int, Fraction]) -> None:
        self._tracks, self.durations, self.calls = tracks, durations, []

    def get_intervals(self, track: str | None = None, *, media_id: int | None = None) -> Intervals:
        self.calls.append((track, media_id))
        rows = self._tracks.get(track or "", Intervals.empty())
        return rows if media_id is None else rows[rows.media == media_id]

    def media_durations(self) -> dict[int, Fraction]:
        return dict(self.durations)

    def tracks(self, media_id: int | None = None) -> list[tuple[str, int]]:
        return [(name, len(iv)) for name, iv in sorted(self._tracks.items())]


def test_catalog_track_source_adapter():
    from rushes.patterns.sources import CatalogTrackSource, TrackSource

    tags = Intervals.from_seconds([1.0, 1.0], [3.0, 3.0], ["Person", "car"], media=[1, 2])
    catalog = FakeCatalog({"tag": tags}, {1: Fraction(10), 2: Fraction(5)})
    src = CatalogTrackSource(catalog)
    assert isinstance(src, TrackSource)
    assert src.get("tag", "person").labels() == ["Person"]  # case-insensitive, unlike SQL GLOB
    assert len(evaluate_query("NOT tag:*", src)) == 4  # before and after each row, in both media
    one = CatalogTrackSource(catalog, media_id=2)
    assert one.durations() == {2: Fraction(5)}
    assert evaluate_query("tag:*", one).labels() == ["car"]
    assert catalog.calls[-1] == ("tag", 2)


def test_catalog_source_aliases_unknown_tracks_and_stills(tmp_path):
    """On a real catalog: ``tag`` reads every ``tags.*`` track, an absent track has no rows and is
    named in a note, and a still image (no duration) takes part in NOT without an error."""
    from conftest import make_png, make_video
    from rushes.library import Library
    from rushes.patterns.sources import CatalogTrackSource

    clip = make_video(tmp_path / "clip.mp4", seconds=4.0, audio=False)
    still = make_png(tmp_path / "still.png")
    with Library(tmp_path / "lib") as lib:
        assert lib.ingest([clip, still], analyzers=["levels"], workers=1).state == "completed"
        ids = {m.name: m.id for m in lib.catalog.list_media()}
        vid, img = ids["clip.mp4"], ids["still.png"]
        tracks = {"tags.objects": Intervals.from_seconds([1.0], [3.0], ["person"], media=[vid]),
                  "tags.faces": Intervals.from_seconds([2.0, 0.0], [2.5, 0.0], ["face", "face"], media=[vid, img])}
        for n, (name, iv) in enumerate(tracks.items()):
            lib.catalog.commit_result(key=f"k{n}", media_id=vid, analyzer=f"fake{n}", version="1", params_hash="x",
                                      params={}, model_id="", tracks={name: iv})
        src = CatalogTrackSource(lib.catalog)
        assert sorted(src.get("tag", "*").labels()) == ["face", "face", "person"]
        assert src.unknown == []
        hits = evaluate_query("tag:person AND NOT tag:face", src)
        assert [(r.start_seconds, r.end_seconds) for r in hits] == [(1.0, 2.0), (2.5, 3.0)]
        assert len(evaluate_query("NOT tag:person", src, media=img)) == 0  # a still has no time to select
        assert len(src.get("tagz", "*")) == 0 and "no track 'tagz'" in (src.unknown_note() or "")
