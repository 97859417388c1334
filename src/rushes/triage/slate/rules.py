"""The board's vertical rules: the printed lines between the ROLL, SCENE and TAKE boxes.

OCR often reads the three big values as one line (``1615115`` for 16 | 151 | 15) and its
character boxes drift along a long line, so neither the text nor the boxes say where one box
ends. The picture does: a rule is a straight vertical stroke that runs the height of its box,
taller than any character, and usually ends on the horizontal rules above and below.

:func:`vertical_rules` finds such rules crossing a line of text, in the levelled frame the layout
reads in (the image turned so the text is horizontal)::

    spans = vertical_rules(gray, line.box, line.rot)   # [(x_left, x_right), ...] inside the box
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.slate.layout import Box

__all__ = ["levelled_crop", "vertical_rules"]

F32 = npt.NDArray[np.float32]

#: how far around a line's box the picture is examined (share of the box's height, each way)
_REACH = 0.6
#: a rule is inked over at least this share of the box's height, without a break ...
_MIN_RUN = 0.8
#: leans looked along (pixels across per pixel down: about ±7°)
_SLOPES = (0.0, -0.04, 0.04, -0.08, 0.08, -0.12, 0.12)
#: ... and reaches out of the box by this share of its height; or, ending on horizontal rules at
#: both ends, over at least this share (a detector box often holds the labels above the values)
_OUTSIDE = 0.15
_MIN_RUN_FRAMED = 0.5


def levelled_crop(image: npt.NDArray[Any], box: Box, rot: tuple[float, float], border: float = 0.0
                  ) -> npt.NDArray[Any]:
    """The pixels of ``box`` (levelled frame) turned upright: an array of ``image``'s dtype and
    channels, the box's size rounded up; pixels outside the image are ``border``."""
    import cv2

    c, s = rot
    x0, y0, x1, y1 = box
    w, h = max(1, int(np.ceil(x1 - x0))), max(1, int(np.ceil(y1 - y0)))
    # a crop pixel (u, v) is the levelled point (U, V) = (x0 + u, y0 + v); in the image that is
    # x = U c + V s, y = -U s + V c
    m = np.array([[c, s, c * x0 + s * y0], [-s, c, -s * x0 + c * y0]], dtype=np.float64)
    out = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(border, border, border, border))
    return np.asarray(out, dtype=image.dtype)


def _ink(crop: F32, inside: F32, core: tuple[int, int]) -> npt.NDArray[np.bool_]:
    """Pixels that stand out from the board: far from the median of the line's own rows."""
    rows = crop[core[0]:core[1]][inside[core[0]:core[1]] > 0.5]
    if rows.size < 16:
        return np.zeros(crop.shape, bool)
    bg = float(np.median(rows))
    diff = np.abs(crop - bg)
    thr = max(24.0, 0.45 * float(np.percentile(diff[inside > 0.5], 98)))
    return np.asarray((diff > thr) & (inside > 0.5))


