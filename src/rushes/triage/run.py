"""``triage``: ingest a day of dailies with the triage analyzers and build the day's report.

::

    from rushes.library import Library
    from rushes.triage.run import triage
    from rushes.triage.report import write_outputs

    with Library("rushes-library") as lib:
        report = triage("/media/day1", lib, pad_s=3.0, cost_per_tb_month=23.0)
    write_outputs(report, "day1-report", exports=("otio", "edl", "audacity"))

The report is a JSON-ready dict with ``"schema": "rushes.triage/1"`` (documented field by field
in ``docs/triage.md``): per file its takes (scene/roll/take/camera, where "action" and "cut"
were called, thumbnails), slates, commands, claps, archive and discard ranges and bytes; for the
day the totals, the storage saved and what it costs per month, and a benchmark block with the
wall time, CPU time and model calls of every step (from the catalog's results rows).

Storage assumptions (also written into the report): the bytes of a discarded range are the
file's size times the range's share of the file's duration (constant bit rate), a terabyte is
10¹² bytes as cloud storage is billed, and the cost is per TB-month of the storage class the
footage would otherwise sit in (default 23 USD, the list price of hot cloud object storage).
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rushes.intervals import Intervals
from rushes.triage.report.common import clock_of
from rushes.triage.takes import archive_ranges, complement_ranges, row_attrs

if TYPE_CHECKING:
    from rushes.library import Library

__all__ = [
    "DEFAULT_COST_PER_TB_MONTH",
    "DEFAULT_PAD_S",
    "SCHEMA",
    "TRIAGE_ANALYZERS",
    "build_report",
    "triage",
    "triage_analyzers",
]

SCHEMA = "rushes.triage/1"
#: the analyzers a triage runs (``takes`` pulls in slate, commands (and speech) and clap)
TRIAGE_ANALYZERS: tuple[str, ...] = ("takes",)
DEFAULT_PAD_S = 3.0
#: USD per TB-month: the list price of hot cloud object storage (e.g. S3 Standard, first 50 TB)
DEFAULT_COST_PER_TB_MONTH = 23.0
_TB = 1e12

Progress = Callable[[str, Mapping[str, Any]], None]


def triage_analyzers(with_defaults: bool = False, extra: Sequence[str] = ()) -> list[str]:
    """The analyzers a triage ingests with: :data:`TRIAGE_ANALYZERS`, ``extra``, and optionally
    the library's default set."""
    names = list(TRIAGE_ANALYZERS)
    if with_defaults:
        from rushes.pipeline.registry import default_analyzers

        names += [n for n in default_analyzers() if n not in names]
    names += [n for n in extra if n not in names]
    return names


