"""Read a slate's fields with RapidOCR (PP-OCR ONNX models shipped inside the ``rapidocr`` wheel).

:func:`read_slate` runs text detection + recognition once on an image (a full-resolution frame or
a crop), keeps per-character boxes, and hands the lines to the layout parser
(:func:`~rushes.triage.slate.layout.parse_layout`)::

    reading = read_slate(frame)                # (H, W, 3) uint8 RGB
    reading.value("scene"), reading.fields["take"].confidence, reading.char_count

Engine settings, chosen on rendered and real slates (see ``docs/slates.md``): the angle
classifier is **off** (it turned upside-down slates into confident nonsense), text detection runs
on the image scaled so its longest side is :attr:`OcrSettings.det_side` (small frames are
upscaled first — small slates read much better), and ONNX Runtime uses
:func:`rushes.models.base.worker_threads` intra-op threads with one inter-op thread. The model
files are passed explicitly, so the ids in :func:`ocr_model_id` are the hashes of the files that
actually run. One engine per settings is loaded lazily, once per process, behind a lock.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from importlib import metadata
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.models.base import LazyModel, file_sha256, package_file, worker_threads
from rushes.triage.distance import levenshtein
from rushes.triage.slate.fields import FIELDS, label_field
from rushes.triage.slate.layout import (
    Box,
    FieldValue,
    LabelHit,
    OcrGlyph,
    OcrLine,
    empty_fields,
    lines_from_boxes,
    normalise_value,
    parse_layout,
    right_cell,
    value_cell,
)
from rushes.triage.slate.rules import levelled_crop, vertical_rules

__all__ = ["OcrSettings", "SlateOcr", "SlateReading", "ocr_model_id", "read_slate", "slate_ocr"]

_PIP = "pip install 'rushes[triage]' (pip package rapidocr==3.10.0 and onnxruntime)"
_DET_FILE = "PP-OCRv6_det_small.onnx"
_REC_FILE = "PP-OCRv6_rec_small.onnx"

UInt8Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class OcrSettings:
    """How the OCR engine is run (part of the analyzer's cache key through its params)."""

    det_side: int = 1280
    """Text detection input for small images: they are upscaled so their longest side is this
    (at most ×3), and detected at this size."""
    det_side_large: int = 960
    """Images larger than ``det_side`` (a 1080p or UHD frame) are detected at this longest side
    — PaddleOCR's own default limit — and recognised on crops of the full-resolution image.
    Measured on a generated 1080p day (17 slates): scene/take read right 16/17 and 17/17 at 960
    against 13/17 and 14/17 at 1280, with 40 % less detection time; small frames keep 1280
    (640×360 real-parts reel: 960 lost 3 of 9 scene/take readings)."""
    box_thresh: float = 0.4
    """Detector box score threshold (PP-OCR default 0.5; a little lower finds faint marker)."""
    text_score: float = 0.3
    """Recognised lines below this score are dropped."""
    cell_height: int = 64
    """Roll / scene / take whose printed label was found but whose value was not (the detector
    misses big single hand-written characters at full size now and then) are read once more on a
    crop of the box under the label, scaled to this height in pixels; 0 = off."""
    split_at_rules: bool = True
    """A line that runs across the board's vertical rules (the ROLL, SCENE and TAKE values read
    as one, ``1615115``) is cut at the rules and each part read again on its own, scaled to
    :attr:`cell_height` (see :mod:`rushes.triage.slate.rules`); counted in ``cell_reads``."""
    zoom_gain: float = 1.6
    """A board small in the frame is read once more on a crop around the text the first read
    found, scaled so the detector sees it at least this many times bigger than in the full frame
    (labels a few pixels high become legible); the richer reading wins. 0 = off."""
    threads: int | None = None
    """Intra-op threads (default :func:`rushes.models.base.worker_threads`)."""


@dataclass
class SlateReading:
    """What OCR read on one slate image."""

    fields: dict[str, FieldValue]
    lines: list[OcrLine]
    labels: list[LabelHit] = field(default_factory=list)
    upside_down: bool = False
    """Whether the image was read rotated by 180° (a tail slate)."""
    passes: int = 1
    """OCR engine runs spent on this reading (2 when both orientations were tried)."""
    cell_reads: int = 0
    """Extra OCR runs on parts of the board: the box under a label whose value the full read
    missed, and the parts of a line cut at the board's rules."""
    zoomed: bool = False
    """The fields come from a second read of a crop around the text (a board small in the frame);
    that read is counted in :attr:`passes`."""
    orientation_margin: float = 0.0
    """When both orientations were read: this reading's mean line score minus the other's (text
    read the wrong way up scores low); 0 when only one was read."""
    elapsed_s: float = 0.0

    @property
    def char_count(self) -> int:
        """Recognised characters (spaces excluded) — the seed's "most informative frame" score."""
        return sum(len(line.text.replace(" ", "")) for line in self.lines)

    @property
    def vocabulary_hits(self) -> int:
        """Distinct slate fields whose printed label was found (ROLL, SCENE, TAKE, ...)."""
        return len({lab.field for lab in self.labels})

    def code_count(self, min_confidence: float = 0.3) -> int:
        """How many of roll, scene and take were read as well-formed codes (next to their labels
        or by position), with at least ``min_confidence``."""
        return sum(1 for f in ("roll", "scene", "take")
                   if (fv := self.fields.get(f)) is not None and fv.value and fv.confidence >= min_confidence)

    def orientation_known(self, min_margin: float = 0.1) -> bool:
        """Whether this reading settles head vs tail: it found printed labels, or it was read both
        ways up and its lines scored clearly (``min_margin``) better than the other way's."""
        return self.vocabulary_hits > 0 or (self.passes >= 2 and self.orientation_margin >= min_margin)

    def complete(self, min_confidence: float = 0.6) -> bool:
        """Roll, scene and take all read next to their labels with fair confidence."""
        return _complete(self.fields, min_confidence)

    def looks_like_a_slate(self) -> bool:
        """Slate evidence in the text: a printed label (ROLL, SCENE, TAKE, ...) or, on boards
        without legible labels, at least two of roll / scene / take read as codes."""
        return self.vocabulary_hits > 0 or self.code_count() >= 2

    def value(self, name: str) -> str | None:
        """Normalised value of field ``name`` (``None`` when not read)."""
        fv = self.fields.get(name)
        return None if fv is None else fv.value

    def confidences(self) -> dict[str, float]:
        """Field name → confidence (0 when not read), for every field in :data:`FIELDS`."""
        return {f: round(self.fields[f].confidence, 4) if f in self.fields and self.fields[f].value else 0.0
                for f in FIELDS}

    def to_dict(self) -> dict[str, Any]:
        """JSON form: fields, raw lines, counts."""
        return {
            "fields": {k: v.to_dict() for k, v in self.fields.items()},
            "lines": [ln.to_dict() for ln in self.lines],
            "labels": [{"field": lab.field, "text": lab.text} for lab in self.labels],
            "char_count": self.char_count,
            "vocabulary_hits": self.vocabulary_hits,
            "upside_down": self.upside_down,
            "passes": self.passes,
            "zoomed": self.zoomed,
            "elapsed_s": round(self.elapsed_s, 4),
        }


def _model_files() -> tuple[Any, Any]:
    det = package_file("rapidocr", "models", _DET_FILE, pip_name="rapidocr==3.10.0")
    rec = package_file("rapidocr", "models", _REC_FILE, pip_name="rapidocr==3.10.0")
    return det, rec


def ocr_model_id() -> str:
    """``rapidocr-<version>@det:<sha16>,rec:<sha16>`` of the model files that run (no loading)."""
    det, rec = _model_files()
    try:
        version = metadata.version("rapidocr")
    except metadata.PackageNotFoundError:  # pragma: no cover - files found but no metadata
        version = "unknown"
    return f"rapidocr-{version}@det:{file_sha256(det)[:16]},rec:{file_sha256(rec)[:16]}"


class SlateOcr:
    """A RapidOCR engine configured for slates; thread-safe (one lock around inference)."""

    def __init__(self, settings: OcrSettings = OcrSettings()) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise ModelNotAvailable(f"slate OCR needs RapidOCR: {_PIP}") from exc
        det, rec = _model_files()
        threads = settings.threads or worker_threads()
        self.settings = settings
        self.model_id = ocr_model_id()
        self._engine = RapidOCR(params={
            "Global.use_cls": False,
            "Global.log_level": "error",
            "Global.text_score": settings.text_score,
            "Global.return_word_box": True,
            "Global.return_single_char_box": True,
            "Global.max_side_len": max(2000, settings.det_side),
            "Det.model_path": str(det),
            "Det.limit_type": "max",
            "Det.limit_side_len": settings.det_side,
            "Det.box_thresh": settings.box_thresh,
            "Rec.model_path": str(rec),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        self._lock = threading.Lock()
        self.calls = 0

    def lines(self, image: UInt8Image) -> list[OcrLine]:
        """OCR lines (with character boxes) of an RGB image, in the image's pixel coordinates."""
        img, scale = self._prepare(image)
        large = max(image.shape[:2]) > self.settings.det_side
        with self._lock:
            # the detector's size limit is read on every call (rapidocr 3.10's TextDetector)
            load = getattr(self._engine, "_load_det_model", None)
            detector = load() if callable(load) else None
            if detector is not None and hasattr(detector, "limit_side_len"):
                detector.limit_side_len = self.settings.det_side_large if large else self.settings.det_side
            # RapidOCR expects OpenCV's BGR order for arrays
            res: Any = self._engine(np.ascontiguousarray(img[..., ::-1]))
            self.calls += 1
        if res is None or res.boxes is None or res.txts is None:
            return []
        quads = [[(float(p[0]) / scale, float(p[1]) / scale) for p in q] for q in res.boxes]
        chars: list[list[tuple[str, float, list[tuple[float, float]]]]] = []
        for line in res.word_results or ():
            chars.append([(str(c[0]), float(c[1]), [(float(p[0]) / scale, float(p[1]) / scale) for p in c[2]])
                          for c in line])
        scores = [float(s) for s in (res.scores or ())]
        return lines_from_boxes(quads, list(res.txts), scores, chars if len(chars) == len(quads) else None)

    def _prepare(self, image: UInt8Image) -> tuple[UInt8Image, float]:
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
        image = image[..., :3]
        side = max(image.shape[:2])
        if side >= self.settings.det_side:
            return image, 1.0
        import cv2

        scale = min(3.0, self.settings.det_side / side)
        big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        return np.asarray(big, dtype=np.uint8), scale


_ENGINES: dict[OcrSettings, LazyModel[SlateOcr]] = {}
_ENGINES_LOCK = threading.Lock()


def slate_ocr(settings: OcrSettings = OcrSettings()) -> SlateOcr:
    """The process-wide OCR engine for ``settings`` (loaded on first use)."""
    with _ENGINES_LOCK:
        lazy = _ENGINES.get(settings)
        if lazy is None:
            name = f"rapidocr-slate-{settings.det_side}-{settings.det_side_large}"
            lazy = LazyModel(name, lambda: SlateOcr(settings))
            _ENGINES[settings] = lazy
    return lazy.get()


def _read_once(ocr: SlateOcr, image: UInt8Image, upside_down: bool) -> SlateReading:
    img = np.ascontiguousarray(image[::-1, ::-1]) if upside_down else image
    lines = ocr.lines(img)
    extra = 0
    fields, labels = parse_layout(lines)
    if ocr.settings.split_at_rules and ocr.settings.cell_height > 0 and lines and not _complete(fields):
        # roll, scene and take not all read next to their labels: the big values may be one line
        lines, extra = _split_at_rules(ocr, img, lines)
        if extra:
            fields, labels = parse_layout(lines)
    full = empty_fields()
    full.update(fields)
    reading = SlateReading(full, lines, labels, upside_down=upside_down, cell_reads=extra)
    if ocr.settings.cell_height > 0 and lines:
        _read_cells(ocr, img, reading, lines[0].rot)
    return reading


_CELL_FIELDS = ("roll", "scene", "take")
_DATE_LIKE = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}|\d{4}")


def _complete(fields: dict[str, FieldValue], min_confidence: float = 0.6) -> bool:
    return all((fv := fields.get(f)) is not None and fv.value is not None and fv.source == "label"
               and fv.confidence >= min_confidence for f in _CELL_FIELDS)


def _split_at_rules(ocr: SlateOcr, image: UInt8Image, lines: list[OcrLine]) -> tuple[list[OcrLine], int]:
    """Lines that run across the board's vertical rules (``1615115`` over three boxes) cut at the
    rules, each part read again on its own (:attr:`OcrSettings.split_at_rules`); returns the
    lines (glyphs renumbered) and the extra OCR runs spent."""
    import cv2

    rgb = np.ascontiguousarray(image[..., :3])
    gray: UInt8Image | None = None
    out: list[OcrLine] = []
    runs = 0
    for line in lines:
        alnum = [c for c in line.text if c.isalnum()]
        if len(alnum) < 3 or not any(c.isdigit() for c in alnum):
            out.append(line)
            continue
        if gray is None:
            gray = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)
        rules = vertical_rules(gray, line.box, line.rot)
        if not rules:
            out.append(line)
            continue
        x0, y0, x1, y1 = line.box
        h = y1 - y0
        lefts = [x0, *(r[1] for r in rules)]
        rights = [*(r[0] for r in rules), x1]
        parts: list[OcrLine] = []
        for a, b in zip(lefts, rights, strict=True):
            # leave the rule itself out; pad with the board's colour so the text is not at the edge
            seg = (a + 0.03 * h, y0, b - 0.03 * h, y1)
            if seg[2] - seg[0] < 0.15 * h:
                continue
            crop = levelled_crop(rgb, seg, line.rot)
            fill = [int(v) for v in np.median(crop.reshape(-1, 3), axis=0)]
            pad = max(2, int(0.15 * crop.shape[0]))
            crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill)
            runs += 1
            read, scale = _read_scaled(ocr, np.asarray(crop, np.uint8))
            found = [ln for ln in read if ln.text.strip()]
            # the values are the big print: the box's own label and the edge of the next row, read
            # in the same crop, are smaller (a label run into its value stays with it)
            if found:
                top = max(found, key=lambda ln: ln.box[3] - ln.box[1]).box
                th = top[3] - top[1]
                found = [ln for ln in found if ln.box[3] - ln.box[1] >= 0.6 * th
                         and min(ln.box[3], top[3]) - max(ln.box[1], top[1]) >= 0.5 * (ln.box[3] - ln.box[1])]
            origin = (seg[0] - pad, seg[1] - pad)
            if found:
                parts.append(_one_line([_placed(ln, scale, origin, line.rot) for ln in found]))
        # a real split leaves a code on each of two sides of a rule at least; else (a rule beside
        # a word) the line stays as it was
        if sum(1 for part in parts if any(_is_code(t) for t in part.text.split())) < 2:
            out.append(line)
            continue
        out.extend(_first_reading(line.text, parts))
    if runs == 0:
        return lines, 0
    return [_renumber(ln, i) for i, ln in enumerate(out)], runs


