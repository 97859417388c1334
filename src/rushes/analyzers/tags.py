"""Tag tracks: labels with time intervals and confidence, like a video indexer's labels.

Each model is its own analyzer, so a model change re-indexes only what that model produced
(the runner's cache key carries :meth:`~rushes.pipeline.analyzer.Analyzer.model_id`,
``name@sha16`` of the weights file):

==============  ===============  ================================================  ==========
analyzer        track            model                                             labels
==============  ===============  ================================================  ==========
tags_objects    ``tags.objects``  SSD-MobileNet v2 COCO (OpenCV DNN)               80 COCO
tags_imagenet   ``tags.imagenet`` EfficientNet-Lite3 (LiteRT)                      1000 ImageNet
tags_faces      ``tags.faces``    BlazeFace short range (LiteRT), Haar fallback    ``face``
tags_clip       ``tags.clip``     the installed CLIP model, zero-shot              vocabulary
==============  ===============  ================================================  ==========

Frames are sampled at ``fps`` (1 per second by default); per-sample scores become intervals
through :class:`~rushes.tags.hysteresis.TagSeries` (two thresholds, gap bridging), and every row
carries ``model``, ``model_version`` and ``model_sha256``. The analyzers are not in the default
set: ``rushes ingest --analyzers search`` runs all of them (see :class:`SearchIndex`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from rushes.errors import ModelNotAvailable
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register
from rushes.tags.hysteresis import HysteresisParams, Provenance, TagSeries

if TYPE_CHECKING:
    from rushes.catalog import MediaRecord
    from rushes.models.zoo import Detection

__all__ = ["ClipTags", "FaceTags", "ImageNetTags", "ObjectTags", "SearchIndex", "TagParams"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TagParams:
    """Sampling, detection and hysteresis settings of a tag analyzer."""

    fps: Fraction = Fraction(1)
    """Samples per second (each sample runs the model once)."""
    max_side: int = 640
    """Frames are scaled down to this longest side before the model's own resize."""
    min_score: float = 0.3
    """Detections below this are ignored."""
    on: float = 0.5
    """Hysteresis: a tag interval starts at a sample scoring at least this ..."""
    off: float = 0.3
    """... and continues while samples score at least this."""
    max_gap_s: float = 1.5
    """Gaps up to this long are bridged (detector flicker)."""
    min_length_s: float = 0.0
    top_k: int = 5
    """Classifiers: classes kept per sample."""

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be positive")
        HysteresisParams(self.on, self.off, self.max_gap_s, self.min_length_s)
        if not 32 <= self.max_side <= 4096:
            raise ValueError("max_side must be within 32..4096")

    @property
    def hysteresis(self) -> HysteresisParams:
        return HysteresisParams(self.on, self.off, self.max_gap_s, self.min_length_s)


class _TagAnalyzer(Analyzer):
    """Shared lifecycle: sample frames, score labels per frame, hysteresis at the end."""

    Params = TagParams
    media_kinds = frozenset({"video", "image"})
    track: ClassVar[str]
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, params: TagParams | None = None) -> None:
        super().__init__(params)
        self.p: TagParams = self.params
        self._series = TagSeries()
        self._model: Any = None

    # -- model plumbing (subclasses) --------------------------------------------------------
    def _load(self) -> Any:
        raise NotImplementedError

    def _score(self, model: Any, frame: VideoFrame) -> dict[str, float]:
        raise NotImplementedError

    def _provenance(self, model: Any) -> Provenance:
        return model.provenance  # type: ignore[no-any-return]

    def _model_or_none(self) -> Any:
        if self._model is None:
            try:
                self._model = self._load()
            except ModelNotAvailable as exc:
                log.info("%s: %s", self.name, exc)
                return None
        return self._model

    # -- declarations ---------------------------------------------------------------------
    def model_id(self) -> str:
        model = self._model_or_none()
        return "" if model is None else self._provenance(model).model_id

    def applies_to(self, media: MediaRecord) -> bool:
        # a model whose package is not installed makes the step "n/a", never a failure
        return super().applies_to(media) and self._model_or_none() is not None

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="fps", fps=self.p.fps, max_side=self.p.max_side, format="rgb24")

    # -- lifecycle ------------------------------------------------------------------------
    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        self._series = TagSeries()

    def on_frame(self, frame: VideoFrame) -> None:
        model = self._model_or_none()
        if model is None:
            raise ModelNotAvailable(f"{self.name}: model not installed")
        self._series.add(float(frame.time), self._score(model, frame))
        self.model_calls += 1

    def finish(self) -> AnalyzerOutput:
        model = self._model_or_none()
        assert model is not None
        still = self.context.media.kind == "image"
        step = 0.0 if still else float(1 / self.p.fps)
        track = self._series.to_intervals(step=step, params=self.p.hysteresis, provenance=self._provenance(model))
        labels = sorted(set(track.labels()))
        return AnalyzerOutput(
            tracks={self.track: track},
            metrics={"samples": len(self._series.times), "intervals": len(track), "labels": len(labels)},
            model_calls=self.model_calls,
        )


