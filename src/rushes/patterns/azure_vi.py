"""Import Azure (AI) Video Indexer insights JSON as tracks of :class:`Intervals`.

The *Get Video Index* response (or the "Insights (JSON)" download) is
``{"videos": [{"id", "name", "insights": {...}}], "durationInSeconds": ...}``; each insight
dimension is a list of elements, each with ``instances`` of ``{"start", "end"}`` times written
``H:MM:SS.fffffff`` (older files put spaces around the colons). Dimensions become tracks:

==================  ===========  ==========================================
insights key        track        label
==================  ===========  ==========================================
labels              tag          ``name``
ocr                 ocr          ``text``
transcript          said         ``text`` (one row per line)
keywords            keyword      ``text``
topics              topic        ``name``
faces               face         ``name``
namedPeople         person       ``name``
namedLocations      location     ``name``
brands              brand        ``name``
detectedObjects     object       ``displayName`` (or ``type``)
emotions            emotion      ``type``
sentiments          sentiment    ``sentimentType``
audioEffects        audio        ``type``
scenes              scene        ``scene <id>``
shots               shot         ``shot <id>``; their ``keyFrames`` → track ``keyframe``
==================  ===========  ==========================================

Row scores are the instance's ``confidence``, else the element's, else 1. Each row keeps the
element's ``id`` in the ``vi_id`` data column. Times are exact in 100 ns ticks (Video Indexer's
resolution). A playlist's videos become media ``media``, ``media + 1``, ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rushes.errors import QueryError
from rushes.intervals import Intervals
from rushes.patterns._build import build_intervals, last_end_per_media
from rushes.patterns.sources import DictTrackSource

__all__ = ["VI_TIME_BASE", "VideoIndexerImport", "load_insights", "parse_vi_time", "read_video_indexer"]

#: Video Indexer writes times with 7 decimals: 100 ns ticks.
VI_TIME_BASE = Fraction(1, 10_000_000)

# insights key → (track, label field(s) in order of preference, label prefix for id-named items)
_DIMENSIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "labels": ("tag", ("name",), ""),
    "ocr": ("ocr", ("text",), ""),
    "transcript": ("said", ("text",), ""),
    "keywords": ("keyword", ("text", "name"), ""),
    "topics": ("topic", ("name",), ""),
    "faces": ("face", ("name",), ""),
    "namedpeople": ("person", ("name",), ""),
    "namedlocations": ("location", ("name",), ""),
    "brands": ("brand", ("name",), ""),
    "detectedobjects": ("object", ("displayName", "type"), ""),
    "emotions": ("emotion", ("type",), ""),
    "sentiments": ("sentiment", ("sentimentType",), ""),
    "audioeffects": ("audio", ("type",), ""),
    "scenes": ("scene", (), "scene"),
    "shots": ("shot", (), "shot"),
}

_TIME_RE = re.compile(r"^\s*(\d+)\s*:\s*(\d{1,2})\s*:\s*(\d{1,2}(?:\.\d+)?)\s*$")


def parse_vi_time(value: Any, where: str = "time") -> Fraction:
    """Seconds of a Video Indexer time (``"0:00:01.2"``, ``"00: 00: 25.6000000"``) or number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0 or value != value:
            raise QueryError(f"{where}: expected a time >= 0, got {value!r}")
        return Fraction(value).limit_denominator(10_000_000)
    if isinstance(value, str):
        m = _TIME_RE.match(value)
        if m:
            h, mi, s = m.groups()
            return int(h) * 3600 + int(mi) * 60 + Fraction(s)
    raise QueryError(f"{where}: expected a time like \"0:00:01.2\", got {value!r}")


@dataclass(frozen=True)
class VideoIndexerImport:
    """Tracks, durations and names read from one insights file."""

    tracks: dict[str, Intervals]
    durations: dict[int, Fraction]
    names: dict[int, str]

    def source(self) -> DictTrackSource:
        """The tracks as a :class:`~rushes.patterns.sources.TrackSource` (for queries and patterns)."""
        return DictTrackSource(self.tracks, self.durations)


def _get(obj: Mapping[str, Any], key: str) -> Any:
    """Case-insensitive key lookup (older samples write ``Shots``, ``VisualContentModeration``)."""
    if key in obj:
        return obj[key]
    lowered = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return None


