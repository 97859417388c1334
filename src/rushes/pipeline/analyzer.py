"""The analyzer interface: what every step of the pipeline declares and implements.

An analyzer is a class with class-level metadata and a streaming per-file lifecycle::

    @register
    class BlackFrames(Analyzer):
        name = "black"                      # unique; also the default track name prefix
        version = "1"                       # bump when output changes for the same input
        Params = BlackParams                # frozen dataclass with defaults (part of the cache key)
        requires = ()                       # analyzers whose tracks this one reads
        media_kinds = frozenset({"video"})  # which media it applies to (video, audio, image)
        default = True                      # part of a plain ``rushes ingest``

        def frame_spec(self) -> FrameSpec | None: ...   # frames it wants (None = none)
        def wants_audio(self) -> bool: ...              # 16 kHz mono chunks?
        def begin(self, ctx): ...                       # per file, before frames
        def on_frame(self, frame): ...                  # streaming
        def on_audio(self, chunk): ...
        def finish(self) -> AnalyzerOutput: ...         # tracks, artifacts, metrics

The runner creates one instance per (file, run) with validated params; models are shared
between instances through :mod:`rushes.models` (lazy, lock-guarded, loaded once per process).
Everything that affects an analyzer's output must be in its ``version``, ``Params`` or
:meth:`Analyzer.model_id` — the cache key is built from them (see :func:`result_key`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.media.decode import AudioChunk, FrameSpec, VideoFrame

if TYPE_CHECKING:
    from rushes.catalog import Catalog, MediaRecord

__all__ = [
    "Analyzer",
    "AnalyzerContext",
    "AnalyzerOutput",
    "ArtifactFile",
    "NoParams",
    "params_from_mapping",
    "params_hash",
    "result_key",
]


@dataclass(frozen=True)
class NoParams:
    """Parameters of an analyzer that takes none."""


@dataclass(frozen=True)
class ArtifactFile:
    """A file an analyzer wrote into ``ctx.workdir``; the runner moves it into the library."""

    kind: str
    """What it is: ``thumbnail``, ``embedding``, ``waveform``, ..."""
    path: Path
    """Where the analyzer wrote it (inside ``ctx.workdir``)."""
    attrs: Mapping[str, Any] = field(default_factory=dict)
    """Small JSON facts, e.g. ``{"t": 12.5}`` for a thumbnail's time."""


@dataclass
class AnalyzerOutput:
    """What one analyzer produced for one file."""

    tracks: dict[str, Intervals] = field(default_factory=dict)
    artifacts: list[ArtifactFile] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    model_calls: int = 0


@dataclass
class AnalyzerContext:
    """What an analyzer can see of the world while it runs on one file."""

    media: MediaRecord
    workdir: Path
    """A private staging folder for artifacts (moved into the library on commit)."""
    inputs: dict[str, Intervals]
    """Tracks of required analyzers for this media, by track name."""
    catalog: Catalog
    library_root: Path
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return Path(self.media.path)

    @property
    def duration(self) -> Fraction | None:
        return self.media.info.duration


