"""Run the analyzer graph over one file: probe, fingerprint, skip cached steps, decode once per stage.

For each file the runner

1. checks the file is readable, probes it and fingerprints its content;
2. resolves the requested analyzers plus their requirements into stages (a stage only reads
   tracks of earlier stages);
3. computes each step's cache key from (fingerprint, analyzer, version, params hash, model id,
   upstream keys) and skips steps whose result is already in the catalog;
4. runs each stage's remaining analyzers from **one** decode pass (frames and audio fanned out);
5. commits each analyzer's tracks, artifacts and timings in one atomic transaction as soon as
   it finishes, so an interruption loses at most the steps in flight.

Failures are contained: an analyzer that raises is recorded and its dependents are skipped;
the others still run. :class:`~rushes.errors.TransientError` is retried with exponential backoff.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rushes.catalog import Catalog, MediaRecord
from rushes.errors import JobCancelled, RushesError, TransientError, check_readable
from rushes.intervals import Intervals
from rushes.media.decode import AudioChunk, FrameConsumer, FrameSpec, VideoFrame, decode
from rushes.media.fingerprint import fingerprint
from rushes.media.probe import probe
from rushes.pipeline.analyzer import (
    Analyzer,
    AnalyzerContext,
    AnalyzerOutput,
    Stopwatch,
    params_from_mapping,
    params_hash,
    params_to_dict,
    result_key,
)
from rushes.pipeline.registry import levels, resolve_graph

__all__ = ["FileResult", "StepResult", "process_file"]

log = logging.getLogger(__name__)

#: called with (event, details) while a file is processed: "probe", "step", "cached", "done"
ProgressFn = Callable[[str, Mapping[str, Any]], None]


@dataclass
class StepResult:
    analyzer: str
    status: str
    """``ok``, ``cached``, ``failed``, ``skipped`` (dependency failed) or ``n/a`` (not applicable)."""
    key: str | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    model_calls: int = 0
    error: str | None = None
    error_type: str | None = None
    attempts: int = 0


@dataclass
class FileResult:
    path: str
    status: str
    """``ok`` or ``failed`` (any step failed, or the file itself is unusable)."""
    media_id: int | None = None
    fingerprint: str | None = None
    error: str | None = None
    error_type: str | None = None
    steps: list[StepResult] = field(default_factory=list)
    decode_wall_s: float = 0.0
    frames_decoded: int = 0
    duration_s: float | None = None
    wall_s: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "status": self.status, "media_id": self.media_id,
            "fingerprint": self.fingerprint, "error": self.error, "error_type": self.error_type,
            "duration_s": self.duration_s, "wall_s": round(self.wall_s, 4),
            "decode_wall_s": round(self.decode_wall_s, 4), "frames_decoded": self.frames_decoded,
            "warnings": self.warnings,
            "steps": [
                {"analyzer": s.analyzer, "status": s.status, "wall_s": round(s.wall_s, 4),
                 "cpu_s": round(s.cpu_s, 4), "model_calls": s.model_calls, "attempts": s.attempts,
                 **({"error": s.error, "error_type": s.error_type} if s.error else {})}
                for s in self.steps
            ],
        }


class _Guard(FrameConsumer):
    """Wraps an analyzer for the shared decode: times it and contains its exceptions."""

    def __init__(self, analyzer: Analyzer, spec: FrameSpec | None, audio: bool) -> None:
        self.analyzer = analyzer
        self.spec = spec
        self.wants_audio = audio
        self.error: BaseException | None = None
        self.watch = Stopwatch()

    def on_frame(self, frame: VideoFrame) -> None:
        if self.error is None:
            try:
                with self.watch:
                    self.analyzer.on_frame(frame)
            except JobCancelled:
                raise
            except Exception as exc:
                self.error = exc

    def on_audio(self, chunk: AudioChunk) -> None:
        if self.error is None:
            try:
                with self.watch:
                    self.analyzer.on_audio(chunk)
            except JobCancelled:
                raise
            except Exception as exc:
                self.error = exc


def process_file(
    catalog: Catalog,
    library_root: Path,
    path: str | Path,
    analyzers: Sequence[str],
    *,
    config: Mapping[str, Any] | None = None,
    job_id: int | None = None,
    retries: int = 2,
    backoff_s: float = 0.5,
    should_stop: Callable[[], bool] | None = None,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> FileResult:
    """Run ``analyzers`` (plus requirements) on one file; see the module docstring."""
    t0 = time.perf_counter()
    p = Path(path).absolute()
    result = FileResult(path=str(p), status="ok")
    emit = progress or (lambda _e, _d: None)
    config = config or {}
    try:
        check_readable(p)
        info = probe(p)
        fp = fingerprint(p)
        result.fingerprint = fp
        result.duration_s = None if info.duration is None else float(info.duration)
        media_id = _retry(lambda: catalog.upsert_media(fp, info), retries, backoff_s)
        result.media_id = media_id
        media = catalog.get_media(media_id)
        assert media is not None
        emit("probe", {"path": str(p), "media_id": media_id, "duration_s": result.duration_s})
        graph = resolve_graph(analyzers)
        _run_graph(catalog, library_root, media, graph, config, job_id, retries, backoff_s,
                   should_stop, emit, result, force)
    except JobCancelled:
        raise
    except RushesError as exc:
        result.status = "failed"
        result.error = str(exc)
        result.error_type = type(exc).__name__
    except Exception as exc:  # an unexpected bug must not stop the batch
        log.exception("unexpected error on %s", p)
        result.status = "failed"
        result.error = f"{p}: internal error: {type(exc).__name__}: {exc}"
        result.error_type = type(exc).__name__
    if result.status == "ok" and any(s.status in ("failed", "skipped") for s in result.steps):
        result.status = "failed"
        first = next(s for s in result.steps if s.status == "failed")
        result.error = f"{first.analyzer}: {first.error}"
        result.error_type = first.error_type
    result.wall_s = time.perf_counter() - t0
    emit("done", {"path": str(p), "status": result.status})
    return result


def _run_graph(
    catalog: Catalog,
    library_root: Path,
    media: MediaRecord,
    graph: list[type[Analyzer]],
    config: Mapping[str, Any],
    job_id: int | None,
    retries: int,
    backoff_s: float,
    should_stop: Callable[[], bool] | None,
    emit: ProgressFn,
    result: FileResult,
    force: bool,
) -> None:
    keys: dict[str, str] = {}
    status: dict[str, str] = {}
    analyzer_cfg = config.get("analyzers", {}) if isinstance(config.get("analyzers", {}), dict) else {}
    for stage in levels(graph):
        pending: list[tuple[Analyzer, str, str]] = []
        for cls in stage:
            step = StepResult(analyzer=cls.name, status="ok")
            failed_deps = [d for d in cls.requires if status.get(d) in ("failed", "skipped")]
            if failed_deps:
                step.status, step.error = "skipped", f"required analyzer(s) failed: {', '.join(failed_deps)}"
                step.error_type = "DependencyFailed"
                status[cls.name] = "skipped"
                result.steps.append(step)
                continue
            try:
                params = params_from_mapping(cls, analyzer_cfg.get(cls.name))
                inst = cls(params)
                if not inst.applies_to(media):
                    status[cls.name] = "n/a"
                    step.status = "n/a"
                    result.steps.append(step)
                    continue
                upstream = tuple(keys[d] for d in cls.requires if d in keys)
                p_hash = params_hash(params)
                key = result_key(media.fingerprint, cls.name, cls.version, p_hash, inst.model_id(), upstream)
            except Exception as exc:  # bad parameters, or a model that cannot be resolved: this step only
                if not isinstance(exc, RushesError):
                    log.exception("%s: could not prepare step on %s", cls.name, media.path)
                step.status, step.error, step.error_type = "failed", _one_line(exc), type(exc).__name__
                status[cls.name] = "failed"
                result.steps.append(step)
                continue
            keys[cls.name] = key
            step.key = key
            if not force and catalog.get_result(key) is not None:
                step.status = "cached"
                status[cls.name] = "cached"
                result.steps.append(step)
                emit("cached", {"analyzer": cls.name})
                continue
            pending.append((inst, key, p_hash))
        if not pending:
            continue
        attempt = 0
        while pending:
            if attempt:
                time.sleep(backoff_s * (2 ** (attempt - 1)))
            steps, retry = _run_stage(catalog, library_root, media, pending, config, job_id,
                                      should_stop, emit, result, attempt + 1,
                                      allow_retry=attempt < retries)
            for step in steps:
                status[step.analyzer] = step.status
                result.steps.append(step)
            # transient failures run again, each with a fresh instance
            pending = [(type(inst)(inst.params), key, ph) for inst, key, ph in retry]
            attempt += 1


def _run_stage(
    catalog: Catalog,
    library_root: Path,
    media: MediaRecord,
    pending: list[tuple[Analyzer, str, str]],
    config: Mapping[str, Any],
    job_id: int | None,
    should_stop: Callable[[], bool] | None,
    emit: ProgressFn,
    result: FileResult,
    attempt: int,
    allow_retry: bool,
) -> tuple[list[StepResult], list[tuple[Analyzer, str, str]]]:
    """Run one stage's analyzers from a single decode pass; commit each one that succeeds."""
    steps: list[StepResult] = []
    retry: list[tuple[Analyzer, str, str]] = []
    guards: list[tuple[_Guard, str, str, Path]] = []

    def fail(inst: Analyzer, key: str, ph: str, exc: BaseException, watch: Stopwatch | None = None) -> None:
        if isinstance(exc, TransientError) and allow_retry:
            retry.append((inst, key, ph))
            return
        steps.append(StepResult(
            analyzer=inst.name, status="failed", key=key, error=_one_line(exc),
            error_type=type(exc).__name__, attempts=attempt,
            wall_s=watch.wall if watch else 0.0, cpu_s=watch.cpu if watch else 0.0,
        ))

    inputs_cache: dict[str, dict[str, Intervals]] = {}
    for inst, key, ph in pending:
        workdir = _staging_dir(library_root)
        inputs: dict[str, Intervals] = {}
        for dep in inst.requires:
            if dep not in inputs_cache:
                inputs_cache[dep] = _tracks_of(catalog, media.id, dep)
            inputs.update(inputs_cache[dep])
        ctx = AnalyzerContext(media=media, workdir=workdir, inputs=inputs, catalog=catalog,
                              library_root=library_root, config=config)
        guard = _Guard(inst, inst.frame_spec(), inst.wants_audio())
        try:
            with guard.watch:
                inst.begin(ctx)
        except JobCancelled:
            raise
        except Exception as exc:
            fail(inst, key, ph, exc, guard.watch)
            shutil.rmtree(workdir, ignore_errors=True)
            continue
        guards.append((guard, key, ph, workdir))
        emit("step", {"analyzer": inst.name, "path": media.path})

    try:
        needs_decode = [g for g, *_ in guards if g.spec is not None or g.wants_audio]
        if needs_decode:
            t0 = time.perf_counter()
            stats = decode(media.path, needs_decode, media.info, should_stop=should_stop)
            result.decode_wall_s += time.perf_counter() - t0
            result.frames_decoded += stats.frames_decoded
            if stats.bad_packets:
                result.warnings.append(
                    f"{stats.bad_packets} of {stats.packets} packets could not be decoded and were skipped"
                )
    except JobCancelled:
        for _g, _k, _p, wd in guards:
            shutil.rmtree(wd, ignore_errors=True)
        raise
    except Exception as exc:
        for g, key, ph, wd in guards:
            fail(g.analyzer, key, ph, exc, g.watch)
            shutil.rmtree(wd, ignore_errors=True)
        return steps, retry

    for guard, key, ph, workdir in guards:
        inst = guard.analyzer
        try:
            if guard.error is not None:
                raise guard.error
            with guard.watch:
                output = inst.finish()
            arts = _move_artifacts(library_root, media, inst.name, key, output)
            calls = output.model_calls or inst.model_calls
            catalog.commit_result(
                key=key, media_id=media.id, analyzer=inst.name, version=inst.version, params_hash=ph,
                params=params_to_dict(inst.params), model_id=inst.model_id(), tracks=output.tracks,
                artifacts=arts, wall_s=guard.watch.wall, cpu_s=guard.watch.cpu, model_calls=calls,
                metrics=output.metrics, job_id=job_id,
            )
            steps.append(StepResult(analyzer=inst.name, status="ok", key=key, wall_s=guard.watch.wall,
                                    cpu_s=guard.watch.cpu, model_calls=calls, attempts=attempt))
        except JobCancelled:
            raise
        except Exception as exc:
            fail(inst, key, ph, exc, guard.watch)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return steps, retry


