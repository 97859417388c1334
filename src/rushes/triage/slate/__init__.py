"""Slates: clapperboard detection (classifier), slate OCR to fields, evaluation and training.

Public API (heavy dependencies — ONNX Runtime, OpenCV, RapidOCR — load lazily on first use)::

    from rushes.triage.slate import read_slate, roll_matches_filename, slate_classifier, evaluate_slates

    reading = read_slate(rgb_frame)              # SlateReading: fields, raw OCR lines, char_count
    reading.value("scene"), reading.fields["take"].confidence
    roll_matches_filename(reading.value("roll"), "A004C012_230412_R1AB.mov")   # True / False / None
    probs = slate_classifier().predict([frame])  # [N, 3]: none, slate, tail_slate
    evaluate_slates(generated=48)                 # field accuracy report

Modules: :mod:`~rushes.triage.slate.fields` (vocabulary, normalisation, camera file names),
:mod:`~rushes.triage.slate.layout` (label → value by position), :mod:`~rushes.triage.slate.ocr`
(RapidOCR), :mod:`~rushes.triage.slate.classifier` (MobileNetV2 features + shipped head),
:mod:`~rushes.triage.slate.events` (2 s merging, candidate frames), :mod:`~rushes.triage.slate.synth`
(rendered training pictures), :mod:`~rushes.triage.slate.train` (``python -m
rushes.triage.slate.train``), :mod:`~rushes.triage.slate.evaluate`. The pipeline step is
:mod:`rushes.analyzers.slate` (track ``slates``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rushes.triage.slate.fields import (
    FIELDS,
    CameraFileName,
    normalise_field,
    normalise_roll,
    normalise_scene,
    normalise_take,
    parse_camera_filename,
    roll_matches_filename,
)
from rushes.triage.slate.layout import FieldValue, OcrLine, parse_layout

if TYPE_CHECKING:
    from rushes.triage.slate.classifier import SlateClassifier, slate_classifier
    from rushes.triage.slate.evaluate import evaluate_slates
    from rushes.triage.slate.ocr import OcrSettings, SlateReading, read_slate

__all__ = [
    "FIELDS",
    "CameraFileName",
    "FieldValue",
    "OcrLine",
    "OcrSettings",
    "SlateClassifier",
    "SlateReading",
    "evaluate_slates",
    "normalise_field",
    "normalise_roll",
    "normalise_scene",
    "normalise_take",
    "parse_camera_filename",
    "parse_layout",
    "read_slate",
    "roll_matches_filename",
    "slate_classifier",
]

_LAZY = {
    "OcrSettings": "rushes.triage.slate.ocr",
    "SlateReading": "rushes.triage.slate.ocr",
    "read_slate": "rushes.triage.slate.ocr",
    "SlateClassifier": "rushes.triage.slate.classifier",
    "slate_classifier": "rushes.triage.slate.classifier",
    "evaluate_slates": "rushes.triage.slate.evaluate",
}


def __getattr__(name: str) -> Any:
    """Import the model-backed parts on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
