"""Text written on frames (titles, signs, slates, screens) → the ``ocr`` track, searchable with FTS5.

OCR is expensive (RapidOCR: ~0.4–1.5 s per frame on this class of machine), so it runs only on
frames where text is likely: every sampled frame gets a cheap text-likelihood score from a small
grey copy (density of short, horizontally aligned strong edges), and only the best frames — at
most ``max_frames`` per file, at least ``min_spacing_s`` apart, above ``min_text_score`` — are
read at ``ocr_side`` pixels. Each recognised line becomes an interval covering the sample it was
read on and the run of neighbouring samples that still show the same picture with a similar
text likelihood (within ``hold_ratio`` either way: the same text is most likely on screen),
so a title held for five seconds is found over five seconds though it was read once; the same
line read on nearby samples merges. Labels are the text as read.

A second track, ``tags.text``, tags each read frame ``text`` (more lines, higher score) and
``clapperboard`` when two or more slate words (SCENE, TAKE, ROLL, ...) are on it.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.intervals import Intervals
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.models.base import LazyModel, worker_threads
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput
from rushes.pipeline.registry import register

if TYPE_CHECKING:
    from rushes.catalog import MediaRecord

__all__ = ["OcrText", "OcrTextParams", "hold_span", "look", "text_likelihood"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrTextParams:
    fps: Fraction = Fraction(1)
    """Frames scored for text likelihood per second."""
    ocr_side: int = 960
    """Longest side of the frames OCR reads."""
    max_frames: int = 6
    """OCR runs on at most this many frames per file."""
    min_spacing_s: float = 2.0
    min_text_score: float = 0.002
    """Frames whose text likelihood reaches this may be read (half of it for still images).
    Large title text scores low (its strokes are long), e.g. 0.002–0.005 for an advert's end
    card at 640×360 against 0.001 for the footage before it; the best ``max_frames`` are read."""
    min_text_contrast: float = 2.0
    """...and so may frames below it that score this many times the file's median likelihood
    (text that stands out from the rest of the file), down to ``min_text_score / 4``."""
    min_confidence: float = 0.6
    """Recognised lines below this confidence are dropped."""
    hold_ratio: float = 0.5
    """A reading covers the neighbouring samples whose text likelihood is within this ratio of
    the read frame's (between ratio× and 1/ratio×); 1 = only the sample read."""

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be positive")
        if not 1 <= self.max_frames <= 1000:
            raise ValueError("max_frames must be within 1..1000")
        if not 0 < self.hold_ratio <= 1:
            raise ValueError("hold_ratio must be within (0, 1]")


def text_likelihood(gray: npt.NDArray[np.uint8]) -> float:
    """A cheap 0–1 score of how much of a frame looks like text.

    Text is many short strong vertical strokes packed in horizontal rows: count pixels with a
    strong horizontal gradient whose row neighbourhood (±8 px) holds several other such pixels,
    and whose column neighbourhood is short (strokes, not long edges).
    """
    g = gray.astype(np.int16)
    if g.shape[0] < 8 or g.shape[1] < 16:
        return 0.0
    gx = np.abs(np.diff(g, axis=1))[:-1, :]
    gy = np.abs(np.diff(g, axis=0))[:, :-1]
    strong = (gx > 40) & (gx > gy)
    if not strong.any():
        return 0.0
    s = strong.astype(np.int32)
    k = 8
    row = np.cumsum(np.pad(s, ((0, 0), (k + 1, k))), axis=1)
    row_density = row[:, 2 * k + 1:] - row[:, : -(2 * k + 1)]
    col = np.cumsum(np.pad(s, ((k + 1, k), (0, 0))), axis=0)
    col_run = col[2 * k + 1:, :] - col[: -(2 * k + 1), :]
    texty = strong & (row_density >= 4) & (col_run <= 2 * k - 2)
    return float(texty.mean())


