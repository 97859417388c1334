"""Tune the classical cut thresholds from a few cuts a user marked (``rushes calibrate shots``).

Marks come as a small CSV (a ``time`` column in seconds, or ``timecode`` ``HH:MM:SS:FF``, or
``frame``; optional ``file`` column, optional ``kind`` column where ``not_cut`` marks a hard
negative) or as an Audacity label file (``start<TAB>end<TAB>label`` per line; a label containing
"not" or "no cut" marks a span that must have no cut; any other label marks a cut at ``start``).

Each marked file is decoded once; PySceneDetect's adaptive rule is then replayed on the stored
per-frame scores for a grid of ``adaptive_threshold`` × ``min_content_val`` values (the rule
only depends on those scores, so this is exact and fast). By default the marks are taken to be
complete for each file (every other detection is a false cut); with ``partial=True`` only the
marked cuts and negatives count, and ties prefer the strictest thresholds (fewest detections).
Among equally good settings the one closest to the defaults wins. The result can be saved to a
library's ``config.toml`` under ``[analyzers.shots]``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError
from rushes.shots.params import CALIBRATABLE, ShotParams

__all__ = ["Marks", "calibrate_shots", "read_marks", "replay_adaptive", "save_calibration"]

_THRESHOLDS = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0)
_MIN_CONTENT = (4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 18.0, 22.0, 27.0, 33.0, 40.0)


@dataclass
class Marks:
    """Marked cuts and no-cut spans of one file, in seconds (or frames when marked so)."""

    cuts: list[float]
    negatives: list[tuple[float, float]]
    cut_frames: list[int]


def _parse_time(value: str, rate: Fraction | None) -> float:
    v = value.strip()
    if v.count(":") + v.count(";") >= 3:
        from rushes.timecode import Timecode

        if rate is None:
            raise QueryError(f"timecode {v!r} needs the file's frame rate")
        return float(Timecode.parse(v, rate).seconds)
    try:
        return float(v)
    except ValueError as exc:
        raise QueryError(f"not a time: {value!r}") from exc


def read_marks(path: str | Path, default_file: str | None = None,
               rate: Fraction | None = None) -> dict[str, Marks]:
    """Marks per file name from a CSV or an Audacity label file (see the module docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise QueryError(f"{p}: cannot read marks ({exc})") from exc
    out: dict[str, Marks] = {}

    def bucket(name: str | None) -> Marks:
        key = name or default_file
        if not key:
            raise QueryError(f"{p}: marks name no file; pass the media file")
        return out.setdefault(key, Marks([], [], []))

    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    audacity = "\t" in first and not any(h in first.lower() for h in ("time", "frame", "file"))
    if audacity:
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) < 2 or parts[0].startswith("\\"):
                continue
            start = _parse_time(parts[0], rate)
            end = _parse_time(parts[1], rate)
            label = parts[2].strip().lower() if len(parts) > 2 else ""
            m = bucket(None)
            if "not" in label or "no cut" in label:
                m.negatives.append((start, max(start, end)))
            else:
                m.cuts.append(start)
        return out
    reader = csv.DictReader(text.splitlines())
    fields = {f.lower().strip(): f for f in reader.fieldnames or []}
    if not ({"time", "timecode", "frame", "t", "start"} & set(fields)):
        raise QueryError(f"{p}: expected a 'time', 'timecode' or 'frame' column (or Audacity labels)")
    for row in reader:
        get = {k: (row.get(v) or "").strip() for k, v in fields.items()}
        m = bucket(get.get("file") or None)
        kind = get.get("kind", "") or get.get("label", "")
        if get.get("frame"):
            if "not" in kind.lower():
                raise QueryError(f"{p}: no-cut marks need times, not frames")
            m.cut_frames.append(int(get["frame"]))
            continue
        raw = get.get("time") or get.get("t") or get.get("start") or get.get("timecode") or ""
        if not raw:
            continue
        t = _parse_time(raw, rate)
        if "not" in kind.lower():
            end = _parse_time(get["end"], rate) if get.get("end") else t
            m.negatives.append((t, end))
        else:
            m.cuts.append(t)
    return out


