"""Slate field normalisation, label vocabulary, layout parsing and event merging (no models)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from rushes.triage.slate.events import EventBuilder, sharpness
from rushes.triage.slate.fields import (
    label_field,
    normalise_roll,
    normalise_scene,
    normalise_take,
    parse_camera_filename,
    roll_matches_filename,
)
from rushes.triage.slate.layout import lines_from_boxes, parse_layout


@pytest.mark.parametrize(("raw", "want"), [
    ("12A", "12A"), (" 12 a ", "12A"), ("7C", "7C"), ("1O2", "102"), ("12B", "12B"), ("O4", "4"),
    ("X12", "X12"), ("47b", "47B"), ("I", "1"), ("S", None), ("", None), ("00WzW", None), ("0", None),
    # a letter between two digits is a misread digit (a round hand-written 0 read as C)
    ("1C6", "106"), ("1S6", "156"), ("12AB", "12AB"),
])
def test_normalise_scene(raw: str, want: str | None) -> None:
    assert normalise_scene(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("3", "3"), ("O3", "3"), ("03", "3"), ("l", "1"), ("12", "12"), ("3A", "3"), ("ab", None), ("1234", None),
])
def test_normalise_take(raw: str, want: str | None) -> None:
    assert normalise_take(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("A004", "A004"), ("AOO4", "A004"), ("AO04", "A004"), ("4", "4"), ("004", "004"), ("#4", "4"),
    ("A-004", "A004"), ("B12", "B12"), ("", None), ("ROLL", None),
    # a round hand-written 0 read as C after the camera letter; C stays a camera letter first
    ("BCC9", "B009"), ("A0C4", "A004"), ("C027", "C027"), ("CC12", "C012"), ("C", None),
    # a hand-written camera letter B read as 8 before a zero-padded roll number
    ("8004", "B004"), ("8017", "B017"), ("804", "804"), ("1004", "1004"), ("8123", "8123"),
])
def test_normalise_roll(raw: str, want: str | None) -> None:
    assert normalise_roll(raw) == want


@pytest.mark.parametrize(("token", "field"), [
    ("ROLL", "roll"), ("SCENE", "scene"), ("SC", "scene"), ("Sc.", "scene"), ("TK", "take"), ("TARE", "take"),
    ("TAKW", "take"), ("PROD.", "prod"), ("PRODUCTION", "prod"), ("DIRECTOR:", "director"), ("DIR", "director"),
    ("DIREcron", "director"), ("CAMERA", "camera"), ("CAMERN", "camera"), ("CAM", "camera"), ("DATE", "date"),
    ("Slate", None), ("SESSION", None), ("S", None), ("12A", None), ("TC", None),
    # the box's rule read as a letter stuck to the label (a small board read on a zoomed crop)
    ("ITAKE", "take"), ("lPROD", "prod"), ("SCENEl", "scene"), ("IRoll", "roll"), ("ISC", None),
])
def test_label_vocabulary(token: str, field: str | None) -> None:
    hit = label_field(token)
    assert (hit[0] if hit else None) == field


def test_camera_file_names_and_roll_check() -> None:
    assert parse_camera_filename("A004C012_230412_R1AB.mov") == parse_camera_filename("/x/A004C012_230412_R1AB.MOV")
    p = parse_camera_filename("A004C012_230412_R1AB.mov")
    assert p is not None and (p.camera, p.roll, p.clip, p.roll_label) == ("A", 4, 12, "A004")
    red = parse_camera_filename("B001_C003_0101AB.R3D")
    assert red is not None and (red.camera, red.roll, red.clip) == ("B", 1, 3)
    bm = parse_camera_filename("A001_08121432_C003.braw")
    assert bm is not None and (bm.roll, bm.clip) == (1, 3)
    assert parse_camera_filename("holiday.mp4") is None
    assert roll_matches_filename("A004", "A004C012_230412_R1AB.mov") is True
    assert roll_matches_filename("4", "A004C012_230412_R1AB.mov") is True
    assert roll_matches_filename("AOO4", "A004C012_230412_R1AB.mov") is True
    assert roll_matches_filename("A005", "A004C012_230412_R1AB.mov") is False
    assert roll_matches_filename("B004", "A004C012_230412_R1AB.mov") is False
    assert roll_matches_filename(None, "A004C012_230412_R1AB.mov") is None
    assert roll_matches_filename("4", "holiday.mp4") is None


def _lines(*items: tuple[str, tuple[float, float, float, float]]) -> list:  # type: ignore[type-arg]
    quads = [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for _t, (x0, y0, x1, y1) in items]
    return lines_from_boxes(quads, [t for t, _b in items], [0.95] * len(items))


def test_layout_grid_with_merged_values() -> None:
    # the demo slate as RapidOCR reads it: labels on top of the boxes, the three values merged in
    # one line whose character boxes tell which box each character is in
    lines = _lines(
        ("PROD", (17, 167, 101, 194)), ("NIGHT FERRY", (211, 157, 580, 204)),
        ("ROLL", (19, 211, 92, 237)), ("SCENE", (199, 209, 297, 238)), ("TAKE", (445, 212, 518, 237)),
        ("DIRECTOR", (19, 363, 163, 389)), ("J. OKAFOR", (223, 346, 543, 405)),
        ("CAMERA", (19, 427, 141, 453)), ("B", (180, 424, 205, 455)),
        ("DATE", (279, 425, 368, 455)), ("22 NOV 2026", (446, 428, 617, 453)),
    )
    xs = [(25, 75), (75, 115), (115, 156), (156, 205), (229, 286), (289, 346), (370, 426), (510, 568)]
    chars = [[(c, 0.99, [(a, 232), (b, 232), (b, 353), (a, 353)]) for c, (a, b) in zip("A00412A3", xs)]]
    lines += lines_from_boxes([[(25, 232), (568, 232), (568, 353), (25, 353)]], ["A00412A 3"], [0.97], chars)
    fields, labels = parse_layout(lines)
    got = {k: v.value for k, v in fields.items()}
    assert got == {"prod": "NIGHT FERRY", "roll": "A004", "scene": "12A", "take": "3", "director": "J. OKAFOR",
                   "camera": "B", "date": "22 NOV 2026"}
    assert {lab.field for lab in labels} == {"prod", "roll", "scene", "take", "director", "camera", "date"}
    assert all(v.source == "label" and 0 < v.confidence <= 1 for v in fields.values())


def test_layout_inline_and_run_together_labels() -> None:
    lines = _lines(("SCENE12A", (10, 10, 210, 40)), ("TK: 4", (260, 10, 360, 40)), ("ROLL B007", (400, 10, 560, 40)))
    fields, _ = parse_layout(lines)
    assert (fields["scene"].value, fields["take"].value, fields["roll"].value) == ("12A", "4", "B007")


def test_layout_positional_fallback_without_labels() -> None:
    # labels printed sideways are not read: the row of big codes still gives roll/scene/take
    lines = _lines(("4", (60, 100, 100, 180)), ("7C", (260, 100, 340, 180)), ("3", (480, 100, 520, 180)),
                   ("Matt Madoni", (60, 220, 400, 250)))
    fields, labels = parse_layout(lines)
    assert not labels
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("4", "7C", "3")
    assert fields["scene"].source == "position" and fields["scene"].confidence < 0.7


def test_layout_two_positional_codes_are_typed_by_their_shape() -> None:
    # two codes without labels: "A2 | 99C" is a roll and a scene (a take is a number) ...
    lines = _lines(("A2", (60, 100, 120, 180)), ("99C", (260, 100, 360, 180)))
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields.get("take")) == ("A2", "99C", None)
    # ... "12A | 3" stays scene and take
    lines = _lines(("12A", (60, 100, 160, 180)), ("3", (260, 100, 300, 180)))
    fields, _labels = parse_layout(lines)
    assert (fields.get("roll"), fields["scene"].value, fields["take"].value) == (None, "12A", "3")


def _merged(text: str, x0: float, step: float, y: tuple[float, float]) -> list:  # type: ignore[type-arg]
    """One OCR line of big characters, each ``step`` wide, as RapidOCR reads merged values."""
    chars = [[(ch, 0.99, [(x0 + i * step, y[0]), (x0 + (i + 1) * step, y[0]), (x0 + (i + 1) * step, y[1]),
                          (x0 + i * step, y[1])]) for i, ch in enumerate(text)]]
    quad = [[(x0, y[0]), (x0 + len(text) * step, y[0]), (x0 + len(text) * step, y[1]), (x0, y[1])]]
    return lines_from_boxes(quad, [text], [0.97], chars)


def test_layout_unlabelled_roll_beside_labelled_scene_and_take() -> None:
    # the ROLL label unread ("OL"); one merged line "1125C15": SCENE and TAKE take "25C" and "15"
    # through their labels, and the stretch left of SCENE's value is the roll
    lines = _lines(("OL", (30, 0, 60, 30)), ("SCENE", (150, 0, 250, 30)), ("TAKE", (365, 0, 445, 30)))
    lines += _merged("1125C15", 10, 70, (40, 200))
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("11", "25C", "15")
    assert fields["roll"].source == "position" and fields["scene"].source == "label"


def test_layout_a_column_rule_read_as_a_digit_is_not_the_take() -> None:
    # TAKE misread as "AKE": the line right of the scene holds a rule read as "3" and the take 21
    lines = _lines(("ROLL", (0, 0, 100, 30)), ("SCENE", (250, 0, 380, 30)), ("AKE", (600, 0, 680, 30)),
                   ("D007", (0, 60, 250, 160)), ("98", (290, 40, 530, 200)))
    lines += lines_from_boxes([[(600, 40), (960, 40), (960, 200), (600, 200)]], ["3 21"], [0.97],
                              [[("3", 0.99, [(600, 40), (640, 40), (640, 200), (600, 200)]),
                                ("2", 0.99, [(760, 40), (860, 40), (860, 200), (760, 200)]),
                                ("1", 0.99, [(860, 40), (960, 40), (960, 200), (860, 200)])]])
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("D007", "98", "21")


def test_layout_smaller_roll_left_of_scene_and_take() -> None:
    # no code labels read; the roll is written half as high as scene and take
    lines = _lines(("A024", (560, 280, 730, 370)), ("2D", (730, 220, 1020, 430)), ("11", (1010, 245, 1180, 425)))
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("A024", "2D", "11")


def test_layout_short_label_run_into_its_value_and_nearest_run_wins() -> None:
    # "sc93" is SCENE + 93; the take's "33" further right (its label unread) is not the scene
    lines = lines_from_boxes([[(540, 355), (950, 355), (950, 576), (540, 576)]], ["sc93 33"], [0.9],
                             [[(c, 0.9, [(x, 355), (x + 50, 355), (x + 50, 576), (x, 576)])
                               for c, x in zip("sc93", (540, 590, 640, 690), strict=True)]
                              + [(c, 0.99, [(x, 355), (x + 50, 355), (x + 50, 576), (x, 576)])
                                 for c, x in zip("33", (850, 900), strict=True)]])
    fields, labels = parse_layout(lines)
    assert [lab.field for lab in labels] == ["scene"]
    assert fields["scene"].value == "93"


def test_layout_tilted_slate_is_levelled() -> None:
    angle = np.radians(12)
    c, s = np.cos(angle), np.sin(angle)

    def rot(box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
        x0, y0, x1, y1 = box
        return [(x * c - y * s, x * s + y * c) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]

    items = [("ROLL", (19, 211, 92, 237)), ("SCENE", (199, 209, 297, 238)), ("TAKE", (445, 212, 518, 237)),
             ("A004", (25, 250, 205, 340)), ("12A", (229, 250, 426, 340)), ("3", (510, 250, 568, 340)),
             ("DIRECTOR", (19, 363, 163, 389)), ("R. HALE", (223, 360, 543, 392))]
    lines = lines_from_boxes([rot(b) for _t, b in items], [t for t, _b in items], [0.9] * len(items))
    fields, _ = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("A004", "12A", "3")
    assert fields["director"].value == "R. HALE"


def test_event_builder_merges_within_two_seconds_and_bounds_memory() -> None:
    b = EventBuilder(threshold=0.5, merge_gap_s=2.0, top_k=2)
    img = np.zeros((8, 8, 3), np.uint8)
    yes, no = np.array([0.1, 0.9, 0.0], np.float32), np.array([0.9, 0.05, 0.05], np.float32)
    tail = np.array([0.05, 0.1, 0.85], np.float32)
    for t, p in [(0, no), (1, yes), (2, yes), (3, no), (4, yes), (5, yes), (8, no), (9, tail), (10, tail)]:
        b.add(Fraction(t), p, img)
    assert [(e.start, e.end, e.frames) for e in b.events] == [(1, 5, 4), (9, 10, 2)]
    assert all(len(e.candidates) <= 2 for e in b.events)
    assert b.events[0].tail_vote < 0.2 < 0.8 < b.events[1].tail_vote
    assert (b.samples, b.detections) == (9, 6)


def test_tile_detections_do_not_move_a_board_seen_whole() -> None:
    b = EventBuilder(threshold=0.5, merge_gap_s=2.0, top_k=3)
    img = np.zeros((8, 8, 3), np.uint8)
    whole, tile = np.array([0.1, 0.8, 0.1], np.float32), np.array([0.01, 0.98, 0.01], np.float32)
    # clutter seen in a tile at 1 s and 2 s, the board seen whole from 3 s to 5 s, a tile at 6 s
    for t, p, is_tile in [(1, tile, True), (2, tile, True), (3, whole, False), (4, whole, False),
                          (5, whole, False), (6, tile, True)]:
        b.add(Fraction(t), p, img, tile=is_tile)
    (ev,) = b.events
    assert (ev.start, ev.end) == (1, 6) and ev.span == (3, 5)
    assert ev.frames == 6 and ev.tile_frames == 3 and not ev.tiles_only
    assert ev.score == pytest.approx(0.9)  # the whole-frame score, not the tile's 0.99
    assert all(c.p_slate == pytest.approx(0.9) for c in ev.ocr_order())  # frames seen whole first
    # tiles alone: an event of their own, with the tile span and score (OCR must confirm it)
    b.add(Fraction(20), tile, img, tile=True)
    b.add(Fraction(21), tile, img, tile=True)
    last = b.events[-1]
    assert last.tiles_only and last.span == (20, 21) and last.score == pytest.approx(0.99)
    # a tile below the whole-frame threshold is still a detection: the caller held it to its own
    assert b.add(Fraction(40), np.array([0.7, 0.2, 0.1], np.float32), img, tile=True)


def test_sharpness_prefers_detail() -> None:
    rng = np.random.default_rng(0)
    sharp = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert sharpness(sharp) > sharpness(flat) == 0.0


def test_slate_evidence_and_orientation_from_a_reading() -> None:
    from rushes.triage.slate.layout import empty_fields
    from rushes.triage.slate.ocr import SlateReading

    # a board with its labels printed sideways: no label read, but a row of codes by position
    lines = _lines(("4", (60, 100, 100, 180)), ("7C", (260, 100, 340, 180)), ("3", (480, 100, 520, 180)))
    fields, labels = parse_layout(lines)
    codes = SlateReading({**empty_fields(), **fields}, lines, labels)
    assert codes.vocabulary_hits == 0 and codes.code_count() == 3 and codes.looks_like_a_slate()
    # a caption (a watermark, a sign) is no slate evidence
    caption = _lines(("Copyright 2013 Brandon Castellano", (40, 300, 600, 330)))
    f2, l2 = parse_layout(caption)
    assert not SlateReading({**empty_fields(), **f2}, caption, l2).looks_like_a_slate()
    # head or tail: settled by labels, or by a clear line-score margin when read both ways
    assert not codes.orientation_known()
    codes.passes, codes.orientation_margin = 2, 0.15
    assert codes.orientation_known()
    codes.orientation_margin = 0.03
    assert not codes.orientation_known()


def test_sideways_labels_take_their_value_from_the_right_and_sideways_print_is_no_code() -> None:
    # the real r1c1 board as RapidOCR reads it: ROLL, SCENE and TAKE printed up the left edge of
    # their boxes; only TAKE is read as a label, SCENE's print comes out as "00uzw"; the FPS box
    # three rows below the take holds "3o"
    lines = _lines(
        ("4", (308, 180, 364, 243)), ("00uzw", (418, 169, 440, 256)), ("7C", (487, 177, 602, 250)),
        ("TAKE", (738, 167, 761, 239)), ("3", (815, 188, 865, 252)), ("3o", (876, 456, 939, 496)),
    )
    fields, labels = parse_layout(lines)
    assert [lab.field for lab in labels] == ["take"]
    assert fields["take"].value == "3" and fields["take"].source == "label"  # not the "30" below
    assert (fields["roll"].value, fields["scene"].value) == ("4", "7C")  # by position, "00uzw" left out


def test_positional_codes_realigned_to_the_camera_file_roll() -> None:
    from rushes.triage.slate.layout import realign_to_filename

    # "A2 | 92" read by position as scene A2, take 92; the file is camera A roll 2: roll and scene
    fields, _labels = parse_layout(_lines(("A2", (60, 100, 120, 180)), ("92", (260, 100, 330, 180))))
    assert (fields["scene"].value, fields["take"].value) == ("A2", "92")
    out = realign_to_filename(fields, "A002C018_261123_R9QB.mp4")
    assert (out["roll"].value, out["scene"].value, out["take"].value) == ("A2", "92", None)
    assert out["roll"].source == "position"
    # another roll, another camera, a bare number, or no camera name: nothing moves
    for name in ("A003C018_261123_R9QB.mp4", "B002C018_261123_R9QB.mp4", "holiday.mp4"):
        assert realign_to_filename(fields, name) == fields
    bare, _labels = parse_layout(_lines(("2", (60, 100, 100, 180)), ("92", (260, 100, 330, 180))))
    assert realign_to_filename(bare, "A002C018_261123_R9QB.mp4") == bare
    # a scene read next to its label is never moved
    labelled, _labels = parse_layout(_lines(("SCENE", (60, 60, 160, 90)), ("A2", (60, 100, 120, 180))))
    assert labelled["scene"].source == "label"
    assert realign_to_filename(labelled, "A002C018_261123_R9QB.mp4") == labelled


def _glyph_line(text: str, boxes: list[tuple[float, float]], y: tuple[float, float]) -> list:  # type: ignore[type-arg]
    """One OCR line whose non-space characters have the given x extents."""
    chars = [(ch, 0.99, [(a, y[0]), (b, y[0]), (b, y[1]), (a, y[1])])
             for ch, (a, b) in zip(text.replace(" ", ""), boxes, strict=True)]
    x0, x1 = boxes[0][0], boxes[-1][1]
    return lines_from_boxes([[(x0, y[0]), (x1, y[0]), (x1, y[1]), (x0, y[1])]], [text], [0.97], [chars])


def test_layout_hand_written_digits_apart_in_a_big_box_are_one_take() -> None:
    # "C022139C17" as RapidOCR boxed it: the take's "1" and "7" stand 48 px apart (more than half
    # a narrow glyph's width, a quarter of its height): one take 17, not 1
    lines = _lines(("ROLL", (90, 340, 188, 386)), ("SCENE", (362, 336, 494, 382)), ("TAKE", (726, 330, 821, 379)))
    lines += _glyph_line("C022139C17", [(100, 181), (178, 234), (232, 285), (283, 365), (378, 459), (457, 538),
                                        (552, 632), (630, 711), (760, 850), (898, 990)], (347, 567))
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("C022", "139C", "17")


def test_layout_a_tokens_drifted_last_character_stays_with_its_token() -> None:
    # "A004 2B 2": the character boxes drift so the roll's last "4" falls in the SC column
    lines = _lines(("ROLL", (206, 163, 274, 197)), ("SC", (384, 161, 425, 195)), ("TK", (569, 160, 609, 194)))
    lines += _glyph_line("A004 2B 2", [(190, 240), (240, 290), (290, 335), (372, 420), (440, 500), (500, 560),
                                       (640, 700)], (200, 340))
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("A004", "2B", "2")


def test_layout_a_misread_code_label_run_into_its_value() -> None:
    # "ROLA006": the label ROL(L) run into the roll A006 (an exact label ROL, not a misread ROLA + 006)
    fields, labels = parse_layout(_lines(("ROLA006", (40, 450, 380, 560)), ("SCENE", (420, 400, 520, 440)),
                                         ("28", (430, 450, 560, 580)), ("TAKE", (620, 400, 700, 440)),
                                         ("1", (640, 450, 690, 580))))
    assert [lab.field for lab in labels][:1] == ["roll"]
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("A006", "28", "1")


def test_layout_dashes_between_unlabelled_codes_separate_them() -> None:
    # the three boxes read as one line "28-122-57" with the small labels lost
    lines = _merged("28-122-57", 80, 110, (340, 600))
    fields, _labels = parse_layout(lines)
    assert (fields["roll"].value, fields["scene"].value, fields["take"].value) == ("28", "122", "57")


def test_layout_a_date_on_the_cameras_row_without_its_label_is_the_date() -> None:
    fields, _labels = parse_layout(_lines(("CAM", (17, 643, 91, 680)), ("D", (181, 627, 255, 699)),
                                          ("17 DEC 2024", (305, 610, 642, 699))))
    assert (fields["camera"].value, fields["date"].value) == ("D", "17 DEC 2024")
    # a date read next to its label stays; the camera still loses the stray date
    fields, _labels = parse_layout(_lines(("CAMERA", (17, 643, 150, 680)), ("B 6/13/27", (181, 627, 500, 699)),
                                          ("DATE", (17, 720, 100, 760)), ("6/13/27", (181, 710, 500, 770))))
    assert (fields["camera"].value, fields["date"].value) == ("B", "6/13/27")


def test_layout_a_name_in_capitals_run_into_the_next_label() -> None:
    fields, labels = parse_layout(_lines(("CAMERA", (20, 100, 150, 140)), ("A. FERREIRADATE", (200, 90, 600, 150)),
                                         ("8/21/27", (620, 90, 800, 150))))
    assert [lab.field for lab in labels] == ["camera", "date"]
    assert (fields["camera"].value, fields["date"].value) == ("A. FERREIRA", "8/21/27")
    # a word of a title that ends like a code label is not split ("MISTAKE" is no TAKE)
    _fields, labels = parse_layout(_lines(("PROD", (20, 0, 100, 40)), ("THE MISTAKE", (150, 0, 500, 40))))
    assert [lab.field for lab in labels] == ["prod"]


def test_the_cameras_value_cell_is_right_of_its_label() -> None:
    from rushes.triage.slate.layout import right_cell

    _fields, labels = parse_layout(_lines(("CAM", (20, 600, 90, 640)), ("DATE", (400, 600, 480, 640))))
    x0, y0, x1, y1 = right_cell(labels, 0)
    assert 90 < x0 < 100 and 390 < x1 < 400 and y0 < 600 and y1 > 640
