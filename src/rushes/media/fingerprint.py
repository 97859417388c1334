"""Content fingerprints that identify a file by what it holds, not where it lives.

The fingerprint hashes the file size and three 1 MiB windows (start, middle, end) with BLAKE2b,
so it is cheap on multi-gigabyte camera originals and survives renames and moves. Two files
that differ anywhere inside those windows or in length get different fingerprints; a file
edited in place outside them (rare for camera media, which is written once) keeps its
fingerprint, which is why the catalog also records size and modification time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from rushes.errors import check_readable

__all__ = ["FINGERPRINT_VERSION", "fingerprint"]

FINGERPRINT_VERSION = 1
_WINDOW = 1 << 20


def fingerprint(path: str | Path) -> str:
    """Return ``"v1:" + 32 hex chars`` for the file's content."""
    p = Path(path)
    check_readable(p)
    size = p.stat().st_size
    h = hashlib.blake2b(digest_size=16)
    h.update(f"rushes-fp{FINGERPRINT_VERSION}:{size}:".encode())
    with p.open("rb") as fh:
        if size <= 3 * _WINDOW:
            h.update(fh.read())
        else:
            for offset in (0, size // 2 - _WINDOW // 2, size - _WINDOW):
                fh.seek(offset, os.SEEK_SET)
                h.update(fh.read(_WINDOW))
    return f"v{FINGERPRINT_VERSION}:{h.hexdigest()}"