def replay_adaptive(scores: npt.NDArray[np.float64], threshold: float, min_content: float, window: int,
                    min_len: int) -> list[int]:
    """Cuts PySceneDetect's adaptive rule gives for these per-frame scores (vectorised replay)."""
    n = len(scores)
    if n < 2 * window + 2:
        return []
    s = np.asarray(scores, dtype=np.float64)
    kernel = np.ones(2 * window + 1)
    kernel[window] = 0.0
    # frame 0 has no score in PySceneDetect: the rule starts at frame 1
    sums = np.convolve(s[1:], kernel, mode="valid")
    avg = sums / (2.0 * window)
    target = s[1 + window: 1 + window + len(avg)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(avg > 1e-5, np.minimum(target / avg, 255.0), np.where(target >= min_content, 255.0, 0.0))
    hits = np.nonzero((ratio >= threshold) & (target >= min_content))[0] + 1 + window
    cuts: list[int] = []
    last = 1
    for h in hits:
        if h - last >= min_len:
            cuts.append(int(h))
            last = int(h)
    return cuts


@dataclass
class _FileSignals:
    name: str
    scores: npt.NDArray[np.float64]
    reverts: dict[int, float]
    truth: list[int]
    negatives: list[tuple[int, int]]
    frames: int


def _score(signals: Sequence[_FileSignals], params: ShotParams, min_len: dict[str, int], tol: int,
           partial: bool) -> tuple[int, int, int, int]:
    tp = fp = fn = detections = 0
    for f in signals:
        cuts = [c for c in replay_adaptive(f.scores, params.adaptive_threshold, params.min_content_val,
                                           params.window_width, min_len[f.name])
                if f.reverts.get(c, 1.0) > params.flash_revert]
        detections += len(cuts)
        used: set[int] = set()
        for t in f.truth:
            best = min((c for c in cuts if abs(c - t) <= tol and c not in used), key=lambda c: abs(c - t), default=None)
            if best is None:
                fn += 1
            else:
                tp += 1
                used.add(best)
        for c in cuts:
            if c in used:
                continue
            if any(a - tol <= c <= b + tol for a, b in f.negatives) or not partial:
                fp += 1
    return tp, fp, fn, detections


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else (1.0 if not fp and not fn else 0.0)


def calibrate_shots(
    marks: dict[str, Marks],
    media: dict[str, Path],
    base: ShotParams | None = None,
    *,
    tolerance_frames: int = 2,
    partial: bool = False,
) -> dict[str, Any]:
    """Best ``adaptive_threshold``/``min_content_val`` for the marks; before/after scores."""
    from rushes.media import probe
    from rushes.shots.detect import ShotConsumer, frame_spec_for, new_engine

    p0 = replace(base or ShotParams(), mode="classical", groups=False, thumbnails=False)
    if not marks:
        raise QueryError("no marks given")
    signals: list[_FileSignals] = []
    min_len: dict[str, int] = {}
    for name, m in marks.items():
        path = media.get(name)
        if path is None:
            raise QueryError(f"marked file {name!r} not found")
        from rushes.media import decode

        info = probe(path, scan_vfr=False)
        # probe every big change for flashes, whatever thresholds are tried later
        engine = new_engine(replace(p0, min_content_val=min(_MIN_CONTENT)), info)
        decode(path, [ShotConsumer(engine, frame_spec_for(p0))], info)
        result = engine.finish()
        truth = sorted({result.nearest_frame(t) for t in m.cuts} | set(m.cut_frames))
        negs = [(result.frame_at(a), result.frame_at(b)) for a, b in m.negatives]
        signals.append(_FileSignals(name, np.asarray(engine.score), dict(engine.reverts), truth, negs, result.frames))
        min_len[name] = engine.min_shot
    before = _score(signals, p0, min_len, tolerance_frames, partial)
    best: tuple[Any, ...] | None = None
    for thr in _THRESHOLDS:
        for mc in _MIN_CONTENT:
            cand = replace(p0, adaptive_threshold=thr, min_content_val=mc)
            tp, fp, fn, det = _score(signals, cand, min_len, tolerance_frames, partial)
            f1 = _f1(tp, fp, fn)
            distance = abs(math.log(thr / p0.adaptive_threshold)) + abs(math.log(mc / p0.min_content_val))
            # better F1, then (partial marks) fewer detections, then closer to the defaults
            key = (round(f1, 6), -det if partial else 0, -distance)
            if best is None or key > best[0]:
                best = (key, thr, mc, (tp, fp, fn, det))
    assert best is not None
    _, thr, mc, after = best
    values = {"adaptive_threshold": thr, "min_content_val": mc}

    def report(counts: tuple[int, int, int, int]) -> dict[str, Any]:
        tp, fp, fn, det = counts
        return {"tp": tp, "fp": fp, "fn": fn, "detections": det, "f1": round(_f1(tp, fp, fn), 4)}

    return {
        "values": values,
        "before": {**report(before), "adaptive_threshold": p0.adaptive_threshold,
                   "min_content_val": p0.min_content_val},
        "after": report(after),
        "files": {s.name: {"marked_cuts": s.truth, "negatives": s.negatives, "frames": s.frames} for s in signals},
        "partial": partial,
        "tolerance_frames": tolerance_frames,
    }


def save_calibration(library_root: str | Path, values: dict[str, Any]) -> Path:
    """Merge ``values`` into ``<library>/config.toml`` ``[analyzers.shots]`` (creating the library)."""
    unknown = sorted(set(values) - set(CALIBRATABLE))
    if unknown:
        raise QueryError(f"not calibratable: {', '.join(unknown)}")
    from rushes.library import Library

    with Library(library_root, create=True) as lib:
        lib.set_analyzer_config("shots", values)
        return lib.root / "config.toml"
