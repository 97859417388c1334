"""One exception tree for the whole toolkit, and the CLI exit codes it maps to.

::

    RushesError                      exit 3 unless a subclass says otherwise
    ├── MediaError                   exit 4  (a file cannot be used as media)
    │   ├── MediaNotFound            missing file or folder
    │   ├── MediaPermissionError     unreadable file
    │   ├── EmptyMediaError          zero-byte file
    │   ├── UnsupportedMediaError    not media, or no stream FFmpeg can decode
    │   └── CorruptMediaError        opens but too damaged to decode
    ├── StoreError                   exit 3  (library / catalog problems)
    │   └── CacheCorrupt
    ├── ModelNotAvailable            exit 5  (a model package or folder is missing)
    ├── QueryError                   exit 2  (a query or config the user typed is invalid)
    ├── AnalyzerError                exit 3  (an analyzer failed on a file)
    ├── TransientError               retried with backoff by the pipeline
    └── JobCancelled                 exit 6

Third-party exceptions are translated at the edges with :func:`map_media_errors` and
``raise ... from exc`` so callers only need to catch :class:`RushesError`.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Documented exit codes of the ``rushes`` command (see docs/cli.md)."""

    OK = 0
    COMPLETED_WITH_FAILURES = 1
    USAGE = 2
    ERROR = 3
    MEDIA = 4
    MODEL_NOT_AVAILABLE = 5
    CANCELLED = 6
    INTERRUPTED = 130


class RushesError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR


class MediaError(RushesError):
    exit_code = ExitCode.MEDIA


class MediaNotFound(MediaError):
    pass


class MediaPermissionError(MediaError):
    pass


class EmptyMediaError(MediaError):
    pass


class UnsupportedMediaError(MediaError):
    pass


class CorruptMediaError(MediaError):
    pass


class StoreError(RushesError):
    exit_code = ExitCode.ERROR


class CacheCorrupt(StoreError):
    pass


class ModelNotAvailable(RushesError):
    exit_code = ExitCode.MODEL_NOT_AVAILABLE


class QueryError(RushesError):
    exit_code = ExitCode.USAGE


class AnalyzerError(RushesError):
    exit_code = ExitCode.ERROR


class TransientError(RushesError):
    """A failure that may succeed when tried again (a locked database, a busy device)."""


class JobCancelled(RushesError):
    exit_code = ExitCode.CANCELLED


def check_readable(path: Path) -> None:
    """Raise the precise :class:`MediaError` for a path that cannot be read as a file."""
    if not path.exists():
        raise MediaNotFound(f"{path}: no such file")
    if path.is_dir():
        raise UnsupportedMediaError(f"{path}: is a folder, not a media file")
    try:
        with path.open("rb") as fh:
            head = fh.read(1)
    except PermissionError as exc:
        raise MediaPermissionError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise MediaError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not head:
        raise EmptyMediaError(f"{path}: file is empty (0 bytes)")


@contextmanager
def map_media_errors(path: Path) -> Iterator[None]:
    """Translate PyAV/FFmpeg and OS errors raised while opening or decoding ``path``."""
    try:
        yield
    except RushesError:
        raise
    except PermissionError as exc:
        raise MediaPermissionError(f"{path}: permission denied") from exc
    except FileNotFoundError as exc:
        raise MediaNotFound(f"{path}: no such file") from exc
    except Exception as exc:
        raise _translate_av_error(path, exc) from exc


def _translate_av_error(path: Path, exc: Exception) -> MediaError:
    name = type(exc).__name__
    message = str(exc).strip() or name
    err = getattr(exc, "errno", None)
    if name == "InvalidDataError" or err == errno.EINVAL or "Invalid data" in message:
        return UnsupportedMediaError(f"{path}: not a media file FFmpeg can read ({_short(message)})")
    if name in {"EOFError"} or "End of file" in message:
        return CorruptMediaError(f"{path}: truncated or damaged ({_short(message)})")
    return CorruptMediaError(f"{path}: cannot decode ({name}: {_short(message)})")


def _short(message: str, limit: int = 160) -> str:
    line = " ".join(message.split())
    line = re.sub(r"^\[Errno -?\d+\]\s*", "", line)
    line = re.sub(r":\s*'[^']*'$", "", line)  # FFmpeg repeats the path at the end
    return line if len(line) <= limit else line[: limit - 1] + "…"
