"""Probe a media file: container, streams, exact rates and durations, VFR, rotation, timecode.

Everything is read through PyAV's bundled FFmpeg, so no system ``ffmpeg``/``ffprobe`` is needed.
Still images (PNG, JPEG, ...) are media too: one frame, no duration.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from rushes.errors import UnsupportedMediaError, check_readable, map_media_errors
from rushes.timecode import Timecode, parse_rate

__all__ = ["AudioStreamInfo", "MediaInfo", "VideoStreamInfo", "probe"]

_IMAGE_CODECS = {"png", "mjpeg", "bmp", "tiff", "webp", "gif", "jpeg2000", "pgm", "ppm", "pam", "exr"}
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "tiff_pipe", "webp_pipe", "gif",
                  "pgm_pipe", "ppm_pipe", "exr_pipe", "jpegls_pipe", "j2k_pipe"}
_TC_TEXT = re.compile(r"^\d{2}[:;.]\d{2}[:;.]\d{2}[:;.]\d{2,3}$")
#: how many packet timestamps are inspected to tell constant from variable frame rate
_VFR_SAMPLE_PACKETS = 600


@dataclass(frozen=True)
class VideoStreamInfo:
    index: int
    codec: str
    width: int
    height: int
    pix_fmt: str | None
    time_base: Fraction
    frame_rate: Fraction | None
    """Best estimate of the constant rate (``avg_frame_rate`` or ``r_frame_rate``)."""
    frames: int | None
    start_pts: int | None
    duration: Fraction | None
    rotation: int
    """Display rotation in degrees (0, 90, 180, 270) from side data / tags."""
    vfr: bool
    """True when packet durations vary by more than a small jitter."""
    bit_rate: int | None = None


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int
    layout: str
    time_base: Fraction
    duration: Fraction | None
    start_pts: int | None


@dataclass(frozen=True)
class MediaInfo:
    path: str
    size: int
    container: str
    duration: Fraction | None
    """Seconds; ``None`` when neither the container nor the streams say (e.g. some WebM)."""
    start_time: Fraction
    bit_rate: int | None
    kind: str
    """``video``, ``audio`` or ``image``."""
    video: tuple[VideoStreamInfo, ...] = ()
    audio: tuple[AudioStreamInfo, ...] = ()
    timecode: str | None = None
    """Start timecode from the container or a ``tmcd`` track, if present."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def primary_video(self) -> VideoStreamInfo | None:
        return self.video[0] if self.video else None

    @property
    def primary_audio(self) -> AudioStreamInfo | None:
        return self.audio[0] if self.audio else None

    @property
    def frame_rate(self) -> Fraction | None:
        v = self.primary_video
        return v.frame_rate if v else None

    def start_timecode(self) -> Timecode | None:
        """The file's start timecode as a :class:`Timecode`, if it has one and a frame rate."""
        rate = self.frame_rate
        if self.timecode is None or rate is None:
            return None
        try:
            return Timecode.parse(self.timecode, rate)
        except Exception:
            return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: Fractions become ``"num/den"`` strings plus float seconds where useful."""
        out: dict[str, Any] = _jsonable(asdict(self))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaInfo:
        d = dict(data)
        d["duration"] = _frac(d.get("duration"))
        d["start_time"] = _frac(d.get("start_time")) or Fraction(0)
        d["video"] = tuple(
            VideoStreamInfo(**{**v, "time_base": _frac(v["time_base"]), "frame_rate": _frac(v["frame_rate"]),
                               "duration": _frac(v["duration"])})
            for v in d.get("video", ())
        )
        d["audio"] = tuple(
            AudioStreamInfo(**{**a, "time_base": _frac(a["time_base"]), "duration": _frac(a["duration"])})
            for a in d.get("audio", ())
        )
        d["tags"] = dict(d.get("tags") or {})
        return cls(**d)


def _frac(v: Any) -> Fraction | None:
    if v is None:
        return None
    return Fraction(v)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Fraction):
        return f"{obj.numerator}/{obj.denominator}" if obj.denominator != 1 else str(obj.numerator)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


def probe(path: str | Path, *, scan_vfr: bool = True, scan_duration: bool = True) -> MediaInfo:
    """Read a file's technical description.

    ``scan_vfr`` inspects up to a few hundred packet timestamps to detect variable frame rate;
    ``scan_duration`` demuxes (without decoding) when the container states no duration.
    Raises a :class:`~rushes.errors.MediaError` subclass for anything that is not usable media.
    """
    import av

    p = Path(path)
    check_readable(p)
    with map_media_errors(p), av.open(str(p), mode="r", metadata_errors="ignore") as container:
        fmt = container.format.name
        vstreams = [s for s in container.streams.video]
        astreams = [s for s in container.streams.audio]
        if not vstreams and not astreams:
            raise UnsupportedMediaError(f"{p}: no video or audio stream")
        is_image = bool(vstreams) and not astreams and (
            fmt in _IMAGE_FORMATS or (vstreams[0].codec_context.name in _IMAGE_CODECS and (
                vstreams[0].frames in (0, 1) and container.duration is None))
        )
        tags = {str(k): str(v) for k, v in (container.metadata or {}).items()}
        timecode = _find_timecode(container, tags)
        container_duration = (
            Fraction(container.duration, 1_000_000) if container.duration not in (None, 0) else None
        )
        start_time = Fraction(container.start_time or 0, 1_000_000)
        videos = tuple(_video_info(s) for s in vstreams)
        audios = tuple(_audio_info(s) for s in astreams)

        duration = container_duration
        if duration is None and not is_image:
            stream_durations = [d for d in (*(v.duration for v in videos), *(a.duration for a in audios)) if d]
            duration = max(stream_durations) if stream_durations else None
        vfr_flags: dict[int, bool] = {}
        scanned_end: Fraction | None = None
        if not is_image and (scan_vfr or (duration is None and scan_duration)) and vstreams:
            vfr_flags, scanned_end = _scan_packets(container, vstreams[0], full=duration is None)
        if duration is None and scanned_end is not None:
            duration = scanned_end - start_time if scanned_end > start_time else scanned_end
        if vfr_flags:
            videos = tuple(
                VideoStreamInfo(**{**asdict(v), "vfr": vfr_flags.get(v.index, v.vfr)}) for v in videos
            )
        if videos and not is_image and videos[0].rotation == 0:
            rot = _first_frame_rotation(p)
            if rot:
                videos = (VideoStreamInfo(**{**asdict(videos[0]), "rotation": rot}), *videos[1:])
        if is_image:
            videos = tuple(VideoStreamInfo(**{**asdict(v), "frames": 1, "frame_rate": None, "duration": None,
                                              "vfr": False}) for v in videos)
            duration = None
        kind = "image" if is_image else ("video" if vstreams else "audio")
        return MediaInfo(
            path=str(p), size=p.stat().st_size, container=fmt, duration=duration, start_time=start_time,
            bit_rate=container.bit_rate or None, kind=kind, video=videos, audio=audios,
            timecode=timecode, tags=tags,
        )


def _video_info(s: Any) -> VideoStreamInfo:
    cc = s.codec_context
    rate: Fraction | None = None
    for cand in (s.average_rate, s.guessed_rate, s.base_rate):
        if cand is not None and cand > 0 and cand < 1000:
            rate = parse_rate(Fraction(cand))
            break
    tb = Fraction(s.time_base) if s.time_base else Fraction(1, 90000)
    dur = Fraction(s.duration) * tb if s.duration else None
    return VideoStreamInfo(
        index=s.index, codec=cc.name, width=cc.width, height=cc.height,
        pix_fmt=cc.format.name if cc.format is not None else None, time_base=tb, frame_rate=rate,
        frames=s.frames or None, start_pts=s.start_time, duration=dur, rotation=_rotation(s), vfr=False,
        bit_rate=cc.bit_rate or None,
    )


def _audio_info(s: Any) -> AudioStreamInfo:
    cc = s.codec_context
    tb = Fraction(s.time_base) if s.time_base else Fraction(1, cc.sample_rate or 1)
    layout = cc.layout.name if getattr(cc, "layout", None) is not None else ""
    return AudioStreamInfo(
        index=s.index, codec=cc.name, sample_rate=cc.sample_rate or 0, channels=cc.channels or 0,
        layout=layout, time_base=tb, duration=Fraction(s.duration) * tb if s.duration else None,
        start_pts=s.start_time,
    )


def _rotation(stream: Any) -> int:
    """Degrees clockwise to turn the coded picture to display it upright (0/90/180/270).

    Read from the display matrix FFmpeg attaches to decoded frames (``frame.rotation`` is the
    matrix's counter-clockwise angle), falling back to the legacy ``rotate`` tag.
    """
    tag = (stream.metadata or {}).get("rotate")
    if tag:
        try:
            return int(float(tag)) % 360
        except ValueError:
            pass
    return 0


def _first_frame_rotation(path: Path) -> int:
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            for frame in c.decode(video=0):
                ccw = int(round(float(getattr(frame, "rotation", 0) or 0)))
                return (-ccw) % 360 // 90 * 90
    except Exception:
        return 0
    return 0


def _find_timecode(container: Any, tags: dict[str, str]) -> str | None:
    cand = tags.get("timecode")
    if cand and _TC_TEXT.match(cand):
        return cand
    for s in container.streams:
        tc = (s.metadata or {}).get("timecode")
        if tc and _TC_TEXT.match(tc):
            return str(tc)
    return None


def _scan_packets(container: Any, stream: Any, full: bool) -> tuple[dict[int, bool], Fraction | None]:
    """Look at packet PTS of the first video stream: VFR flag, and the last end time seen."""
    tb = Fraction(stream.time_base)
    pts: list[int] = []
    last_end: Fraction | None = None
    try:
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            pts.append(packet.pts)
            end = Fraction(packet.pts + (packet.duration or 0)) * tb
            last_end = end if last_end is None or end > last_end else last_end
            if not full and len(pts) >= _VFR_SAMPLE_PACKETS:
                break
    except Exception:
        pass  # a damaged tail must not stop probing; decoding reports it
    vfr = False
    if len(pts) >= 3:
        pts.sort()
        deltas = [b - a for a, b in zip(pts, pts[1:], strict=False) if b > a]
        if deltas:
            deltas.sort()
            median = deltas[len(deltas) // 2]
            # a frame duration that differs from the median by > 25 % (and more than a tick) is VFR
            tol = max(1, median // 4)
            odd = sum(1 for d in deltas if abs(d - median) > tol)
            vfr = odd > max(1, len(deltas) // 100)
    return {stream.index: vfr}, last_end