def _best(dets: list[Detection]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in dets:
        out[d.label] = max(out.get(d.label, 0.0), d.score)
    return out


@register
class ObjectTags(_TagAnalyzer):
    name = "tags_objects"
    version = "1"
    track = "tags.objects"
    description = "COCO objects (SSD-MobileNet v2) as `tags.objects` intervals."

    def _load(self) -> Any:
        from rushes.models.zoo import object_detector

        return object_detector()

    def _score(self, model: Any, frame: VideoFrame) -> dict[str, float]:
        return _best(model.detect(frame.image, min_score=self.p.min_score))


@dataclass(frozen=True)
class ImageNetParams(TagParams):
    min_score: float = 0.1
    on: float = 0.25
    off: float = 0.12


@register
class ImageNetTags(_TagAnalyzer):
    """ImageNet tags, plus every sample's full class distribution as an ``imagenet`` embedding.

    The distribution lets search score *any* class a query resembles, not only the thresholded
    tags (see ``SearchEngine`` source ``classes``).
    """

    name = "tags_imagenet"
    version = "2"
    Params = ImageNetParams
    track = "tags.imagenet"
    description = "ImageNet classes (EfficientNet-Lite3) as `tags.imagenet` intervals + class distributions."

    def __init__(self, params: ImageNetParams | None = None) -> None:
        super().__init__(params)
        self._probs: list[Any] = []

    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        self._probs = []

    def _load(self) -> Any:
        from rushes.models.zoo import classifier

        return classifier()

    def _score(self, model: Any, frame: VideoFrame) -> dict[str, float]:
        import numpy as np

        probs = model.probabilities(frame.image)
        self._probs.append(probs)
        order = np.argsort(-probs)[: self.p.top_k]
        return {model.labels[i][0]: float(probs[i]) for i in order if probs[i] >= self.p.min_score}

    def finish(self) -> AnalyzerOutput:
        import numpy as np

        from rushes.analyzers.embed import EMBEDDING_KIND, save_embeddings

        out = super().finish()
        model = self._model_or_none()
        path = self.context.workdir / "embeddings.npz"
        probs = np.stack(self._probs) if self._probs else np.zeros((0, 1000), np.float32)
        save_embeddings(path, np.asarray(self._series.times, dtype=np.float64), probs)
        out.artifacts.append(ArtifactFile(EMBEDDING_KIND, path, {
            "space": "imagenet", "model_id": self._provenance(model).model_id, "dim": int(probs.shape[1]),
            "count": len(probs), "fps": str(self.p.fps)}))
        return out


@dataclass(frozen=True)
class FaceParams(TagParams):
    fps: Fraction = Fraction(2)
    min_score: float = 0.6
    on: float = 0.7
    off: float = 0.6


@register
class FaceTags(_TagAnalyzer):
    name = "tags_faces"
    version = "1"
    Params = FaceParams
    track = "tags.faces"
    description = "Faces (BlazeFace; Haar fallback) as `tags.faces` intervals: `face`, `faces:2+`."

    def _load(self) -> Any:
        from rushes.models.zoo import face_detector

        return face_detector()

    def _score(self, model: Any, frame: VideoFrame) -> dict[str, float]:
        faces = model.detect(frame.image, min_score=self.p.min_score)
        if not faces:
            return {}
        best = max(f.score for f in faces)
        out = {"face": best}
        if len(faces) >= 2:
            out["faces:2+"] = sorted((f.score for f in faces), reverse=True)[1]
        return out


@dataclass(frozen=True)
class ClipTagParams(TagParams):
    min_score: float = 0.15
    on: float = 0.3
    off: float = 0.15
    top_k: int = 5


@register
class ClipTags(_TagAnalyzer):
    name = "tags_clip"
    version = "1"
    Params = ClipTagParams
    track = "tags.clip"
    description = "Zero-shot CLIP tags over a film vocabulary (only when a CLIP model is installed)."

    def _load(self) -> Any:
        from rushes.models.clip import clip_model

        return clip_model()

    def _provenance(self, model: Any) -> Provenance:
        return Provenance(model.name, model.revision, model.sha256)

    def _score(self, model: Any, frame: VideoFrame) -> dict[str, float]:
        from rushes.models.clip import zero_shot

        return dict(zero_shot(model, frame.image, top_k=self.p.top_k, min_score=self.p.min_score))


@register
class SearchIndex(Analyzer):
    """Pulls in every analyzer search uses: ``rushes ingest --analyzers search PATHS``."""

    name = "search"
    version = "1"
    requires = ("thumbnails", "tags_objects", "tags_imagenet", "tags_faces", "tags_clip", "embed_mobilenet",
                "embed_clip", "ocr_text")
    media_kinds = frozenset({"video", "image"})
    description = "Everything search needs: tag tracks, image embeddings (MobileNetV2, CLIP), OCR text."

    def finish(self) -> AnalyzerOutput:
        return AnalyzerOutput(metrics={"inputs": sorted(self.context.inputs)})
