"""Clap: the clapperboard's sticks closing, found in the sound (track ``claps``).

A broadband, impulsive, isolated transient (see :mod:`rushes.triage.speech.clap`): the sync
point of each take. Track ``claps``: instants (``start == end``) labelled ``clap``, ``score`` =
transient strength in 0..1, ``data.rise_db`` / ``crest_db`` / ``decay_db`` / ``hf_ratio``.
Pairing a clap with its slate (and so keeping only slate claps) is left to take assembly, which
knows where the slates are; at most one clap is reported per ``min_gap_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rushes.intervals import Intervals
from rushes.media.decode import AudioChunk
from rushes.pipeline.analyzer import Analyzer, AnalyzerOutput
from rushes.pipeline.registry import register
from rushes.triage.speech.clap import ClapDetector, ClapParams

__all__ = ["ClapAnalyzer", "ClapAnalyzerParams"]


@dataclass(frozen=True)
class ClapAnalyzerParams:
    """Parameters of the ``clap`` analyzer (see :class:`ClapParams`)."""

    min_rise_db: float = 18.0
    min_crest_db: float = 20.0
    min_decay_db: float = 10.0
    min_hf_ratio: float = 0.25
    min_gap_s: float = 2.0

    def __post_init__(self) -> None:
        self.to_clap_params()

    def to_clap_params(self) -> ClapParams:
        """The detector's parameters."""
        return ClapParams(min_rise_db=self.min_rise_db, min_crest_db=self.min_crest_db,
                          min_decay_db=self.min_decay_db, min_hf_ratio=self.min_hf_ratio, min_gap_s=self.min_gap_s)


@register
class ClapAnalyzer(Analyzer):
    name = "clap"
    version = "1"
    Params = ClapAnalyzerParams
    media_kinds = frozenset({"video", "audio"})
    default = True
    description = "Clapperboard claps (broadband impulsive transients) in the sound: `claps` track."

    def __init__(self, params: ClapAnalyzerParams | None = None) -> None:
        super().__init__(params)
        self.p: ClapAnalyzerParams = self.params
        self._det: ClapDetector | None = None

    def wants_audio(self) -> bool:
        return True

    def on_audio(self, chunk: AudioChunk) -> None:
        if self._det is None:
            self._det = ClapDetector(self.p.to_clap_params(), time_offset=float(chunk.time))
        self._det.feed(chunk.samples)

    def finish(self) -> AnalyzerOutput:
        claps = self._det.finish() if self._det is not None else []
        t = [c.t for c in claps]
        track = Intervals.from_seconds(
            t, t, "clap", score=[c.score for c in claps],
            data={
                "rise_db": np.asarray([c.rise_db for c in claps], np.float64),
                "crest_db": np.asarray([c.crest_db for c in claps], np.float64),
                "decay_db": np.asarray([c.decay_db for c in claps], np.float64),
                "hf_ratio": np.asarray([c.hf_ratio for c in claps], np.float64),
            },
        )
        return AnalyzerOutput(tracks={"claps": track}, metrics={"claps": len(claps)})
