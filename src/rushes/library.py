"""A library: a folder holding the SQLite catalog, artifact files and a config.

::

    rushes-library/
    ├── catalog.sqlite      media, cached results, interval tracks, jobs (WAL mode)
    ├── artifacts/          thumbnails, embeddings, ... content-addressed by media fingerprint
    ├── config.toml         analyzer parameter overrides, calibrations
    └── tmp/                per-step staging (safe to delete when no job runs)

:class:`Library` is the public API the CLI is a thin layer over::

    lib = Library.open("rushes-library")
    report = lib.ingest(["/media/day1"])
    print(report.exit_code, lib.status()["media"])
"""

from __future__ import annotations

import os
import shutil
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rushes.catalog import Catalog, MediaRecord
from rushes.errors import ExitCode, JobCancelled, QueryError, StoreError
from rushes.media import MEDIA_EXTENSIONS
from rushes.pipeline.engine import make_engine
from rushes.pipeline.jobs import JobControl, JobRecord, JobStore
from rushes.pipeline.registry import default_analyzers, get_analyzer

__all__ = ["DEFAULT_LIBRARY", "IngestReport", "Library", "expand_inputs"]

DEFAULT_LIBRARY = Path("rushes-library")
CATALOG_NAME = "catalog.sqlite"
CONFIG_NAME = "config.toml"

#: progress callback: (event, details). Events: "job" (total), "probe", "step", "cached", "item" (done)
Progress = Callable[[str, Mapping[str, Any]], None]


@dataclass
class IngestReport:
    job_id: int
    state: str
    items: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["status"] == "failed"]

    @property
    def exit_code(self) -> ExitCode:
        if self.state == "cancelled":
            return ExitCode.CANCELLED
        return ExitCode.COMPLETED_WITH_FAILURES if self.failed else ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        ok = sum(1 for i in self.items if i["status"] == "ok")
        return {
            "job": self.job_id, "state": self.state, "exit_code": int(self.exit_code),
            "summary": {"inputs": len(self.items), "ok": ok, "failed": len(self.failed),
                        "pending": sum(1 for i in self.items if i["status"] == "pending"),
                        "wall_s": round(self.wall_s, 3)},
            "inputs": self.items,
        }


