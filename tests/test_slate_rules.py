"""The board's vertical rules: found between the ROLL / SCENE / TAKE boxes (upright and tilted,
leaning), not in characters; a line merged across them is cut there and each part read again."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rushes.triage.slate.layout import OcrLine, lines_from_boxes
from rushes.triage.slate.rules import vertical_rules

RULES_X = (300, 620)


def _board(text: tuple[str, str, str] = ("28", "122", "57")) -> np.ndarray:
    """A light board: three boxes ruled in black, each with a big value; the PROD row under them
    holds a word whose letters touch nothing."""
    import cv2

    img = np.full((520, 960), 225, np.uint8)
    cv2.rectangle(img, (20, 60), (940, 330), 20, 4)
    for x in RULES_X:
        cv2.line(img, (x, 60), (x, 330), 20, 4)
    cv2.line(img, (20, 450), (940, 450), 20, 4)
    for s, x in zip(text, (60, 360, 680), strict=True):
        cv2.putText(img, s, (x, 290), cv2.FONT_HERSHEY_SIMPLEX, 5.0, 30, 14)
    cv2.putText(img, "PROD 1ST UNIT", (60, 420), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 5)
    return img


def test_rules_between_the_boxes_are_found_and_strokes_of_digits_are_not() -> None:
    gray = _board(("11", "111", "17"))  # the "1"s are tall straight strokes too
    spans = vertical_rules(gray, (40.0, 150.0, 920.0, 300.0))
    centres = [(a + b) / 2 for a, b in spans]
    assert len(centres) == 2
    assert all(abs(c - x) <= 4 for c, x in zip(centres, RULES_X, strict=True))


def test_no_rule_crosses_a_line_of_words() -> None:
    assert vertical_rules(_board(), (40.0, 360.0, 920.0, 440.0)) == []


@pytest.mark.parametrize("degrees", [-6.0, 5.0])
def test_rules_of_a_tilted_board_are_found_in_the_levelled_frame(degrees: float) -> None:
    import cv2

    gray = _board()
    h, w = gray.shape
    # the board turned about its centre (image y down: positive degrees turn it anticlockwise)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    turned = cv2.warpAffine(gray, m, (w, h), borderValue=(120.0,))
    quad = np.array([[40, 150, 1], [920, 150, 1], [920, 300, 1], [40, 300, 1]], np.float64) @ m.T
    texts = ["28122 57"]
    # the layout levels a line by its top edge's angle: the same rotation the parser uses
    line = lines_from_boxes([quad.tolist()], texts, [0.9])[0]
    spans = vertical_rules(turned, line.box, line.rot)
    assert len(spans) == 2
    # the rules sit at the same distance along the levelled line as on the upright board
    assert abs(math.degrees(math.atan2(line.rot[1], line.rot[0])) - degrees) < 0.5
    starts = sorted((a0 + b0) / 2 - line.box[0] for a0, b0 in spans)
    assert all(abs(s - (x - 40)) <= 8 for s, x in zip(starts, RULES_X, strict=True))


def test_a_leaning_rule_is_still_a_rule() -> None:
    import cv2

    gray = np.full((400, 900), 230, np.uint8)
    cv2.rectangle(gray, (10, 40), (890, 360), 20, 3)
    cv2.line(gray, (430, 40), (455, 360), 20, 3)  # ~4.5 degrees off vertical (a board seen at an angle)
    cv2.putText(gray, "A4", (80, 280), cv2.FONT_HERSHEY_SIMPLEX, 5.0, 30, 12)
    cv2.putText(gray, "12A", (520, 280), cv2.FONT_HERSHEY_SIMPLEX, 5.0, 30, 12)
    spans = vertical_rules(gray, (30.0, 120.0, 880.0, 300.0))
    assert len(spans) == 1 and 425 <= (spans[0][0] + spans[0][1]) / 2 <= 460


def _part(text: str, x0: float, x1: float) -> OcrLine:
    return lines_from_boxes([[(x0, 0), (x1, 0), (x1, 100), (x0, 100)]], [text], [0.9])[0]


def test_parts_take_the_first_readings_characters_where_they_agree() -> None:
    from rushes.triage.slate.ocr import _first_reading

    out = _first_reading("35E20", [_part("35E", 0, 300), _part("2C", 320, 600)])
    assert [p.text for p in out] == ["35E", "20"]
    # a rule read as "1" at the edge of a part drops out
    out = _first_reading("035144B", [_part("1035", 0, 300), _part("144B", 320, 600)])
    assert [p.text for p in out] == ["035", "144B"]
    assert all(g.box[0] >= 320 for g in out[1].glyphs)
    # a first reading far from the parts (read badly as a whole) is not used
    parts = [_part("D004", 0, 200), _part("138", 220, 400), _part("18", 420, 600)]
    assert [p.text for p in _first_reading("D0413Bx18", parts)] == ["D004", "138", "18"]


def test_values_read_as_one_line_across_the_rules_are_cut_at_them() -> None:
    pytest.importorskip("rapidocr")
    pytest.importorskip("onnxruntime")
    from rushes.triage.slate.evaluate import generated_items
    from rushes.triage.slate.ocr import OcrSettings, read_slate, slate_ocr

    # a training-style board (rendered, seed 0, #7): OCR reads "A007 92E22" over the three boxes,
    # with none of the small ROLL / SCENE / TAKE labels
    name, image, truth = generated_items(8, 0)[7]
    ocr = slate_ocr(OcrSettings())
    assert any("92E22" in ln.text.replace(" ", "") for ln in ocr.lines(image)), name
    reading = read_slate(image, ocr=ocr)
    assert (reading.value("roll"), reading.value("scene"), reading.value("take")) == (
        truth["roll"], truth["scene"], truth["take"])
    assert reading.cell_reads >= 2
    off = read_slate(image, ocr=slate_ocr(OcrSettings(split_at_rules=False)))
    assert (off.value("roll"), off.value("scene"), off.value("take")) != (truth["roll"], truth["scene"], truth["take"])