class _Rows:
    """Column accumulators for one track."""

    def __init__(self) -> None:
        self.start: list[int] = []
        self.end: list[int] = []
        self.label: list[str] = []
        self.score: list[float] = []
        self.media: list[int] = []
        self.vi_id: list[str] = []

    def add_instances(self, element: Mapping[str, Any], label: str, media: int, where: str,
                      adjusted: bool) -> None:
        instances = _get(element, "instances") or _get(element, "appearances") or []
        if not isinstance(instances, list):
            raise QueryError(f"{where}.instances: expected a list")
        base_conf = element.get("confidence")
        for k, inst in enumerate(instances):
            iw = f"{where}.instances[{k}]"
            if not isinstance(inst, Mapping):
                raise QueryError(f"{iw}: expected an object with start and end")
            start_key, end_key = ("adjustedStart", "adjustedEnd") if adjusted else ("start", "end")
            s_raw = inst.get(start_key, inst.get("start", inst.get("startTime", inst.get("startSeconds"))))
            e_raw = inst.get(end_key, inst.get("end", inst.get("endTime", inst.get("endSeconds"))))
            start = parse_vi_time(s_raw, f"{iw}.start")
            end = parse_vi_time(e_raw, f"{iw}.end")
            if end < start:
                raise QueryError(f"{iw}: ends before it starts ({e_raw!r} < {s_raw!r})")
            conf = inst.get("confidence", base_conf)
            score = float(conf) if isinstance(conf, int | float) and not isinstance(conf, bool) else 1.0
            self.start.append(round(start / VI_TIME_BASE))
            self.end.append(round(end / VI_TIME_BASE))
            self.label.append(label)
            self.score.append(score)
            self.media.append(media)
            self.vi_id.append(str(element.get("id", "")))

    def intervals(self, track: str) -> Intervals:
        vi_id = np.empty(len(self.vi_id), dtype=object)
        vi_id[:] = self.vi_id
        return build_intervals(self.start, self.end, self.label, VI_TIME_BASE, self.media, self.score,
                               data={"vi_id": vi_id})


def _label(element: Mapping[str, Any], fields: Sequence[str], prefix: str) -> str:
    for f in fields:
        value = element.get(f)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"{prefix} {element.get('id', '?')}" if prefix else "unknown"


def _videos(doc: Any) -> list[tuple[Mapping[str, Any], Mapping[str, Any], str]]:
    """(video object, insights, path) for every video of a playlist, a video or bare insights."""
    if not isinstance(doc, Mapping):
        raise QueryError("not a Video Indexer insights document: expected a JSON object")
    videos = _get(doc, "videos")
    if isinstance(videos, list):
        out = []
        for k, video in enumerate(videos):
            if not isinstance(video, Mapping) or not isinstance(_get(video, "insights"), Mapping):
                raise QueryError(f"videos[{k}]: expected an object with an 'insights' object")
            out.append((video, _get(video, "insights"), f"videos[{k}].insights"))
        return out
    if isinstance(_get(doc, "insights"), Mapping):
        return [(doc, _get(doc, "insights"), "insights")]
    if any(_get(doc, key) is not None for key in ("labels", "ocr", "transcript", "shots", "faces")):
        return [({}, doc, "")]
    raise QueryError("not a Video Indexer insights document: no 'videos', 'insights' or insight lists")


def read_video_indexer(
    source: str | Path | Mapping[str, Any], media: int = 0, adjusted: bool = False
) -> VideoIndexerImport:
    """Read an insights file (path, JSON text or parsed object) into tracks.

    ``adjusted`` reads ``adjustedStart``/``adjustedEnd`` (times in an edited project) instead of
    ``start``/``end``.
    """
    if isinstance(source, Mapping):
        doc: Any = source
    else:
        text = str(source)
        if isinstance(source, Path) or not text.lstrip().startswith(("{", "[")):
            try:
                text = Path(source).read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise QueryError(f"{source}: cannot read insights file ({exc.strerror or exc})") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise QueryError(f"not valid JSON: {exc}") from None
    rows: dict[str, _Rows] = {}
    durations: dict[int, Fraction] = {}
    names: dict[int, str] = {}
    for k, (video, insights, path) in enumerate(_videos(doc)):
        m = media + k
        names[m] = str(video.get("name") or video.get("id") or f"video {k}")
        for key, value in insights.items():
            spec = _DIMENSIONS.get(str(key).lower())
            if spec is None or value is None:
                continue
            track, fields, prefix = spec
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(value, list):
                raise QueryError(f"{where}: expected a list")
            for i, element in enumerate(value):
                ew = f"{where}[{i}]"
                if not isinstance(element, Mapping):
                    raise QueryError(f"{ew}: expected an object")
                label = _label(element, fields, prefix)
                rows.setdefault(track, _Rows()).add_instances(element, label, m, ew, adjusted)
                if track == "shot":
                    for j, frame in enumerate(_get(element, "keyFrames") or []):
                        if isinstance(frame, Mapping):
                            rows.setdefault("keyframe", _Rows()).add_instances(
                                frame, f"keyframe {frame.get('id', j)}", m, f"{ew}.keyFrames[{j}]", adjusted)
        duration = _get(insights, "duration")
        if duration is None and len(_videos(doc)) == 1:
            duration = _get(doc, "durationInSeconds")
        if isinstance(duration, Mapping):
            duration = duration.get("time", duration.get("seconds"))
        if duration is not None:
            durations[m] = parse_vi_time(duration, f"{path}.duration")
    tracks = {name: acc.intervals(name) for name, acc in sorted(rows.items())}
    for iv in tracks.values():
        for m_id, end in last_end_per_media(iv).items():
            durations[m_id] = max(durations.get(m_id, Fraction(0)), end)
    for m_id in names:
        durations.setdefault(m_id, Fraction(0))
    return VideoIndexerImport(tracks, durations, names)


def load_insights(source: str | Path | Mapping[str, Any], media: int = 0) -> dict[str, Intervals]:
    """Just the tracks of :func:`read_video_indexer` (track name → Intervals)."""
    return read_video_indexer(source, media).tracks
