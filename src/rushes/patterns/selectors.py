"""Selectors: how patterns and queries name a set of tag occurrences.

A selector is ``TRACK:LABEL``:

* ``TRACK`` is a track name (letters, digits, ``_``, ``-``, ``.``), matched exactly: ``tag``
  (visual labels), ``ocr``, ``said`` (transcript), ``takes``, ``shot``, ...;
* ``LABEL`` is a glob matched case-insensitively against the row labels of that track: ``*``
  matches any run of characters, ``?`` one character, ``[abc]`` one of a set. ``tag:*`` selects
  every row of the track;
* a quoted label (``said:"cut"``, ``ocr:"THE END"``) matches literally (still
  case-insensitively): wildcards inside quotes are plain characters, and spaces are allowed.
  Inside quotes ``\\"`` is a quote and ``\\\\`` a backslash.

>>> s = parse_selector('ocr:"THE END"')
>>> s.track, s.label, s.exact, str(s)
('ocr', 'THE END', True, 'ocr:"THE END"')
>>> parse_selector("tag:pers*").matches(np.array(["Person", "car"], dtype=object)).tolist()
[True, False]
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import QueryError

__all__ = ["LabelIndex", "Selector", "escape_glob", "label_mask", "parse_selector"]

BoolArray = npt.NDArray[np.bool_]

TRACK_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def escape_glob(text: str) -> str:
    """A glob that matches ``text`` literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


@functools.lru_cache(maxsize=512)
def _glob_regex(glob: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(glob), re.IGNORECASE | re.DOTALL)


class LabelIndex:
    """Labels factorised once (distinct values + a code per row) for repeated glob matching."""

    def __init__(self, labels: npt.NDArray[Any]) -> None:
        lookup: dict[str, int] = {}
        self.codes = np.fromiter(
            (lookup.setdefault(str(x), len(lookup)) for x in labels), dtype=np.int64, count=len(labels))
        self.distinct = list(lookup)

    def mask(self, glob: str) -> BoolArray:
        """Which rows' labels match ``glob``."""
        if glob == "*":
            return np.ones(len(self.codes), dtype=np.bool_)
        rx = _glob_regex(glob)
        hits = np.fromiter((rx.match(u) is not None for u in self.distinct), dtype=np.bool_,
                           count=len(self.distinct))
        return np.asarray(hits[self.codes], dtype=np.bool_)


def label_mask(labels: npt.NDArray[Any], glob: str) -> BoolArray:
    """Which ``labels`` match ``glob`` (case-insensitive fnmatch syntax)."""
    if glob == "*":
        return np.ones(len(labels), dtype=np.bool_)
    return LabelIndex(labels).mask(glob)


@dataclass(frozen=True)
class Selector:
    """``track:label`` — see the module documentation for the syntax."""

    track: str
    label: str = "*"
    exact: bool = False

    @property
    def glob(self) -> str:
        """The label as a glob for :meth:`TrackSource.get` (quoted labels escaped)."""
        return escape_glob(self.label) if self.exact else self.label

    def matches(self, labels: npt.NDArray[Any]) -> BoolArray:
        """Mask of ``labels`` selected by this selector's label part."""
        return label_mask(labels, self.glob)

    def __str__(self) -> str:
        if self.exact or not self.label or any(c in self.label for c in ' \t\n()"\\'):
            quoted = self.label.replace("\\", "\\\\").replace('"', '\\"')
            return f'{self.track}:"{quoted}"'
        return f"{self.track}:{self.label}"


def read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a double-quoted string starting at ``text[pos] == '"'``; returns (value, next pos)."""
    out: list[str] = []
    i = pos + 1
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise QueryError(f"unterminated quoted label starting at position {pos + 1}")


def parse_selector(text: str) -> Selector:
    """Parse a whole string as one selector (``tag:person``, ``ocr:*``, ``said:"cut"``)."""
    raw = str(text).strip()
    track, colon, rest = raw.partition(":")
    track = track.strip()
    if not colon or not TRACK_RE.fullmatch(track):
        raise QueryError(f"expected a selector like tag:person (track:label), got {text!r}")
    rest = rest.strip()
    if rest.startswith('"'):
        label, end = read_quoted(rest, 0)
        if rest[end:].strip():
            raise QueryError(f"unexpected text after the quoted label in {text!r}")
        return Selector(track, label, exact=True)
    if not rest:
        raise QueryError(f"selector {text!r} has no label; use {track}:* for every label")
    return Selector(track, rest)