def _runs(ink: npt.NDArray[np.bool_], mid: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Per column, the first and last row of the unbroken inked run through row ``mid``
    (``mid, mid - 1`` where ``mid`` is not inked)."""
    h, w = ink.shape
    top = np.full(w, mid, np.intp)
    bottom = np.full(w, mid - 1, np.intp)
    alive = ink[mid].copy()
    bottom[alive] = mid
    for y in range(mid - 1, -1, -1):
        alive &= ink[y]
        if not alive.any():
            break
        top[alive] = y
    alive = ink[mid].copy()
    for y in range(mid + 1, h):
        alive &= ink[y]
        if not alive.any():
            break
        bottom[alive] = y
    return top, bottom


def _shear(ink: npt.NDArray[np.bool_], slope: float, mid: int) -> npt.NDArray[np.bool_]:
    """``ink`` with row ``y`` shifted by ``slope * (y - mid)`` pixels (a line of that lean upright)."""
    import cv2

    m = np.array([[1.0, slope, -slope * mid], [0.0, 1.0, 0.0]], dtype=np.float64)
    out = cv2.warpAffine(ink.astype(np.uint8), m, (ink.shape[1], ink.shape[0]),
                         flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=(0.0,))
    return np.asarray(out, bool)


def _rule_columns(ink: npt.NDArray[np.bool_], mid: int, top_row: int, bottom_row: int, h: float
                  ) -> npt.NDArray[np.bool_]:
    """Columns of ``ink`` (upright) that hold a rule: see :func:`vertical_rules`."""
    import cv2

    # bridge chalk texture along a rule, and the pixel or two a rule still leans
    ink8 = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 1), np.uint8))
    closed = cv2.dilate(ink8, np.ones((1, 3), np.uint8)).astype(bool)
    top, bottom = _runs(closed, mid)
    length = bottom - top + 1
    out = _OUTSIDE * h
    # both ways: a letter's stem that touches a rule below the line (the F of "OF" on the rule
    # under the PROD row, which meets a box's rule) reaches out one way only
    reaches = (top <= top_row - out) & (bottom >= bottom_row + out)
    # a horizontal rule at each end: the run ends on a horizontal stroke at least a box height
    # long (a letter's bar is shorter); thickened up and down first, for a rule that is a degree
    # or two off level
    long = int(max(4, h))
    flat = cv2.dilate(ink.astype(np.uint8), np.ones((9, 1), np.uint8))
    flat = cv2.morphologyEx(flat, cv2.MORPH_OPEN, np.ones((1, long), np.uint8)).astype(bool)
    width = closed.shape[1]
    ends = np.zeros(width, bool)
    for x in np.nonzero(length >= _MIN_RUN_FRAMED * h)[0]:
        a, b = max(0, x - 2), x + 3
        ends[x] = bool(flat[max(0, top[x] - 4):top[x] + 5, a:b].any()) and bool(
            flat[max(0, bottom[x] - 4):bottom[x] + 5, a:b].any())
    return np.asarray(((length >= _MIN_RUN * h) & reaches) | ends)


def vertical_rules(gray: npt.NDArray[np.uint8], box: Box, rot: tuple[float, float] = (1.0, 0.0)
                   ) -> list[tuple[float, float]]:
    """Left and right x (levelled frame) of the vertical rules crossing the line of text in ``box``.

    ``gray``: the image as one channel (uint8); ``box`` and ``rot``: a line's
    :attr:`~rushes.triage.slate.layout.OcrLine.box` and rotation. A rule is a column inked without
    a break (bridging 2-pixel gaps of chalk texture) through the line's middle, that reaches 0.15
    of the box's height out of the box both ways (over at least 0.8 of that height), or ends both
    ways on a horizontal rule a box height long (over at least half of it), looked for along
    columns leaning up to ±7°; only rules at least 0.3 box heights inside the box's ends count (the
    board's edge is no separator). Empty when there is none.
    """
    x0, y0, x1, y1 = box
    h = y1 - y0
    if h < 8 or x1 - x0 < 2 * h * 0.3:
        return []
    reach = _REACH * h
    region = (x0, y0 - reach, x1, y1 + reach)
    crop = levelled_crop(gray.astype(np.float32), region, rot)
    inside = levelled_crop(np.ones(gray.shape[:2], np.float32), region, rot)
    top_row, bottom_row = int(round(reach)), int(round(reach + h))
    ink = _ink(crop, inside, (top_row, bottom_row))
    if not ink.any():
        return []
    mid = (top_row + bottom_row) // 2
    is_rule = np.zeros(ink.shape[1], bool)
    # a board seen at an angle leans its rules a few degrees from the text's vertical: look along
    # slightly slanted columns too (all pass through the line's middle row at the same x)
    for slope in _SLOPES:
        sheared = ink if slope == 0 else _shear(ink, slope, mid)
        is_rule |= _rule_columns(sheared, mid, top_row, bottom_row, h)
    width = is_rule.shape[0]
    margin = int(0.3 * h)
    is_rule[:margin] = False
    is_rule[max(margin, width - margin):] = False
    xs: list[tuple[float, float]] = []
    start: int | None = None
    for x in range(width + 1):
        on = x < width and bool(is_rule[x])
        if on and start is None:
            start = x
        elif not on and start is not None:
            # a rule is thin: a wide inked block (a filled shape, a blot) is not one
            if x - start <= max(4, int(0.25 * h)):
                xs.append((x0 + start, x0 + x - 1))
            start = None
    return xs
