"""Boards small in the frame (far from the camera): the classifier's second look at tiles finds
them, and OCR reads them again on a zoomed crop around their text."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from media_factory import write_frames
from rushes.errors import ModelNotAvailable

FIELDS = dict(prod="NIGHT", roll="A004", scene="12A", take="3", director="R HALE", camera="A", date="12/04/26")


def _frame_with_board(size: tuple[int, int], share: float, seed: int, at: tuple[int, int]) -> np.ndarray:
    from rushes.demo.slate import SlateFields, render_slate
    from rushes.triage.slate.synth import synthetic_background

    w, h = size
    frame = synthetic_background(np.random.default_rng(seed), (w, h))
    side = int(w * share)
    board = render_slate(SlateFields(**FIELDS), size=(side, int(side * 0.75)), rng=np.random.default_rng(1))
    x, y = at
    frame[y:y + board.shape[0], x:x + side] = board
    return frame


def _write_clip(path: Path, size: tuple[int, int], share: float, seed: int, fps: int = 12) -> Path:
    """6 s: a set (synthetic background), the board held small in the top-left corner 1–5 s."""
    from rushes.triage.slate.synth import synthetic_background

    board = _frame_with_board(size, share, seed, (60, 40))
    empty = synthetic_background(np.random.default_rng(seed), size)
    return write_frames(path, (board if fps <= i < 5 * fps else empty for i in range(6 * fps)), fps, gop=fps // 2)


@pytest.mark.models
def test_a_small_board_is_read_on_a_zoomed_crop() -> None:
    pytest.importorskip("rapidocr")
    from rushes.triage.slate.ocr import OcrSettings, read_slate, slate_ocr

    image = _frame_with_board((1920, 1080), 0.2, 0, (700, 500))
    try:
        zoom, plain = slate_ocr(OcrSettings()), slate_ocr(OcrSettings(zoom_gain=0))
    except ModelNotAvailable as exc:
        pytest.skip(str(exc))
    read = read_slate(image, ocr=zoom)
    assert read.zoomed and read.passes == 2
    assert (read.value("roll"), read.value("scene"), read.value("take")) == ("A004", "12A", "3")
    assert read.fields["scene"].source == "label"  # the tiny printed labels became legible
    once = read_slate(image, ocr=plain)
    assert not once.zoomed and once.passes == 1
    assert once.vocabulary_hits < read.vocabulary_hits
    # a board filling the frame is not zoomed: its text already spans most of it
    big = _frame_with_board((1280, 720), 0.6, 0, (100, 60))
    full = read_slate(big, ocr=zoom)
    assert not full.zoomed and full.passes == 1
    assert (full.value("roll"), full.value("scene"), full.value("take")) == ("A004", "12A", "3")


@pytest.mark.models
@pytest.mark.slow
def test_tiles_find_a_small_board_the_whole_frame_misses(tmp_path: Path) -> None:
    pytest.importorskip("rapidocr")
    from rushes.library import Library

    clip = _write_clip(tmp_path / "A004C001_261204_R1AB.mp4", (1280, 720), 0.2, 0)
    found = {}
    for tiles in (False, True):
        with Library(tmp_path / f"lib_{tiles}") as lib:
            lib.set_analyzer_config("slate", {"tiles": tiles})
            report = lib.ingest([clip], analyzers=["slate"])
            step = report.items[0]["steps"][0]
            if step["status"] == "failed" and step.get("error_type") == "ModelNotAvailable":
                pytest.skip(step["error"])
            assert report.items[0]["status"] == "ok", report.items
            media = lib.catalog.list_media()[0]
            metrics = next(r.metrics for r in lib.catalog.results_for_media(media.id) if r.analyzer == "slate")
            found[tiles] = (lib.catalog.get_intervals("slates").to_records(), metrics)
    rows, metrics = found[False]
    assert rows == [] and metrics["tile_looks"] == 0
    rows, metrics = found[True]
    (row,) = rows
    attrs = row["data"]["attrs"]
    assert 1.0 <= row["start"] <= 2.0 and 4.0 <= row["end"] <= 5.0
    assert (attrs["roll"], attrs["scene"], attrs["take"]) == ("A004", "12A", "3")
    assert attrs["confirmed"] is True  # found by tiles only: kept because OCR read slate text
    assert metrics["tile_detections"] >= 3 and metrics["tile_looks"] >= metrics["tile_detections"]
    assert Fraction(row["start"]).limit_denominator(1000) == Fraction(1)


@pytest.mark.models
@pytest.mark.slow
def test_a_board_ocr_cannot_read_goes_to_the_candidates_track(tmp_path: Path) -> None:
    pytest.importorskip("rapidocr")
    cv2 = pytest.importorskip("cv2")
    from rushes.library import Library
    from rushes.triage.slate.synth import synthetic_background

    # a small board out of focus: the classifier (tiles) sees a board, OCR reads nothing on it
    board = cv2.GaussianBlur(_frame_with_board((640, 360), 0.35, 0, (60, 40)), (0, 0), 3.0)
    empty = synthetic_background(np.random.default_rng(0), (640, 360))
    clip = write_frames(tmp_path / "A004C001_261204_R1AB.mp4", (board if 12 <= i < 60 else empty for i in range(72)),
                        12, gop=6)
    with Library(tmp_path / "lib") as lib:
        report = lib.ingest([clip], analyzers=["slate"])
        step = report.items[0]["steps"][0]
        if step["status"] == "failed" and step.get("error_type") == "ModelNotAvailable":
            pytest.skip(step["error"])
        assert len(lib.catalog.get_intervals("slates")) == 0
        (row,) = lib.catalog.get_intervals("slate_candidates").to_records()
        media = lib.catalog.list_media()[0]
        metrics = next(r.metrics for r in lib.catalog.results_for_media(media.id) if r.analyzer == "slate")
    assert 1.0 <= row["start"] <= row["end"] <= 5.0
    assert row["data"]["attrs"]["confirmed"] is False and metrics["events_rejected_by_ocr"] == 1
