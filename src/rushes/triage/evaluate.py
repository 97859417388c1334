"""Score a triage report against ground truth: events at ±3 s, archive seconds, slate fields.

Truth (``rushes eval triage --truth FILE``) is this JSON — extra keys are ignored, so a
generated reel's ``truth.json`` is used as is::

    {"files": {"NAME": {"takes": [{"start": s, "end": s, "roll": "A004", "scene": "12A", "take": "3"}],
                        "events": [{"type": "slate"|"action"|"cut", "t": s}]}}}

A take runs from its "action" to its "cut". An Audacity label track (``NAME.txt``), or a folder
of them, is accepted as truth too (:func:`rushes.triage.report.labels_to_truth`).

Metrics (:func:`evaluate`), summed over the files of the truth (micro averages):

``events``
    per type (``slate``, ``action``, ``cut``): predicted and true instants are matched one to
    one when at most ``tolerance_s`` (3 s, the seed's ``ts_threshold``) apart — a maximum
    matching, found by one sweep over both sorted lists; precision = matched / predicted,
    recall = matched / true. Predicted slates are the slates' first sightings, predicted
    actions every take's start (the call, or the clap or slate end standing in for it),
    predicted cuts the cut calls that closed takes (``cut_t``).
``archive_precision`` / ``archive_recall``
    seconds of predicted archive that are truly archive / seconds of true archive that are
    predicted — the per-second score taken to its limit (exact interval lengths). Both sides are
    the takes padded by the same ``pad_s`` and clipped to the file, so the score measures where
    the takes were found, not the padding. ``discard_*`` are the same for the complement.
``takes`` / ``field_accuracy``
    predicted and true takes are paired one to one by time overlap (IoU ≥ 0.5, best pairs first);
    field accuracy is the share of paired takes whose roll / scene / take equals the truth's
    (case-insensitive; take numbers compared as numbers; a field the truth lacks is skipped).
``commands``
    the raw ``commands`` track against the true action/cut events, and its false calls per 10
    minutes of footage (the speech target: ≤ 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rushes.errors import QueryError
from rushes.triage.takes import archive_ranges, complement_ranges

__all__ = [
    "EVENT_TYPES",
    "TruthFile",
    "TruthTake",
    "evaluate",
    "load_truth",
    "match_events",
    "overlap_seconds",
    "parse_truth",
]

EVENT_TYPES: tuple[str, ...] = ("slate", "action", "cut")
FIELDS: tuple[str, ...] = ("roll", "scene", "take")


@dataclass(frozen=True)
class TruthTake:
    """One true take: from its action (``start``) to its cut (``end``), with slate fields."""

    start: float
    end: float
    roll: str | None = None
    scene: str | None = None
    take: str | None = None


@dataclass(frozen=True)
class TruthFile:
    """The truth of one media file."""

    name: str
    takes: tuple[TruthTake, ...] = ()
    events: tuple[tuple[str, float], ...] = ()
    """``(type, t)``; types other than slate/action/cut (e.g. ``clap``) are kept but not scored."""
    duration: float | None = None

    def event_times(self, kind: str) -> list[float]:
        """Sorted times of the events of one type."""
        return sorted(t for k, t in self.events if k == kind)


def _opt_text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def parse_truth(data: Mapping[str, Any]) -> dict[str, TruthFile]:
    """Truth files from the JSON document (see the module docstring); raises :class:`QueryError`."""
    files = data.get("files") if isinstance(data, Mapping) else None
    if not isinstance(files, Mapping):
        raise QueryError('truth: expected {"files": {"NAME": {"takes": [...], "events": [...]}}}')
    out: dict[str, TruthFile] = {}
    for name, f in files.items():
        if not isinstance(f, Mapping):
            raise QueryError(f"truth: files[{name!r}] must be an object")
        try:
            takes = tuple(
                TruthTake(float(t["start"]), float(t["end"]), _opt_text(t.get("roll")), _opt_text(t.get("scene")),
                          _opt_text(t.get("take")))
                for t in f.get("takes", []))
            events = tuple((str(e["type"]), float(e["t"])) for e in f.get("events", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise QueryError(f"truth: files[{name!r}]: bad take or event ({exc})") from exc
        for t in takes:
            if t.end < t.start:
                raise QueryError(f"truth: files[{name!r}]: a take ends before it starts ({t.start} > {t.end})")
        dur = f.get("duration")
        out[str(name)] = TruthFile(str(name), takes, events, float(dur) if dur is not None else None)
    return out


def load_truth(path: str | Path) -> dict[str, TruthFile]:
    """Truth from a JSON file, an Audacity label track (``NAME.txt``) or a folder of label tracks.

    A label track's truth belongs to the media file whose name (without extension) is the label
    file's name without extension.
    """
    from rushes.triage.report.audacity import labels_to_truth, read_labels

    p = Path(path)
    if p.is_dir():
        label_files = sorted(p.glob("*.txt"))
        if not label_files:
            raise QueryError(f"{p}: no Audacity label tracks (*.txt) in this folder")
        return parse_truth({"files": {f.stem: labels_to_truth(read_labels(f)) for f in label_files}})
    if not p.is_file():
        raise QueryError(f"{p}: no such truth file")
    if p.suffix.lower() == ".txt":
        return parse_truth({"files": {p.stem: labels_to_truth(read_labels(p))}})
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QueryError(f"{p}: not a readable JSON truth file ({exc})") from exc
    return parse_truth(data)


def match_events(pred: Sequence[float], truth: Sequence[float], tolerance_s: float) -> list[tuple[float, float]]:
    """A maximum one-to-one matching of predicted to true instants at most ``tolerance_s`` apart.

    One sweep over both sorted lists: the earliest unmatched of each is paired when close
    enough, else the earlier one can never be matched and is dropped (optimal for points with
    a symmetric window). Returns the ``(pred, truth)`` pairs.
    """
    p, t = sorted(pred), sorted(truth)
    i = j = 0
    pairs: list[tuple[float, float]] = []
    while i < len(p) and j < len(t):
        if abs(p[i] - t[j]) <= tolerance_s:
            pairs.append((p[i], t[j]))
            i += 1
            j += 1
        elif p[i] < t[j]:
            i += 1
        else:
            j += 1
    return pairs


def overlap_seconds(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    """Total length of the intersection of two sets of disjoint ranges."""
    total, i, j = 0.0, 0, 0
    a, b = sorted(a), sorted(b)
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _length(r: Sequence[tuple[float, float]]) -> float:
    return float(sum(e - s for s, e in r))


def _ratio(num: float, den: float) -> float:
    return round(num / den, 4) if den > 0 else 0.0


@dataclass
class _Counts:
    tp: int = 0
    pred: int = 0
    truth: int = 0
    abs_err: list[float] = field(default_factory=list)

    def add(self, pred: Sequence[float], truth: Sequence[float], tol: float) -> None:
        pairs = match_events(pred, truth, tol)
        self.tp += len(pairs)
        self.pred += len(pred)
        self.truth += len(truth)
        self.abs_err.extend(abs(a - b) for a, b in pairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": _ratio(self.tp, self.pred), "recall": _ratio(self.tp, self.truth),
            "tp": self.tp, "fp": self.pred - self.tp, "fn": self.truth - self.tp,
            "mean_abs_error_s": round(sum(self.abs_err) / len(self.abs_err), 3) if self.abs_err else None,
        }


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def _same(field_name: str, pred: Any, truth: str) -> bool:
    if pred is None:
        return False
    a, b = str(pred).strip().upper(), truth.strip().upper()
    if field_name == "take" and a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def _pair_takes(pred: Sequence[Mapping[str, Any]], truth: Sequence[TruthTake],
                min_iou: float) -> list[tuple[Mapping[str, Any], TruthTake]]:
    cands = sorted(((_iou((float(p["start"]), float(p["end"])), (t.start, t.end)), i, j)
                    for i, p in enumerate(pred) for j, t in enumerate(truth)), reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for iou, i, j in cands:
        if iou < min_iou:
            break
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        pairs.append((pred[i], truth[j]))
    return pairs


def _lookup(files: Mapping[str, Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    if name in files:
        return files[name]
    stem = Path(name).stem
    for n, f in files.items():
        if Path(n).stem == stem:
            return f
    return None


def evaluate(
    report: Mapping[str, Any],
    truth: Mapping[str, TruthFile],
    *,
    pad_s: float | None = None,
    tolerance_s: float = 3.0,
    min_take_iou: float = 0.5,
) -> dict[str, Any]:
    """Score a ``rushes.triage/1`` report against truth (metrics in the module docstring).

    ``pad_s`` (default: the report's ``params.pad_s``, else 3 s) pads both the predicted and the
    true takes. Files of the report that the truth does not name are not scored; a file of the
    truth missing from the report counts as predicting nothing.
    """
    if tolerance_s < 0:
        raise ValueError("tolerance_s must be >= 0")
    rep_pad = report.get("params", {}).get("pad_s")
    pad = float(pad_s if pad_s is not None else (rep_pad if isinstance(rep_pad, int | float) else 3.0))
    by_name = {str(f.get("name")): f for f in report.get("files", [])}
    events = {k: _Counts() for k in EVENT_TYPES}
    cmd_counts = {k: _Counts() for k in ("action", "cut")}
    arch_pred = arch_truth = arch_overlap = 0.0
    disc_pred = disc_truth = disc_overlap = 0.0
    n_pred_takes = n_truth_takes = n_pairs = 0
    field_ok = dict.fromkeys(FIELDS, 0)
    field_n = dict.fromkeys(FIELDS, 0)
    duration_total = 0.0
    per_file: list[dict[str, Any]] = []
    missing: list[str] = []
    for name, tf in sorted(truth.items()):
        f = _lookup(by_name, name)
        if f is None:
            missing.append(name)
        takes = list(f.get("takes", [])) if f is not None else []
        duration = tf.duration if tf.duration is not None else (
            float(f["duration_s"]) if f is not None and f.get("duration_s") is not None else None)
        end = duration if duration is not None else max(
            [t.end for t in tf.takes] + [float(t["end"]) for t in takes] + [0.0]) + pad
        duration_total += end
        pred_arch = archive_ranges([(float(t["start"]), float(t["end"])) for t in takes], end, pad)
        true_arch = archive_ranges([(t.start, t.end) for t in tf.takes], end, pad)
        ov = overlap_seconds(pred_arch, true_arch)
        pred_disc, true_disc = complement_ranges(pred_arch, end), complement_ranges(true_arch, end)
        dov = overlap_seconds(pred_disc, true_disc)
        arch_pred += _length(pred_arch)
        arch_truth += _length(true_arch)
        arch_overlap += ov
        disc_pred += _length(pred_disc)
        disc_truth += _length(true_disc)
        disc_overlap += dov
        preds = {
            "slate": [float(s["start"]) for s in (f.get("slates", []) if f is not None else [])],
            "action": [float(t["start"]) for t in takes],
            "cut": [float(t["cut_t"]) for t in takes if t.get("cut_t") is not None],
        }
        file_events = {}
        for kind in EVENT_TYPES:
            c = _Counts()
            c.add(preds[kind], tf.event_times(kind), tolerance_s)
            events[kind].add(preds[kind], tf.event_times(kind), tolerance_s)
            file_events[kind] = {"precision": c.to_dict()["precision"], "recall": c.to_dict()["recall"]}
        commands = f.get("commands", []) if f is not None else []
        for kind in ("action", "cut"):
            cmd_counts[kind].add([float(c["t"]) for c in commands if c.get("label") == kind],
                                 tf.event_times(kind), tolerance_s)
        pairs = _pair_takes(takes, tf.takes, min_take_iou)
        n_pred_takes += len(takes)
        n_truth_takes += len(tf.takes)
        n_pairs += len(pairs)
        for p, t in pairs:
            for k in FIELDS:
                want = getattr(t, k)
                if want is None:
                    continue
                field_n[k] += 1
                field_ok[k] += int(_same(k, p.get(k), want))
        per_file.append({
            "name": name, "found": f is not None, "duration_s": round(end, 3),
            "archive_precision": _ratio(ov, _length(pred_arch)), "archive_recall": _ratio(ov, _length(true_arch)),
            "events": file_events, "takes_pred": len(takes), "takes_truth": len(tf.takes), "takes_matched": len(pairs),
        })
    false_cmds = sum(c.pred - c.tp for c in cmd_counts.values())
    return {
        "files": len(truth), "missing_files": missing, "pad_s": pad, "tolerance_s": tolerance_s,
        "duration_s": round(duration_total, 3),
        "archive_precision": _ratio(arch_overlap, arch_pred), "archive_recall": _ratio(arch_overlap, arch_truth),
        "discard_precision": _ratio(disc_overlap, disc_pred), "discard_recall": _ratio(disc_overlap, disc_truth),
        "archive_seconds": {"predicted": round(arch_pred, 3), "truth": round(arch_truth, 3),
                            "overlap": round(arch_overlap, 3)},
        "events": {k: v.to_dict() for k, v in events.items()},
        "takes": {"precision": _ratio(n_pairs, n_pred_takes), "recall": _ratio(n_pairs, n_truth_takes),
                  "predicted": n_pred_takes, "truth": n_truth_takes, "matched": n_pairs, "min_iou": min_take_iou},
        "field_accuracy": {k: _ratio(field_ok[k], field_n[k]) if field_n[k] else None for k in FIELDS},
        "field_counts": {k: {"correct": field_ok[k], "scored": field_n[k]} for k in FIELDS},
        "commands": {
            **{k: v.to_dict() for k, v in cmd_counts.items()},
            "false_calls": false_cmds,
            "false_per_10min": round(false_cmds / duration_total * 600, 3) if duration_total > 0 else None,
        },
        "per_file": per_file,
    }
