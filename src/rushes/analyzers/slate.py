"""Slates: clapperboard detection at 1 fps, OCR of the best frame per slate → the ``slates`` track.

The dailies-triage recipe of the WarnerMedia write-up, offline:

1. every sampled frame (``fps``, default 1; by default the first key frame of each slot, so that
   a pass decodes only those — ``sampling``) is classified by the slate classifier — MobileNetV2
   features of the whole frame (224×224) and the trained head shipped in ``rushes/data/slate``
   (:mod:`rushes.triage.slate.classifier`) — as no slate / slate / tail slate (upside down);
   a frame the whole-frame look is unsure of (``tile_band`` ≤ ``p_slate`` < threshold) gets a
   second look at five half-size tiles (``tiles``), for boards small in the frame;
2. detections at most ``merge_gap_s`` (2 s) apart merge into one event; the event starts at its
   first detection and ends at its last; each event keeps its ``top_k`` best frames (sure and
   sharp) in memory;
3. at the end, for each event only the best candidate (then the next one if the first reading
   is incomplete, up to ``max_ocr_per_event``) is re-read at full resolution
   (:func:`rushes.media.read_frame_at`) and OCR'd (:func:`rushes.triage.slate.read_slate`);
   the seed OCRs every detected frame — the calls saved are reported. Of the readings, the one
   with the most characters (the seed's rule) is the event's frame; each field takes its most
   confident reading;
4. an event the classifier was not sure of (``p_slate`` < ``confirm_score``, or found by tiles
   only) is kept only when
   OCR finds slate text on it: a printed label (ROLL, SCENE, TAKE...) or, on real boards whose
   labels are too small, sideways or absent, at least two of roll/scene/take read as codes;
   the others go to the ``slate_candidates`` track (the takes fusion keeps one that is clapped
   before an "action": a board too small or blurred to read is still a board);
5. head or tail: OCR reads the frame both ways up unless the first reading (in the
   classifier's guessed orientation) is clearly an upright slate, and the reading that finds
   the labels, or whose lines score clearly better (≥ 0.1 mean line score; text read the wrong
   way up scores low), decides; only when neither does the classifier's vote stands
   (``orientation: classifier``; the takes fusion may then relabel it from the calls around it).

Track ``slates``: one interval per event, label ``slate`` or ``tail_slate``, score = best
``p_slate``, data columns ``roll``, ``scene``, ``take``, ``camera``, ``prod``, ``director``,
``date`` (normalised text or ``None``), ``confidence`` (field → 0..1), ``roll_mismatch``
(the slate's roll disagrees with the camera file name such as ``A004C012_...``),
``filename_roll``, ``best_t`` (seconds of the frame read), ``frames`` (detections),
``ocr_calls``, ``char_count``, ``confirmed`` (slate text read: a printed label, or two of
roll/scene/take as codes), ``tail_vote``, ``orientation``
(``ocr`` when the head/tail label comes from the reading that found the printed labels, else
``classifier``).
Track ``slate_candidates``: the unsure events OCR found no slate text on (same columns).
Artifacts: one ``slate_frame`` JPEG per event of ``slates``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.intervals import Intervals
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register

__all__ = ["DATA_COLUMNS", "Slate", "SlateParams"]

log = logging.getLogger(__name__)

#: the data columns of every row of the ``slates`` track
DATA_COLUMNS: tuple[str, ...] = (
    "roll", "scene", "take", "camera", "prod", "director", "date", "confidence", "roll_mismatch",
    "filename_roll", "best_t", "frames", "ocr_calls", "char_count", "confirmed", "tail_vote", "orientation",
)
_TIME_BASE = Fraction(1, 1_000_000)


@dataclass(frozen=True)
class SlateParams:
    fps: Fraction = Fraction(1)
    """Frames classified per second (the seed: 1)."""
    sampling: str = "sparse"
    """``sparse``: the first key frame of each 1/fps slot, so a triage pass decodes only those
    (all-intra and short-GOP camera files; key frames more than 1.25/fps apart make the pass
    decode every frame); ``exact``: the first frame of each slot, decoding every frame."""
    threshold: float = 0.0
    """Detection threshold on ``p_slate``; 0 = the one chosen at training (model card)."""
    merge_gap_s: float = 2.0
    """Detections at most this far apart are one slate event (the seed: 2 s)."""
    top_k: int = 3
    """Candidate frames kept in memory per event."""
    max_ocr_per_event: int = 2
    """OCR reads per event at most (the second only when the first is incomplete)."""
    confirm_score: float = 0.95
    """Events whose best ``p_slate`` is below this need slate vocabulary in the OCR to be kept."""
    ocr: bool = True
    """Read the slates (off: detection only)."""
    det_side: int = 1280
    """OCR text detection size (longest side, px) of small frames, upscaled to it."""
    det_side_large: int = 960
    """OCR text detection size of frames larger than ``det_side`` (1080p, UHD)."""
    cell_height: int = 64
    """Roll/scene/take whose label was read but whose value was not are read again on the box
    under the label, scaled to this height (px); 0 = off (see ``OcrSettings.cell_height``)."""
    zoom_gain: float = 1.6
    """A board small in the frame is read again on a crop around its text when the detector would
    see it at least this many times bigger; 0 = off (see ``OcrSettings.zoom_gain``)."""
    split_at_rules: bool = True
    """A line read across the board's vertical rules is cut there and each part read again (see
    ``OcrSettings.split_at_rules``; needs ``cell_height`` > 0)."""
    ocr_max_side: int = 1920
    """Full-resolution frames for OCR are scaled down to this longest side."""
    batch: int = 4
    """Frames per classifier batch."""
    tiles: bool = True
    """Second look: a frame whose whole-frame ``p_slate`` is in ``[tile_band, threshold)`` is
    classified again as five half-size tiles (quadrants and centre), so a board small in the
    frame is seen twice as big; a tile at ``tile_threshold`` or more is a detection. Frames are
    then decoded at 448×448 instead of 224×224. An event found only by tiles is kept only when
    OCR confirms it (as an unsure event)."""
    tile_band: float = 0.05
    """Lowest whole-frame ``p_slate`` that earns the second look."""
    tile_threshold: float = 0.9
    """``p_slate`` a tile needs to be a detection (tiles see more clutter close up than the whole
    frame, hence a higher bar than the head's threshold)."""

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be positive")
        if self.sampling not in ("sparse", "exact"):
            raise ValueError("sampling must be 'sparse' or 'exact'")
        if not 0 <= self.threshold <= 1:
            raise ValueError("threshold must be within 0..1")
        if self.merge_gap_s < 0:
            raise ValueError("merge_gap_s must be >= 0")
        if not 0 <= self.tile_band <= 1 or not 0 < self.tile_threshold <= 1:
            raise ValueError("tile_band must be within 0..1 and tile_threshold within (0, 1]")
        if self.zoom_gain < 0:
            raise ValueError("zoom_gain must be >= 0 (0 = off)")
        if self.top_k < 1 or self.max_ocr_per_event < 0 or self.batch < 1:
            raise ValueError("top_k and batch must be >= 1, max_ocr_per_event >= 0")


def _backbone_id() -> str:
    from rushes.models.base import file_sha256, package_file
    from rushes.shots.export_models import EXPORT_VERSION
    from rushes.shots.models import MOBILENET, resolve_onnx

    try:
        weights = package_file(MOBILENET.package, *MOBILENET.resource, pip_name=MOBILENET.pip)
        return f"{MOBILENET.name}@{file_sha256(weights)[:16]}-v{EXPORT_VERSION}"
    except ModelNotAvailable:
        try:
            return resolve_onnx(MOBILENET, export=False)[1]
        except ModelNotAvailable:
            return f"{MOBILENET.name}@missing"


@register
class Slate(Analyzer):
    name = "slate"
    version = "8"
    Params = SlateParams
    default = True
    media_kinds = frozenset({"video"})
    description = "Clapperboards at 1 fps (MobileNetV2 + trained head), OCR of the best frame → `slates` track."

    def __init__(self, params: SlateParams | None = None) -> None:
        super().__init__(params)
        self.p: SlateParams = self.params
        self._classifier: Any = None
        self._builder: Any = None
        self._batch: list[VideoFrame] = []
        self._classify_s = 0.0
        self._cell_reads = 0
        self._tile_looks = 0
        self._tile_detections = 0

    def frame_spec(self) -> FrameSpec:
        from rushes.triage.slate.classifier import INPUT_SIZE

        side = 2 * INPUT_SIZE if self.p.tiles else INPUT_SIZE
        return FrameSpec(mode="sparse" if self.p.sampling == "sparse" else "fps", fps=self.p.fps,
                         width=side, height=side, format="rgb24")

    def model_id(self) -> str:
        from rushes.triage.slate.classifier import head_model_id

        parts = [head_model_id(), _backbone_id()]
        if self.p.ocr:
            from rushes.triage.slate.ocr import ocr_model_id

            try:
                parts.append(ocr_model_id())
            except ModelNotAvailable:
                parts.append("rapidocr@missing")
        return "+".join(parts)

    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        from rushes.triage.slate.classifier import slate_classifier
        from rushes.triage.slate.events import EventBuilder

        self._classifier = slate_classifier()
        threshold = self.p.threshold or self._classifier.threshold
        self._builder = EventBuilder(threshold, self.p.merge_gap_s, self.p.top_k)

    def on_frame(self, frame: VideoFrame) -> None:
        self._batch.append(frame)
        if len(self._batch) >= self.p.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        t0 = time.thread_time()
        clf = self._classifier
        probs = clf.predict([f.image for f in self._batch])
        self.model_calls += 1
        tile_probs: dict[int, npt.NDArray[np.float32]] = {}
        if self.p.tiles:
            threshold = self._builder.threshold
            band = [i for i, p in enumerate(probs) if self.p.tile_band <= p[1] + p[2] < threshold]
            if band:
                from rushes.triage.slate.classifier import tile_views

                views = [v for i in band for v in tile_views(self._batch[i].image)]
                per_tile = clf.predict(views).reshape(len(band), -1, probs.shape[1])
                self.model_calls += 1
                self._tile_looks += len(band)
                for i, tp in zip(band, per_tile, strict=True):
                    best = tp[int(np.argmax(tp[:, 1] + tp[:, 2]))]
                    if best[1] + best[2] >= self.p.tile_threshold:
                        tile_probs[i] = best
        self._classify_s += time.thread_time() - t0
        for i, (f, p) in enumerate(zip(self._batch, probs, strict=True)):
            if i in tile_probs:
                self._tile_detections += 1
                self._builder.add(f.time, tile_probs[i], f.image, tile=True)
            else:
                self._builder.add(f.time, p, f.image)
        self._batch = []

    def finish(self) -> AnalyzerOutput:
        self._flush()
        builder = self._builder
        ctx = self.context
        rows: list[dict[str, Any]] = []
        unread: list[dict[str, Any]] = []  # unsure events on which OCR found no slate text
        artifacts: list[ArtifactFile] = []
        ocr_passes = ocr_reads = rejected = 0
        ocr_s = 0.0
        ocr_error: str | None = None
        ocr_engine = None
        if self.p.ocr and builder.events:
            from rushes.triage.slate.ocr import OcrSettings, slate_ocr

            try:
                ocr_engine = slate_ocr(OcrSettings(det_side=self.p.det_side, det_side_large=self.p.det_side_large,
                                                    cell_height=self.p.cell_height,
                                                    zoom_gain=self.p.zoom_gain,
                                                    split_at_rules=self.p.split_at_rules))
            except ModelNotAvailable as exc:
                ocr_error = str(exc)
                log.warning("slate: OCR unavailable, slates are detected but not read: %s", exc)
        for ev in builder.events:
            row, frame_img, passes, reads, secs = self._read_event(ev, ocr_engine)
            ocr_passes += passes
            ocr_reads += reads
            ocr_s += secs
            unsure = ev.score < self.p.confirm_score or ev.tiles_only
            if unsure and ocr_engine is not None and not row["confirmed"]:
                rejected += 1
                unread.append(row)
                continue
            if frame_img is not None:
                idx = len(rows)
                path = ctx.workdir / f"slate_{idx:03d}.jpg"
                _write_jpeg(path, frame_img)
                artifacts.append(ArtifactFile("slate_frame", path, {
                    "t": row["best_t"], "event": idx, "label": row["_label"],
                    "scene": row["scene"], "take": row["take"]}))
            rows.append(row)
        track = _rows_to_track(rows)
        baseline = builder.detections
        metrics = {
            "frames_classified": builder.samples,
            "detections": builder.detections,
            "events": len(rows),
            "events_rejected_by_ocr": rejected,
            "ocr_reads": ocr_reads,
            "ocr_calls": ocr_passes,
            "ocr_calls_baseline": baseline,
            "ocr_calls_saved": max(0, baseline - ocr_passes),
            "ocr_cell_reads": self._cell_reads,
            "tile_looks": self._tile_looks,
            "tile_detections": self._tile_detections,
            "classifier_cpu_s": round(self._classify_s, 3),
            "ocr_cpu_s": round(ocr_s, 3),
            "threshold": builder.threshold,
            "ocr_available": ocr_engine is not None or not self.p.ocr or not builder.events,
        }
        if ocr_error:
            metrics["ocr_error"] = ocr_error
        self.model_calls += ocr_passes
        return AnalyzerOutput(tracks={"slates": track, "slate_candidates": _rows_to_track(unread)},
                              artifacts=artifacts, metrics=metrics,
                              model_calls=self.model_calls)

    def _read_event(self, ev: Any, ocr: Any) -> tuple[dict[str, Any], npt.NDArray[np.uint8] | None, int, int, float]:
        """OCR the best candidate(s) of one event; returns (row, chosen frame, passes, reads, cpu s)."""
        from rushes.media import read_frame_at
        from rushes.triage.slate.fields import FIELDS, parse_camera_filename, roll_matches_filename
        from rushes.triage.slate.layout import realign_to_filename

        ctx = self.context
        cands = ev.ocr_order()
        tail = ev.tail_vote > 0.5
        readings: list[tuple[Any, Any, npt.NDArray[np.uint8]]] = []
        passes = reads = 0
        t0 = time.thread_time()
        if ocr is not None:
            from rushes.triage.slate.ocr import read_slate

            # The classifier's head/tail vote is a first guess only: on real boards it is often
            # confidently wrong (tested on the real-parts reel), and an upright board read upside
            # down gives confident nonsense. OCR reads both ways until one reading finds the
            # slate's printed labels; that orientation is then used for the next candidate.
            orient: bool | None = None
            for cand in cands[: self.p.max_ocr_per_event]:
                try:
                    frame = read_frame_at(ctx.path, cand.time, FrameSpec(max_side=self.p.ocr_max_side),
                                          info=ctx.media.info)
                except Exception as exc:  # a frame that cannot be re-read only costs its reading
                    log.warning("slate: cannot re-read %s at %.3f s: %s", ctx.path, float(cand.time), exc)
                    continue
                reading = read_slate(frame.image, upside_down=orient, ocr=ocr, first_guess=tail)
                reads += 1
                passes += reading.passes
                self._cell_reads += reading.cell_reads
                readings.append((cand, reading, frame.image))
                if orient is None and reading.orientation_known():
                    orient = reading.upside_down
                if reading.complete():
                    break
        secs = time.thread_time() - t0
        fields: dict[str, str | None] = {f: None for f in FIELDS}
        conf: dict[str, float] = {f: 0.0 for f in FIELDS}
        for _cand, reading, _img in readings:
            read = realign_to_filename(reading.fields, ctx.path.name)
            for f in FIELDS:
                fv = read.get(f)
                if fv is not None and fv.value is not None and fv.confidence > conf[f]:
                    fields[f], conf[f] = fv.value, round(float(fv.confidence), 4)
        if readings:
            best_cand, best_reading, best_img = max(readings, key=lambda r: (r[1].char_count, r[0].sharpness))
            best_t = float(best_cand.time)
            by_ocr = any(r.orientation_known() for _c, r, _i in readings)
            tail = best_reading.upside_down if best_reading.orientation_known() else (
                next((r.upside_down for _c, r, _i in readings if r.orientation_known()), tail))
            chars = best_reading.char_count
            confirmed = any(r.looks_like_a_slate() for _c, r, _i in readings)
            frame_img: npt.NDArray[np.uint8] | None = best_img
        else:
            by_ocr = False
            best_t = float(cands[0].time) if cands else float(ev.start)
            chars = 0
            confirmed = False
            frame_img = cands[0].image if cands else None
        match = roll_matches_filename(fields["roll"], ctx.path.name)
        parsed = parse_camera_filename(ctx.path.name)
        row: dict[str, Any] = {
            "_start": ev.span[0], "_end": ev.span[1], "_label": "tail_slate" if tail else "slate", "_score": ev.score,
            **fields,
            "confidence": conf,
            "roll_mismatch": match is False,
            "filename_roll": parsed.roll_label if parsed else None,
            "best_t": round(best_t, 6),
            "frames": ev.frames,
            "ocr_calls": passes,
            "char_count": chars,
            "confirmed": confirmed,
            "tail_vote": round(ev.tail_vote, 4),
            "orientation": "ocr" if by_ocr else "classifier",
        }
        return row, frame_img, passes, reads, secs


def _rows_to_track(rows: list[dict[str, Any]]) -> Intervals:
    if not rows:
        empty = Intervals.empty(_TIME_BASE)
        for col in DATA_COLUMNS:
            empty.data[col] = np.zeros(0, dtype=object)
        return empty
    starts = [int(Fraction(r["_start"]) / _TIME_BASE) for r in rows]
    ends = [int(Fraction(r["_end"]) / _TIME_BASE) for r in rows]
    data: dict[str, Any] = {}
    for col in DATA_COLUMNS:
        arr = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            arr[i] = r[col]
        data[col] = arr
    return Intervals.from_ticks(starts, ends, [r["_label"] for r in rows], _TIME_BASE,
                                score=[float(r["_score"]) for r in rows], data=data,
                                metadata={"analyzer": "slate"})


def _write_jpeg(path: Any, image: npt.NDArray[np.uint8], max_side: int = 1280) -> None:
    from PIL import Image

    im = Image.fromarray(image)
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side))
    im.save(path, format="JPEG", quality=88)
