"""The ``shots`` analyzer: a frame-exact shot track for every video file, in every ingest.

Tracks (times in ticks of the video stream's time base, from each frame's PTS):

* ``shots`` — one row per shot, label ``shot``; data columns ``shot`` (number from 1),
  ``transition_in`` (``start``/``cut``/``dissolve``/``fade``), ``group`` (near-duplicate set-up
  id, earliest shot first; -1 when grouping is off), ``start_frame``/``end_frame`` (decoded-frame
  indices, end exclusive) and ``thumbnail`` (artifact file name).
* ``transitions`` — cuts as instants at the first frame of the new shot, dissolves and fades as
  spans over the frames they affect; label = kind.

Artifacts: one JPEG thumbnail per shot (``kind="thumbnail"``, attrs: shot, frame, t, group).
The detection itself lives in :mod:`rushes.shots`; this module only adapts it to the pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from rushes.errors import ModelNotAvailable
from rushes.intervals import Intervals
from rushes.media.decode import FrameSpec, VideoFrame
from rushes.pipeline.analyzer import Analyzer, AnalyzerContext, AnalyzerOutput, ArtifactFile
from rushes.pipeline.registry import register
from rushes.shots.engine import ShotEngine, ShotResult
from rushes.shots.params import ShotParams

__all__ = ["ShotsAnalyzer", "result_tracks"]

log = logging.getLogger(__name__)


def _weights_id(spec_name: str) -> str:
    from rushes.models import file_sha256, package_file
    from rushes.shots import models

    spec = models.TRANSNET if spec_name == "transnet" else models.MOBILENET
    try:
        path = package_file(spec.package, *spec.resource, pip_name=spec.pip)
    except ModelNotAvailable:
        return f"{spec.name}@none"
    return f"{spec.name}@{file_sha256(path)[:16]}"


def result_tracks(result: ShotResult, extra: dict[str, Any] | None = None) -> dict[str, Intervals]:
    """The ``shots`` and ``transitions`` tracks of a detection result."""
    tb = result.time_base
    ticks = result.ticks

    def tick(frame: int) -> int:
        return int(ticks[frame]) if frame < result.frames else int(result.end_tick)

    shots = result.shots
    meta = {"analyzer": "shots", "mode": result.metrics.get("mode"), **(extra or {})}
    thumbs = (extra or {}).get("thumbnails", {})
    shot_track = Intervals.from_ticks(
        [tick(s.start) for s in shots], [tick(s.end) for s in shots], "shot", tb,
        score=1.0,
        data={
            "shot": np.arange(1, len(shots) + 1, dtype=np.int64),
            "transition_in": [s.transition_in for s in shots],
            "group": np.asarray([s.group for s in shots], dtype=np.int64),
            "start_frame": np.asarray([s.start for s in shots], dtype=np.int64),
            "end_frame": np.asarray([s.end for s in shots], dtype=np.int64),
            "thumbnail": [thumbs.get(i, "") for i in range(len(shots))],
        },
        metadata={k: v for k, v in meta.items() if k != "thumbnails"},
    )
    ts = result.transitions
    trans_track = Intervals.from_ticks(
        [tick(t.boundary) if not t.gradual else tick(t.start) for t in ts],
        [tick(t.boundary) if not t.gradual else tick(t.end + 1) for t in ts],
        [t.kind for t in ts], tb,
        score=[t.score for t in ts],
        data={
            "start_frame": np.asarray([t.start for t in ts], dtype=np.int64),
            "end_frame": np.asarray([t.end for t in ts], dtype=np.int64),
            "boundary_frame": np.asarray([t.boundary for t in ts], dtype=np.int64),
            "source": [t.source for t in ts],
        },
        metadata={k: v for k, v in meta.items() if k != "thumbnails"},
    )
    return {"shots": shot_track, "transitions": trans_track}


@register
class ShotsAnalyzer(Analyzer):
    """Shot boundaries (cuts, dissolves, fades), thumbnails and near-duplicate groups."""

    name = "shots"
    version = "1"
    Params = ShotParams
    media_kinds = frozenset({"video"})
    default = True
    description = "Shot track: cuts and gradual transitions, per-shot thumbnails, near-duplicate groups."

    def __init__(self, params: ShotParams | None = None) -> None:
        super().__init__(params)
        self.p: ShotParams = self.params
        self._engine: ShotEngine | None = None

    def frame_spec(self) -> FrameSpec:
        """Every frame, thumbnail-sized RGB (detection downsizes further itself)."""
        from rushes.shots.detect import frame_spec_for

        return frame_spec_for(self.p)

    def model_id(self) -> str:
        """Weights that affect the output (TransNetV2 unless classical; MobileNetV2 when grouping)."""
        parts = ["pyscenedetect-adaptive"]
        if self.p.mode != "classical":
            parts.append(_weights_id("transnet"))
        if self.p.groups:
            parts.append(_weights_id("mobilenet"))
        return "+".join(parts)

    def begin(self, ctx: AnalyzerContext) -> None:
        """Start a fresh engine for this file."""
        super().begin(ctx)
        from rushes.shots.detect import new_engine

        self._engine = new_engine(self.p, ctx.media.info)

    def on_frame(self, frame: VideoFrame) -> None:
        """Feed one frame to the engine."""
        if self._engine is None:
            raise RuntimeError("shots: begin() was not called")
        self._engine.push(frame.image, frame.time, frame.time_base, frame.key)

    def finish(self) -> AnalyzerOutput:
        """Decide shots, write thumbnails, return the tracks."""
        if self._engine is None:
            raise RuntimeError("shots: begin() was not called")
        ctx = self.context
        result = self._engine.finish()
        if (self.p.thumbnails or self.p.groups) and result.missing_reps:
            from rushes.shots.detect import fill_missing_reps

            fill_missing_reps(ctx.path, result, self.p, ctx.media.info)
        if self.p.groups:
            from rushes.shots.similarity import group_shots

            group_shots(result, self.p)
        artifacts: list[ArtifactFile] = []
        names: dict[int, str] = {}
        if self.p.thumbnails:
            ctx.workdir.mkdir(parents=True, exist_ok=True)
            for si, blob in sorted(result.reps.items()):
                shot = result.shots[si]
                name = f"shot_{si + 1:04d}.jpg"
                path = ctx.workdir / name
                path.write_bytes(blob)
                names[si] = name
                artifacts.append(ArtifactFile("thumbnail", path, {
                    "shot": si + 1, "frame": shot.rep_frame, "t": float(result.frame_time(shot.rep_frame)),
                    "group": shot.group, "source": "shots",
                }))
        self.model_calls = int(result.metrics.get("learned_windows", 0))
        tracks = result_tracks(result, {"thumbnails": names, "frame_rate": str(result.frame_rate)})
        metrics = {k: v for k, v in result.metrics.items() if k not in ("phash", "group_scores")}
        self._engine = None
        return AnalyzerOutput(tracks=tracks, artifacts=artifacts, metrics=metrics, model_calls=self.model_calls)
