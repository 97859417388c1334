"""The per-file task every engine runs: one job item from start to durable finish.

It lives in its own module so worker processes import only what they need, and keeps one open
catalog per library per process (models stay loaded between files for the same reason).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rushes.errors import JobCancelled
from rushes.pipeline.jobs import JobControl, JobStore
from rushes.pipeline.runner import process_file

__all__ = ["run_item", "set_progress"]

_libraries: dict[str, Any] = {}
_progress: Callable[[str, Mapping[str, Any]], None] | None = None


def set_progress(fn: Callable[[str, Mapping[str, Any]], None] | None) -> None:
    """In serial mode the caller receives fine-grained step events."""
    global _progress
    _progress = fn


def _library(root: str) -> Any:
    from rushes.library import Library

    lib = _libraries.get(root)
    if lib is None:
        lib = Library(root, create=False)
        _libraries[root] = lib
    return lib


def run_item(library_root: str, job_id: int, seq: int, path: str, analyzers: Sequence[str],
             retries: int, force: bool) -> dict[str, Any]:
    """Process one file of a job; the item's state in the catalog is the durable record."""
    lib = _library(library_root)
    lib.config = lib.load_config()  # pick up calibrations/overrides saved since the last file
    store: JobStore = lib.jobs
    control = JobControl(store, job_id)
    try:
        control.check()  # waits while paused, raises when cancelled
    except JobCancelled:
        return {"path": path, "seq": seq, "status": "cancelled"}
    store.start_item(job_id, seq)
    try:
        res = process_file(
            lib.catalog, Path(library_root), path, analyzers, config=lib.config, job_id=job_id,
            retries=retries, should_stop=control.should_stop, progress=_progress, force=force,
        )
    except JobCancelled:
        store.finish_item(job_id, seq, "pending")
        return {"path": path, "seq": seq, "status": "cancelled"}
    out = res.to_dict()
    store.finish_item(job_id, seq, res.status, media_id=res.media_id, error=res.error,
                      error_type=res.error_type, stats=out)
    if res.status == "failed":
        failed_steps = [s for s in res.steps if s.status == "failed"]
        if failed_steps:
            for s in failed_steps:
                lib.catalog.record_failure(path=res.path, error_type=s.error_type or "Error",
                                           message=s.error or "", job_id=job_id, media_id=res.media_id,
                                           analyzer=s.analyzer, attempts=s.attempts)
        else:
            lib.catalog.record_failure(path=res.path, error_type=res.error_type or "Error",
                                       message=res.error or "", job_id=job_id, media_id=res.media_id)
    out["seq"] = seq
    return out
