"""Shared plumbing for models: lazy loading, package file lookup, hashing, ORT sessions."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from rushes.errors import ModelNotAvailable

__all__ = ["LazyModel", "cache_dir", "file_sha256", "onnx_session", "package_file", "worker_threads"]

T = TypeVar("T")
_log = logging.getLogger(__name__)


class LazyModel(Generic[T]):
    """A model loaded on first use, once per process, behind a lock; ``unload()`` frees it."""

    def __init__(self, name: str, loader: Callable[[], T]) -> None:
        self.name = name
        self._loader = loader
        self._lock = threading.Lock()
        self._value: T | None = None
        self.load_count = 0

    @property
    def loaded(self) -> bool:
        return self._value is not None

    def get(self) -> T:
        value = self._value
        if value is not None:
            return value
        with self._lock:
            if self._value is None:
                self._value = self._loader()
                self.load_count += 1
            return self._value

    def unload(self) -> None:
        with self._lock:
            self._value = None


def package_file(package: str, *parts: str, pip_name: str | None = None) -> Path:
    """Locate a file shipped inside an installed package without importing the package.

    Raises :class:`ModelNotAvailable` with the ``pip install`` line when it is missing.
    """
    spec = importlib.util.find_spec(package)
    pip = pip_name or package.replace("_", "-")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailable(f"model package {package!r} is not installed: pip install {pip}")
    for root in spec.submodule_search_locations:
        candidate = Path(root).joinpath(*parts)
        if candidate.exists():
            return candidate
    raise ModelNotAvailable(f"{'/'.join(parts)} not found in package {package!r}: pip install --force-reinstall {pip}")


@lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime: float) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    st = path.stat()
    return _sha256_cached(str(path), st.st_size, st.st_mtime)


def cache_dir() -> Path:
    """Folder for derived model files (e.g. ONNX exports), content-addressed by their source hash.

    ``RUSHES_CACHE_DIR`` overrides; default ``$XDG_CACHE_HOME/rushes`` or ``~/.cache/rushes``.
    """
    env = os.environ.get("RUSHES_CACHE_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rushes"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK | os.X_OK):
            return base
    except OSError:
        pass
    # an unwritable home (a service account, a read-only image): a per-user folder in the temp dir
    fallback = Path(tempfile.gettempdir()) / f"rushes-cache-{os.geteuid()}"
    _log.warning("model cache %s is not writable; using %s", base, fallback)
    fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
    return fallback


def worker_threads() -> int:
    """Intra-op threads per model: ``RUSHES_THREADS`` or 1 when several worker processes share the cores."""
    env = os.environ.get("RUSHES_THREADS")
    if env:
        return max(1, int(env))
    return max(1, int(os.environ.get("RUSHES_DEFAULT_THREADS", "2")))


def onnx_session(model_path: Path, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session with deliberate thread counts (inter-op 1, intra-op ``threads``)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelNotAvailable("onnxruntime is not installed: pip install 'rushes[vision]'") from exc
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = threads or worker_threads()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
