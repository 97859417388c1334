"""Poster thumbnails spread over each file, from key frames only (cheap: no full decode needed)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register

__all__ = ["Thumbnails", "ThumbnailsParams"]


@dataclass(frozen=True)
class ThumbnailsParams:
    count: int = 6
    """How many thumbnails per file (evenly spread over its duration)."""
    max_side: int = 320
    quality: int = 80

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 100:
            raise ValueError("count must be within 1..100")
        if not 16 <= self.max_side <= 4096:
            raise ValueError("max_side must be within 16..4096")


@register
class Thumbnails(Analyzer):
    name = "thumbnails"
    version = "1"
    Params = ThumbnailsParams
    media_kinds = frozenset({"video", "image"})
    default = True
    description = "JPEG thumbnails spread over the file, taken from key frames."

    def __init__(self, params: ThumbnailsParams | None = None) -> None:
        super().__init__(params)
        self.p: ThumbnailsParams = self.params
        self._targets: list[Fraction] = []
        self._saved: list[ArtifactFile] = []
        self._best: list[tuple[Fraction, VideoFrame] | None] = []

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="keyframes", max_side=self.p.max_side)

    def begin(self, ctx: AnalyzerContext) -> None:
        super().begin(ctx)
        dur = ctx.duration or Fraction(0)
        n = self.p.count if dur > 0 else 1
        # targets at the middle of n equal slices; each gets the nearest key frame
        self._targets = [dur * (2 * i + 1) / (2 * n) for i in range(n)]
        self._best = [None] * n

    def on_frame(self, frame: VideoFrame) -> None:
        for i, target in enumerate(self._targets):
            dist = abs(frame.time - target)
            cur = self._best[i]
            if cur is None or dist < cur[0]:
                self._best[i] = (dist, frame)

    def _save(self, frame: VideoFrame) -> None:
        from PIL import Image

        path = self.context.workdir / f"thumb_{len(self._saved):03d}.jpg"
        Image.fromarray(frame.image).save(path, quality=self.p.quality)
        self._saved.append(ArtifactFile("thumbnail", path, {"t": float(frame.time), "pts": frame.pts}))

    def finish(self) -> AnalyzerOutput:
        seen: set[int] = set()
        for best in self._best:
            if best is not None and best[1].index not in seen:
                seen.add(best[1].index)
                self._save(best[1])
        return AnalyzerOutput(artifacts=list(self._saved), metrics={"thumbnails": len(self._saved)})
