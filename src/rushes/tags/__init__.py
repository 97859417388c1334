"""Tag tracks: per-sample detections from the vision models become labelled intervals.

:mod:`rushes.tags.hysteresis` turns sampled scores into intervals (two thresholds, gap bridging,
minimum length) with model provenance on every row; :mod:`rushes.tags.labels` holds the class
names of the packaged models. The analyzers that produce tag tracks live in
:mod:`rushes.analyzers.tags`.
"""

from rushes.tags.hysteresis import HysteresisParams, Provenance, Run, TagSeries, hysteresis_mask, hysteresis_runs

__all__ = ["HysteresisParams", "Provenance", "Run", "TagSeries", "hysteresis_mask", "hysteresis_runs"]
