"""Synthetic dailies for tests, demos and benchmarks: camera files with slates, claps and the
director's "action"/"cut", plus exact ground truth (``truth.json``).

Public API::

    generate_reel(out_dir, *, files=2, takes_per_file=2, seed=0, ...) -> ReelTruth
    render_slate(fields, size=(w, h), upside_down=False, rng=None) -> (H, W, 3) uint8
    synthesize(text, sample_rate=16000) -> float32 mono samples

Command line: ``python -m rushes.demo OUT_DIR [--files N] [--takes N] [--seed S]``.
"""

from rushes.demo.reel import (
    CONFUSERS,
    EventTruth,
    FileTruth,
    ReelTruth,
    Segment,
    TakeTruth,
    Timing,
    WordTruth,
    camera_file_name,
    generate_reel,
)
from rushes.demo.slate import SlateFields, find_font_path, render_slate, render_slate_rgba
from rushes.demo.speech import speech_backend, synthesize

__all__ = [
    "CONFUSERS",
    "EventTruth",
    "FileTruth",
    "ReelTruth",
    "Segment",
    "SlateFields",
    "TakeTruth",
    "Timing",
    "WordTruth",
    "camera_file_name",
    "find_font_path",
    "generate_reel",
    "render_slate",
    "render_slate_rgba",
    "speech_backend",
    "synthesize",
]
