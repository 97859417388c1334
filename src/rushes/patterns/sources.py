"""Where patterns and queries read tracks from: the :class:`TrackSource` protocol.

A track source answers two questions: the rows of a track whose labels match a glob, and how
long each media is (needed by ``NOT`` and by intensity curves). :class:`DictTrackSource` serves
in-memory tracks (tests, imported Video Indexer insights); :class:`CatalogTrackSource` adapts
the catalog (anything with ``get_intervals(track, media_id=...)`` and ``media_durations()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Protocol, runtime_checkable

import numpy as np

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns._build import last_end_per_media
from rushes.patterns.selectors import LabelIndex, label_mask

__all__ = ["TRACK_ALIASES", "CatalogLike", "CatalogTrackSource", "DictTrackSource", "TrackSource"]


@runtime_checkable
class TrackSource(Protocol):
    """Rows of named tracks, and media durations."""

    def get(self, track: str, label_glob: str) -> Intervals:
        """Rows of ``track`` whose label matches ``label_glob`` (case-insensitive fnmatch glob)."""
        ...

    def durations(self) -> dict[int, Fraction]:
        """Duration in seconds of every media the source knows."""
        ...


class DictTrackSource:
    """Tracks held in memory: ``{track name: Intervals}``.

    ``durations`` defaults to, per media, the latest end of any row in any track. Asking for an
    unknown track raises :class:`~rushes.errors.QueryError` (it is nearly always a typo).

    >>> src = DictTrackSource({"tag": Intervals.from_seconds([0, 5], [2, 9], ["person", "car"])})
    >>> src.get("tag", "PERS*").labels(), src.durations()
    (['person'], {0: Fraction(9, 1)})
    """

    def __init__(
        self,
        tracks: Mapping[str, Intervals],
        durations: Mapping[int, Fraction | float | int] | None = None,
    ) -> None:
        self._tracks = dict(tracks)
        self._index: dict[str, LabelIndex] = {}
        self._durations = None if durations is None else {
            int(k): Fraction(v).limit_denominator(10**9) if isinstance(v, float) else Fraction(v)
            for k, v in durations.items()
        }

    def tracks(self) -> list[str]:
        """Names of the tracks held."""
        return sorted(self._tracks)

    def get(self, track: str, label_glob: str) -> Intervals:
        """Rows of ``track`` whose label matches ``label_glob``."""
        if track not in self._tracks:
            known = ", ".join(self.tracks()) or "none"
            raise QueryError(f"unknown track {track!r} (known tracks: {known})")
        iv = self._tracks[track]
        if label_glob == "*":
            return iv
        if track not in self._index:
            self._index[track] = LabelIndex(iv.label)
        mask = self._index[track].mask(label_glob)
        return iv if bool(np.all(mask)) else iv[mask]

    def durations(self) -> dict[int, Fraction]:
        """Given durations, else the latest row end per media."""
        if self._durations is not None:
            return dict(self._durations)
        out: dict[int, Fraction] = {}
        for iv in self._tracks.values():
            for m, end in last_end_per_media(iv).items():
                out[m] = max(out.get(m, Fraction(0)), end)
        return out


class CatalogLike(Protocol):
    """The catalog methods :class:`CatalogTrackSource` needs."""

    def get_intervals(self, track: str | None = None, *, media_id: int | None = None) -> Intervals:
        """All rows of ``track`` (optionally of one media)."""
        ...

    def media_durations(self) -> dict[int, Fraction]:
        """Duration of every media in seconds."""
        ...

    def tracks(self, media_id: int | None = None) -> list[tuple[str, int]]:
        """(track name, row count) of every track."""
        ...


#: short names for the catalog's tracks, used when no track of that exact name exists: ``tag``
#: is every ``tags.*`` track (objects, ImageNet classes, faces, text, CLIP), ``said`` the
#: transcript words, and the singular forms name the triage and shot tracks
TRACK_ALIASES: dict[str, tuple[str, ...]] = {
    "tag": ("tags.*",),
    "said": ("words",),
    "speech": ("words",),
    "shot": ("shots",),
    "slate": ("slates",),
    "take": ("takes",),
    "command": ("commands",),
}


class CatalogTrackSource:
    """A :class:`TrackSource` over the catalog, optionally limited to one media.

    Labels are filtered here (case-insensitively), so the semantics match
    :class:`DictTrackSource` whatever the catalog's own label matching does.
    """

    def __init__(self, catalog: CatalogLike, media_id: int | None = None) -> None:
        self._catalog = catalog
        self._media_id = media_id
        #: track names asked for that the library does not hold
        self.unknown: list[str] = []

    def unknown_note(self) -> str | None:
        """A one-line note naming the tracks asked for that this library does not hold."""
        if not self.unknown:
            return None
        known = ", ".join(name for name, _n in self._catalog.tracks()) or "none"
        return f"no track {', '.join(map(repr, self.unknown))} in this library (it has: {known})"

    def get(self, track: str, label_glob: str) -> Intervals:
        """Rows of ``track`` (or of the tracks its alias in :data:`TRACK_ALIASES` names) whose
        label matches ``label_glob``; a track the library does not hold has no rows (its name is
        added to :attr:`unknown`)."""
        names = self._resolve(track)
        parts = [self._catalog.get_intervals(name, media_id=self._media_id) for name in names]
        iv = parts[0] if len(parts) == 1 else Intervals.concat(parts)
        mask = label_mask(iv.label, label_glob)
        return iv if bool(np.all(mask)) else iv[mask]

    def _resolve(self, track: str) -> list[str]:
        known = [name for name, _n in self._catalog.tracks()]
        if track in known:
            return [track]
        found = [name for pattern in TRACK_ALIASES.get(track, ()) for name in known
                 if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1]))]
        if found:
            return found
        # not in this library (yet: an analyzer that has not run, a model not installed): no rows,
        # and a note the command line shows, so a typo does not pass unnoticed
        if track not in self.unknown:
            self.unknown.append(track)
        return [track]

    def durations(self) -> dict[int, Fraction]:
        """Catalog durations (one media when the source is limited to it)."""
        all_durations = self._catalog.media_durations()
        if self._media_id is None:
            return dict(all_durations)
        return {k: v for k, v in all_durations.items() if k == self._media_id}