def expand_inputs(paths: Iterable[str | Path]) -> list[str]:
    """Files named directly are kept whatever their extension (so bad input is reported);
    folders are walked recursively for media extensions, skipping hidden entries."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw).expanduser().absolute()
        try:
            is_dir = p.is_dir()
        except OSError:  # e.g. a parent folder we may not enter: the item reports it
            is_dir = False
        if is_dir:
            found = sorted(
                f for f in _walk(p)
                if f.suffix.lower() in MEDIA_EXTENSIONS
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            cands = [str(f) for f in found]
        else:
            cands = [str(p)]
        for c in cands:
            if c not in seen:
                seen.add(c)
                out.append(c)
    return out


def _walk(root: Path) -> Iterable[Path]:
    """Files under ``root``; unreadable sub-folders are skipped rather than aborting the walk."""
    for dirpath, _dirs, files in os.walk(root, onerror=lambda _e: None):
        for f in files:
            yield Path(dirpath) / f


class Library:
    """A library folder: catalog + artifacts + config."""

    def __init__(self, root: str | Path, *, create: bool = True, readonly: bool = False) -> None:
        self.root = Path(root).expanduser().absolute()
        if not (self.root / CATALOG_NAME).exists():
            if not create:
                raise StoreError(f"{self.root}: no library here (run `rushes ingest` to create one)")
            if self.root.exists() and not self.root.is_dir():
                raise StoreError(f"{self.root}: exists and is not a folder")
            self.root.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(self.root / CATALOG_NAME, readonly=readonly)
        self.jobs = JobStore(self.catalog)
        self.config: dict[str, Any] = self.load_config()

    @classmethod
    def open(cls, root: str | Path = DEFAULT_LIBRARY, *, create: bool = True) -> Library:
        return cls(root, create=create)

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- config ---------------------------------------------------------------------------
    def load_config(self) -> dict[str, Any]:
        path = self.root / CONFIG_NAME
        if not path.exists():
            return {}
        try:
            return tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise QueryError(f"{path}: invalid config ({exc})") from exc

    def analyzer_config(self, name: str) -> dict[str, Any]:
        section = self.config.get("analyzers", {}).get(name, {})
        return dict(section) if isinstance(section, dict) else {}

    def set_analyzer_config(self, name: str, values: Mapping[str, Any]) -> None:
        """Merge parameter overrides for an analyzer and save ``config.toml`` atomically."""
        from rushes.pipeline.analyzer import params_from_mapping

        merged = {**self.analyzer_config(name), **values}
        params_from_mapping(get_analyzer(name), merged)  # validate before saving
        self.config.setdefault("analyzers", {})[name] = merged
        self.save_config()

    def save_config(self) -> None:
        path = self.root / CONFIG_NAME
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(_dump_toml(self.config))
        os.replace(tmp, path)

    # -- ingest ---------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[str | Path],
        *,
        analyzers: Sequence[str] | None = None,
        workers: int | None = None,
        engine: str | None = None,
        retries: int = 2,
        force: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Create a job for ``paths`` and run it to the end (or until paused+cancelled)."""
        names = list(analyzers) if analyzers is not None else default_analyzers()
        for n in names:
            get_analyzer(n)  # unknown names fail before a job exists
        inputs = expand_inputs(paths)
        if not inputs:
            raise QueryError("nothing to ingest: no media files found in the given paths")
        params = {"analyzers": names, "retries": retries, "force": force, "workers": workers, "engine": engine}
        job_id = self.jobs.create("ingest", params, inputs)
        return self.run_job(job_id, workers=workers, engine=engine, progress=progress)

    def run_job(self, job_id: int, *, workers: int | None = None, engine: str | None = None,
                progress: Progress | None = None) -> IngestReport:
        """Run the pending items of a job in this process (and its worker pool)."""
        t0 = time.perf_counter()
        job = self.jobs.get(job_id)
        params = job.params
        names: list[str] = list(params.get("analyzers") or default_analyzers())
        retries = int(params.get("retries", 2))
        force = bool(params.get("force", False))
        workers = workers if workers is not None else params.get("workers")
        pending = self.jobs.items(job_id, ["pending", "running"])
        emit = progress or (lambda _e, _d: None)
        emit("job", {"job": job_id, "total": len(self.jobs.items(job_id)), "pending": len(pending)})
        tasks = [(str(self.root), job_id, int(it["seq"]), it["path"], names, retries, force) for it in pending]
        eng = make_engine(engine, workers, len(tasks))

        def on_result(task: tuple[Any, ...], res: dict[str, Any]) -> None:
            emit("item", res)

        try:
            if eng.name == "serial":
                from rushes.pipeline import worker

                worker.set_progress(emit)
                try:
                    eng.run(worker.run_item, tasks, on_result)
                finally:
                    worker.set_progress(None)
            else:
                from rushes.pipeline import worker

                eng.run(worker.run_item, tasks, on_result)
        except KeyboardInterrupt:
            self.jobs.set_state(job_id, "paused", "interrupted by the user (Ctrl-C); resume with `rushes jobs resume`")
            raise
        final = self.jobs.state(job_id)
        if final in ("cancelling", "cancelled"):
            self.jobs.set_state(job_id, "cancelled")
            state = "cancelled"
        else:
            counts = self.jobs.get(job_id).counts
            state = "completed"
            self.jobs.set_state(job_id, state, f"{counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed")
        return self.job_report(job_id, state, time.perf_counter() - t0)

    def job_report(self, job_id: int, state: str | None = None, wall_s: float = 0.0) -> IngestReport:
        import json

        items = []
        for it in self.jobs.items(job_id):
            status = {"ok": "ok", "failed": "failed"}.get(it["state"], "pending")
            entry: dict[str, Any] = {"path": it["path"], "status": status, "media_id": it["media_id"]}
            if status == "failed":
                entry["error"] = it["error"] or "failed"
                entry["error_type"] = it["error_type"]
            if it["stats_json"]:
                stats = json.loads(it["stats_json"])
                entry["steps"] = stats.get("steps", [])
                entry["warnings"] = stats.get("warnings", [])
                entry["wall_s"] = stats.get("wall_s")
                entry["duration_s"] = stats.get("duration_s")
            items.append(entry)
        return IngestReport(job_id=job_id, state=state or self.jobs.get(job_id).effective_state,
                            items=items, wall_s=wall_s)

    # -- job control ----------------------------------------------------------------------
    def list_jobs(self) -> list[JobRecord]:
        return self.jobs.recent()

    def pause_job(self, job_id: int) -> JobRecord:
        return self.jobs.pause(job_id)

    def cancel_job(self, job_id: int) -> JobRecord:
        return self.jobs.cancel(job_id)

    def resume_job(self, job_id: int, *, progress: Progress | None = None,
                   workers: int | None = None) -> tuple[JobRecord, IngestReport | None]:
        """Resume: un-pause a live job, or run an interrupted/cancelled job's remaining items here."""
        job, needs_runner = self.jobs.request_resume(job_id)
        if not needs_runner:
            return job, None
        report = self.run_job(job_id, workers=workers, progress=progress)
        return self.jobs.get(job_id), report

    def control(self, job_id: int) -> JobControl:
        return JobControl(self.jobs, job_id)

    # -- queries --------------------------------------------------------------------------
    def media(self, ref: str) -> MediaRecord:
        found = self.catalog.find_media(ref)
        if not found:
            raise QueryError(f"no media matching {ref!r} in {self.root}")
        if len(found) > 1:
            names = ", ".join(f"{m.id}:{m.path}" for m in found[:5])
            raise QueryError(f"{ref!r} matches {len(found)} media ({names}); use the id")
        return found[0]

    def status(self) -> dict[str, Any]:
        summary = self.catalog.summary()
        jobs = [j.to_dict() for j in self.jobs.recent(limit=10)]
        return {"library": str(self.root), **summary, "jobs": jobs}

    def info(self, ref: str) -> dict[str, Any]:
        m = self.media(ref)
        results = self.catalog.results_for_media(m.id)
        tracks = self.catalog.tracks(m.id)
        arts = self.catalog.artifacts(m.id)
        return {
            **m.to_dict(),
            "start_timecode": None if m.info.start_timecode() is None else str(m.info.start_timecode()),
            "analyzers": [
                {"analyzer": r.analyzer, "version": r.version, "params_hash": r.params_hash,
                 "model_id": r.model_id, "wall_s": r.wall_s, "cpu_s": r.cpu_s, "model_calls": r.model_calls,
                 "metrics": r.metrics}
                for r in results
            ],
            "tracks": {name: count for name, count in tracks},
            "artifacts": [{"kind": a.kind, "name": a.name, "path": a.path, "bytes": a.bytes} for a in arts],
            "failures": [f for f in self.catalog.failures() if f["media_id"] == m.id or f["path"] == m.path],
        }

    def clean_tmp(self) -> None:
        shutil.rmtree(self.root / "tmp", ignore_errors=True)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def _dump_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """Minimal TOML writer for the library config (nested tables of scalars and lists)."""
    lines: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and scalars:
        lines.append(f"[{prefix}]")
    for k, v in scalars.items():
        lines.append(f"{_key(k)} = {_toml_value(v)}")
    if scalars:
        lines.append("")
    for k, v in tables.items():
        lines.append(_dump_toml(v, f"{prefix}.{_key(k)}" if prefix else _key(k)))
    return "\n".join(lines)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else f'"{k}"'


def job_cancelled_error(job_id: int) -> JobCancelled:
    return JobCancelled(f"job {job_id} was cancelled")
