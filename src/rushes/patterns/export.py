"""Export pattern hits (any :class:`Intervals`): CSV, CMX3600 EDL, OpenTimelineIO markers.

* CSV: one row per hit with seconds, optional SMPTE timecodes and the hit's data columns.
* EDL (CMX3600, no dependency): one cut event per hit; source in/out are the hit's timecodes in
  its media (plus the media's start timecode, if given), record in/out lay the hits end to end
  from ``01:00:00:00``. A ``* FROM CLIP NAME:`` comment names the media so NLEs relink it.
* OTIO (needs ``pip install 'rushes[interop]'``): a timeline with one clip per media and one
  marker per hit, scores kept in the markers' metadata.

Timecodes use the media's frame rate (``rushes.timecode.Timecode``); 29.97/59.94 are drop-frame.
In points are the frame shown at the hit's start (floor), out points one past the last frame the
hit touches (ceil), so an exported range always covers the whole hit.
"""

from __future__ import annotations

import csv
import importlib
import io
import math
import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rushes.errors import QueryError, RushesError
from rushes.intervals import Intervals
from rushes.timecode import Timecode, frame_rate_is_drop_frame, parse_rate

__all__ = ["hits_to_csv", "hits_to_edl", "hits_to_otio", "write_csv", "write_edl", "write_otio"]

_MAX_EDL_EVENTS = 999


def _frame_in(seconds: Fraction, rate: Fraction) -> int:
    """The frame displayed at ``seconds`` (floor), as for any PTS."""
    return math.floor(seconds * rate)


def _frame_out(seconds: Fraction, rate: Fraction) -> int:
    """Exclusive out frame: one past the last frame the interval touches (ceil)."""
    return math.ceil(seconds * rate)


def _rate(rates: Mapping[int, Fraction] | Fraction | float | None, media: int) -> Fraction | None:
    if rates is None:
        return None
    if isinstance(rates, Mapping):
        value = rates.get(media)
        return None if value is None else parse_rate(value)
    return parse_rate(rates)


def _rows_by_time(hits: Intervals) -> list[int]:
    return [int(x) for x in np.lexsort((hits.end, hits.start, hits.media))]


def hits_to_csv(
    hits: Intervals,
    names: Mapping[int, str] | None = None,
    rates: Mapping[int, Fraction] | Fraction | float | None = None,
) -> str:
    """CSV text: media, name, label, start/end/duration seconds, score, timecodes, data columns."""
    buf = io.StringIO()
    data_keys = sorted(hits.data)
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["media", "name", "label", "start_s", "end_s", "duration_s", "score", "start_tc",
                     "end_tc", *data_keys])
    for i in _rows_by_time(hits):
        row = hits.row(i)
        rate = _rate(rates, row.media)
        start = Fraction(row.start) * row.time_base
        end = Fraction(row.end) * row.time_base
        tc_in = str(Timecode(_frame_in(start, rate), rate, frame_rate_is_drop_frame(rate))) if rate else ""
        tc_out = str(Timecode(_frame_out(end, rate), rate, frame_rate_is_drop_frame(rate))) if rate else ""
        writer.writerow([
            row.media, (names or {}).get(row.media, ""), row.label, f"{float(start):.6f}", f"{float(end):.6f}",
            f"{float(end - start):.6f}", f"{row.score:.6g}", tc_in, tc_out,
            *[_cell(row.data.get(k)) for k in data_keys],
        ])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_csv(hits: Intervals, path: str | Path, names: Mapping[int, str] | None = None,
              rates: Mapping[int, Fraction] | Fraction | float | None = None) -> Path:
    """Write :func:`hits_to_csv` to ``path``."""
    out = Path(path)
    out.write_text(hits_to_csv(hits, names, rates), encoding="utf-8")
    return out


def _reel(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "", Path(name).stem).upper()
    return cleaned[:8] or "AX"


def _parse_tc(text: str, rate: Fraction, drop: bool) -> int:
    """Frame count of a timecode; at drop-frame rates ``01:00:00:00`` is read as ``01:00:00;00``."""
    text = text.strip()
    if drop and len(text) > 3 and text[-3] in ":.":
        text = text[:-3] + ";" + text[-2:]
    return Timecode.parse(text, rate).frames


