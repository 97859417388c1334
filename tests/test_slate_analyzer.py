"""The ``slate`` analyzer through the real pipeline on a generated reel, and on real slate photos."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from rushes.errors import ModelNotAvailable

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def test_slate_analyzer_is_registered_with_a_complete_model_id() -> None:
    from rushes.analyzers.slate import DATA_COLUMNS, Slate
    from rushes.pipeline.registry import all_analyzers, default_analyzers

    assert all_analyzers()["slate"] is Slate and "slate" in default_analyzers()
    spec = Slate().frame_spec()
    assert spec.mode == "sparse" and spec.fps == 1 and (spec.width, spec.height) == (448, 448)
    from rushes.analyzers.slate import SlateParams

    # without the second look at tiles the frames are decoded at the backbone's input size
    assert (Slate(SlateParams(tiles=False)).frame_spec().width) == 224

    assert Slate(SlateParams(sampling="exact")).frame_spec().mode == "fps"
    mid = Slate().model_id()
    assert mid.startswith("slate-head@") and "mobilenetv2@" in mid
    assert ("rapidocr-" in mid) == (importlib.util.find_spec("rapidocr") is not None)
    assert "ocr" not in DATA_COLUMNS and {"roll", "scene", "take", "roll_mismatch", "best_t"} <= set(DATA_COLUMNS)


@pytest.fixture(scope="module")
def reel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rushes.demo import generate_reel

    out = tmp_path_factory.mktemp("slate_reel")
    try:
        generate_reel(out, files=1, takes_per_file=2, width=640, height=360, seed=3)
    except ModelNotAvailable as exc:
        pytest.skip(f"no offline voice for the demo reel: {exc}")
    return out


@pytest.mark.slow
@pytest.mark.models
def test_slate_analyzer_on_generated_reel(reel: Path, tmp_path: Path) -> None:
    pytest.importorskip("rapidocr")
    pytest.importorskip("onnxruntime")
    from rushes.library import Library

    truth = json.loads((reel / "truth.json").read_text())
    with Library(tmp_path / "lib") as lib:
        report = lib.ingest([reel], analyzers=["slate"])
        steps = report.items[0]["steps"]
        if steps[0]["status"] == "failed" and steps[0].get("error_type") == "ModelNotAvailable":
            pytest.skip(steps[0]["error"])
        assert report.items[0]["status"] == "ok", report.items
        track = lib.catalog.get_intervals("slates")
        media = lib.catalog.list_media()[0]
        results = lib.catalog.results_for_media(media.id)
        frames = lib.catalog.artifacts(media.id, kind="slate_frame")
    ((_name, ftruth),) = truth["files"].items()
    takes = ftruth["takes"]
    assert len(track) == len(takes)
    for row, take in zip(track, takes, strict=True):
        attrs = row.data["attrs"]
        assert row.label == "slate"
        assert abs(row.start_seconds - take["slate"]) <= 2.0
        assert row.start_seconds <= attrs["best_t"] <= row.end_seconds
        assert (attrs["roll"], attrs["scene"], attrs["take"]) == (take["roll"], take["scene"], take["take"])
        assert attrs["roll_mismatch"] is False and attrs["filename_roll"] == take["roll"]
        assert set(attrs["confidence"]) == {"prod", "roll", "scene", "take", "director", "camera", "date"}
        assert attrs["confirmed"] is True
    metrics = next(r.metrics for r in results if r.analyzer == "slate")
    assert metrics["events"] == len(takes)
    assert metrics["ocr_calls"] + metrics["ocr_calls_saved"] >= metrics["ocr_calls_baseline"]
    assert 0 <= metrics["ocr_cell_reads"] <= 3 * metrics["ocr_reads"]
    assert metrics["frames_classified"] >= int(ftruth["duration"]) - 1
    assert len(frames) == len(takes) and all(f.name.endswith(".jpg") for f in frames)


@pytest.mark.models
@pytest.mark.shared_data
def test_real_slates(tmp_path: Path) -> None:
    if not SHARED.exists():
        pytest.skip("../shared/data is not present")
    pytest.importorskip("rapidocr")
    from rushes.triage.slate.classifier import slate_classifier
    from rushes.triage.slate.evaluate import evaluate_slates, real_slate_images

    items = real_slate_images(SHARED)
    if not items:
        pytest.skip("no real slate pictures in ../shared/data")
    try:
        clf = slate_classifier()
    except ModelNotAvailable as exc:
        pytest.skip(str(exc))
    p = clf.predict([img for _n, img, _t in items])
    detected = {name for (name, _i, _t), pr in zip(items, p, strict=True) if pr[1] + pr[2] >= clf.threshold}
    # the legible ones (big, sharp boards) must be found
    assert {f"slate_bosc_grid8_boxed.png#{c}" for c in ("r1c1", "r2c3")} <= detected
    report = evaluate_slates([SHARED])
    by_name = {row["name"]: row for row in report["items"]}
    r2c3 = by_name["slate_bosc_grid8_boxed.png#r2c3"]["read"]
    assert (r2c3["roll"], r2c3["scene"]) == ("2", "7E")
    assert np.isfinite(report["ocr_cpu_seconds_mean"])
