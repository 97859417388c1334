"""Analyzers used only by tests (loaded through RUSHES_PLUGINS=plugins_for_tests).

They are real analyzers running through the real runner; they just fail or wait on purpose.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rushes.errors import TransientError
from rushes.intervals import Intervals
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register


@dataclass(frozen=True)
class SlowParams:
    sleep_s: float = 0.05


@register
class SlowFrames(Analyzer):
    """Sleeps on every sampled frame (10 fps) so jobs last long enough to pause and kill."""

    name = "t_slow"
    version = "1"
    Params = SlowParams

    def __init__(self, params: SlowParams | None = None) -> None:
        super().__init__(params)
        self.n = 0

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="fps", fps=__import__("fractions").Fraction(10), width=32, height=18)

    def on_frame(self, frame: VideoFrame) -> None:
        time.sleep(self.params.sleep_s)
        self.n += 1

    def finish(self) -> AnalyzerOutput:
        return AnalyzerOutput(tracks={"t_slow": Intervals.from_seconds([0.0], [0.1], "seen", score=self.n)},
                              metrics={"frames": self.n})


@register
class Boom(Analyzer):
    """Always fails with a programming error."""

    name = "t_boom"
    version = "1"

    def frame_spec(self) -> FrameSpec:
        return FrameSpec(mode="keyframes", width=32, height=18)

    def on_frame(self, frame: VideoFrame) -> None:
        raise ValueError("boom on purpose")

    def finish(self) -> AnalyzerOutput:
        return AnalyzerOutput()


@register
class NeedsBoom(Analyzer):
    name = "t_needs_boom"
    version = "1"
    requires = ("t_boom",)

    def finish(self) -> AnalyzerOutput:
        return AnalyzerOutput()


@register
class Flaky(Analyzer):
    """Raises TransientError until it has been tried FLAKY_FAILS times (counted in a file)."""

    name = "t_flaky"
    version = "1"

    def finish(self) -> AnalyzerOutput:
        counter = Path(os.environ["FLAKY_COUNTER"])
        n = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(n + 1))
        if n < int(os.environ.get("FLAKY_FAILS", "1")):
            raise TransientError(f"flaky failure #{n + 1}")
        return AnalyzerOutput(tracks={"t_flaky": Intervals.from_seconds([0.0], [1.0], "ok")},
                              metrics={"tries": n + 1})


@register
class BlackCount(Analyzer):
    """Depends on `levels`: reads its `black` track from the catalog and writes an artifact."""

    name = "t_black_count"
    version = "1"
    requires = ("levels",)

    def finish(self) -> AnalyzerOutput:
        black = self.context.inputs.get("black", Intervals.empty())
        path = self.context.workdir / "count.npy"
        np.save(path, np.array([len(black)]))
        return AnalyzerOutput(tracks={"t_black_count": Intervals.from_seconds([0.0], [0.0], str(len(black)))},
                              artifacts=[ArtifactFile("count", path)])