def triage(
    folder: str | Path | Sequence[str | Path],
    library: Library | str | Path,
    *,
    pad_s: float | None = None,
    cost_per_tb_month: float = DEFAULT_COST_PER_TB_MONTH,
    currency: str = "USD",
    with_defaults: bool = False,
    analyzers: Sequence[str] = (),
    workers: int | None = None,
    engine: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ingest ``folder`` (files or folders) with the triage analyzers, then build the report.

    ``pad_s`` (default: the ``takes`` analyzer's ``pad_s``, 3 s) pads every take in the archive
    ranges of the report; ``analyzers`` adds analyzers to run; ``with_defaults`` also runs the
    library's default set. Finished steps are cached, so a second triage of the same folder
    only rebuilds the report.
    """
    from rushes.library import Library

    t0 = time.perf_counter()
    own = not isinstance(library, Library)
    lib = Library(library) if not isinstance(library, Library) else library
    try:
        names = triage_analyzers(with_defaults, analyzers)
        paths = [folder] if isinstance(folder, str | Path) else list(folder)
        ingest = lib.ingest(paths, analyzers=names, workers=workers, engine=engine, force=force,
                            progress=progress)
        t1 = time.perf_counter()
        report = build_report(
            lib, ingest.items, pad_s=pad_s, cost_per_tb_month=cost_per_tb_month, currency=currency,
            analyzers=names, folder=[str(Path(p).absolute()) for p in paths],
        )
        bench = report["benchmark"]
        bench["ingest_wall_s"] = round(ingest.wall_s, 3)
        bench["report_wall_s"] = round(time.perf_counter() - t1, 3)
        bench["wall_s"] = round(time.perf_counter() - t0, 3)
        dur = report["totals"]["duration_s"]
        bench["x_realtime"] = round(dur / bench["wall_s"], 2) if bench["wall_s"] > 0 else None
        report["job"] = {"id": ingest.job_id, "state": ingest.state, "exit_code": int(ingest.exit_code)}
        return report
    finally:
        if own:
            lib.close()


# --------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def _takes_pad(lib: Library, media_id: int) -> float | None:
    row = lib.catalog.execute(
        "SELECT params_json FROM results WHERE media_id=? AND analyzer='takes'", (media_id,)).fetchone()
    if row is None:
        return None
    try:
        return float(json.loads(row[0]).get("pad_s", DEFAULT_PAD_S))
    except (ValueError, TypeError):
        return None


def _track_rows(iv: Intervals) -> list[tuple[str, float, float, float, dict[str, Any]]]:
    starts, ends = iv.start_seconds, iv.end_seconds
    return [(str(iv.label[i]), float(starts[i]), float(ends[i]), float(iv.score[i]), row_attrs(iv, i))
            for i in range(len(iv))]


def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


def build_report(
    lib: Library,
    items: Sequence[Mapping[str, Any]],
    *,
    pad_s: float | None = None,
    cost_per_tb_month: float = DEFAULT_COST_PER_TB_MONTH,
    currency: str = "USD",
    analyzers: Sequence[str] = TRIAGE_ANALYZERS,
    folder: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``rushes.triage/1`` report of ingested files.

    ``items`` are ingest report items (``path``, ``status``, ``media_id``, ``error``, ``steps``),
    e.g. ``IngestReport.items``. ``pad_s=None`` uses each file's ``takes`` analyzer padding.
    """
    if cost_per_tb_month < 0:
        raise ValueError("cost_per_tb_month must be >= 0")
    if pad_s is not None and pad_s < 0:
        raise ValueError("pad_s must be >= 0")
    from rushes.pipeline.registry import resolve_graph

    graph = [c.name for c in resolve_graph(analyzers)]
    files = [_file_report(lib, it, pad_s, graph) for it in items]
    files.sort(key=lambda f: f["name"])
    pads = sorted({f["pad_s"] for f in files if f.get("pad_s") is not None})
    totals = _totals(files)
    discard_tb = totals["discard_bytes"] / _TB
    savings = {
        "discard_bytes": totals["discard_bytes"], "discard_tb": round(discard_tb, 6),
        "discard_fraction": totals["discard_fraction"], "cost_per_tb_month": cost_per_tb_month,
        "currency": currency, "per_month": round(discard_tb * cost_per_tb_month, 4),
        "per_year": round(discard_tb * cost_per_tb_month * 12, 4),
    }
    steps: dict[str, dict[str, Any]] = {}
    for f in files:
        for s in f["steps"]:
            agg = steps.setdefault(s["analyzer"], {"analyzer": s["analyzer"], "wall_s": 0.0, "cpu_s": 0.0,
                                                   "model_calls": 0, "files": 0, "computed_files": 0})
            agg["wall_s"] += s["wall_s"] or 0.0
            agg["cpu_s"] += s["cpu_s"] or 0.0
            agg["model_calls"] += s["model_calls"] or 0
            agg["files"] += 1
            agg["computed_files"] += 1 if s.get("computed") else 0
    step_list = [{**v, "wall_s": round(v["wall_s"], 3), "cpu_s": round(v["cpu_s"], 3)}
                 for k, v in sorted(steps.items(), key=lambda kv: graph.index(kv[0]) if kv[0] in graph else 99)]
    from importlib.metadata import PackageNotFoundError, version

    try:
        rushes_version = version("rushes")
    except PackageNotFoundError:
        rushes_version = "unknown"
    return {
        "schema": SCHEMA,
        "generator": {"name": "rushes", "version": rushes_version, "python": platform.python_version(),
                      "machine": platform.machine()},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "library": str(lib.root),
        "folder": list(folder),
        "params": {"pad_s": pads[0] if len(pads) == 1 else (pad_s if pad_s is not None else pads),
                   "cost_per_tb_month": cost_per_tb_month, "currency": currency, "analyzers": graph},
        "files": files,
        "totals": totals,
        "savings": savings,
        "benchmark": {
            "wall_s": None, "ingest_wall_s": None, "report_wall_s": None, "x_realtime": None,
            "media_duration_s": totals["duration_s"],
            "steps": step_list,
            "model_calls": sum(s["model_calls"] for s in step_list),
            "step_wall_s": round(sum(s["wall_s"] for s in step_list), 3),
            "computed_steps": sum(s["computed_files"] for s in step_list),
            "cached_steps": sum(s["files"] - s["computed_files"] for s in step_list),
        },
        "assumptions": [
            "bytes of a range = file size x range duration / file duration (constant bit rate)",
            "1 TB = 10^12 bytes; cost = discarded TB x cost per TB-month of the storage class",
            f"archive = takes padded by {pads[0] if len(pads) == 1 else pad_s} s each side; discard = the rest",
            "step wall/CPU time and model calls come from the catalog's results rows (time of the run that "
            "computed them; 'computed_files' counts those computed in this run)",
            "discard ranges are a recommendation for review by a person, not a deletion list",
        ],
    }


def _file_report(lib: Library, item: Mapping[str, Any], pad_override: float | None,
                 graph: Sequence[str]) -> dict[str, Any]:
    path = str(item.get("path", ""))
    mid = item.get("media_id")
    media = lib.catalog.get_media(int(mid)) if mid is not None else None
    out: dict[str, Any] = {
        "name": Path(path).name if media is None else media.name, "path": path, "media_id": mid,
        "status": item.get("status", "ok"), "error": item.get("error"),
    }
    if media is None:
        out.update({"fingerprint": None, "size_bytes": 0, "duration_s": None, "frame_rate": None,
                    "start_timecode": None, "takes": [], "slates": [], "commands": [], "claps": [],
                    "archive": [], "discard": [], "archive_s": 0.0, "discard_s": 0.0, "discard_fraction": 0.0,
                    "archive_bytes": 0, "discard_bytes": 0, "pad_s": pad_override, "notes": [], "steps": []})
        return out
    duration = float(media.duration_s) if media.duration_s is not None else None
    tc = media.info.start_timecode()
    out.update({
        "fingerprint": media.fingerprint, "size_bytes": int(media.size), "duration_s": _r(duration, 6),
        "frame_rate": None if media.frame_rate is None else str(media.frame_rate),
        "start_timecode": None if tc is None else str(tc), "kind": media.kind,
        "has_video": media.info.primary_video is not None, "has_audio": media.info.primary_audio is not None,
    })
    cat = lib.catalog
    takes_iv = cat.get_intervals("takes", media_id=media.id)
    has_takes_result = cat.execute("SELECT 1 FROM results WHERE media_id=? AND analyzer='takes'",
                                   (media.id,)).fetchone() is not None
    pad = pad_override if pad_override is not None else (_takes_pad(lib, media.id) or DEFAULT_PAD_S)
    clock = clock_of(out["frame_rate"], out["start_timecode"])
    thumbs: dict[int, list[dict[str, Any]]] = {}
    for a in cat.artifacts(media.id, kind="take_thumbnail"):
        thumbs.setdefault(int(a.attrs.get("take", 0)), []).append({
            "position": a.attrs.get("position"), "t": a.attrs.get("t"), "path": str(lib.root / a.path),
        })
    takes: list[dict[str, Any]] = []
    for i, (_lab, s, e, score, attrs) in enumerate(sorted(_track_rows(takes_iv), key=lambda r: r[1]), start=1):
        index = int(attrs.get("index") or i)
        take = {
            "index": index, "start": _r(s, 6), "end": _r(e, 6), "duration": _r(e - s, 6),
            "start_tc": clock.tc_in(s) if clock else None, "end_tc": clock.tc_out(e) if clock else None,
            **{k: attrs.get(k) for k in ("scene", "roll", "take", "camera", "fields_from")},
            **{k: _r(attrs.get(k), 6) for k in ("slate_t", "action_t", "cut_t", "clap_t", "tail_slate_t")},
            "start_rule": attrs.get("start_rule"), "end_rule": attrs.get("end_rule"),
            "preroll": _jsonable(attrs.get("preroll") or {}), "slate": _jsonable(attrs.get("slate") or {}),
            "score": _r(score, 4), "notes": list(attrs.get("notes") or []),
            "thumbnails": sorted(thumbs.get(index, []), key=lambda d: float(d.get("t") or 0.0)),
        }
        takes.append(take)
    end = duration if duration is not None else max((t["end"] for t in takes), default=0.0)
    archive = archive_ranges([(t["start"], t["end"]) for t in takes], end, pad)
    discard = complement_ranges(archive, end) if end else []
    archive_s = sum(e - s for s, e in archive)
    discard_s = sum(e - s for s, e in discard)
    size = int(media.size)
    discard_bytes = round(size * discard_s / duration) if duration else 0
    slate_rows = sorted(((lab, s, e, sc, a, clapped) for track, clapped in (("slates", False), ("clapped_slates", True))
                         for lab, s, e, sc, a in _track_rows(cat.get_intervals(track, media_id=media.id))),
                        key=lambda row: row[1])
    slates = [{"label": lab, "start": _r(s, 6), "end": _r(e, 6), "score": _r(sc, 4),
               **{k: a.get(k) for k in ("scene", "roll", "take", "camera", "prod", "director", "date")},
               "roll_mismatch": a.get("roll_mismatch"), "best_t": _r(a.get("best_t"), 6),
               "confirmed_by": "clap" if clapped else ("ocr" if a.get("confirmed") else "classifier")}
              for lab, s, e, sc, a, clapped in slate_rows]
    commands = [{"label": lab, "t": _r(s, 6), "end": _r(e, 6), "score": _r(sc, 4), "rule": a.get("rule"),
                 "raw_t": _r(a.get("raw_start"), 6)}
                for lab, s, e, sc, a in _track_rows(cat.get_intervals("commands", media_id=media.id))]
    claps = [{"t": _r(s, 6), "score": _r(sc, 4)}
             for _l, s, _e, sc, _a in _track_rows(cat.get_intervals("claps", media_id=media.id))]
    computed = {s.get("analyzer") for s in item.get("steps") or [] if s.get("status") == "ok"}
    steps = [{"analyzer": r.analyzer, "version": r.version, "wall_s": _r(r.wall_s), "cpu_s": _r(r.cpu_s),
              "model_calls": int(r.model_calls), "computed": r.analyzer in computed}
             for r in cat.results_for_media(media.id) if r.analyzer in graph]
    notes: list[str] = []
    for r in cat.results_for_media(media.id):
        if r.analyzer == "takes":
            notes = [str(n) for n in r.metrics.get("notes", [])]
    if not has_takes_result and out["status"] == "ok":
        out["status"] = "no_takes_result"
    out.update({
        "takes": takes, "slates": slates, "commands": commands, "claps": claps,
        "archive": [{"start": _r(s, 6), "end": _r(e, 6)} for s, e in archive],
        "discard": [{"start": _r(s, 6), "end": _r(e, 6)} for s, e in discard],
        "archive_s": _r(archive_s), "discard_s": _r(discard_s),
        "discard_fraction": _r(discard_s / end, 4) if end else 0.0,
        "archive_bytes": size - discard_bytes if duration else size, "discard_bytes": discard_bytes,
        "pad_s": pad, "notes": notes, "steps": steps,
    })
    return out


def _totals(files: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    duration = sum(float(f["duration_s"] or 0.0) for f in files)
    discard_s = sum(float(f["discard_s"] or 0.0) for f in files)
    size = sum(int(f["size_bytes"] or 0) for f in files)
    discard_bytes = sum(int(f["discard_bytes"] or 0) for f in files)
    return {
        "files": len(files), "files_failed": sum(1 for f in files if f["status"] != "ok"),
        "takes": sum(len(f["takes"]) for f in files),
        "duration_s": round(duration, 3), "archive_s": round(sum(float(f["archive_s"] or 0) for f in files), 3),
        "discard_s": round(discard_s, 3), "discard_fraction": round(discard_s / duration, 4) if duration else 0.0,
        "bytes": size, "archive_bytes": size - discard_bytes, "discard_bytes": discard_bytes,
    }
