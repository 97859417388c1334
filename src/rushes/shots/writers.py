"""Shot lists that open in an editor: CSV, JSON, CMX3600 EDL, OpenTimelineIO, FCPXML.

All times come from the decoded frames' PTS (never frame count × nominal rate). Editors count
in frames of a constant *edit rate*: the stream's rate for constant-rate files; for
variable-frame-rate files, the rate of the finest frame spacing (a phone clip that dropped
frames is conformed to the rate it was shot at), snapped to NTSC fractions. A frame starting at
``t`` seconds is edit frame ``round(t × rate)``; timecode adds the file's start timecode when
it has one and uses drop-frame counting at 29.97/59.94 unless the file's timecode says
otherwise (``HH:MM:SS:FF`` vs ``HH:MM:SS;FF``).

Every writer takes a :class:`ShotTable` (see :func:`shot_table`) and returns text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from rushes.media import MediaInfo
from rushes.shots.engine import ShotResult
from rushes.timecode import Timecode, frame_rate_is_drop_frame, parse_rate

__all__ = [
    "FORMATS",
    "ShotRow",
    "ShotTable",
    "edit_rate",
    "shot_table",
    "to_csv",
    "to_edl",
    "to_fcpxml",
    "to_json",
    "to_otio",
    "write_shots",
]

#: export format name → file suffix
FORMATS = {"csv": ".csv", "json": ".json", "edl": ".edl", "otio": ".otio", "fcpxml": ".fcpxml"}


def edit_rate(info: MediaInfo | None, result: ShotResult) -> Fraction:
    """The constant rate editors count this file's frames at (see the module docstring)."""
    ticks = result.ticks
    if len(ticks) >= 3:
        deltas = np.diff(ticks)
        deltas = deltas[deltas > 0]
        if len(deltas):
            med = float(np.median(deltas))
            irregular = np.mean(np.abs(deltas - med) > max(1.0, med * 0.1)) > 0.01
            if irregular:
                fine = float(np.percentile(deltas, 5))
                return parse_rate(Fraction(1) / (Fraction(round(fine)) * result.time_base))
    if info is not None and info.frame_rate:
        return info.frame_rate
    if result.frame_rate:
        return parse_rate(result.frame_rate)
    return Fraction(25)


@dataclass
class ShotRow:
    """One shot as exported."""

    number: int
    start_frame: int
    end_frame: int
    """Exclusive: first frame of the next shot (decoded-frame indices)."""
    start_tick: int
    end_tick: int
    start_s: Fraction
    end_s: Fraction
    edit_in: int
    edit_out: int
    """Exclusive, in frames of the edit rate from the file's start."""
    transition_in: str
    group: int
    thumbnail: str = ""


@dataclass
class ShotTable:
    """Everything the writers need about one file's shots."""

    name: str
    path: str
    time_base: Fraction
    rate: Fraction
    start_tc: Timecode
    drop_frame: bool
    width: int
    height: int
    total_frames: int
    total_edit_frames: int
    rows: list[ShotRow]
    transitions: list[dict[str, Any]] = field(default_factory=list)
    vfr: bool = False

    def tc(self, edit_frame: int) -> str:
        """Source timecode of an edit-rate frame offset from the file start."""
        return str(Timecode(self.start_tc.frames + edit_frame, self.rate, self.drop_frame))


def shot_table(
    result: ShotResult,
    info: MediaInfo | None,
    path: str | Path,
    thumbnails: dict[int, str] | None = None,
) -> ShotTable:
    """Build the export view of a detection result."""
    rate = edit_rate(info, result)
    file_tc = info.start_timecode() if info is not None else None
    if file_tc is not None and file_tc.rate == rate:
        start_tc = file_tc
        drop = file_tc.drop_frame
    else:
        drop = frame_rate_is_drop_frame(rate)
        start_tc = Timecode(0, rate, drop)
        if file_tc is not None:  # a timecode at another rate: keep its wall-clock start
            start_tc = Timecode.from_seconds(file_tc.seconds, rate, drop)
    rows: list[ShotRow] = []
    for i, shot in enumerate(result.shots):
        s_tick = int(result.ticks[shot.start])
        e_tick = int(result.ticks[shot.end]) if shot.end < result.frames else result.end_tick
        s_sec, e_sec = s_tick * result.time_base, e_tick * result.time_base
        rows.append(ShotRow(
            number=i + 1, start_frame=shot.start, end_frame=shot.end, start_tick=s_tick, end_tick=e_tick,
            start_s=s_sec, end_s=e_sec, edit_in=round(s_sec * rate), edit_out=round(e_sec * rate),
            transition_in=shot.transition_in, group=shot.group,
            thumbnail=(thumbnails or {}).get(i, ""),
        ))
    v = info.primary_video if info is not None else None
    trans = [{
        "kind": t.kind, "start_frame": t.start, "end_frame": t.end, "boundary_frame": t.boundary,
        "start_s": float(result.frame_time(t.start)), "end_s": float(result.frame_time(t.end + 1)),
        "score": t.score, "source": t.source,
    } for t in result.transitions]
    p = Path(path)
    return ShotTable(
        name=p.name, path=str(p.resolve()) if p.exists() else str(p), time_base=result.time_base, rate=rate,
        start_tc=start_tc, drop_frame=drop, width=v.width if v else 0, height=v.height if v else 0,
        total_frames=result.frames, total_edit_frames=round(result.end_tick * result.time_base * rate),
        rows=rows, transitions=trans, vfr=edit_rate(None, result) != (info.frame_rate if info else None),
    )


