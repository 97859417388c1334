"""Values the full read missed, read again in their box: a single hand-written camera letter
right of its CAM label (the text detector misses lone big characters)."""

from __future__ import annotations

import pytest


def test_a_lone_camera_letter_is_read_right_of_its_label() -> None:
    pytest.importorskip("rapidocr")
    pytest.importorskip("onnxruntime")
    from rushes.triage.slate.evaluate import generated_items
    from rushes.triage.slate.ocr import OcrSettings, read_slate, slate_ocr

    items = generated_items(8, 0, style="demo")
    letters = [items[i] for i in (0, 1, 4, 7)]  # the demo reel's board with CAMERA <letter>
    ocr = slate_ocr(OcrSettings())
    off = slate_ocr(OcrSettings(cell_height=0))
    for name, image, truth in letters:
        assert len(truth["camera"]) == 1, name
        reading = read_slate(image, ocr=ocr)
        assert reading.value("camera") == truth["camera"] and reading.fields["camera"].source == "cell", name
        assert read_slate(image, ocr=off).value("camera") is None, name  # missed by the full read
