"""Audio levels: a loudness curve (dBFS per window) and the `silence` track."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rushes.analyzers._runs import runs_to_intervals
from rushes.media.decode import AUDIO_RATE, AudioChunk
from rushes.pipeline.analyzer import Analyzer, AnalyzerOutput, ArtifactFile, save_npy
from rushes.pipeline.registry import register

__all__ = ["AudioLevels", "AudioLevelsParams"]


@dataclass(frozen=True)
class AudioLevelsParams:
    window_s: float = 0.05
    silence_dbfs: float = -50.0
    min_silence_s: float = 0.5

    def __post_init__(self) -> None:
        if not 0.005 <= self.window_s <= 1.0:
            raise ValueError("window_s must be within 0.005..1.0")


@register
class AudioLevels(Analyzer):
    name = "audio_levels"
    version = "1"
    Params = AudioLevelsParams
    media_kinds = frozenset({"video", "audio"})
    default = True
    description = "RMS loudness (dBFS) per window; `silence` track."

    def __init__(self, params: AudioLevelsParams | None = None) -> None:
        super().__init__(params)
        self.p: AudioLevelsParams = self.params
        self._win = max(1, round(self.p.window_s * AUDIO_RATE))
        self._carry = np.zeros(0, dtype=np.float32)
        self._t0: float | None = None
        self._db: list[npt.NDArray[np.float64]] = []
        self._peak: list[npt.NDArray[np.float64]] = []

    def wants_audio(self) -> bool:
        return True

    def on_audio(self, chunk: AudioChunk) -> None:
        if self._t0 is None:
            self._t0 = float(chunk.time)
        buf = np.concatenate([self._carry, chunk.samples])
        n = len(buf) // self._win
        if n:
            frames = buf[: n * self._win].reshape(n, self._win).astype(np.float64)
            rms = np.sqrt(np.mean(frames * frames, axis=1))
            self._db.append(20 * np.log10(np.maximum(rms, 1e-6)))
            self._peak.append(np.max(np.abs(frames), axis=1))
        self._carry = buf[n * self._win:]

    def finish(self) -> AnalyzerOutput:
        db = np.concatenate(self._db) if self._db else np.zeros(0)
        peak = np.concatenate(self._peak) if self._peak else np.zeros(0)
        step = self._win / AUDIO_RATE
        t = (self._t0 or 0.0) + np.arange(len(db)) * step
        silent = db <= self.p.silence_dbfs
        track = runs_to_intervals(t, silent, step, "silence", min_length=self.p.min_silence_s)
        path = save_npy(self.context.workdir / "loudness.npy", np.stack([t, db, peak]).astype(np.float32))
        return AnalyzerOutput(
            tracks={"silence": track},
            artifacts=[ArtifactFile("loudness_curve", path, {"rows": ["t", "dbfs", "peak"], "window_s": step})],
            metrics={"windows": len(db), "mean_dbfs": float(db.mean()) if len(db) else None,
                     "silence_s": track.total_seconds()},
        )
