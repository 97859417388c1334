"""Takes as subclips for editors: CMX3600 EDL and OpenTimelineIO.

Both lay the takes of the day end to end, one event (EDL) or clip (OTIO) per take, whose source
range is the take in its camera file: in = the frame displayed at the take's start, out = one
past the last frame it touches. Source timecode is the file's start timecode (when the file has
one) plus the frame count; at 29.97/59.94 with a drop-frame start timecode (``;``) — or no start
timecode — the EDL counts drop-frame (``FCM: DROP FRAME``).

* **EDL** (no dependency): one EDL per frame rate and drop-frame mode, at most 999 events each
  (more are split into parts). Reel = the first 8 letters/digits of the file's name; the full
  name and path follow as ``* FROM CLIP NAME:`` / ``* SOURCE FILE:`` comments, the take's
  scene/take and rules as ``* COMMENT:``. Channels: ``AA/V`` for files with sound, ``V`` without.
* **OTIO** (``pip install 'rushes[interop]'``): a timeline with one video track; each clip
  references its file (``file://`` URL, available range = the whole file in timecode) and carries
  the take's fields under ``metadata["rushes"]`` and markers at its clap, "action" and "cut".

Audio-only files (no frame rate) are left out of both, with a warning.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from rushes.errors import RushesError
from rushes.timecode import Timecode
from rushes.triage.report.common import FileClock, clock_of, take_label

__all__ = ["MAX_EDL_EVENTS", "Subclip", "report_to_edls", "report_to_otio", "subclips", "write_edls", "write_otio"]

MAX_EDL_EVENTS = 999


@dataclass(frozen=True)
class Subclip:
    """One take as a range of frames of its file."""

    file: Mapping[str, Any]
    take: Mapping[str, Any]
    clock: FileClock
    frame_in: int
    """First frame (from the file's first frame)."""
    frame_out: int
    """One past the last frame."""

    @property
    def frames(self) -> int:
        """Length in frames (at least 1)."""
        return self.frame_out - self.frame_in

    @property
    def name(self) -> str:
        """``12A-3 (A004C012_261122_R1AB)``."""
        return take_label(self.take, str(self.file.get("name", "")))


def subclips(report: Mapping[str, Any], warnings: list[str] | None = None) -> list[Subclip]:
    """Every take of the report as a :class:`Subclip`, in file then time order."""
    out: list[Subclip] = []
    for f in report.get("files", []):
        if not f.get("takes"):
            continue
        clock = clock_of(f.get("frame_rate"), f.get("start_timecode"))
        if clock is None:
            if warnings is not None:
                warnings.append(f"{f.get('name')}: no frame rate (audio only): not in the EDL/OTIO export")
            continue
        for t in f["takes"]:
            fin = clock.frame_in(float(t["start"]))
            fout = max(clock.frame_out(float(t["end"])), fin + 1)
            out.append(Subclip(f, t, clock, fin, fout))
    return out


# --------------------------------------------------------------------------------------
# CMX3600
# --------------------------------------------------------------------------------------


def _reel(name: str) -> str:
    return (re.sub(r"[^A-Za-z0-9]", "", Path(name).stem).upper()[:8]) or "AX"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _rate_text(rate: Fraction) -> str:
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def report_to_edls(report: Mapping[str, Any], title: str = "rushes triage",
                   record_start: str = "01:00:00:00", warnings: list[str] | None = None) -> dict[str, str]:
    """CMX3600 EDL texts of the report's takes, keyed by a suffix naming the frame rate (and the
    part when one rate has more than :data:`MAX_EDL_EVENTS` takes); ``""`` when one EDL suffices."""
    groups: dict[tuple[Fraction, bool], list[Subclip]] = {}
    for sc in subclips(report, warnings):
        groups.setdefault((sc.clock.rate, sc.clock.drop_frame), []).append(sc)
    out: dict[str, str] = {}
    for (rate, drop), clips in groups.items():
        parts = [clips[i:i + MAX_EDL_EVENTS] for i in range(0, len(clips), MAX_EDL_EVENTS)]
        for p, part in enumerate(parts, start=1):
            suffix = "" if len(groups) == 1 else f"_{_rate_text(rate)}{'df' if drop else ''}"
            if len(parts) > 1:
                suffix += f"_part{p}"
            name = title if len(groups) == 1 and len(parts) == 1 else f"{title} {suffix.strip('_')}"
            out[suffix] = _edl_text(part, rate, drop, name, record_start)
    return out


def _edl_text(clips: Sequence[Subclip], rate: Fraction, drop: bool, title: str, record_start: str) -> str:
    lines = [f"TITLE: {_one_line(title)[:70]}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}", ""]
    rec_text = record_start if not drop else record_start[:-3] + ";" + record_start[-2:]
    record = Timecode.parse(rec_text, rate).frames
    for n, sc in enumerate(clips, start=1):
        src_in = sc.clock.timecode(sc.frame_in)
        src_out = sc.clock.timecode(sc.frame_out)
        rec_in = Timecode(record, rate, drop)
        rec_out = Timecode(record + sc.frames, rate, drop)
        channels = "V" if sc.file.get("has_audio") is False else "AA/V"
        reel = _reel(str(sc.file.get("name", "")))
        lines.append(f"{n:03d}  {reel:<8} {channels:<5} C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {_one_line(str(sc.file.get('name', '')))}")
        if sc.file.get("path"):
            lines.append(f"* SOURCE FILE: {_one_line(str(sc.file['path']))}")
        t = sc.take
        fields = ", ".join(f"{k.upper()} {t[k]}" for k in ("scene", "take", "roll", "camera") if t.get(k))
        lines.append(f"* COMMENT: {_one_line(take_label(t))}"
                     + (f" | {fields}" if fields else "")
                     + f" | {t.get('start_rule')} -> {t.get('end_rule')}")
        lines.append("")
        record += sc.frames
    return "\n".join(lines)


def write_edls(report: Mapping[str, Any], out_dir: str | Path, stem: str = "takes",
               title: str = "rushes triage", warnings: list[str] | None = None) -> list[Path]:
    """Write :func:`report_to_edls` as ``<stem><suffix>.edl`` files into ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, text in report_to_edls(report, title, warnings=warnings).items():
        path = folder / f"{stem}{suffix}.edl"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --------------------------------------------------------------------------------------
# OpenTimelineIO
# --------------------------------------------------------------------------------------


def _otio() -> Any:
    try:
        return importlib.import_module("opentimelineio")
    except ImportError as exc:
        raise RushesError("OpenTimelineIO export needs the 'opentimelineio' package: "
                          "pip install 'rushes[interop]'") from exc


def report_to_otio(report: Mapping[str, Any], title: str = "rushes triage",
                   warnings: list[str] | None = None) -> Any:
    """An ``opentimelineio.schema.Timeline`` with one clip per take (see the module docstring)."""
    otio = _otio()
    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    timeline = otio.schema.Timeline(name=title)
    track = otio.schema.Track(name="takes", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for sc in subclips(report, warnings):
        rate = float(sc.clock.rate)
        f = sc.file
        dur = f.get("duration_s")
        total = sc.clock.frame_out(float(dur)) if dur else sc.frame_out
        ref = otio.schema.ExternalReference(
            target_url=Path(str(f.get("path", ""))).absolute().as_uri() if f.get("path") else "",
            available_range=tr(rt(sc.clock.start_frames, rate), rt(max(total, sc.frame_out), rate)),
        )
        t = sc.take
        clip = otio.schema.Clip(
            name=sc.name, media_reference=ref,
            source_range=tr(rt(sc.clock.start_frames + sc.frame_in, rate), rt(sc.frames, rate)),
        )
        clip.metadata["rushes"] = {
            "file": f.get("name"), "take_index": t.get("index"),
            **{k: t.get(k) for k in ("scene", "roll", "take", "camera", "start", "end", "start_rule", "end_rule",
                                     "slate_t", "action_t", "cut_t", "clap_t", "score")},
            "frame_rate": str(sc.clock.rate), "start_timecode": f.get("start_timecode"),
        }
        for key, color in (("clap_t", "YELLOW"), ("action_t", "GREEN"), ("cut_t", "RED")):
            value = t.get(key)
            if value is None:
                continue
            frame = sc.clock.start_frames + min(max(sc.clock.frame_in(float(value)), sc.frame_in), sc.frame_out - 1)
            clip.markers.append(otio.schema.Marker(name=key[:-2], color=color,
                                                   marked_range=tr(rt(frame, rate), rt(0, rate))))
        track.append(clip)
    return timeline


def write_otio(report: Mapping[str, Any], path: str | Path, title: str = "rushes triage",
               warnings: list[str] | None = None) -> Path:
    """Write :func:`report_to_otio` to ``path`` (``.otio`` JSON)."""
    otio = _otio()
    out = Path(path)
    otio.adapters.write_to_file(report_to_otio(report, title, warnings), str(out))
    return out
