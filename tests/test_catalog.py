from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rushes.catalog import Catalog
from rushes.errors import StoreError
from rushes.intervals import Intervals
from rushes.media import fingerprint, probe


@pytest.fixture()
def cat(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog.sqlite")


def _media(cat: Catalog, path: Path) -> int:
    return cat.upsert_media(fingerprint(path), probe(path))


def test_wal_and_schema(cat: Catalog) -> None:
    assert cat.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cat.integrity_ok()


def test_rename_keeps_media_id(cat: Catalog, clip_av: Path, tmp_path: Path) -> None:
    a = tmp_path / "x.mp4"
    shutil.copy(clip_av, a)
    mid = _media(cat, a)
    b = tmp_path / "y.mp4"
    a.rename(b)
    assert _media(cat, b) == mid
    rec = cat.get_media(mid)
    assert rec is not None and rec.path == str(b) and rec.name == "y.mp4"
    assert cat.find_media("y.mp4")[0].id == mid
    assert cat.find_media(rec.fingerprint.split(":")[1][:8])[0].id == mid


def test_commit_result_roundtrip_and_replace(cat: Catalog, clip_av: Path) -> None:
    mid = _media(cat, clip_av)
    words = Intervals.from_seconds([0.5, 1.0], [0.9, 1.4], ["action", "cut"], score=[0.9, 0.8],
                                   data={"speaker": ["dir", "dir"]})
    cat.commit_result(key="k1", media_id=mid, analyzer="speech", version="1", params_hash="p", params={},
                      model_id="m", tracks={"words": words}, model_calls=3)
    got = cat.get_intervals("words", media_id=mid)
    assert got.labels() == ["action", "cut"]
    assert got.start_seconds.tolist() == [0.5, 1.0]
    assert got.data["attrs"][0] == {"speaker": "dir"}
    assert cat.search_text("cut")[0]["label"] == "cut"
    # a newer version replaces the old rows entirely
    cat.commit_result(key="k2", media_id=mid, analyzer="speech", version="2", params_hash="p", params={},
                      model_id="m", tracks={"words": Intervals.from_seconds([2.0], [2.5], "rolling")})
    assert cat.get_result("k1") is None
    assert cat.get_intervals("words").labels() == ["rolling"]
    assert cat.search_text("cut") == []


def test_commit_is_atomic(cat: Catalog, clip_av: Path) -> None:
    mid = _media(cat, clip_av)

    # a set in a data column cannot be written as JSON: the insert fails mid-transaction,
    # after the "good" track's rows were already inserted
    bad = Intervals.from_seconds([0.0], [1.0], "x", data={"odd": [{1, 2}]})
    with pytest.raises(TypeError):
        cat.commit_result(key="k", media_id=mid, analyzer="a", version="1", params_hash="p", params={},
                          model_id="", tracks={"good": Intervals.from_seconds([0.0], [1.0], "ok"), "bad": bad})
    assert cat.get_result("k") is None
    assert len(cat.get_intervals()) == 0


def test_get_intervals_filters(cat: Catalog, clip_av: Path, clip_noaudio: Path) -> None:
    m1, m2 = _media(cat, clip_av), _media(cat, clip_noaudio)
    for mid in (m1, m2):
        cat.commit_result(key=f"k{mid}", media_id=mid, analyzer="tags", version="1", params_hash="p", params={},
                          model_id="", tracks={"tags": Intervals.from_seconds([0, 5, 9], [1, 6, 10],
                                                                              ["person", "car", "person"])})
    assert len(cat.get_intervals("tags", label="person")) == 4
    assert len(cat.get_intervals("tags", label="p*", media_id=m2)) == 2
    assert cat.get_intervals("tags", start_s=4.5, end_s=7).labels() == ["car", "car"]
    assert set(cat.get_intervals("ta*").media.tolist()) == {m1, m2}
    assert dict(cat.tracks()) == {"tags": 6}


def test_invalidate(cat: Catalog, clip_av: Path) -> None:
    mid = _media(cat, clip_av)
    cat.commit_result(key="k", media_id=mid, analyzer="a", version="1", params_hash="p", params={},
                      model_id="", tracks={"t": Intervals.from_seconds([0], [1], "x")})
    assert cat.invalidate(analyzer="a") == 1
    assert len(cat.get_intervals("t")) == 0


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Catalog(bad)
