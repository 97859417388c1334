"""Audacity label tracks: export a file's takes and events; import labels (also as ground truth).

An Audacity label track (File ▸ Export ▸ Export Labels / Import ▸ Labels) is plain text, one
label per line: ``start<TAB>end<TAB>text`` in seconds; a point label has ``start == end``.
Lines starting with ``\\`` carry a label's frequency range and are skipped on import.

Exported labels (one ``.txt`` per media file):

* every take as a region ``take scene=12A take=3 roll=A004 camera=A`` (fields that were read);
* every slate as a region ``slate`` (or ``tail_slate``);
* every set command as a point label with its name (``action``, ``cut``, ``rolling``, ...).

Imported as ground truth (:func:`labels_to_truth`), in the truth-file format of
``rushes eval triage``: a region whose text starts with ``take`` (or any region that is not an
event name) is a take, its ``key=value`` words give scene/roll/take/camera; a label named
``slate``, ``action`` or ``cut`` is an event at the label's start. So a person can mark up a file
in Audacity (or correct our export) and score the triage against it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rushes.errors import QueryError
from rushes.intervals import Intervals

__all__ = ["file_to_labels", "labels_to_truth", "parse_labels", "read_labels", "write_labels"]

_EVENT_NAMES = {"slate": "slate", "tail_slate": "slate", "action": "action", "cut": "cut"}
_KV = re.compile(r"([A-Za-z_]+)=(\S+)")


def _fmt(t: float) -> str:
    return f"{max(0.0, float(t)):.6f}"


def file_to_labels(file_report: Mapping[str, Any]) -> str:
    """The label-track text of one file of a triage report (takes, slates, commands)."""
    rows: list[tuple[float, float, str]] = []
    for t in file_report.get("takes", []):
        fields = " ".join(f"{k}={str(t[k]).replace(' ', '_')}" for k in ("scene", "take", "roll", "camera")
                          if t.get(k))
        rows.append((float(t["start"]), float(t["end"]), f"take {fields}".strip()))
    for s in file_report.get("slates", []):
        rows.append((float(s["start"]), float(s["end"]), str(s.get("label") or "slate")))
    for c in file_report.get("commands", []):
        rows.append((float(c["t"]), float(c["t"]), str(c["label"])))
    rows.sort(key=lambda r: (r[0], r[1]))
    return "".join(f"{_fmt(s)}\t{_fmt(e)}\t{text}\n" for s, e, text in rows)


def write_labels(file_report: Mapping[str, Any], path: str | Path) -> Path:
    """Write :func:`file_to_labels` to ``path``."""
    out = Path(path)
    out.write_text(file_to_labels(file_report), encoding="utf-8")
    return out


def parse_labels(text: str, media: int = 0) -> Intervals:
    """Labels of an Audacity label track as :class:`Intervals` (label = the text, may be empty).

    Raises :class:`~rushes.errors.QueryError` on a line that is not ``start<TAB>end[<TAB>text]``.
    """
    starts: list[float] = []
    ends: list[float] = []
    labels: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("\\"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            parts = line.split(None, 2)
        try:
            s, e = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise QueryError(f"line {n}: not an Audacity label (start<TAB>end<TAB>text): {line[:60]!r}") from None
        if not (np.isfinite(s) and np.isfinite(e)) or s < 0:
            raise QueryError(f"line {n}: bad label times {parts[0]!r}, {parts[1]!r}")
        starts.append(s)
        ends.append(max(s, e))
        labels.append(parts[2].strip() if len(parts) > 2 else "")
    return Intervals.from_seconds(starts, ends, labels, media=media)


def read_labels(path: str | Path, media: int = 0) -> Intervals:
    """:func:`parse_labels` of a file (UTF-8, a BOM is tolerated)."""
    return parse_labels(Path(path).read_text(encoding="utf-8-sig"), media)


def labels_to_truth(labels: Intervals) -> dict[str, Any]:
    """One file's ground truth (``{"takes": [...], "events": [...]}``) from label-track intervals."""
    takes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in labels.sorted():
        text = row.label.strip()
        head = text.split(None, 1)[0].lower() if text else ""
        if head in _EVENT_NAMES:
            events.append({"type": _EVENT_NAMES[head], "t": round(row.start_seconds, 6)})
            continue
        if row.end <= row.start:
            continue  # a point label that is not an event
        fields = {k.lower(): v for k, v in _KV.findall(text)}
        takes.append({"start": round(row.start_seconds, 6), "end": round(row.end_seconds, 6),
                      **{k: fields.get(k) for k in ("roll", "scene", "take", "camera") if fields.get(k)}})
    return {"takes": takes, "events": events}