def _tracks_of(catalog: Catalog, media_id: int, analyzer: str) -> dict[str, Intervals]:
    """Tracks written by ``analyzer`` for a media, by track name."""
    rows = catalog.execute(
        "SELECT DISTINCT track FROM intervals WHERE media_id=? AND producer=?", (media_id, analyzer)
    ).fetchall()
    return {r[0]: catalog.get_intervals(r[0], media_id=media_id) for r in rows}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, RushesError) else f"{type(exc).__name__}: {text}"


def _retry(fn: Callable[[], Any], retries: int, backoff_s: float) -> Any:
    attempt = 0
    while True:
        try:
            return fn()
        except TransientError:
            if attempt >= retries:
                raise
            time.sleep(backoff_s * (2**attempt))
            attempt += 1


def _move_artifacts(
    library_root: Path, media: MediaRecord, analyzer: str, key: str, output: AnalyzerOutput
) -> list[tuple[str, str, str, int, Mapping[str, Any]]]:
    """Move artifact files into ``artifacts/<fp>/<analyzer>/<key>/`` (atomic renames)."""
    if not output.artifacts:
        return []
    fp_dir = media.fingerprint.split(":")[-1]
    rel_dir = Path("artifacts") / fp_dir[:2] / fp_dir / analyzer / key[:16]
    dest_dir = library_root / rel_dir
    dest_dir.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, str, str, int, Mapping[str, Any]]] = []
    for art in output.artifacts:
        dest = dest_dir / art.path.name
        tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
        shutil.copyfile(art.path, tmp)
        os.replace(tmp, dest)
        out.append((art.kind, art.path.name, str(rel_dir / art.path.name), dest.stat().st_size, dict(art.attrs)))
    return out


def _staging_dir(library_root: Path) -> Path:
    base = library_root / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="step-", dir=base))
