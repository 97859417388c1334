"""Cheap per-frame signals shared by the shot detectors (all on tiny frames).

Every decoded frame is reduced once to 96×54 (for PySceneDetect's detectors and the HSV frame
score) and to 48×27 (TransNetV2's input size, also used for the flash and blend tests). These
helpers are pure functions over those arrays; the stateful parts live in
:mod:`rushes.shots.engine`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DETECT_SIZE",
    "TRANSNET_SIZE",
    "blend_residual",
    "hsv_score",
    "luma_stats",
    "mean_abs_diff",
    "motion_explains",
    "reduce_frame",
    "structure_correlation",
]

#: (width, height) fed to PySceneDetect's detectors
DETECT_SIZE = (96, 54)
#: (width, height) TransNetV2 was trained on
TRANSNET_SIZE = (48, 27)

U8 = npt.NDArray[np.uint8]


def reduce_frame(cv2: Any, image: U8) -> tuple[U8, U8]:
    """(96×54, 48×27) RGB versions of ``image``; area averaging, aspect not kept (as TransNetV2 expects)."""
    w, h = DETECT_SIZE
    src = image if image.shape[2] == 3 else np.ascontiguousarray(image[..., :3])
    if src.shape[0] == h and src.shape[1] == w:
        mid = np.ascontiguousarray(src)
    elif src.shape[1] > 2 * w and src.shape[0] > 2 * h:
        # OpenCV's area filter is only fast at integer factors: bilinear to 2x, then area-halve
        # (the analyzer's 320×180 frames: ~100 µs instead of ~280 µs for one generic area resize)
        mid = cv2.resize(cv2.resize(src, (2 * w, 2 * h), interpolation=cv2.INTER_LINEAR), (w, h),
                         interpolation=cv2.INTER_AREA)
    else:
        mid = cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA)
    small = cv2.resize(mid, TRANSNET_SIZE, interpolation=cv2.INTER_AREA)
    return mid, small


def _l1(a: U8, b: U8) -> float:
    import cv2

    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size


def hsv_score(a: U8, b: U8) -> float:
    """Mean absolute difference of two HSV images averaged over H, S and V (PySceneDetect's content score)."""
    return _l1(a, b)


def mean_abs_diff(a: U8, b: U8) -> float:
    """Mean absolute RGB difference (0–255)."""
    return _l1(a, b)


def blend_residual(first: U8, middle: U8, last: U8) -> tuple[float, float]:
    """(change, residual): how much ``last`` differs from ``first``, and how far ``middle`` is from
    their average as a share of that change. A dissolve or fade gives a large change with a small
    residual (the middle frame *is* a mix of the ends); camera motion gives a large residual.
    """
    import cv2

    change = _l1(first, last)
    if change <= 1e-6:
        return 0.0, 1.0
    average: U8 = np.asarray(cv2.addWeighted(first, 0.5, last, 0.5, 0.0), dtype=np.uint8)
    return change, _l1(middle, average) / change


def motion_explains(a: U8, b: U8, share: float = 0.8) -> bool:
    """Whether a global shift of ``a`` (phase correlation) accounts for most of its difference to ``b``."""
    import cv2

    ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float32)
    window = cv2.createHanningWindow((ga.shape[1], ga.shape[0]), cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(ga, gb, window)
    if abs(dx) < 0.25 and abs(dy) < 0.25:
        return False
    shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)
    moved = cv2.warpAffine(ga, shift, (ga.shape[1], ga.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    m = max(1, int(np.ceil(max(abs(dx), abs(dy)))) + 1)
    if ga.shape[0] <= 2 * m or ga.shape[1] <= 2 * m:
        return False
    inner = (slice(m, -m), slice(m, -m))
    before = float(np.abs(gb[inner] - ga[inner]).mean())
    after = float(np.abs(gb[inner] - moved[inner]).mean())
    return before > 1e-3 and after < share * before


def luma_stats(rgb: U8) -> tuple[float, float]:
    """(mean, standard deviation) of BT.601 luma (0–255)."""
    import cv2

    mean, std = cv2.meanStdDev(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    return float(mean[0, 0]), float(std[0, 0])


def structure_correlation(a: U8, b: U8) -> float:
    """Correlation of the zero-mean, unit-variance luma of two frames (1 = same picture up to
    brightness/contrast; a flat frame correlates with nothing)."""
    ya = a.astype(np.float32).mean(axis=2).ravel()
    yb = b.astype(np.float32).mean(axis=2).ravel()
    ya -= ya.mean()
    yb -= yb.mean()
    den = float(np.sqrt((ya * ya).sum() * (yb * yb).sum()))
    if den < 1e-3:
        return 0.0
    return float((ya * yb).sum() / den)
