"""The report as JSON (the ``rushes.triage/1`` document) and as CSV (one row per take)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["CSV_COLUMNS", "report_to_csv", "report_to_json", "write_csv", "write_json"]

#: columns of ``takes.csv``, in order
CSV_COLUMNS: tuple[str, ...] = (
    "file", "take_index", "scene", "roll", "take", "camera", "start_s", "end_s", "duration_s", "start_tc",
    "end_tc", "slate_t", "action_t", "cut_t", "clap_t", "tail_slate_t", "start_rule", "end_rule", "fields_from",
    "score", "notes", "thumbnails", "path",
)


def report_to_json(report: Mapping[str, Any]) -> str:
    """The report as pretty-printed JSON text (UTF-8, keys in document order)."""
    return json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"


def write_json(report: Mapping[str, Any], path: str | Path) -> Path:
    """Write :func:`report_to_json` to ``path``."""
    out = Path(path)
    out.write_text(report_to_json(report), encoding="utf-8")
    return out


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def report_to_csv(report: Mapping[str, Any]) -> str:
    """One row per take of every file (columns :data:`CSV_COLUMNS`); times in seconds."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for f in report.get("files", []):
        for t in f.get("takes", []):
            w.writerow([
                f.get("name"), t.get("index"), _cell(t.get("scene")), _cell(t.get("roll")), _cell(t.get("take")),
                _cell(t.get("camera")), _cell(t.get("start")), _cell(t.get("end")), _cell(t.get("duration")),
                _cell(t.get("start_tc")), _cell(t.get("end_tc")), _cell(t.get("slate_t")), _cell(t.get("action_t")),
                _cell(t.get("cut_t")), _cell(t.get("clap_t")), _cell(t.get("tail_slate_t")),
                _cell(t.get("start_rule")), _cell(t.get("end_rule")), _cell(t.get("fields_from")),
                _cell(t.get("score")), " | ".join(t.get("notes") or []),
                " ".join(str(th.get("path")) for th in t.get("thumbnails") or []), f.get("path"),
            ])
    return buf.getvalue()


def write_csv(report: Mapping[str, Any], path: str | Path) -> Path:
    """Write :func:`report_to_csv` to ``path``."""
    out = Path(path)
    out.write_text(report_to_csv(report), encoding="utf-8")
    return out
