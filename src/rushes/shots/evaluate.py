"""Score shot detection against labelled footage (``rushes eval shots``).

Truth format (``shared/data/gt/shot_boundaries.json``)::

    {"files": {"clip.mp4": {"cuts": [{"frame": 58, "t": 2.419}, ...],
                            "transitions": [{"kind": "dissolve", "from_frame": 529, "to_frame": 555},
                                            {"kind": "fade_out_to_black", "from_t": 8.0, "to_t": 11.2},
                                            {"kind": "camera_tilt_not_cut", "from_frame": 84, "to_frame": 92}]}}}

``frame`` is the 0-based index in decode order; a cut at N means frame N starts the new shot.
Where only ``t`` is given, it is mapped to the nearest decoded frame.

Scoring:

* **Cuts**: a predicted cut matches an unmatched true cut within ±``tolerance_frames`` (closest
  first). An unmatched predicted cut that falls inside a true *gradual* transition (± tolerance)
  is reported as ``cut_in_gradual`` — the boundary was found but typed as a cut — and is neither
  a true nor a false cut. Everything else unmatched is a false positive. Precision, recall and F1
  are micro-averaged over all files (sums of TP/FP/FN).
* **Gradual transitions** are scored apart: a true one is *detected* when a predicted boundary
  of any kind overlaps it (± tolerance), *typed* when a predicted dissolve/fade of the same kind
  does. Gradual precision counts only files whose truth lists its transitions. Kinds containing
  ``not`` (e.g. ``camera_tilt_not_cut``) are hard negatives: any predicted boundary inside one is
  reported (``false_in_negative``), and a predicted cut there is also a false positive.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rushes.errors import QueryError
from rushes.shots.engine import ShotResult
from rushes.shots.params import MODES, ShotParams

__all__ = ["evaluate_shots", "load_truth", "score_file"]


def load_truth(path: str | Path) -> dict[str, dict[str, Any]]:
    """The ``files`` mapping of a truth file (raises :class:`QueryError` when it is not one)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise QueryError(f"{p}: no such truth file") from exc
    except (OSError, ValueError) as exc:
        raise QueryError(f"{p}: not a JSON truth file ({exc})") from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        raise QueryError(f"{p}: expected an object with a 'files' mapping")
    return {str(k): v for k, v in files.items() if isinstance(v, dict)}


def _norm_kind(kind: str) -> str:
    k = kind.lower()
    if "not" in k.split("_") or "not_" in k or k.endswith("_not"):
        return "negative"
    if "fade" in k:
        return "fade"
    if "dissolve" in k or "wipe" in k or "gradual" in k:
        return "dissolve"
    return "dissolve"


def _frame_of(entry: dict[str, Any], key_frame: str, key_t: str, result: ShotResult) -> int | None:
    if entry.get(key_frame) is not None:
        return int(entry[key_frame])
    t = entry.get(key_t)
    if isinstance(t, list | tuple):
        t = t[0] if key_t in ("t", "from_t") else t[-1]
    if t is None:
        return None
    return result.nearest_frame(float(t))


def _truth_spans(entry: dict[str, Any], result: ShotResult) -> tuple[list[int], list[tuple[str, int, int]]]:
    cuts: list[int] = []
    for c in entry.get("cuts") or []:
        f = _frame_of(c, "frame", "t", result) if isinstance(c, dict) else int(c)
        if f is not None:
            cuts.append(f)
    spans: list[tuple[str, int, int]] = []
    for tr in entry.get("transitions") or []:
        if not isinstance(tr, dict):
            continue
        a = _frame_of(tr, "from_frame", "from_t", result)
        if a is None and isinstance(tr.get("t"), list | tuple):
            a = result.nearest_frame(float(tr["t"][0]))
        b = _frame_of(tr, "to_frame", "to_t", result)
        if b is None and isinstance(tr.get("t"), list | tuple):
            b = result.nearest_frame(float(tr["t"][-1]))
        if a is None or b is None:
            continue
        spans.append((_norm_kind(str(tr.get("kind", "gradual"))), min(a, b), max(a, b)))
    return sorted(cuts), spans