def _read_scaled(ocr: SlateOcr, crop: UInt8Image) -> tuple[list[OcrLine], float]:
    """OCR lines of a crop scaled to :attr:`OcrSettings.cell_height` pixels high (in the scaled
    crop's pixels), and the scale."""
    import cv2

    scale = ocr.settings.cell_height / crop.shape[0]
    small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return ocr.lines(np.ascontiguousarray(small)), scale


def _image_hull(box: Box, rot: tuple[float, float]) -> Box:
    """The axis-aligned hull in image pixels of a box given in the levelled frame: levelled
    (u, v) = R (x, y), so back x = u c + v s, y = -u s + v c."""
    c, s = rot
    xs = [u * c + v * s for u in (box[0], box[2]) for v in (box[1], box[3])]
    ys = [-u * s + v * c for u in (box[0], box[2]) for v in (box[1], box[3])]
    return (min(xs), min(ys), max(xs), max(ys))


def _is_code(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(
        normalise_value(name, token) is not None for name in _CELL_FIELDS)


def _one_line(lines: list[OcrLine]) -> OcrLine:
    """The lines read in one box as one line, left to right (hand-written characters of one value
    at different heights are read as separate lines); a space where they stand apart."""
    lines = sorted(lines, key=lambda ln: ln.box[0])
    if len(lines) == 1:
        return lines[0]
    text = ""
    glyphs: list[OcrGlyph] = []
    for k, ln in enumerate(lines):
        if k:
            prev = lines[k - 1].box
            if ln.box[0] - prev[2] > 0.5 * max(1.0, min(prev[3] - prev[1], ln.box[3] - ln.box[1])):
                text += " "
        offset = len(text)
        text += ln.text
        glyphs.extend(replace(g, pos=g.pos + offset) for g in ln.glyphs)
    box = (min(ln.box[0] for ln in lines), min(ln.box[1] for ln in lines),
           max(ln.box[2] for ln in lines), max(ln.box[3] for ln in lines))
    image_boxes = [ln.image_box or ln.box for ln in lines]
    image_box = (min(b[0] for b in image_boxes), min(b[1] for b in image_boxes),
                 max(b[2] for b in image_boxes), max(b[3] for b in image_boxes))
    score = sum(ln.score * len(ln.text) for ln in lines) / max(1, sum(len(ln.text) for ln in lines))
    return OcrLine(text, score, box, tuple(glyphs), image_box, lines[0].rot)


def _first_reading(text: str, parts: list[OcrLine]) -> list[OcrLine]:
    """The parts of a line cut at the board's rules, with the characters of the first reading
    of the whole line where it agrees with them: it read the characters in context, the parts
    only tell where the boxes end (``35E20`` over ``35E`` | ``2C`` is ``35E`` | ``20``; a rule read
    as ``1`` at the edge of a part, ``1035``, drops out). Parts whose texts are farther than one
    slip per five characters from any cut of the first reading are kept as read."""
    first = "".join(c for c in text if c.isalnum())
    reads = ["".join(c for c in p.text if c.isalnum()) for p in parts]
    n = len(reads)
    if not first or n < 2 or len(first) < n:
        return parts
    allowed = max(1, len(first) // 5)
    best: tuple[int, tuple[int, ...]] | None = None
    for cuts in combinations(range(1, len(first)), n - 1):
        bounds = (0, *cuts, len(first))
        cost = sum(levenshtein(first[a:b], r, allowed + 1) for a, b, r in zip(bounds, bounds[1:], reads, strict=False))
        if best is None or cost < best[0]:
            best = (cost, bounds)
    if best is None or best[0] == 0 or best[0] > allowed:
        return parts
    bounds = best[1]
    out: list[OcrLine] = []
    for a, b, part in zip(bounds, bounds[1:], parts, strict=False):
        piece = first[a:b]
        step = (part.box[2] - part.box[0]) / len(piece)
        glyphs = tuple(OcrGlyph(c, part.score, (part.box[0] + i * step, part.box[1], part.box[0] + (i + 1) * step,
                                                 part.box[3]), 0, i) for i, c in enumerate(piece))
        out.append(replace(part, text=piece, glyphs=glyphs))
    return out


def _placed(line: OcrLine, scale: float, origin: tuple[float, float], rot: tuple[float, float]) -> OcrLine:
    """A line read on a scaled, upright crop put back in the levelled frame of the whole image:
    crop pixel ``(u, v)`` is the levelled point ``origin + (u, v) / scale``."""

    def back(b: Box) -> Box:
        return (origin[0] + b[0] / scale, origin[1] + b[1] / scale, origin[0] + b[2] / scale, origin[1] + b[3] / scale)

    box = back(line.box)
    return OcrLine(line.text, line.score, box, tuple(replace(g, box=back(g.box)) for g in line.glyphs),
                   _image_hull(box, rot), rot)


def _renumber(line: OcrLine, index: int) -> OcrLine:
    if all(g.line == index for g in line.glyphs):
        return line
    return replace(line, glyphs=tuple(replace(g, line=index) for g in line.glyphs))


def _read_cells(ocr: SlateOcr, image: UInt8Image, reading: SlateReading, rot: tuple[float, float]) -> None:
    """Fill roll / scene / take that have a printed label but no value read next to it from an
    OCR run on the box under the label, and the camera from the box right of its label (see
    :attr:`OcrSettings.cell_height`)."""
    best: dict[str, int] = {}
    for k, lab in enumerate(reading.labels):
        if lab.field in (*_CELL_FIELDS, "camera") and (
                lab.field not in best or lab.quality > reading.labels[best[lab.field]].quality):
            best[lab.field] = k
    # the camera box only on a reading that is the right way up (two exact labels at least): a
    # board read both ways would pay for a camera read on its upside-down reading too
    upright = _exact_labels(reading.labels) >= 2
    for name in (*_CELL_FIELDS, "camera"):
        fv = reading.fields[name]
        if name not in best or (fv.value is not None and fv.source == "label") or (name == "camera" and not upright):
            continue
        # the camera letter is written right of its label (CAM  A), the codes in the box below
        cell = right_cell(reading.labels, best[name]) if name == "camera" else value_cell(reading.labels, best[name])
        crop = _crop(image, cell, rot)
        if crop is None:
            continue
        reading.cell_reads += 1
        found: list[tuple[float, float, str, str]] = []  # height, score, value, raw
        for line in _read_scaled(ocr, crop)[0]:
            raw = " ".join(t for t in line.text.split() if label_field(t) is None)
            if name == "camera" and (_DATE_LIKE.search(raw) or len(raw.replace(" ", "")) > 24):
                continue  # the date written on the same row, or a line run in from the next box
            value = normalise_value(name, raw) if raw else None
            if value is not None:
                found.append((line.box[3] - line.box[1], line.score, value, raw))
        if found:
            _h, score, value, raw = max(found)
            reading.fields[name] = FieldValue(value, raw, score * 0.9, "cell")


def _crop(image: UInt8Image, cell: Box, rot: tuple[float, float]) -> UInt8Image | None:
    """The image pixels of a box given in the levelled frame (its axis-aligned hull in the image)."""
    hx0, hy0, hx1, hy1 = _image_hull(cell, rot)
    h, w = image.shape[:2]
    a, b = max(0, int(hx0)), min(w, int(hx1) + 1)
    top, bottom = max(0, int(hy0)), min(h, int(hy1) + 1)
    if b - a < 4 or bottom - top < 4:
        return None
    return image[top:bottom, a:b]


def _detection_scale(settings: OcrSettings, side: int) -> float:
    """Scale at which the text detector sees an image whose longest side is ``side`` pixels."""
    if side > settings.det_side:
        return settings.det_side_large / side
    return min(3.0, settings.det_side / side)


def _text_hull(lines: list[OcrLine]) -> Box | None:
    boxes = [ln.image_box or ln.box for ln in lines]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


_ZOOM_LABEL_PX = 16.0
"""Printed labels at least this tall as the detector sees them are legible: no zoom is needed."""
_ZOOM_MAX_TEXT_SHARE = 0.45
"""Text spanning more than this share of the frame's width or height is a board close enough to
read as it is: only boards far from the camera are zoomed on."""


def _max_zoom_side(settings: OcrSettings, frame_side: int) -> float:
    """Longest side of a crop that the detector sees :attr:`OcrSettings.zoom_gain` times bigger
    than the whole frame (0 when no crop can be)."""
    want = settings.zoom_gain * _detection_scale(settings, frame_side)
    if want > 3.0:  # small crops are upscaled 3× at most
        return 0.0
    upscaled = min(float(settings.det_side), settings.det_side / want)  # crops up to det_side: scaled to it
    large = settings.det_side_large / want  # larger crops are detected at det_side_large
    return max(upscaled, large if large > settings.det_side else 0.0)


def _fit(lo: float, hi: float, pad: float, limit: float, size: int) -> tuple[int, int]:
    """An interval around ``[lo, hi]`` padded by up to ``pad`` each side, at most ``limit`` long,
    inside ``[0, size)``."""
    pad = max(0.0, min(pad, (limit - (hi - lo)) / 2))
    return max(0, int(lo - pad)), min(size, int(hi + pad) + 1)


def _zoom_read(ocr: SlateOcr, image: UInt8Image, first: SlateReading) -> SlateReading | None:
    """Read again on a crop around the text ``first`` found, when the detector sees that crop at
    least :attr:`OcrSettings.zoom_gain` times bigger than it saw the whole frame; ``None`` when
    there is nothing to zoom on (no text, or text spread over too much of the frame) or nothing
    to gain (roll, scene and take all read next to labels in print big enough)."""
    hull = _text_hull(first.lines)
    if ocr.settings.zoom_gain <= 0 or hull is None:
        return None
    h, w = image.shape[:2]
    if first.complete() and first.labels:
        # roll, scene and take were read next to their labels: zoom only when the labels were
        # small for the detector (values in big print then often go to the wrong column)
        heights = sorted(lab.box[3] - lab.box[1] for lab in first.labels)
        if heights[len(heights) // 2] * _detection_scale(ocr.settings, max(h, w)) >= _ZOOM_LABEL_PX:
            return None
    limit = _max_zoom_side(ocr.settings, max(h, w))
    x0, y0, x1, y1 = hull
    hw, hh = x1 - x0, y1 - y0
    if max(hw, hh) + 32 > limit or hw > _ZOOM_MAX_TEXT_SHARE * w or hh > _ZOOM_MAX_TEXT_SHARE * h:
        return None
    # the first read may have found only part of the board (its big values): pad generously, by
    # the hull's size both ways (a board is about 4:3, a hull of one line is wide and short), as
    # far as the zoom allows
    a, b = _fit(x0, x1, max(32.0, hw, 0.75 * hh), limit, w)
    top, bottom = _fit(y0, y1, max(32.0, hh, 0.4 * hw), limit, h)
    if b - a < 16 or bottom - top < 16:
        return None
    oriented = np.ascontiguousarray(image[::-1, ::-1]) if first.upside_down else image
    # the lines' boxes are in the oriented image's pixels
    crop = np.ascontiguousarray(oriented[top:bottom, a:b])
    zoomed = _read_once(ocr, crop, False)
    zoomed.upside_down = first.upside_down
    zoomed.zoomed = True
    return zoomed


def _richness(r: SlateReading) -> tuple[float, int, float]:
    """Which of two readings of the same board to keep: fields read next to their labels plus
    exact labels, then roll / scene / take read at all, then the mean line score."""
    return (_informative(r)[0], r.code_count(), _informative(r)[1])


def _exact_labels(labels: list[LabelHit]) -> int:
    """Distinct fields whose printed label was read exactly."""
    return len({lab.field for lab in labels if lab.quality >= 1.0})


def _informative(r: SlateReading) -> tuple[float, float]:
    """How well a reading looks like an upright slate: exact labels + codes read next to labels,
    then the mean line score (upside-down text is read with low scores)."""
    exact = _exact_labels(r.labels)
    codes = sum(1 for f in ("roll", "scene", "take") if r.value(f) and r.fields[f].source == "label")
    mean = sum(ln.score for ln in r.lines) / len(r.lines) if r.lines else 0.0
    return (exact + codes, mean)


def read_slate(
    image: UInt8Image,
    *,
    upside_down: bool | None = False,
    ocr: SlateOcr | None = None,
    settings: OcrSettings = OcrSettings(),
    first_guess: bool = False,
) -> SlateReading:
    """Read PROD, ROLL, SCENE, TAKE, DIRECTOR, CAMERA and DATE from a slate image.

    ``upside_down``: ``False`` reads the image as is, ``True`` rotated by 180° (tail slate),
    ``None`` tries the ``first_guess`` orientation first (as is by default) and the other way
    round too unless the first reading is clearly an upright slate (at least five exact labels
    and codes, mean line score ≥ 0.9); the more informative reading wins (exact labels + codes
    read next to labels, then mean line score).
    """
    engine = ocr or slate_ocr(settings)
    t0 = time.perf_counter()
    guess = bool(upside_down) if upside_down is not None else bool(first_guess)
    first = _read_once(engine, image, guess)
    reading = first
    if upside_down is None and (_informative(first)[0] < 5 or _informative(first)[1] < 0.9):
        second = _read_once(engine, image, not guess)
        reading, other = (second, first) if _informative(second) > _informative(first) else (first, second)
        reading.passes = 2
        reading.orientation_margin = round(_informative(reading)[1] - _informative(other)[1], 4)
    zoomed = _zoom_read(engine, image, reading)
    if zoomed is not None:
        passes, cells, margin = reading.passes + 1, reading.cell_reads + zoomed.cell_reads, reading.orientation_margin
        keep, other = (zoomed, reading) if _richness(zoomed) > _richness(reading) else (reading, zoomed)
        keep.passes, keep.cell_reads, keep.orientation_margin = passes, cells, margin
        # both read the same board: a field only one of them found is kept
        for name, fv in other.fields.items():
            if fv.value is not None and keep.fields.get(name, fv).value is None:
                keep.fields[name] = fv
        reading = keep
    reading.elapsed_s = time.perf_counter() - t0
    return reading
