"""Runner: graph resolution, caching, dependencies, failure containment, retries, artifacts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from rushes.errors import QueryError
from rushes.library import Library
from rushes.pipeline.registry import default_analyzers, levels, resolve_graph


def test_default_set_and_graph(plugins: None) -> None:
    assert {"thumbnails", "levels", "audio_levels"} <= set(default_analyzers())
    order = [c.name for c in resolve_graph(["t_black_count"])]
    assert order == ["levels", "t_black_count"]
    assert [[c.name for c in s] for s in levels(resolve_graph(["t_black_count", "thumbnails"]))] == [
        ["levels", "thumbnails"], ["t_black_count"]]
    with pytest.raises(QueryError, match="unknown analyzer"):
        resolve_graph(["nope"])


def test_ingest_then_cached(tmp_path: Path, clip_av: Path) -> None:
    lib = Library(tmp_path / "lib")
    first = lib.ingest([clip_av], workers=1)
    assert first.exit_code == 0
    steps = {s["analyzer"]: s["status"] for s in first.items[0]["steps"]}
    assert steps == dict.fromkeys(default_analyzers(), "ok")  # a video with sound: every default applies
    second = lib.ingest([clip_av], workers=1)
    assert {s["status"] for s in second.items[0]["steps"]} == {"cached"}
    info = lib.info(clip_av.name)
    assert info["tracks"].get("silence", 0) == 0  # a continuous tone has no silence
    thumbs = [a for a in info["artifacts"] if a["kind"] == "thumbnail"]
    assert len(thumbs) >= 3
    assert all((lib.root / a["path"]).is_file() for a in info["artifacts"])
    assert not any((lib.root / "tmp").iterdir())  # staging cleaned


def test_param_change_reruns_only_that_analyzer(tmp_path: Path, clip_av: Path) -> None:
    lib = Library(tmp_path / "lib")
    lib.ingest([clip_av], workers=1)
    lib.set_analyzer_config("thumbnails", {"count": 2})
    again = Library(tmp_path / "lib")  # config is read from config.toml
    rep = again.ingest([clip_av], workers=1)
    steps = {s["analyzer"]: s["status"] for s in rep.items[0]["steps"]}
    assert steps == {**dict.fromkeys(default_analyzers(), "cached"), "thumbnails": "ok"}
    info = again.info(clip_av.name)
    assert len([a for a in info["artifacts"] if a["kind"] == "thumbnail" and a["name"].startswith("thumb_")]) == 2


def test_invalid_config_is_rejected(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib")
    with pytest.raises(QueryError, match="unknown parameter"):
        lib.set_analyzer_config("thumbnails", {"bogus": 1})
    with pytest.raises(QueryError, match="count"):
        lib.set_analyzer_config("thumbnails", {"count": 0})


def test_dependency_reads_upstream_track_and_reruns_with_it(plugins: None, tmp_path: Path,
                                                             clip_noaudio: Path) -> None:
    lib = Library(tmp_path / "lib")
    rep = lib.ingest([clip_noaudio], analyzers=["t_black_count"], workers=1)
    assert rep.exit_code == 0
    mid = rep.items[0]["media_id"]
    assert lib.catalog.get_intervals("t_black_count", media_id=mid).labels() == ["0"]
    # changing an upstream parameter invalidates the dependent step too
    lib.set_analyzer_config("levels", {"black_luma": 250.0, "black_spread": 255.0})
    lib2 = Library(tmp_path / "lib")
    rep2 = lib2.ingest([clip_noaudio], analyzers=["t_black_count"], workers=1)
    steps = {s["analyzer"]: s["status"] for s in rep2.items[0]["steps"]}
    assert steps == {"levels": "ok", "t_black_count": "ok"}
    assert lib2.catalog.get_intervals("t_black_count", media_id=mid).labels() == ["1"]


def test_failing_analyzer_is_contained(plugins: None, tmp_path: Path, clip_av: Path) -> None:
    lib = Library(tmp_path / "lib")
    rep = lib.ingest([clip_av], analyzers=["t_boom", "t_needs_boom", "levels"], workers=1)
    assert rep.exit_code == 1
    item = rep.items[0]
    steps = {s["analyzer"]: s for s in item["steps"]}
    assert steps["levels"]["status"] == "ok"  # same decode pass, unaffected
    assert steps["t_boom"]["status"] == "failed"
    assert "boom on purpose" in steps["t_boom"]["error"]
    assert steps["t_needs_boom"]["status"] == "skipped"
    assert item["status"] == "failed" and "t_boom" in item["error"]
    fails = lib.catalog.failures()
    assert [f["analyzer"] for f in fails] == ["t_boom"]
    # the successful step was committed and is cached next time
    rep2 = lib.ingest([clip_av], analyzers=["levels"], workers=1)
    assert rep2.items[0]["steps"][0]["status"] == "cached"


def test_transient_failure_retried(plugins: None, tmp_path: Path, clip_av: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    counter = tmp_path / "count"
    monkeypatch.setenv("FLAKY_COUNTER", str(counter))
    monkeypatch.setenv("FLAKY_FAILS", "2")
    lib = Library(tmp_path / "lib")
    rep = lib.ingest([clip_av], analyzers=["t_flaky"], workers=1, retries=2)
    assert rep.exit_code == 0
    step = rep.items[0]["steps"][0]
    assert step["status"] == "ok" and step["attempts"] == 3
    assert counter.read_text() == "3"


def test_transient_failure_gives_up(plugins: None, tmp_path: Path, clip_av: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAKY_COUNTER", str(tmp_path / "c"))
    monkeypatch.setenv("FLAKY_FAILS", "5")
    lib = Library(tmp_path / "lib")
    rep = lib.ingest([clip_av], analyzers=["t_flaky"], workers=1, retries=1)
    step = rep.items[0]["steps"][0]
    assert step["status"] == "failed" and step["error_type"] == "TransientError" and step["attempts"] == 2


def test_process_pool_matches_serial(tmp_path: Path, clip_av: Path, clip_noaudio: Path, wav_file: Path,
                                     png_file: Path) -> None:
    files = [clip_av, clip_noaudio, wav_file, png_file]
    serial = Library(tmp_path / "s").ingest(files, engine="serial")
    pooled = Library(tmp_path / "p").ingest(files, engine="process", workers=2)
    assert serial.exit_code == pooled.exit_code == 0

    def tracks(root: Path) -> dict[str, list[tuple[str, float, float]]]:
        cat = Library(root).catalog
        iv = cat.get_intervals()
        out: dict[str, list[tuple[str, float, float]]] = {}
        for r, track in zip(iv, iv.data["track"], strict=True):
            name = cat.get_media(r.media).name  # type: ignore[union-attr]
            out.setdefault(f"{name}:{track}", []).append((r.label, r.start_seconds, r.end_seconds))
        return out

    assert tracks(tmp_path / "s") == tracks(tmp_path / "p")


def test_levels_finds_black(tmp_path: Path) -> None:
    from media_factory import write_frames

    # 1 s picture, 2 s black, 1 s picture
    frames = (np.full((36, 64, 3), 0 if 10 <= i < 30 else 180, np.uint8) for i in range(40))
    p = write_frames(tmp_path / "black.mp4", frames, fps=10)
    lib = Library(tmp_path / "lib")
    lib.ingest([p], analyzers=["levels"], workers=1)
    black = lib.catalog.get_intervals("black")
    assert len(black) == 1
    assert black.start_seconds[0] == pytest.approx(1.0, abs=0.26)
    assert black.end_seconds[0] == pytest.approx(3.0, abs=0.26)


def test_plugin_env_bad_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from rushes.pipeline import registry

    monkeypatch.setenv("RUSHES_PLUGINS", "no_such_module_xyz")
    monkeypatch.setattr(registry, "_loaded", False)
    with pytest.raises(QueryError, match="RUSHES_PLUGINS"):
        registry.all_analyzers()
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.delenv("RUSHES_PLUGINS")
    registry.all_analyzers()
    assert os.environ.get("RUSHES_PLUGINS") is None