def _sec(value: Fraction) -> str:
    return f"{float(value):.6f}"


def to_csv(table: ShotTable) -> str:
    """One row per shot: frames, exact seconds, timecodes, transition, group, thumbnail."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["shot", "start_frame", "end_frame", "frames", "start_s", "end_s", "duration_s",
                "start_tc", "end_tc", "transition_in", "group", "thumbnail"])
    for r in table.rows:
        w.writerow([r.number, r.start_frame, r.end_frame, r.end_frame - r.start_frame, _sec(r.start_s),
                    _sec(r.end_s), _sec(r.end_s - r.start_s), table.tc(r.edit_in), table.tc(r.edit_out),
                    r.transition_in, r.group, r.thumbnail])
    return buf.getvalue()


def _frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)


def to_json(table: ShotTable) -> str:
    """Shots and transitions with exact ticks (``time_base``) plus float seconds and timecodes."""
    doc = {
        "file": table.name,
        "path": table.path,
        "time_base": _frac(table.time_base),
        "edit_rate": _frac(table.rate),
        "start_timecode": str(table.start_tc),
        "drop_frame": table.drop_frame,
        "frames": table.total_frames,
        "shots": [{
            "shot": r.number, "start_frame": r.start_frame, "end_frame": r.end_frame,
            "start_pts": r.start_tick, "end_pts": r.end_tick,
            "start": float(r.start_s), "end": float(r.end_s),
            "start_tc": table.tc(r.edit_in), "end_tc": table.tc(r.edit_out),
            "transition_in": r.transition_in, "group": r.group, "thumbnail": r.thumbnail or None,
        } for r in table.rows],
        "transitions": table.transitions,
    }
    return json.dumps(doc, indent=2) + "\n"


def _reel(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]", "", Path(name).stem).upper()
    return (stem or "AX")[:8]


def to_edl(table: ShotTable, title: str | None = None) -> str:
    """CMX3600: one cut event per shot, record side contiguous from 01:00:00:00."""
    lines = [f"TITLE: {title or Path(table.name).stem}",
             f"FCM: {'DROP FRAME' if table.drop_frame else 'NON-DROP FRAME'}", ""]
    reel = _reel(table.name)
    rec0 = Timecode.parse("01:00:00;00" if table.drop_frame else "01:00:00:00", table.rate)
    rec = rec0.frames
    for r in table.rows:
        dur = r.edit_out - r.edit_in
        src_in, src_out = table.tc(r.edit_in), table.tc(r.edit_out)
        rec_in = str(Timecode(rec, table.rate, table.drop_frame))
        rec_out = str(Timecode(rec + dur, table.rate, table.drop_frame))
        lines.append(f"{r.number:03d}  {reel:<8} V     C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {table.name}")
        if r.transition_in not in ("cut", "start"):
            lines.append(f"* SHOT {r.number:03d} ENTERED BY {r.transition_in.upper()}")
        if r.group >= 0:
            lines.append(f"* GROUP {r.group}")
        lines.append("")
        rec += dur
    return "\n".join(lines)


def to_otio(table: ShotTable) -> str:
    """An OpenTimelineIO timeline (JSON): one clip per shot, dissolves/fades as transitions."""
    import opentimelineio as otio  # type: ignore[import-untyped]

    rate = float(table.rate)
    tl = otio.schema.Timeline(name=f"{Path(table.name).stem} shots")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    ref = otio.schema.ExternalReference(
        target_url=Path(table.path).as_uri() if Path(table.path).is_absolute() else table.path,
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(table.start_tc.frames, rate),
            otio.opentime.RationalTime(table.total_edit_frames, rate),
        ),
    )
    trans_by_boundary = {t["boundary_frame"]: t for t in table.transitions if t["kind"] != "cut"}
    for r in table.rows:
        tr = trans_by_boundary.get(r.start_frame)
        if tr is not None and r.number > 1:
            before = max(0, r.start_frame - tr["start_frame"])
            after = max(0, tr["end_frame"] + 1 - r.start_frame)
            track.append(otio.schema.Transition(
                name=tr["kind"], transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=otio.opentime.RationalTime(before, rate),
                out_offset=otio.opentime.RationalTime(after, rate),
                metadata={"rushes": {"kind": tr["kind"]}},
            ))
        clip = otio.schema.Clip(
            name=f"{Path(table.name).stem} shot {r.number:03d}",
            media_reference=ref.clone() if hasattr(ref, "clone") else ref,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(table.start_tc.frames + r.edit_in, rate),
                otio.opentime.RationalTime(r.edit_out - r.edit_in, rate),
            ),
            metadata={"rushes": {
                "shot": r.number, "start_frame": r.start_frame, "end_frame": r.end_frame,
                "start_pts": r.start_tick, "end_pts": r.end_tick, "time_base": _frac(table.time_base),
                "transition_in": r.transition_in, "group": r.group, "thumbnail": r.thumbnail,
            }},
        )
        track.append(clip)
    return str(otio.adapters.write_to_string(tl, "otio_json"))


def _fcp_time(frames: int, frame_duration: Fraction) -> str:
    value = frames * frame_duration
    if value == 0:
        return "0s"
    return f"{value.numerator}/{value.denominator}s" if value.denominator != 1 else f"{value.numerator}s"


def to_fcpxml(table: ShotTable) -> str:
    """FCPXML 1.9: one asset, one project whose spine holds one asset-clip per shot."""
    fd = 1 / table.rate
    stem = Path(table.name).stem
    uri = Path(table.path).as_uri() if Path(table.path).is_absolute() else table.path
    tc_format = "DF" if table.drop_frame else "NDF"
    asset_start = _fcp_time(table.start_tc.frames, fd)
    total = _fcp_time(table.total_edit_frames, fd)
    seq_total = _fcp_time(sum(r.edit_out - r.edit_in for r in table.rows), fd)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE fcpxml>",
        '<fcpxml version="1.9">',
        "  <resources>",
        f'    <format id="r1" frameDuration="{_fcp_time(1, fd)}" width="{table.width}" height="{table.height}"/>',
        f'    <asset id="r2" name={quoteattr(stem)} start="{asset_start}" duration="{total}" hasVideo="1" '
        f'format="r1" src={quoteattr(uri)}/>',
        "  </resources>",
        "  <library>",
        '    <event name="rushes shots">',
        f"      <project name={quoteattr(stem + ' shots')}>",
        f'        <sequence format="r1" duration="{seq_total}" tcStart="0s" tcFormat="{tc_format}">',
        "          <spine>",
    ]
    offset = 0
    for r in table.rows:
        dur = r.edit_out - r.edit_in
        name = f"{stem} shot {r.number:03d}"
        out.append(
            f'            <asset-clip ref="r2" name={quoteattr(name)} offset="{_fcp_time(offset, fd)}" '
            f'start="{_fcp_time(table.start_tc.frames + r.edit_in, fd)}" duration="{_fcp_time(dur, fd)}" '
            f'format="r1" tcFormat="{tc_format}">'
        )
        note = f"{r.transition_in}; group {r.group}; frames {r.start_frame}-{r.end_frame}"
        out.append(f"              <note>{note}</note>")
        out.append("            </asset-clip>")
        offset += dur
    out += ["          </spine>", "        </sequence>", "      </project>", "    </event>", "  </library>",
            "</fcpxml>", ""]
    return "\n".join(out)


_WRITERS = {"csv": to_csv, "json": to_json, "edl": to_edl, "otio": to_otio, "fcpxml": to_fcpxml}


def write_shots(table: ShotTable, fmt: str, out: str | Path) -> Path:
    """Write ``table`` in format ``fmt`` to ``out`` (a file, or a folder to put ``<stem><suffix>`` in)."""
    from rushes.errors import QueryError

    if fmt not in _WRITERS:
        raise QueryError(f"unknown shot export format {fmt!r}; valid: {', '.join(_WRITERS)}")
    target = Path(out)
    if target.is_dir():
        target = target / (Path(table.name).stem + FORMATS[fmt])
    target.parent.mkdir(parents=True, exist_ok=True)
    text = _WRITERS[fmt](table)  # type: ignore[operator]
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
