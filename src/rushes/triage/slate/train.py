"""Train the slate classifier head: ``python -m rushes.triage.slate.train [--data DIR] [--out DIR]``.

Recipe (all from a seed, see :mod:`rushes.triage.slate.synth`):

1. backgrounds: frames of the videos and the photos in ``--data`` (default ``../shared/data``
   next to the checkout, or ``$RUSHES_SHARED_DATA``; files named ``*slate*`` are never used),
   split by **file** into training and held-out sets; plus synthetic backgrounds (all synthetic
   when there is no data folder — training works without it);
2. pictures: slates in varied looks, layouts, fonts, sizes (22–95 % of the frame width), angles,
   perspective, blur, lighting, noise, JPEG loss and occluding hands, upright (head slates) and
   turned 180° (tail slates); negatives: plain frames and frames with paper, signs, boards,
   screens and whiteboards covered in text, striped objects and hands;
3. features: the MobileNetV2 embedding of the whole frame squashed to 224×224;
4. head: standardise → 64 ReLU units → 3 classes, trained with Adam on cross-entropy with weight
   decay and input dropout, early-stopped on a validation split; the decision threshold on
   ``p_slate`` maximises F0.5 (precision-weighted) on the validation split, raised to the 98th
   percentile of ``p_slate`` over the training files' own plain frames (real footage holds far
   more slate-free frames than a balanced set), within 0.5–0.95;
5. report: accuracy / precision / recall on held-out composites (held-out background files and
   fresh synthetic backgrounds) and, when the data folder has them, on real slate photos and
   real frames without slates. Everything goes into ``model_card.json`` beside the head.

Needs the ``triage`` extra (OpenCV, ONNX Runtime, the MobileNetV2 weights); torch is not needed
once the shot engine's MobileNetV2 ONNX export exists in the model cache.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.slate.classifier import CARD_FILE, CLASSES, HEAD_FILE, default_head_path, prepare

__all__ = ["HELDOUT_FILES", "TrainConfig", "default_data_dir", "main", "train"]

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

#: background files kept out of training and used only for held-out evaluation
HELDOUT_FILES: tuple[str, ...] = (
    "psd_testvideo.mp4", "mpy_chaplin.mp4", "movienet_titanic_test1.mp4", "decord_flipping_a_pancake.mkv",
    "skimage_page.png", "skimage_coffee.png", "skimage_astronaut.png",
)


def default_data_dir() -> Path | None:
    """``$RUSHES_SHARED_DATA``, else ``../shared/data`` beside the checkout or the working folder."""
    env = os.environ.get("RUSHES_SHARED_DATA")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [here.parents[4].parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


class TrainConfig:
    """Sizes and hyper-parameters of one training run."""

    def __init__(self, *, n_train: int = 2400, n_test: int = 600, seed: int = 20260412, hidden: int = 64,
                 epochs: int = 80, lr: float = 1e-3, weight_decay: float = 3e-4, synthetic_share: float = 0.35,
                 per_video: int = 30) -> None:
        self.n_train = n_train
        self.n_test = n_test
        self.seed = seed
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.synthetic_share = synthetic_share
        self.per_video = per_video

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the model card."""
        return dict(vars(self))