def hits_to_edl(
    hits: Intervals,
    rate: Fraction | float | str,
    title: str = "rushes patterns",
    names: Mapping[int, str] | None = None,
    start_timecodes: Mapping[int, str] | None = None,
    record_start: str = "01:00:00:00",
    reel_from_name: bool = False,
) -> str:
    """A CMX3600 EDL with one cut event per hit, at frame rate ``rate``.

    ``start_timecodes`` maps media → its first frame's timecode (camera timecode), added to the
    source in/out. Reels are ``AX`` unless ``reel_from_name`` (8 characters of the file name).
    """
    fps = parse_rate(rate)
    drop = frame_rate_is_drop_frame(fps)
    if len(hits) > _MAX_EDL_EVENTS:
        raise QueryError(f"a CMX3600 EDL holds at most {_MAX_EDL_EVENTS} events, got {len(hits)} hits; "
                         "export OTIO or split the hits")
    clean_title = re.sub(r"[\r\n]+", " ", title).strip()[:70] or "rushes"
    lines = [f"TITLE: {clean_title}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}", ""]
    record = _parse_tc(record_start, fps, drop)
    for event, i in enumerate(_rows_by_time(hits), start=1):
        row = hits.row(i)
        offset = _parse_tc(start_timecodes[row.media], fps, drop) if (
            start_timecodes and row.media in start_timecodes) else 0
        src_in = _frame_in(Fraction(row.start) * row.time_base, fps)
        src_out = max(_frame_out(Fraction(row.end) * row.time_base, fps), src_in + 1)
        length = src_out - src_in
        name = (names or {}).get(row.media, f"media {row.media}")
        reel = _reel(name) if reel_from_name else "AX"

        def tc(frames: int) -> str:
            return str(Timecode(frames, fps, drop))

        lines.append(f"{event:03d}  {reel:<8} V     C        {tc(src_in + offset)} {tc(src_out + offset)} "
                     f"{tc(record)} {tc(record + length)}")
        lines.append(f"* FROM CLIP NAME: {name}")
        lines.append(f"* COMMENT: {row.label} score={row.score:.3f}")
        lines.append("")
        record += length
    return "\n".join(lines)


def write_edl(hits: Intervals, path: str | Path, rate: Fraction | float | str, **kwargs: Any) -> Path:
    """Write :func:`hits_to_edl` to ``path``."""
    out = Path(path)
    out.write_text(hits_to_edl(hits, rate, **kwargs), encoding="utf-8")
    return out


def _otio() -> Any:
    try:
        return importlib.import_module("opentimelineio")
    except ImportError as exc:
        raise RushesError(
            "OpenTimelineIO export needs the 'opentimelineio' package: pip install 'rushes[interop]'"
        ) from exc


def hits_to_otio(
    hits: Intervals,
    rate: Fraction | float | str,
    durations: Mapping[int, Fraction] | None = None,
    names: Mapping[int, str] | None = None,
    paths: Mapping[int, str] | None = None,
    title: str = "rushes patterns",
    color: str = "RED",
) -> Any:
    """An ``opentimelineio.schema.Timeline``: a clip per media, a marker per hit.

    Clip lengths come from ``durations`` (else the last hit's end); ``paths`` become the clips'
    external media references.
    """
    otio = _otio()
    fps = parse_rate(rate)
    rt = otio.opentime.RationalTime
    tr = otio.opentime.TimeRange
    timeline = otio.schema.Timeline(name=title)
    track = otio.schema.Track(name="patterns", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    media_ids = sorted(set((durations or {}).keys()) | {int(m) for m in np.unique(hits.media)})
    for m in media_ids:
        rows = hits[hits.media == m]
        end = Fraction(int(rows.end.max())) * rows.time_base if len(rows) else Fraction(0)
        length = (durations or {}).get(m, end)
        frames = max(_frame_out(Fraction(length), fps), 1)
        name = (names or {}).get(m, f"media {m}")
        if paths and m in paths:
            ref = otio.schema.ExternalReference(target_url=str(paths[m]),
                                                available_range=tr(rt(0, float(fps)), rt(frames, float(fps))))
        else:
            ref = otio.schema.MissingReference()
        clip = otio.schema.Clip(name=name, media_reference=ref,
                                source_range=tr(rt(0, float(fps)), rt(frames, float(fps))))
        for r in rows:
            start = _frame_in(Fraction(r.start) * r.time_base, fps)
            stop = max(_frame_out(Fraction(r.end) * r.time_base, fps), start + 1)
            clip.markers.append(otio.schema.Marker(
                name=r.label, color=color,
                marked_range=tr(rt(start, float(fps)), rt(stop - start, float(fps))),
                metadata={"rushes": {"score": r.score, **{k: _json_safe(v) for k, v in r.data.items()}}},
            ))
        track.append(clip)
    return timeline


def _json_safe(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def write_otio(hits: Intervals, path: str | Path, rate: Fraction | float | str, **kwargs: Any) -> Path:
    """Write :func:`hits_to_otio` as a ``.otio`` file."""
    out = Path(path)
    _otio().adapters.write_to_file(hits_to_otio(hits, rate, **kwargs), str(out))
    return out