class Analyzer(ABC):
    """Base class of every pipeline step (see the module docstring)."""

    name: ClassVar[str]
    version: ClassVar[str]
    Params: ClassVar[type[Any]] = NoParams
    requires: ClassVar[tuple[str, ...]] = ()
    media_kinds: ClassVar[frozenset[str]] = frozenset({"video"})
    default: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init__(self, params: Any = None) -> None:
        self.params = params if params is not None else self.Params()
        if not isinstance(self.params, self.Params):
            raise TypeError(f"{self.name}: params must be {self.Params.__name__}")
        self.ctx: AnalyzerContext | None = None
        self.model_calls = 0
        # wall/CPU seconds spent inside this analyzer's callbacks (filled by the runner)
        self.wall_s = 0.0
        self.cpu_s = 0.0

    # -- declarations -------------------------------------------------------------------
    def frame_spec(self) -> FrameSpec | None:
        """Frames this analyzer wants for the current file (``None``: no video)."""
        return None

    def wants_audio(self) -> bool:
        return False

    def model_id(self) -> str:
        """Identity of the model weights used (name@hash); part of the cache key."""
        return ""

    def applies_to(self, media: MediaRecord) -> bool:
        """Whether to run on this media at all (default: by ``media_kinds``)."""
        if media.kind not in self.media_kinds:
            return False
        if self.wants_audio() and self.frame_spec() is None:
            return media.info.primary_audio is not None
        return True

    # -- lifecycle ----------------------------------------------------------------------
    def begin(self, ctx: AnalyzerContext) -> None:
        """Called once per file before any frame or audio."""
        self.ctx = ctx

    def on_frame(self, frame: VideoFrame) -> None:
        """One frame matching :meth:`frame_spec`."""

    def on_audio(self, chunk: AudioChunk) -> None:
        """The next chunk of 16 kHz mono float32 audio."""

    @abstractmethod
    def finish(self) -> AnalyzerOutput:
        """Called once after the decode pass: return tracks, artifacts and metrics."""

    # -- helpers ------------------------------------------------------------------------
    @property
    def context(self) -> AnalyzerContext:
        if self.ctx is None:
            raise RuntimeError(f"{self.name}: begin() was not called")
        return self.ctx

    @classmethod
    def param_fields(cls) -> dict[str, Any]:
        """Parameter name → default, for docs and the CLI."""
        return {f.name: f.default for f in dataclasses.fields(cls.Params)}


def params_from_mapping(cls: type[Analyzer], values: Mapping[str, Any] | None) -> Any:
    """Build ``cls.Params`` from a mapping (config file or CLI), validating names and types."""
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls.Params)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise QueryError(
            f"{cls.name}: unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(fields)) or 'none'}"
        )
    coerced: dict[str, Any] = {}
    for key, raw in values.items():
        default = fields[key].default
        try:
            if isinstance(default, bool):
                coerced[key] = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
            elif isinstance(default, int) and not isinstance(default, bool):
                coerced[key] = int(raw)
            elif isinstance(default, float):
                coerced[key] = float(raw)
            elif isinstance(default, Fraction):
                coerced[key] = Fraction(str(raw))
            elif isinstance(default, tuple):
                coerced[key] = tuple(raw) if not isinstance(raw, str) else tuple(
                    x.strip() for x in raw.split(",") if x.strip())
            else:
                coerced[key] = raw
        except (TypeError, ValueError) as exc:
            raise QueryError(f"{cls.name}.{key}: cannot use {raw!r} ({exc})") from exc
    try:
        return cls.Params(**coerced)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"{cls.name}: invalid parameters: {exc}") from exc


def _canonical(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Fraction):
        return f"{obj.numerator}/{obj.denominator}"
    if isinstance(obj, tuple | list):
        return [_canonical(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items())}
    if isinstance(obj, float):
        return repr(obj)
    return obj


def params_to_dict(params: Any) -> dict[str, Any]:
    out = _canonical(params)
    return out if isinstance(out, dict) else {"value": out}


def params_hash(params: Any) -> str:
    blob = json.dumps(_canonical(params), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def result_key(
    fingerprint: str, analyzer: str, version: str, p_hash: str, model_id: str, upstream: tuple[str, ...] = ()
) -> str:
    """The cache key of one step: everything that affects its output, upstream keys included."""
    blob = "\x1f".join([fingerprint, analyzer, version, p_hash, model_id, *sorted(upstream)])
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class Stopwatch:
    """Accumulates wall and thread-CPU time of the calls it wraps."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._w = time.perf_counter()
        self._c = time.thread_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.thread_time() - self._c


def save_npy(path: Path, array: npt.NDArray[Any]) -> Path:
    """Write an array artifact (``.npy``)."""
    np.save(path, array, allow_pickle=False)
    return path