def _make_set(
    n: int, pool: Sequence[U8], rng: np.random.Generator, synthetic_share: float,
    progress: Callable[[str], None], name: str,
) -> tuple[list[U8], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    from rushes.triage.slate import synth

    images: list[U8] = []
    labels: list[int] = []
    fracs: list[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        size = synth.random_size(rng)
        if not pool or rng.random() < synthetic_share:
            bg = synth.synthetic_background(rng, (size[0] + 64, size[1] + 36))
        else:
            bg = pool[int(rng.integers(0, len(pool)))]
        r = rng.random()
        if r < 0.45:
            c = synth.negative_frame(bg, rng, size=size)
        else:
            c = synth.composite(bg, rng, size=size, upside_down=bool(r >= 0.8))
        images.append(prepare(c.image))
        labels.append(c.label)
        fracs.append(c.slate_frac)
        if (i + 1) % 500 == 0:
            progress(f"{name}: {i + 1}/{n} pictures ({time.perf_counter() - t0:.0f} s)")
    return images, np.asarray(labels, np.int64), np.asarray(fracs, np.float32)


def _embed(images: Sequence[U8], progress: Callable[[str], None]) -> F32:
    from rushes.shots.models import embedder

    emb = embedder()
    out = []
    for i in range(0, len(images), 32):
        out.append(np.asarray(emb.embed(list(images[i:i + 32])), np.float32))
        if (i // 32) % 50 == 49:
            progress(f"embedded {i + 32}/{len(images)}")
    return np.concatenate(out) if out else np.zeros((0, 1280), np.float32)


def _softmax(z: F32) -> F32:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float32)


def fit_head(
    x: F32, y: npt.NDArray[np.int64], x_val: F32, y_val: npt.NDArray[np.int64], *, hidden: int = 64,
    epochs: int = 80, lr: float = 1e-3, weight_decay: float = 3e-4, seed: int = 0,
) -> tuple[dict[str, F32], dict[str, Any]]:
    """Train standardise → ReLU(hidden) → softmax(3) with Adam; early stopping on validation loss."""
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0).astype(np.float32)
    std = (x.std(axis=0) + 1e-4).astype(np.float32)
    xs = (x - mean) / std
    xv = (x_val - mean) / std
    d, k = x.shape[1], len(CLASSES)
    params = {
        "w1": (rng.normal(0, np.sqrt(2.0 / d), (d, hidden))).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": (rng.normal(0, np.sqrt(1.0 / hidden), (hidden, k))).astype(np.float32),
        "b2": np.zeros(k, np.float32),
    }
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    onehot = np.eye(k, dtype=np.float32)
    best: tuple[float, dict[str, F32], int] = (np.inf, {n: p.copy() for n, p in params.items()}, 0)
    step = 0
    history: list[float] = []
    for epoch in range(epochs):
        order = rng.permutation(len(xs))
        for s in range(0, len(order), 128):
            idx = order[s:s + 128]
            xb, yb = xs[idx], onehot[y[idx]]
            # input dropout keeps the head from leaning on a few backbone units
            keep = (rng.random(xb.shape) > 0.2).astype(np.float32) / 0.8
            xb = xb * keep
            h_pre = xb @ params["w1"] + params["b1"]
            h = np.maximum(h_pre, 0)
            p = _softmax(h @ params["w2"] + params["b2"])
            g_logits = (p - yb) / len(idx)
            grads = {
                "w2": h.T @ g_logits + weight_decay * params["w2"],
                "b2": g_logits.sum(axis=0),
            }
            g_h = (g_logits @ params["w2"].T) * (h_pre > 0)
            grads["w1"] = xb.T @ g_h + weight_decay * params["w1"]
            grads["b1"] = g_h.sum(axis=0)
            step += 1
            for n in params:
                m[n] = 0.9 * m[n] + 0.1 * grads[n]
                v[n] = 0.999 * v[n] + 0.001 * grads[n] ** 2
                mh = m[n] / (1 - 0.9 ** step)
                vh = v[n] / (1 - 0.999 ** step)
                params[n] = (params[n] - lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        pv = _softmax(np.maximum(xv @ params["w1"] + params["b1"], 0) @ params["w2"] + params["b2"])
        loss = float(-np.mean(np.log(pv[np.arange(len(y_val)), y_val] + 1e-9)))
        history.append(round(loss, 5))
        if loss < best[0]:
            best = (loss, {n: p.copy() for n, p in params.items()}, epoch)
        elif epoch - best[2] >= 12:
            break
    out = {"mean": mean, "std": std, **best[1]}
    return out, {"val_loss": round(best[0], 5), "best_epoch": best[2], "epochs_run": len(history),
                 "val_loss_history": history}


def _predict(head: dict[str, F32], x: F32) -> F32:
    xs = (x - head["mean"]) / head["std"]
    return _softmax(np.maximum(xs @ head["w1"] + head["b1"], 0) @ head["w2"] + head["b2"])


def binary_metrics(p_slate: F32, is_slate: npt.NDArray[np.bool_], threshold: float) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 and counts of ``p_slate >= threshold`` against the truth."""
    pred = p_slate >= threshold
    tp = int(np.sum(pred & is_slate))
    fp = int(np.sum(pred & ~is_slate))
    fn = int(np.sum(~pred & is_slate))
    tn = int(np.sum(~pred & ~is_slate))
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"n": len(pred), "accuracy": round((tp + tn) / max(1, len(pred)), 4), "precision": round(prec, 4),
            "recall": round(rec, 4), "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _best_threshold(p_slate: F32, is_slate: npt.NDArray[np.bool_], beta: float = 0.5) -> float:
    """Threshold in 0.5..0.95 maximising F-beta on validation (beta 0.5: precision counts double —
    real footage has far more frames without a slate than the balanced training set)."""
    best = (0.0, 0.5)
    for t in np.linspace(0.5, 0.95, 19):
        m = binary_metrics(p_slate, is_slate, float(t))
        p, r = m["precision"], m["recall"]
        f = (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0
        if f > best[0] + 1e-9:
            best = (f, float(t))
    return round(best[1], 3)


def _report(head: dict[str, F32], x: F32, y: npt.NDArray[np.int64], fracs: F32, threshold: float) -> dict[str, Any]:
    p = _predict(head, x)
    p_slate = p[:, 1] + p[:, 2]
    is_slate = y > 0
    out = binary_metrics(p_slate, is_slate, threshold)
    out["accuracy_3class"] = round(float(np.mean(np.argmax(p, axis=1) == y)), 4)
    found = (p_slate >= threshold) & is_slate
    if found.any():
        orient = np.where(p[:, 2] > p[:, 1], 2, 1)
        out["orientation_accuracy"] = round(float(np.mean(orient[found] == y[found])), 4)
    for name, lo, hi in (("small_slates_lt_0.35", 0.0, 0.35), ("large_slates_ge_0.35", 0.35, 9.0)):
        sel = is_slate & (fracs >= lo) & (fracs < hi)
        if sel.any():
            out[f"recall_{name}"] = round(float(np.mean(p_slate[sel] >= threshold)), 4)
    return out


def _real_report(head: dict[str, F32], data: Path, threshold: float, progress: Callable[[str], None]
                 ) -> dict[str, Any]:
    """Real slate photos (positives) and real frames of held-out files (negatives)."""
    from rushes.triage.slate import synth
    from rushes.triage.slate.evaluate import real_slate_images

    positives = real_slate_images(data)
    pos_imgs = [prepare(img) for _n, img, _t in positives]
    negs = synth.background_pool([data / "video", data / "images"], per_video=20,
                                 exclude=[n for n in _all_files(data) if n not in HELDOUT_FILES])
    neg_imgs = [prepare(f) for f in negs]
    if not pos_imgs and not neg_imgs:
        return {}
    feats = _embed(pos_imgs + neg_imgs, progress)
    p = _predict(head, feats)
    p_slate = p[:, 1] + p[:, 2]
    truth = np.array([True] * len(pos_imgs) + [False] * len(neg_imgs))
    out = binary_metrics(p_slate, truth, threshold)
    out["positives"] = {name: round(float(s), 4) for (name, _i, _t), s in zip(positives, p_slate[:len(pos_imgs)],
                                                                             strict=True)}
    out["negative_sources"] = sorted(HELDOUT_FILES)
    out["negative_max_p_slate"] = round(float(p_slate[len(pos_imgs):].max()), 4) if neg_imgs else None
    return out


def _all_files(data: Path) -> list[str]:
    return sorted(p.name for sub in ("video", "images") if (data / sub).is_dir() for p in (data / sub).iterdir())


def train(out_dir: Path, data: Path | None, cfg: TrainConfig, progress: Callable[[str], None] = print,
          features_cache: Path | None = None) -> dict[str, Any]:
    """Run the whole recipe and write ``slate_head.npz`` + ``model_card.json`` into ``out_dir``."""
    from rushes.models.base import file_sha256, package_file
    from rushes.shots.models import MOBILENET, embedder
    from rushes.triage.slate import synth

    t0 = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    train_pool: list[U8] = []
    test_pool: list[U8] = []
    files: list[str] = []
    if data is not None:
        files = _all_files(data)
        train_pool = synth.background_pool([data / "video", data / "images"], per_video=cfg.per_video,
                                           exclude=list(HELDOUT_FILES))
        test_pool = synth.background_pool([data / "video", data / "images"], per_video=cfg.per_video,
                                          exclude=[n for n in files if n not in HELDOUT_FILES])
        progress(f"backgrounds: {len(train_pool)} training frames, {len(test_pool)} held-out frames from {data}")
    else:
        progress("no data folder: synthetic backgrounds only")

    key = hashlib.sha256(json.dumps([cfg.as_dict(), files], sort_keys=True).encode()).hexdigest()[:16]
    cached = None
    if features_cache is not None and features_cache.is_file():
        with np.load(features_cache, allow_pickle=False) as z:
            if str(z["key"]) == key:
                cached = {k: np.asarray(z[k]) for k in z.files}
    if cached is None:
        imgs, y, fr = _make_set(cfg.n_train, train_pool, rng, cfg.synthetic_share, progress, "train")
        timgs, ty, tfr = _make_set(cfg.n_test, test_pool, np.random.default_rng(cfg.seed + 1), cfg.synthetic_share,
                                   progress, "held-out")
        t_embed = time.perf_counter()
        x = _embed(imgs, progress)
        tx = _embed(timgs, progress)
        embed_s = time.perf_counter() - t_embed
        if features_cache is not None:
            features_cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(features_cache, key=np.asarray(key), x=x, y=y, fr=fr, tx=tx, ty=ty, tfr=tfr,
                                embed_s=np.asarray(embed_s))
    else:
        progress(f"features from cache {features_cache}")
        x, y, fr, tx, ty, tfr = (cached[k] for k in ("x", "y", "fr", "tx", "ty", "tfr"))
        embed_s = float(cached["embed_s"])
    progress(f"features: train {x.shape}, held-out {tx.shape}")

    n_val = max(100, len(x) // 8)
    perm = np.random.default_rng(cfg.seed + 2).permutation(len(x))
    val, tr = perm[:n_val], perm[n_val:]
    head, fit_info = fit_head(x[tr], y[tr], x[val], y[val], hidden=cfg.hidden, epochs=cfg.epochs, lr=cfg.lr,
                              weight_decay=cfg.weight_decay, seed=cfg.seed)
    pv = _predict(head, x[val])
    threshold = _best_threshold(pv[:, 1] + pv[:, 2], y[val] > 0)
    calibration: dict[str, Any] = {"validation_f05_threshold": threshold}
    if train_pool:
        # real footage has far more slate-free frames than any balanced set: keep the training
        # files' own plain frames (no overlay) below the threshold (98th percentile)
        pr = _predict(head, _embed([prepare(f) for f in train_pool], progress))
        q98 = float(np.quantile(pr[:, 1] + pr[:, 2], 0.98))
        threshold = round(float(np.clip(max(threshold, q98), 0.5, 0.95)), 3)
        calibration.update({"training_real_frames": len(train_pool), "training_real_frames_p98": round(q98, 4)})
    calibration["threshold"] = threshold
    metrics: dict[str, Any] = {
        "validation": _report(head, x[val], y[val], fr[val], threshold),
        "held_out_composites": _report(head, tx, ty, tfr, threshold),
    }
    if data is not None:
        metrics["real"] = _real_report(head, data, threshold, progress)

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = package_file(MOBILENET.package, *MOBILENET.resource, pip_name=MOBILENET.pip)
    backbone = {
        "name": "MobileNetV2 (torchvision ImageNet weights, 1280-d pooled, L2-normalised)",
        "package": MOBILENET.pip, "licence": MOBILENET.licence,
        "weights_file": "/".join(MOBILENET.resource), "weights_sha256": file_sha256(weights),
        "onnx_model_id": embedder().model_id, "input": "whole frame squashed to 224x224 RGB uint8",
    }
    meta = {"classes": list(CLASSES), "threshold": threshold, "backbone_weights_sha256": backbone["weights_sha256"],
            "hidden": cfg.hidden}
    head_path = out_dir / HEAD_FILE
    tmp = head_path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **{k: v.astype(np.float32) for k, v in head.items()},
                        threshold=np.asarray(threshold, np.float32), meta=np.asarray(json.dumps(meta)))
    os.replace(tmp, head_path)
    prints, hands = synth.available_fonts()
    counts_train = {c: int(np.sum(y == i)) for i, c in enumerate(CLASSES)}
    counts_test = {c: int(np.sum(ty == i)) for i, c in enumerate(CLASSES)}
    card = {
        "model": "rushes slate classifier head",
        "file": HEAD_FILE,
        "head_sha256": file_sha256(head_path),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m rushes.triage.slate.train " + " ".join(sys.argv[1:]),
        "classes": list(CLASSES),
        "threshold_p_slate": threshold,
        "architecture": f"standardise -> dense {cfg.hidden} ReLU -> dense 3 -> softmax (numpy)",
        "backbone": backbone,
        "training_data": {
            "recipe": "rushes.triage.slate.synth: varied rendered slates (chalk/white acrylic/black acrylic, "
                      "bw/colour/chevron sticks open or closed, 4 layouts, label variants, installed fonts with "
                      "per-letter jitter, 15% the demo generator's slate, 8% blank) warped (22-95% of frame width, "
                      "rotation ~N(0,9deg), perspective, 180deg for tail slates) onto backgrounds, with hands, "
                      "occluders, blur (defocus/motion), lighting, colour cast, noise, JPEG; negatives: plain frames "
                      "and frames with text sheets/signs/screens/whiteboards, stripes and hands.",
            "class_shares": "45% none, 35% slate, 20% tail_slate",
            "train_counts": counts_train, "held_out_counts": counts_test,
            "backgrounds": {
                "data_dir": str(data) if data else None,
                "training_files": [f for f in files if f not in HELDOUT_FILES and "slate" not in f.lower()],
                "held_out_files": [f for f in files if f in HELDOUT_FILES],
                "frames_per_video": cfg.per_video, "synthetic_share": cfg.synthetic_share,
            },
            "fonts": {"print": [Path(p).name for p in prints], "hand": [Path(p).name for p in hands]},
            "seed": cfg.seed,
        },
        "config": cfg.as_dict(),
        "fit": fit_info,
        "threshold_calibration": calibration,
        "metrics": metrics,
        "cost": {"embed_seconds": round(embed_s, 1), "total_seconds": round(time.perf_counter() - t0, 1),
                 "machine": platform.machine(), "cpus": os.cpu_count()},
    }
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    progress(json.dumps(metrics, indent=1))
    return card


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="python -m rushes.triage.slate.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="folder with video/ and images/ (default ../shared/data)")
    ap.add_argument("--no-data", action="store_true", help="synthetic backgrounds only")
    ap.add_argument("--out", type=Path, default=default_head_path().parent, help="where to write the head + card")
    ap.add_argument("--n-train", type=int, default=2400)
    ap.add_argument("--n-test", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20260412)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--features-cache", type=Path, default=None, help="reuse/store backbone features here")
    args = ap.parse_args(argv)
    data = None if args.no_data else (args.data or default_data_dir())
    cfg = TrainConfig(n_train=args.n_train, n_test=args.n_test, seed=args.seed, hidden=args.hidden)
    train(args.out, data, cfg, features_cache=args.features_cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
