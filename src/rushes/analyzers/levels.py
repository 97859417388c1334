"""Picture levels: luma statistics per sample and black segments (slugs, fades to black)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from rushes.analyzers._runs import runs_to_intervals
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerOutput, ArtifactFile, save_npy
from rushes.pipeline.registry import register

__all__ = ["Levels", "LevelsParams"]


@dataclass(frozen=True)
class LevelsParams:
    fps: Fraction = Fraction(4)
    """Samples per second."""
    black_luma: float = 24.0
    """A sample is black when its mean luma (0–255) is at most this ..."""
    black_spread: float = 12.0
    """... and its luma standard deviation at most this (a dark but detailed scene is not black)."""
    min_black_s: float = 0.25

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be positive")


@register
class Levels(Analyzer):
    name = "levels"
    version = "1"
    Params = LevelsParams
    default = True
    description = "Mean/spread of luma over time; `black` track of black segments."

    def __init__(self, params: LevelsParams | None = None) -> None:
        super().__init__(params)
        self.p: LevelsParams = self.params
        self._t: list[float] = []
        self._mean: list[float] = []
        self._std: list[float] = []

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="fps", fps=self.p.fps, width=64, height=36, format="gray")

    def on_frame(self, frame: VideoFrame) -> None:
        img = frame.image.astype(np.float32)
        self._t.append(float(frame.time))
        self._mean.append(float(img.mean()))
        self._std.append(float(img.std()))

    def finish(self) -> AnalyzerOutput:
        t = np.asarray(self._t, dtype=np.float64)
        mean = np.asarray(self._mean, dtype=np.float64)
        std = np.asarray(self._std, dtype=np.float64)
        step = float(1 / self.p.fps)
        black = (mean <= self.p.black_luma) & (std <= self.p.black_spread)
        score = 1.0 - np.clip(mean / max(self.p.black_luma, 1e-6), 0, 1)
        track = runs_to_intervals(t, black, step, "black", min_length=self.p.min_black_s, scores=score)
        path = save_npy(self.context.workdir / "luma.npy", np.stack([t, mean, std]).astype(np.float32))
        return AnalyzerOutput(
            tracks={"black": track},
            artifacts=[ArtifactFile("luma_curve", path, {"rows": ["t", "mean", "std"], "fps": str(self.p.fps)})],
            metrics={"samples": len(t), "mean_luma": float(mean.mean()) if len(mean) else None,
                     "black_s": track.total_seconds()},
        )
