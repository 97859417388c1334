"""CLIP plumbing with a tiny generated model: towers, tokenizer, pull verification, search, zero-shot tags."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from media_factory import make_png, make_video
from rushes.errors import ModelNotAvailable, QueryError
from rushes.models import clip as clipmod
from rushes.models.clip import ClipModel, ClipTokenizer, RemoteModel, build_tiny_clip, pull

pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip", words=["horse", "sunset", "car"])


def test_towers_and_tokenizer(tiny: Path) -> None:
    m = ClipModel(tiny)
    ids = m.tokenizer(["A Horse at sunset!", ""])
    assert ids.shape == (2, 77) and ids[0, 0] == m.tokenizer.sot and m.tokenizer.eot in ids[1]
    assert ids[0, 1] == m.tokenizer.vocab["a</w>"] and ids[0, 2] == m.tokenizer.vocab["horse</w>"]
    t = m.encode_texts(["a horse", "a car"])
    assert t.shape == (2, 32) and np.allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5)
    imgs = m.encode_images([np.zeros((50, 90, 3), np.uint8), np.full((64, 64), 200, np.uint8)])
    assert imgs.shape == (2, 32)
    assert m.model_id.startswith("tiny-clip@")
    assert isinstance(ClipTokenizer.from_file(tiny / "textual" / "tokenizer.json"), ClipTokenizer)


def test_absent_model_gives_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RUSHES_CLIP_MODEL", raising=False)
    monkeypatch.setenv("RUSHES_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelNotAvailable, match="rushes models pull"):
        clipmod.find_clip_folder()


def _registry(tiny: Path, corrupt: bool = False) -> dict[str, RemoteModel]:
    files: dict[str, str | None] = {}
    for p in sorted(tiny.rglob("*")):
        if p.is_file():
            rel = p.relative_to(tiny).as_posix()
            files[rel] = clipmod._sha256_of(p)
    if corrupt:
        files["visual/model.onnx"] = "0" * 64
    return {"tiny": RemoteModel("tiny", "test/tiny", "rev1", files, "MIT", 1)}


def test_pull_verifies_and_installs_atomically(tiny: Path, tmp_path: Path) -> None:
    dest = tmp_path / "models" / "tiny"
    out = pull("tiny", dest=dest, source=str(tiny), registry=_registry(tiny))
    manifest = json.loads((out / "rushes-model.json").read_text())
    assert manifest["revision"] == "rev1" and manifest["pinned"] is True
    assert ClipModel(out).revision == "rev1"
    # a source serving a different file fails verification and leaves the installed model intact
    with pytest.raises(ModelNotAvailable, match="failed verification"):
        pull("tiny", dest=dest, source=tiny.as_uri(), registry=_registry(tiny, corrupt=True))
    assert ClipModel(out).revision == "rev1"
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]
    # unpinned digests need an explicit opt-in; unknown names are usage errors
    unpinned = {"tiny": dataclasses.replace(_registry(tiny)["tiny"], files={"config.json": None})}
    with pytest.raises(QueryError, match="trust-unpinned"):
        pull("tiny", dest=tmp_path / "u", source=str(tiny), registry=unpinned)
    with pytest.raises(QueryError):
        pull("nope", dest=tmp_path / "n", registry=unpinned)
    # a tampered installed file is caught on load
    (out / "config.json").write_text("{}")
    with pytest.raises(ModelNotAvailable, match="sha256"):
        ClipModel(out)


def test_clip_search_and_zero_shot_tags_end_to_end(tiny: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from rushes.library import Library
    from rushes.search.engine import SearchEngine, SearchOptions

    monkeypatch.setenv("RUSHES_CLIP_MODEL", str(tiny))
    clipmod.reset_clip_model()
    try:
        video = make_video(tmp_path / "clip.mp4", seconds=3.0, audio=False, scenes=2)
        still = make_png(tmp_path / "still.png")
        with Library(tmp_path / "lib") as lib:
            report = lib.ingest([video, still], analyzers=["embed_clip", "tags_clip"], workers=1)
            assert report.state == "completed" and not report.failed, report.to_dict()
            tracks = dict(lib.catalog.tracks())
            assert tracks.get("tags.clip", 0) >= 1
            rows = lib.catalog.get_intervals("tags.clip")
            assert all(a["model"] == "tiny-clip" for a in rows.data["attrs"])
            res = SearchEngine(lib).search("a horse at sunset", options=SearchOptions(limit=5))
            assert res.moments and "clip" in res.sources_used
            assert {m.file for m in res.moments} <= {"clip.mp4", "still.png"}
            img = SearchEngine(lib).search(None, image=still, options=SearchOptions(limit=3))
            assert img.moments[0].file == "still.png"
    finally:
        clipmod.reset_clip_model()
