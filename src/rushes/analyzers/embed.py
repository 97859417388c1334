"""Image embeddings of sampled frames, for similarity search and the vector index.

``embed_mobilenet``: MobileNetV2 (ImageNet) pooled features, L2-normalised 1280-d — the shot
engine's embedding (:func:`rushes.shots.models.embedder`), reused here so there is one export of
those weights. It powers ``rushes search --image FILE`` (find shots that look like a picture).

``embed_clip``: the installed CLIP model's image tower (open-vocabulary text search and image
search in CLIP space). When no CLIP model is installed the step is "n/a" and nothing fails.

Each writes one artifact ``embeddings.npz`` (``t``: float64 seconds, ``v``: float16 unit
vectors) of kind ``embedding`` with attrs ``{"space", "model_id", "dim", "count"}``; the search
layer adds new artifacts to the library's vector index incrementally (:mod:`rushes.search.index`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register

if TYPE_CHECKING:
    from rushes.catalog import MediaRecord

__all__ = ["ClipEmbed", "EmbedParams", "MobileNetEmbed", "save_embeddings"]

log = logging.getLogger(__name__)

EMBEDDING_KIND = "embedding"


@dataclass(frozen=True)
class EmbedParams:
    fps: Fraction = Fraction(1)
    """Frames embedded per second."""
    max_side: int = 320
    """Decode size (the model centre-crops and resizes to its own input)."""
    batch: int = 8

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be positive")
        if not 1 <= self.batch <= 256:
            raise ValueError("batch must be within 1..256")


def save_embeddings(path: Any, times: npt.NDArray[np.float64], vectors: npt.NDArray[np.float32]) -> None:
    """Write the ``embeddings.npz`` artifact (float16 vectors)."""
    with open(path, "wb") as fh:
        np.savez(fh, t=times.astype(np.float64), v=vectors.astype(np.float16))


class _EmbedAnalyzer(Analyzer):
    Params = EmbedParams
    media_kinds = frozenset({"video", "image"})
    space: ClassVar[str]

    def __init__(self, params: EmbedParams | None = None) -> None:
        super().__init__(params)
        self.p: EmbedParams = self.params
        self._model: Any = None
        self._pending: list[npt.NDArray[np.uint8]] = []
        self._times: list[float] = []
        self._vectors: list[npt.NDArray[np.float32]] = []

    def _load(self) -> Any:
        raise NotImplementedError

    def _embed(self, model: Any, images: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        raise NotImplementedError

    def _space(self, model: Any) -> str:
        return self.space

    def _model_or_none(self) -> Any:
        if self._model is None:
            try:
                self._model = self._load()
            except ModelNotAvailable as exc:
                log.info("%s: %s", self.name, exc)
                return None
        return self._model

    def model_id(self) -> str:
        model = self._model_or_none()
        return "" if model is None else str(model.model_id)

    def applies_to(self, media: MediaRecord) -> bool:
        return super().applies_to(media) and self._model_or_none() is not None

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="fps", fps=self.p.fps, max_side=self.p.max_side, format="rgb24")

    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        self._pending, self._times, self._vectors = [], [], []

    def _flush(self) -> None:
        if self._pending:
            model = self._model_or_none()
            if model is None:
                raise ModelNotAvailable(f"{self.name}: model not installed")
            self._vectors.append(self._embed(model, self._pending))
            self.model_calls += 1
            self._pending = []

    def on_frame(self, frame: VideoFrame) -> None:
        self._pending.append(frame.image)
        self._times.append(float(frame.time))
        if len(self._pending) >= self.p.batch:
            self._flush()

    def finish(self) -> AnalyzerOutput:
        self._flush()
        model = self._model_or_none()
        assert model is not None
        vectors = np.concatenate(self._vectors) if self._vectors else np.zeros((0, 1), np.float32)
        times = np.asarray(self._times, dtype=np.float64)
        path = self.context.workdir / "embeddings.npz"
        save_embeddings(path, times, vectors)
        attrs = {"space": self._space(model), "model_id": str(model.model_id), "dim": int(vectors.shape[1]),
                 "count": len(times), "fps": str(self.p.fps)}
        return AnalyzerOutput(artifacts=[ArtifactFile(EMBEDDING_KIND, path, attrs)],
                              metrics={"samples": len(times)}, model_calls=self.model_calls)


@register
class MobileNetEmbed(_EmbedAnalyzer):
    name = "embed_mobilenet"
    version = "1"
    space = "mobilenetv2"
    description = "MobileNetV2 image embeddings at 1 fps (search by image, near-duplicates)."

    def _load(self) -> Any:
        try:
            from rushes.shots.models import embedder
        except ImportError as exc:
            raise ModelNotAvailable(f"the shot engine's MobileNetV2 embedder is unavailable ({exc})") from exc
        return embedder()

    def _embed(self, model: Any, images: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        return np.asarray(model.embed(images), dtype=np.float32)


@register
class ClipEmbed(_EmbedAnalyzer):
    name = "embed_clip"
    version = "1"
    space = "clip"
    description = "CLIP image embeddings at 1 fps (open-vocabulary search; only with a CLIP model installed)."

    def _load(self) -> Any:
        from rushes.models.clip import clip_model

        return clip_model()

    def _space(self, model: Any) -> str:
        return f"clip:{model.name}"

    def _embed(self, model: Any, images: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        return np.asarray(model.encode_images(images), dtype=np.float32)