class _Ocr:
    """RapidOCR (PP-OCR ONNX models inside the wheel), angle classifier off, deliberate threads."""

    def __init__(self) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise ModelNotAvailable("RapidOCR is not installed: pip install 'rushes[search]'") from exc
        import rapidocr

        threads = worker_threads()
        self.engine = RapidOCR(params={
            "Global.use_cls": False,
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        self.model_id = f"rapidocr@{getattr(rapidocr, '__version__', 'unknown')}"
        self._lock = threading.Lock()

    def read(self, image: npt.NDArray[np.uint8]) -> list[tuple[str, float]]:
        with self._lock:
            res = self.engine(np.ascontiguousarray(image))
        txts = getattr(res, "txts", None) or ()
        scores = getattr(res, "scores", None) or ()
        return [(str(t).strip(), float(s)) for t, s in zip(txts, scores, strict=False) if str(t).strip()]


_OCR: LazyModel[_Ocr] = LazyModel("rapidocr", _Ocr)


@register
class OcrText(Analyzer):
    name = "ocr_text"
    version = "4"
    Params = OcrTextParams
    media_kinds = frozenset({"video", "image"})
    description = "OCR (RapidOCR) on the frames most likely to hold text → `ocr` track."

    def __init__(self, params: OcrTextParams | None = None) -> None:
        super().__init__(params)
        self.p: OcrTextParams = self.params
        self._best: list[tuple[float, int, float, npt.NDArray[np.uint8]]] = []
        self._scores: list[tuple[float, float]] = []
        self._looks: list[npt.NDArray[np.uint8]] = []
        self._ocr: _Ocr | None = None
        self._missing = False

    def _engine(self) -> _Ocr | None:
        if self._ocr is None and not self._missing:
            try:
                self._ocr = _OCR.get()
            except ModelNotAvailable as exc:
                log.info("ocr_text: %s", exc)
                self._missing = True
        return self._ocr

    def model_id(self) -> str:
        eng = self._engine()
        return "" if eng is None else eng.model_id

    def applies_to(self, media: MediaRecord) -> bool:
        return super().applies_to(media) and self._engine() is not None

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="fps", fps=self.p.fps, max_side=self.p.ocr_side, format="rgb24")

    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        self._best, self._scores, self._looks = [], [], []

    def on_frame(self, frame: VideoFrame) -> None:
        img = frame.image
        step = max(1, max(img.shape[:2]) // 480)
        small = img[::step, ::step]
        gray = (small[..., 0] * 0.299 + small[..., 1] * 0.587 + small[..., 2] * 0.114).astype(np.uint8)
        score = text_likelihood(gray)
        t = float(frame.time)
        self._scores.append((t, score))
        self._looks.append(look(gray))
        floor = self.p.min_text_score / 2 if self.context.media.kind == "image" else self.p.min_text_score / 4
        if score < floor:
            return
        # keep a bounded pool of candidates (3× what OCR will read, to allow spacing them out)
        item = (score, frame.index, t, img)
        if len(self._best) < 3 * self.p.max_frames:
            heapq.heappush(self._best, item)
        elif score > self._best[0][0]:
            heapq.heapreplace(self._best, item)

    def finish(self) -> AnalyzerOutput:
        eng = self._engine()
        if eng is None:
            raise ModelNotAvailable("ocr_text: RapidOCR is not installed")
        chosen: list[tuple[float, int, float, npt.NDArray[np.uint8]]] = []
        spans: list[tuple[float, float]] = []
        floor = self.p.min_text_score / 2 if self.context.media.kind == "image" else self.p.min_text_score
        median = float(np.median([sc for _t, sc in self._scores])) if self._scores else 0.0
        eligible = [c for c in self._best if c[0] >= floor or c[0] >= self.p.min_text_contrast * median]
        for cand in sorted(eligible, key=lambda c: -c[0]):
            # a frame inside the span an earlier pick will cover shows the same text: not read again
            if all(abs(cand[2] - c[2]) >= self.p.min_spacing_s for c in chosen) and \
                    not any(a <= cand[2] <= b for a, b in spans):
                chosen.append(cand)
                spans.append(hold_span(self._scores, cand[2], cand[0], self.p.hold_ratio, self._looks))
            if len(chosen) >= self.p.max_frames:
                break
        step = 0.0 if self.context.media.kind == "image" else float(1 / self.p.fps)
        rows: list[tuple[float, float, str, float]] = []
        tags: list[tuple[float, float, str, float]] = []
        for score, _idx, t, img in sorted(chosen, key=lambda c: c[2]):
            lines = [(text, conf) for text, conf in eng.read(img) if conf >= self.p.min_confidence]
            start, end = hold_span(self._scores, t, score, self.p.hold_ratio, self._looks)
            rows.extend((start, end + step, text, conf) for text, conf in lines)
            tags.extend(_frame_tags(start, end + step, lines))
            self.model_calls += 1
        rows = _merge_same_text(rows, step)
        track = Intervals.from_seconds([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                                       score=[round(r[3], 4) for r in rows], time_base=Fraction(1, 1000),
                                       data={"model": [eng.model_id] * len(rows)}) if rows else \
            Intervals.empty(Fraction(1, 1000))
        tag_track = Intervals.from_seconds([r[0] for r in tags], [r[1] for r in tags], [r[2] for r in tags],
                                           score=[round(r[3], 4) for r in tags], time_base=Fraction(1, 1000),
                                           data={"model": [eng.model_id] * len(tags)}) if tags else \
            Intervals.empty(Fraction(1, 1000))
        return AnalyzerOutput(
            tracks={"ocr": track, "tags.text": tag_track},
            metrics={"scored_frames": len(self._scores), "ocr_frames": len(chosen), "lines": len(rows)},
            model_calls=self.model_calls,
        )


#: words printed on a clapperboard (slate): two of them on one frame tag it ``clapperboard``
SLATE_WORDS = frozenset({"scene", "take", "roll", "prod", "production", "director", "camera", "cam", "date",
                         "sound", "dop", "slate", "day", "shot"})


#: mean absolute difference (0-255) of two :func:`look` signatures above which frames differ
LOOK_MAX_DIFF = 12.0


def look(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A 32×18 block-mean signature of a grey frame: enough to tell "the same picture" apart."""
    h, w = gray.shape
    bh, bw = max(1, h // 18), max(1, w // 32)
    g = gray[: bh * 18, : bw * 32].astype(np.float32)
    if g.shape[0] < 18 or g.shape[1] < 32:
        return np.zeros((18, 32), np.uint8)
    return np.asarray(g.reshape(18, bh, 32, bw).mean(axis=(1, 3)), dtype=np.uint8)


def hold_span(scores: list[tuple[float, float]], t: float, score: float, ratio: float,
              looks: list[npt.NDArray[np.uint8]] | None = None) -> tuple[float, float]:
    """First and last sample time of the run around ``t`` that shows the same text: text
    likelihood within ``[ratio × score, score / ratio]`` and, when ``looks`` (one :func:`look` per
    sample) are given, the same picture as at ``t`` (``scores``: (time, likelihood) in time order)."""
    times = [s[0] for s in scores]
    i = bisect.bisect_left(times, t)
    if i >= len(scores) or scores[i][0] != t:
        return t, t
    lo, hi = score * ratio, score / ratio
    ref = looks[i].astype(np.int16) if looks is not None else None

    def close(k: int) -> bool:
        if not lo <= scores[k][1] <= hi:
            return False
        return ref is None or looks is None or float(np.abs(looks[k].astype(np.int16) - ref).mean()) <= LOOK_MAX_DIFF

    a = b = i
    while a > 0 and close(a - 1):
        a -= 1
    while b + 1 < len(scores) and close(b + 1):
        b += 1
    return scores[a][0], scores[b][0]


def _frame_tags(start: float, end: float, lines: list[tuple[str, float]]) -> list[tuple[float, float, str, float]]:
    """``text`` (score grows with the number of lines read) and ``clapperboard`` (slate words)."""
    if not lines:
        return []
    conf = sum(c for _t, c in lines) / len(lines)
    out = [(start, end, "text", conf * min(1.0, 0.4 + 0.1 * len(lines)))]
    words = {w.strip(".:;,#").lower() for text, _c in lines for w in text.split()}
    if len(words & SLATE_WORDS) >= 2:
        out.append((start, end, "clapperboard", conf))
    return out


def _merge_same_text(rows: list[tuple[float, float, str, float]], step: float) -> list[tuple[float, float, str, float]]:
    """Join a line read on consecutive OCR'd samples (within 3 steps) into one interval."""
    out: list[tuple[float, float, str, float]] = []
    last: dict[str, int] = {}
    for start, end, text, conf in sorted(rows):
        key = " ".join(text.lower().split())
        j = last.get(key)
        if j is not None and start - out[j][1] <= 3 * step + 1e-6 and step > 0:
            s0, _e0, t0, c0 = out[j]
            out[j] = (s0, end, t0, max(c0, conf))
            continue
        last[key] = len(out)
        out.append((start, end, text, conf))
    return out
