"""Writers of the triage report: JSON, CSV, HTML, and the editors' exports (OTIO, EDL, Audacity).

:func:`write_outputs` writes a whole report folder::

    out/
    ├── report.json      the rushes.triage/1 document (thumbnail paths relative to out/)
    ├── takes.csv        one row per take
    ├── report.html      self-contained page: timelines, takes, thumbnails, benchmark
    ├── thumbs/          the take thumbnails (copied from the library)
    ├── takes.otio       --export otio: one clip per take
    ├── takes.edl        --export edl: CMX3600, one event per take (one EDL per frame rate)
    └── audacity/NAME.txt  --export audacity: a label track per file
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rushes.errors import QueryError
from rushes.triage.report.audacity import (
    file_to_labels,
    labels_to_truth,
    parse_labels,
    read_labels,
    write_labels,
)
from rushes.triage.report.common import FileClock, clock_of, human_bytes, safe_stem, take_label
from rushes.triage.report.html import report_to_html, write_html
from rushes.triage.report.interchange import (
    Subclip,
    report_to_edls,
    report_to_otio,
    subclips,
    write_edls,
    write_otio,
)
from rushes.triage.report.tables import CSV_COLUMNS, report_to_csv, report_to_json, write_csv, write_json

__all__ = [
    "CSV_COLUMNS",
    "EXPORTS",
    "FileClock",
    "Subclip",
    "clock_of",
    "file_to_labels",
    "human_bytes",
    "labels_to_truth",
    "parse_exports",
    "parse_labels",
    "read_labels",
    "report_to_csv",
    "report_to_edls",
    "report_to_html",
    "report_to_json",
    "report_to_otio",
    "subclips",
    "take_label",
    "write_csv",
    "write_edls",
    "write_html",
    "write_json",
    "write_labels",
    "write_otio",
    "write_outputs",
]

#: the optional exports of :func:`write_outputs`
EXPORTS: tuple[str, ...] = ("otio", "edl", "audacity")


def parse_exports(text: str | Sequence[str] | None) -> list[str]:
    """``"otio,edl"`` → ``["otio", "edl"]``, validated against :data:`EXPORTS`."""
    if not text:
        return []
    items = [x.strip().lower() for x in (text.split(",") if isinstance(text, str) else text) if x.strip()]
    bad = [x for x in items if x not in EXPORTS]
    if bad:
        raise QueryError(f"unknown export(s) {', '.join(bad)}; valid: {', '.join(EXPORTS)}")
    return list(dict.fromkeys(items))


def _copy_thumbnails(report: dict[str, Any], out_dir: Path) -> None:
    """Copy thumbnails into ``out_dir/thumbs`` and make their paths relative to ``out_dir``."""
    used: set[str] = set()
    for f in report.get("files", []):
        stem = safe_stem(str(f.get("name", "media")))
        for t in f.get("takes", []):
            for th in t.get("thumbnails") or []:
                src = Path(str(th.get("path", "")))
                if not src.is_file():
                    continue
                name = f"{stem}_take{int(t.get('index', 0)):03d}_{th.get('position', 'x')}{src.suffix or '.jpg'}"
                while name in used:
                    name = "_" + name
                used.add(name)
                dest = out_dir / "thumbs" / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
                th["path"] = f"thumbs/{name}"


def write_outputs(report: Mapping[str, Any], out_dir: str | Path, exports: Sequence[str] = (),
                  copy_thumbnails: bool = True) -> tuple[dict[str, Any], dict[str, list[Path]], list[str]]:
    """Write the report folder (see the module docstring).

    Returns ``(report as written, {output kind: paths}, warnings)``; the written report's
    thumbnail paths are relative to ``out_dir`` when ``copy_thumbnails``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rep: dict[str, Any] = copy.deepcopy(dict(report))
    if copy_thumbnails:
        _copy_thumbnails(rep, out)
    warnings: list[str] = []
    written: dict[str, list[Path]] = {
        "json": [write_json(rep, out / "report.json")],
        "csv": [write_csv(rep, out / "takes.csv")],
        "html": [write_html(rep, out / "report.html")],
    }
    for kind in parse_exports(list(exports)):
        if kind == "otio":
            written["otio"] = [write_otio(rep, out / "takes.otio", warnings=warnings)]
        elif kind == "edl":
            written["edl"] = write_edls(rep, out, warnings=warnings)
        elif kind == "audacity":
            folder = out / "audacity"
            folder.mkdir(exist_ok=True)
            written["audacity"] = [write_labels(f, folder / f"{safe_stem(str(f.get('name')))}.txt")
                                   for f in rep.get("files", [])]
    return rep, written, warnings