def score_file(entry: dict[str, Any], result: ShotResult, tolerance: int = 2) -> dict[str, Any]:
    """Per-file scores of one detection ``result`` against one truth ``entry`` (see module docs)."""
    truth_cuts, spans = _truth_spans(entry, result)
    graduals = [s for s in spans if s[0] != "negative"]
    negatives = [s for s in spans if s[0] == "negative"]
    pred_cuts = sorted(result.cuts)
    pred_grad = [(t.kind, t.start, t.end) for t in result.transitions if t.gradual]

    pairs = sorted((abs(p - t), p, t) for p in pred_cuts for t in truth_cuts if abs(p - t) <= tolerance)
    used_p: set[int] = set()
    used_t: set[int] = set()
    matched: list[tuple[int, int]] = []
    for _, p, t in pairs:
        if p in used_p or t in used_t:
            continue
        used_p.add(p)
        used_t.add(t)
        matched.append((t, p))
    fp: list[int] = []
    in_gradual: list[int] = []
    in_negative: list[int] = []
    for p in pred_cuts:
        if p in used_p:
            continue
        if any(a - tolerance <= p <= b + tolerance for _, a, b in negatives):
            in_negative.append(p)
            fp.append(p)
        elif any(a - tolerance <= p <= b + tolerance for _, a, b in graduals):
            in_gradual.append(p)
        else:
            fp.append(p)
    fn = [t for t in truth_cuts if t not in used_t]

    detected = typed = 0
    grad_used: set[int] = set()
    for kind, a, b in graduals:
        hit = [i for i, (_, pa, pb) in enumerate(pred_grad) if pa <= b + tolerance and a - tolerance <= pb]
        cut_hit = any(a - tolerance <= p <= b + tolerance for p in pred_cuts)
        if hit or cut_hit:
            detected += 1
        if any(pred_grad[i][0] == kind for i in hit):
            typed += 1
        grad_used.update(hit)
    false_grad_neg = [g for g in pred_grad if any(g[1] <= b + tolerance and a - tolerance <= g[2]
                                                  for _, a, b in negatives)]
    labelled = "transitions" in entry
    return {
        "frames": result.frames,
        "truth_cuts": truth_cuts,
        "predicted_cuts": pred_cuts,
        "tp": len(matched),
        "fp": len(fp),
        "fn": len(fn),
        "false_cuts": fp,
        "missed_cuts": fn,
        "cut_offsets": [p - t for t, p in matched],
        "cut_in_gradual": in_gradual,
        "false_in_negative": in_negative + [g[1] for g in false_grad_neg],
        "truth_gradual": [list(g) for g in graduals],
        "predicted_gradual": [list(g) for g in pred_grad],
        "gradual_detected": detected,
        "gradual_typed": typed,
        "gradual_false": (len(pred_grad) - len(grad_used)) if labelled else None,
        "transitions_labelled": labelled,
        "learned_share": result.metrics.get("learned_share", 0.0),
    }


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def _find_media(media_dir: Path, name: str) -> Path | None:
    direct = media_dir / name
    if direct.is_file():
        return direct
    for cand in sorted(media_dir.rglob(name)):
        if cand.is_file():
            return cand
    return None


def evaluate_shots(
    truth_path: str | Path,
    media_dir: str | Path,
    mode: str = "fused",
    tolerance_frames: int = 2,
    *,
    params: ShotParams | None = None,
    exclude: Sequence[str] = (),
) -> dict[str, Any]:
    """Detect shots in every file of the truth found under ``media_dir`` and score them.

    Returns one JSON-ready dict: top-level ``precision``/``recall``/``f1`` (cuts, micro-averaged),
    ``gradual`` (transition scores), ``files`` (per-file details), ``missing`` (truth files not
    found) and ``excluded``.
    """
    from rushes.shots.detect import detect_shots

    if mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}")
    if tolerance_frames < 0:
        raise QueryError("tolerance must be >= 0 frames")
    media = Path(media_dir)
    if not media.is_dir():
        raise QueryError(f"{media}: not a folder")
    truth = load_truth(truth_path)
    # same frames as an ingest (thumbnail-sized decode), no grouping
    base = replace(params or ShotParams(), mode=mode, groups=False)
    files: dict[str, Any] = {}
    missing: list[str] = []
    excluded = sorted(n for n in truth if n in set(exclude))
    started = time.perf_counter()
    for name in sorted(truth):
        if name in excluded:
            continue
        path = _find_media(media, name)
        if path is None:
            missing.append(name)
            continue
        t0 = time.perf_counter()
        result = detect_shots(path, base, group=False)
        details = score_file(truth[name], result, tolerance_frames)
        details["seconds"] = round(time.perf_counter() - t0, 3)
        files[name] = details
    tp = sum(f["tp"] for f in files.values())
    fp = sum(f["fp"] for f in files.values())
    fn = sum(f["fn"] for f in files.values())
    precision, recall, f1 = _prf(tp, fp, fn)
    g_truth = sum(len(f["truth_gradual"]) for f in files.values())
    g_det = sum(f["gradual_detected"] for f in files.values())
    g_typed = sum(f["gradual_typed"] for f in files.values())
    lab = [f for f in files.values() if f["transitions_labelled"]]
    g_pred_lab = sum(len(f["predicted_gradual"]) for f in lab)
    g_false = sum(f["gradual_false"] or 0 for f in lab)
    return {
        "mode": mode,
        "tolerance_frames": tolerance_frames,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "gradual": {
            "truth": g_truth,
            "detected": g_det,
            "typed": g_typed,
            "recall": round(g_det / g_truth, 4) if g_truth else 1.0,
            "typed_recall": round(g_typed / g_truth, 4) if g_truth else 1.0,
            "predicted_in_labelled_files": g_pred_lab,
            "false": g_false,
            "precision": round((g_pred_lab - g_false) / g_pred_lab, 4) if g_pred_lab else 1.0,
        },
        "false_in_negative": sum(len(f["false_in_negative"]) for f in files.values()),
        "files": files,
        "missing": missing,
        "excluded": excluded,
        "seconds": round(time.perf_counter() - started, 3),
        "params": base.to_dict(),
    }
