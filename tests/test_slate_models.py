"""Slate OCR on rendered slates, the classifier on composites vs negatives, the shipped head's card."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rushes.demo import SlateFields, render_slate
from rushes.errors import ModelNotAvailable
from rushes.triage.slate.classifier import CARD_FILE, default_head_path, head_model_id


def _ocr():  # type: ignore[no-untyped-def]
    pytest.importorskip("rapidocr")
    from rushes.triage.slate.ocr import slate_ocr

    try:
        return slate_ocr()
    except ModelNotAvailable as exc:
        pytest.skip(str(exc))


def _classifier():  # type: ignore[no-untyped-def]
    pytest.importorskip("onnxruntime")
    pytest.importorskip("cv2")
    from rushes.triage.slate.classifier import slate_classifier

    try:
        return slate_classifier()
    except ModelNotAvailable as exc:
        pytest.skip(str(exc))


FIELDS = SlateFields(prod="NIGHT FERRY", roll="A004", scene="12A", take="3", director="J. OKAFOR", camera="A",
                     date="22 NOV 2026")


def test_shipped_head_has_a_consistent_model_card() -> None:
    head = default_head_path()
    card = json.loads((head.parent / CARD_FILE).read_text())
    assert head_model_id().endswith(card["head_sha256"][:16])
    assert head.stat().st_size < 2_000_000
    assert card["classes"] == ["none", "slate", "tail_slate"]
    assert len(card["backbone"]["weights_sha256"]) == 64
    held = card["metrics"]["held_out_composites"]
    assert {"accuracy", "precision", "recall"} <= set(held)


@pytest.mark.models
def test_read_slate_on_rendered_slate() -> None:
    from rushes.triage.slate.ocr import read_slate

    ocr = _ocr()
    img = render_slate(FIELDS, (640, 480), rng=np.random.default_rng(1))
    r = read_slate(img, ocr=ocr)
    assert (r.value("roll"), r.value("scene"), r.value("take")) == ("A004", "12A", "3")
    assert r.value("prod") == "NIGHT FERRY" and r.value("director") == "J. OKAFOR"
    assert r.fields["scene"].confidence > 0.8 and r.fields["scene"].source == "label"
    assert r.char_count > 30 and r.vocabulary_hits >= 5 and r.passes == 1 and not r.upside_down
    assert {"fields", "lines", "char_count"} <= set(r.to_dict())
    assert set(r.confidences()) == {"prod", "roll", "scene", "take", "director", "camera", "date"}


@pytest.mark.models
def test_read_slate_turns_tail_slates_round() -> None:
    from rushes.triage.slate.ocr import read_slate

    ocr = _ocr()
    img = render_slate(FIELDS, (640, 480), upside_down=True, rng=np.random.default_rng(2))
    auto = read_slate(img, upside_down=None, ocr=ocr)
    assert auto.upside_down and auto.passes == 2
    assert (auto.value("roll"), auto.value("scene"), auto.value("take")) == ("A004", "12A", "3")
    told = read_slate(img, upside_down=True, ocr=ocr)
    assert told.passes == 1 and told.value("scene") == "12A"


@pytest.mark.models
def test_classifier_separates_slates_from_hard_negatives() -> None:
    from rushes.triage.slate import synth

    clf = _classifier()
    rng = np.random.default_rng(11)
    pos, tail, neg = [], [], []
    for _ in range(12):
        bg = synth.synthetic_background(rng, (704, 396))
        pos.append(synth.composite(bg, rng, scale=(0.4, 0.9), strength=0.5).image)
        tail.append(synth.composite(bg, rng, scale=(0.4, 0.9), strength=0.5, upside_down=True).image)
        neg.append(synth.negative_frame(bg, rng).image)
    pos.append(render_slate(FIELDS, (640, 360), rng=np.random.default_rng(3)))
    p = clf.predict(pos + tail + neg)
    p_slate = p[:, 1] + p[:, 2]
    n = len(pos)
    thr = clf.threshold
    assert np.mean(p_slate[:n] >= thr) >= 0.8
    assert np.mean(p_slate[n:n + 12] >= thr) >= 0.8
    assert np.mean(p_slate[n + 12:] < thr) >= 0.8
    detected_tails = p[n:n + 12][p_slate[n:n + 12] >= thr]
    assert np.mean(detected_tails[:, 2] > detected_tails[:, 1]) >= 0.7
    assert clf.model_id.startswith("slate-head@") and "mobilenetv2@" in clf.model_id


def test_value_cells_lie_under_their_labels_or_right_of_sideways_ones() -> None:
    from rushes.triage.slate.layout import LabelHit, value_cell

    row = [LabelHit("roll", "ROLL", 1.0, (100, 100, 180, 130), 0),
           LabelHit("scene", "SCENE", 1.0, (400, 100, 500, 130), 1),
           LabelHit("take", "TAKE", 1.0, (700, 100, 780, 130), 2),
           LabelHit("director", "DIRECTOR", 1.0, (100, 300, 260, 330), 3)]
    x0, y0, x1, y1 = value_cell(row, 1)
    # from its own column to TAKE's; nothing below it (DIRECTOR is under ROLL): six label heights
    assert (x0, y0, y1) == (391.0, 130, 310) and x1 == pytest.approx(691.0)
    assert value_cell(row, 0)[3] == 300  # the roll box ends at the DIRECTOR label below it
    assert value_cell(row, 2)[2] == pytest.approx(700 + 1.4 * 300)  # last label of the row: one column wide
    sideways = [LabelHit("scene", "SCENE", 1.0, (300, 280, 340, 380), 0),
                LabelHit("take", "TAKE", 1.0, (540, 280, 580, 372), 1)]
    x0, y0, x1, y1 = value_cell(sideways, 0)
    assert x0 > 340 and x1 < 540 and y0 < 280 and y1 > 380


@pytest.mark.models
def test_values_the_full_read_missed_are_read_in_their_box() -> None:
    """Big single hand-written characters are missed by the text detector at full size now and
    then; reading the box under the label again finds them (rendered training-style slates)."""
    from rushes.triage.slate.evaluate import generated_items
    from rushes.triage.slate.ocr import OcrSettings, SlateOcr, read_slate

    ocr = _ocr()
    off = SlateOcr(OcrSettings(cell_height=0))
    right = {True: 0, False: 0}
    reads = 0
    for _name, image, truth in generated_items(20, 0, style="varied"):
        for cells, engine in ((True, ocr), (False, off)):
            r = read_slate(image, ocr=engine)
            right[cells] += sum(r.value(f) == truth.get(f) for f in ("roll", "scene", "take"))
            if cells:
                reads += r.cell_reads
            else:
                assert r.cell_reads == 0
    assert reads > 0 and right[True] >= right[False] + 3, right
