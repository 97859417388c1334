"""Decode once, fan out: frames and audio for every analyzer from a single pass over a file.

A :class:`FrameSpec` says what an analyzer wants to see — every frame, N frames per second
(exactly, or ``sparse``: at the cheapest frames), or only key frames — at which size and pixel
format. :func:`decode` demuxes the file once, decodes video (only the packets some consumer
needs: non-key frames are skipped when no consumer needs them, and a ``sparse`` pass decodes one
key frame per slot) and audio (resampled to 16 kHz mono float32), converts each frame once per
distinct (size, format) in FFmpeg's swscale pass, and hands the results to every consumer
through a bounded queue, so memory stays bounded whatever the file's length. Decoding runs in a
worker thread (FFmpeg releases the GIL) while the caller's thread runs the analyzers.

Times are exact: ``VideoFrame.time`` is ``pts × time_base`` minus the file's start time, as a
:class:`~fractions.Fraction` of seconds, so variable-frame-rate files keep their real timing.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from rushes.errors import CorruptMediaError, JobCancelled, MediaError, check_readable, map_media_errors
from rushes.media.probe import MediaInfo, probe

__all__ = [
    "AUDIO_RATE",
    "AudioChunk",
    "DecodeStats",
    "FrameConsumer",
    "FrameSpec",
    "VideoFrame",
    "decode",
    "extract_audio",
    "iter_frames",
    "read_frame_at",
]

log = logging.getLogger(__name__)

#: Sample rate of all audio handed to analyzers (speech models expect 16 kHz mono).
AUDIO_RATE = 16_000
_QUEUE_FRAMES = 8
#: a file whose share of undecodable packets exceeds this is reported as corrupt
_MAX_BAD_PACKET_SHARE = 0.5

SamplingMode = Literal["all", "fps", "sparse", "keyframes"]
#: a sparse pass that has buffered this many packets since its last key frame decodes densely
_SPARSE_MAX_BUFFER = 512


@dataclass(frozen=True)
class FrameSpec:
    """What a consumer wants to see of the video.

    ``mode``: ``all`` (every frame), ``fps`` (the first frame of every ``1/fps`` slot — VFR safe),
    ``sparse`` (about ``fps`` frames per second where they are cheapest: the first *key* frame of
    every slot, so that a pass whose consumers are all sparse decodes only those packets — an
    all-intra file (ProRes, DNxHR, XAVC-I) costs one frame per slot, a long-GOP one a key frame
    per slot; when key frames are more than ``max_key_gap`` seconds apart (default ``1.25/fps``)
    the pass falls back to decoding every frame from the last key frame on, sampled like
    ``fps``; mixed with non-sparse consumers it behaves like ``fps``),
    ``keyframes`` (only key frames: ~18× cheaper to decode).
    Size: ``width``/``height`` exact, or ``max_side`` to scale down keeping aspect; neither = native.
    ``format``: an FFmpeg pixel format name for ``to_ndarray`` (``rgb24``, ``gray``, ``bgr24``).
    ``interpolation``: swscale's scaling algorithm (a PyAV ``Interpolation`` name such as ``AREA``
    or ``FAST_BILINEAR``); ``None`` = PyAV's default, ``BILINEAR``. Downscaling 1080p to 320 px
    with ``AREA`` costs about half the instructions of ``BILINEAR``.
    """

    mode: SamplingMode = "all"
    fps: Fraction | None = None
    width: int | None = None
    height: int | None = None
    max_side: int | None = None
    format: str = "rgb24"
    max_key_gap: Fraction | None = None
    interpolation: str | None = None

    def __post_init__(self) -> None:
        if self.mode in ("fps", "sparse") and (self.fps is None or self.fps <= 0):
            raise ValueError(f"FrameSpec(mode={self.mode!r}) needs a positive fps")
        if self.mode not in ("all", "fps", "sparse", "keyframes"):
            raise ValueError(f"unknown sampling mode {self.mode!r}")
        if self.max_key_gap is not None and self.max_key_gap <= 0:
            raise ValueError("max_key_gap must be positive")

    def key_gap(self) -> Fraction:
        """The widest key-frame spacing a ``sparse`` pass accepts before it decodes densely."""
        if self.max_key_gap is not None:
            return Fraction(self.max_key_gap)
        assert self.fps is not None
        return Fraction(5, 4) / Fraction(self.fps)

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """Target (width, height) for a source of the given size (even numbers for swscale)."""
        if self.width and self.height:
            return self.width, self.height
        if self.width:
            return self.width, max(2, round(height * self.width / width / 2) * 2)
        if self.height:
            return max(2, round(width * self.height / height / 2) * 2), self.height
        if self.max_side and max(width, height) > self.max_side:
            scale = self.max_side / max(width, height)
            return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
        return width, height


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: ``image`` is H×W×C (or H×W for gray) uint8, upright."""

    index: int
    """Index of the frame in presentation order among all decoded frames (0-based)."""
    pts: int
    time_base: Fraction
    time: Fraction
    """Seconds from the start of the file (exact)."""
    key: bool
    image: npt.NDArray[np.uint8]


@dataclass(frozen=True)
class AudioChunk:
    """Consecutive 16 kHz mono float32 samples starting at ``time`` seconds."""

    time: Fraction
    samples: npt.NDArray[np.float32]


class FrameConsumer:
    """Something that receives frames and/or audio from :func:`decode`.

    Subclasses set ``spec`` (``None`` = no video) and ``wants_audio``, and override
    :meth:`on_frame` / :meth:`on_audio`.
    """

    spec: FrameSpec | None = None
    wants_audio: bool = False

    def on_frame(self, frame: VideoFrame) -> None:
        """Receive one frame that matches ``spec``."""

    def on_audio(self, chunk: AudioChunk) -> None:
        """Receive the next chunk of audio."""


@dataclass
class DecodeStats:
    """What a decode pass did (reported in benchmarks and run records)."""

    frames_decoded: int = 0
    frames_delivered: int = 0
    audio_seconds: float = 0.0
    bad_packets: int = 0
    packets: int = 0
    keyframes_only: bool = False
    sparse: bool = False
    """every video consumer was ``sparse``: only one key frame per slot was decoded..."""
    sparse_fallback: bool = False
    """...until key frames were found too far apart and the pass decoded every frame"""
    packets_skipped: int = 0
    last_time: Fraction | None = None
    warnings: list[str] = field(default_factory=list)


class _FpsSlotter:
    """Passes the first frame of each 1/fps slot."""

    def __init__(self, fps: Fraction) -> None:
        self.fps = fps
        self.last_slot = -1

    def take(self, t: Fraction) -> bool:
        slot = math.floor(t * self.fps)
        if slot > self.last_slot:
            self.last_slot = slot
            return True
        return False


class _SparsePlan:
    """Which video packets a ``sparse`` pass decodes: the first key frame of each ``1/fps`` slot.

    Non-key packets since the last key frame are held back (not decoded); when they span more
    than ``max_gap`` seconds (a long-GOP file) the plan turns dense for good and hands them to the
    decoder in order, starting with that key frame, so no frame after it is lost.
    """

    def __init__(self, fps: Fraction, max_gap: Fraction, time_base: Fraction, origin: Fraction) -> None:
        self.slotter = _FpsSlotter(fps)
        self.max_gap = max_gap
        self.time_base = time_base
        self.origin = origin
        self.dense = False
        self.skipped = 0
        self._held: list[Any] = []
        self._key_t: Fraction | None = None
        self._first_t: Fraction | None = None

    def admit(self, packet: Any) -> list[Any]:
        """The packets to decode now, in order (possibly none)."""
        if self.dense:
            return [packet]
        ts = packet.pts if packet.pts is not None else packet.dts
        if ts is None:  # no timing on the packet: cannot plan
            return self._go_dense(packet)
        t = Fraction(ts) * self.time_base - self.origin
        if self._first_t is None:
            self._first_t = t
        if packet.is_keyframe:
            self.skipped += len(self._held)
            self._held.clear()
            self._key_t = t
            if self.slotter.take(max(t, Fraction(0))):
                return [packet]
            self._held.append(packet)  # the reference a dense fallback would start from
            return []
        ref = self._key_t if self._key_t is not None else self._first_t
        self._held.append(packet)
        if t - ref > self.max_gap or len(self._held) > _SPARSE_MAX_BUFFER:
            return self._go_dense(None)
        return []

    def _go_dense(self, packet: Any | None) -> list[Any]:
        self.dense = True
        out = self._held + ([packet] if packet is not None else [])
        self._held = []
        return out

    def finish(self) -> None:
        self.skipped += len(self._held)
        self._held.clear()


_DONE = object()


def decode(
    path: str | Path,
    consumers: Sequence[FrameConsumer],
    info: MediaInfo | None = None,
    *,
    should_stop: Callable[[], bool] | None = None,
    threads: int = 0,
) -> DecodeStats:
    """Decode ``path`` once and deliver frames/audio to every consumer.

    ``should_stop`` is polled between frames; when it returns True the pass ends with
    :class:`~rushes.errors.JobCancelled`. Consumer exceptions propagate to the caller after the
    decode thread has been stopped and joined (no thread is ever abandoned).
    """
    p = Path(path)
    info = info or probe(p, scan_vfr=False)
    video_consumers = [c for c in consumers if c.spec is not None]
    audio_consumers = [c for c in consumers if c.wants_audio]
    stats = DecodeStats()
    if not video_consumers and not audio_consumers:
        return stats
    if video_consumers and info.primary_video is None:
        video_consumers = []
    if audio_consumers and info.primary_audio is None:
        audio_consumers = []
    if not video_consumers and not audio_consumers:
        return stats

    stats.keyframes_only = bool(video_consumers) and all(
        c.spec is not None and c.spec.mode == "keyframes" for c in video_consumers
    ) and info.kind != "image"
    stats.sparse = bool(video_consumers) and all(
        c.spec is not None and c.spec.mode == "sparse" for c in video_consumers
    ) and info.kind != "image"
    q: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_FRAMES)
    stop = threading.Event()
    error: list[BaseException] = []

    groups: dict[tuple[int, int, str, str | None], list[FrameConsumer]] = {}
    vinfo = info.primary_video
    rotation = vinfo.rotation if vinfo else 0
    if vinfo is not None:
        for c in video_consumers:
            assert c.spec is not None
            w, h = vinfo.width, vinfo.height
            if rotation in (90, 270):
                w, h = h, w
            ow, oh = c.spec.output_size(w, h)
            if rotation in (90, 270):
                ow, oh = oh, ow  # convert before rotating
            groups.setdefault((ow, oh, c.spec.format, c.spec.interpolation), []).append(c)
    slotters = {
        id(c): _FpsSlotter(c.spec.fps) for c in video_consumers
        if c.spec is not None and c.spec.mode in ("fps", "sparse") and c.spec.fps is not None
    }
    sparse_specs = [c.spec for c in video_consumers if stats.sparse and c.spec is not None]
    sparse_rate = (max(s.fps for s in sparse_specs if s.fps is not None), min(s.key_gap() for s in sparse_specs)) \
        if sparse_specs else None

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def worker() -> None:
        try:
            _demux_decode(p, info, groups, slotters, bool(audio_consumers), rotation, stats, put, stop, threads,
                          sparse_rate)
        except BaseException as exc:  # re-raised in the caller
            error.append(exc)
        finally:
            put(_DONE) if not stop.is_set() else None

    thread = threading.Thread(target=worker, name=f"decode:{p.name}", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                break
            if should_stop is not None and should_stop():
                raise JobCancelled(f"{p}: stopped")
            kind, payload, targets = item
            if kind == "v":
                for c in targets:
                    c.on_frame(payload)
                stats.frames_delivered += 1
            else:
                for c in audio_consumers:
                    c.on_audio(payload)
    finally:
        stop.set()
        while thread.is_alive():  # drain so the worker can exit
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()
    if error:
        exc = error[0]
        if isinstance(exc, MediaError | JobCancelled):
            raise exc
        raise CorruptMediaError(f"{p}: decode failed ({type(exc).__name__}: {exc})") from exc
    return stats


def _demux_decode(
    p: Path,
    info: MediaInfo,
    groups: dict[tuple[int, int, str, str | None], list[FrameConsumer]],
    slotters: dict[int, _FpsSlotter],
    want_audio: bool,
    rotation: int,
    stats: DecodeStats,
    put: Callable[[Any], bool],
    stop: threading.Event,
    threads: int,
    sparse_rate: tuple[Fraction, Fraction] | None = None,
) -> None:
    import av
    from av.video.reformatter import VideoReformatter

    origin = info.start_time
    with map_media_errors(p), av.open(str(p), mode="r", metadata_errors="ignore") as container:
        streams: list[Any] = []
        vstream = container.streams.video[0] if groups and container.streams.video else None
        astream = container.streams.audio[0] if want_audio and container.streams.audio else None
        if vstream is not None:
            vstream.thread_type = "AUTO"
            if threads:
                vstream.codec_context.thread_count = threads
            if stats.keyframes_only:
                vstream.codec_context.skip_frame = "NONKEY"
            streams.append(vstream)
        resampler = None
        if astream is not None:
            streams.append(astream)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        audio_samples = 0
        audio_t0: Fraction | None = None
        frame_index = 0
        vtb = Fraction(vstream.time_base) if vstream is not None and vstream.time_base else Fraction(1, 90000)
        still = info.kind == "image"
        plan = _SparsePlan(sparse_rate[0], sparse_rate[1], vtb, origin) \
            if sparse_rate is not None and vstream is not None else None
        # one swscale context per output (size, format) for the whole pass: ``frame.to_ndarray(
        # width=..., ...)`` builds a new context (filters, slice threads) for every frame, which
        # cost more CPU than decoding on light 1080p files; the pixels are identical
        reformatters = {key: VideoReformatter() for key in groups}

        def emit_video(frame: Any) -> bool:
            nonlocal frame_index
            pts = frame.pts if frame.pts is not None else (frame.dts if frame.dts is not None else frame_index)
            t = Fraction(pts) * vtb - origin if not still else Fraction(0)
            t = max(t, Fraction(0))
            key = bool(frame.key_frame) or still
            idx = frame_index
            frame_index += 1
            stats.frames_decoded += 1
            stats.last_time = t
            for (w, h, fmt, interp), consumers in groups.items():
                targets = []
                for c in consumers:
                    spec = c.spec
                    assert spec is not None
                    if spec.mode == "all" or (spec.mode == "keyframes" and key) or (
                        spec.mode in ("fps", "sparse") and slotters[id(c)].take(t)
                    ):
                        targets.append(c)
                if not targets:
                    continue
                rf = reformatters[(w, h, fmt, interp)]
                img: Any = rf.reformat(frame, w, h, fmt, interpolation=interp).to_ndarray()
                if rotation:
                    img = np.ascontiguousarray(np.rot90(img, k=-(rotation // 90)))
                vf = VideoFrame(index=idx, pts=int(pts), time_base=vtb, time=t, key=key, image=img)
                if not put(("v", vf, targets)):
                    return False
            return True

        def emit_audio(frames: list[Any]) -> bool:
            nonlocal audio_samples, audio_t0
            for af in frames:
                if af is None:
                    continue
                arr = af.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                if audio_t0 is None:
                    atb = Fraction(af.time_base) if af.time_base else Fraction(1, AUDIO_RATE)
                    audio_t0 = max(Fraction(0), Fraction(af.pts or 0) * atb - origin) if af.pts is not None \
                        else Fraction(0)
                chunk = AudioChunk(time=audio_t0 + Fraction(audio_samples, AUDIO_RATE), samples=arr)
                audio_samples += len(arr)
                stats.audio_seconds = audio_samples / AUDIO_RATE
                if not put(("a", chunk, None)):
                    return False
            return True

        def decode_packet(packet: Any) -> list[Any] | None:
            try:
                return list(packet.decode())
            except av.error.InvalidDataError as exc:  # corrupt packet: skip it, count it
                stats.bad_packets += 1
                _note_bad(stats, p, exc)
            except (av.error.EOFError, ValueError) as exc:
                stats.bad_packets += 1
                _note_bad(stats, p, exc)
            return None

        for packet in container.demux(*streams):
            if stop.is_set():
                return
            stats.packets += 1
            if packet.stream is vstream:
                # a sparse plan decides which video packets reach the decoder; the empty packet
                # that ends the stream always does (it flushes the decoder)
                todo = plan.admit(packet) if plan is not None and packet.size else [packet]
                for pk in todo:
                    decoded = decode_packet(pk)
                    for frame in decoded or ():
                        if not emit_video(frame):
                            return
                continue
            decoded = decode_packet(packet)
            if decoded is not None and resampler is not None:
                for af in decoded:
                    if not emit_audio(resampler.resample(af)):
                        return
        if plan is not None:
            plan.finish()
            stats.packets_skipped = plan.skipped
            stats.sparse_fallback = plan.dense
        # PyAV's demux ends each stream with an empty packet that flushes its decoder; only the
        # resampler still holds samples
        if resampler is not None:
            try:
                emit_audio(resampler.resample(None))
            except Exception as exc:
                _note_bad(stats, p, exc)
    if stats.packets and stats.bad_packets / stats.packets > _MAX_BAD_PACKET_SHARE:
        raise CorruptMediaError(
            f"{p}: {stats.bad_packets} of {stats.packets} packets could not be decoded"
        )
    if groups and stats.frames_decoded == 0:
        raise CorruptMediaError(f"{p}: no video frame could be decoded")


def _note_bad(stats: DecodeStats, p: Path, exc: BaseException) -> None:
    if len(stats.warnings) < 5:
        stats.warnings.append(f"{type(exc).__name__}: {str(exc).strip()[:120]}")
    log.debug("%s: bad packet: %s", p, exc)


class _Collector(FrameConsumer):
    def __init__(self, spec: FrameSpec | None, audio: bool) -> None:
        self.spec = spec
        self.wants_audio = audio
        self.frames: list[VideoFrame] = []
        self.audio: list[AudioChunk] = []

    def on_frame(self, frame: VideoFrame) -> None:
        self.frames.append(frame)

    def on_audio(self, chunk: AudioChunk) -> None:
        self.audio.append(chunk)


def iter_frames(
    path: str | Path, spec: FrameSpec | None = None, info: MediaInfo | None = None
) -> Iterator[VideoFrame]:
    """Iterate frames of one file (single consumer convenience over :func:`decode`).

    Runs the decode in a background thread and yields frames as they come; memory is bounded
    by the internal queue.
    """
    spec = spec or FrameSpec()
    out: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_FRAMES)
    cancelled = threading.Event()

    class _Q(FrameConsumer):
        def __init__(self) -> None:
            self.spec = spec

        def on_frame(self, frame: VideoFrame) -> None:
            while True:
                if cancelled.is_set():
                    raise JobCancelled("iteration stopped")
                try:
                    out.put(frame, timeout=0.1)
                    return
                except queue.Full:
                    continue

    result: list[BaseException] = []

    def run() -> None:
        try:
            decode(path, [_Q()], info, should_stop=cancelled.is_set)
        except JobCancelled:
            pass
        except BaseException as exc:
            result.append(exc)
        finally:
            while True:
                try:
                    out.put(_DONE, timeout=0.1)
                    break
                except queue.Full:
                    if cancelled.is_set():
                        break

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                break
            yield item
    finally:
        cancelled.set()
        while t.is_alive():
            try:
                out.get(timeout=0.05)
            except queue.Empty:
                pass
        t.join()
    if result:
        raise result[0]


def extract_audio(
    path: str | Path, info: MediaInfo | None = None
) -> tuple[npt.NDArray[np.float32], Fraction]:
    """The whole audio track as 16 kHz mono float32 and the time (s) of its first sample."""
    c = _Collector(None, True)
    decode(path, [c], info)
    if not c.audio:
        return np.zeros(0, dtype=np.float32), Fraction(0)
    return np.concatenate([a.samples for a in c.audio]), c.audio[0].time


def read_frame_at(
    path: str | Path,
    t: Fraction | float,
    spec: FrameSpec | None = None,
    info: MediaInfo | None = None,
) -> VideoFrame:
    """The frame displayed at ``t`` seconds: seek to the key frame before it and decode forward."""
    import av

    p = Path(path)
    check_readable(p)
    info = info or probe(p, scan_vfr=False)
    target = Fraction(t).limit_denominator(10**9) if isinstance(t, float) else Fraction(t)
    spec = spec or FrameSpec()
    v = info.primary_video
    if v is None:
        raise MediaError(f"{p}: no video stream")
    with map_media_errors(p), av.open(str(p), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        tb = Fraction(stream.time_base or Fraction(1, 90000))
        w, h = spec.output_size(v.width, v.height)
        if info.kind != "image":
            seek_pts = int((target + info.start_time) / tb)
            container.seek(max(0, seek_pts), stream=stream, backward=True, any_frame=False)
        best: Any = None
        best_t = Fraction(0)
        for frame in container.decode(stream):
            ft = Fraction(frame.pts or 0) * tb - info.start_time if info.kind != "image" else Fraction(0)
            if best is not None and ft > target:
                break
            best, best_t = frame, ft
            if ft == target or info.kind == "image":
                break
        if best is None:
            raise CorruptMediaError(f"{p}: no frame at {float(target):.3f} s")
        img = best.to_ndarray(width=w, height=h, format=spec.format, interpolation=spec.interpolation)
        if v.rotation:
            img = np.ascontiguousarray(np.rot90(img, k=-(v.rotation // 90)))
        return VideoFrame(index=-1, pts=int(best.pts or 0), time_base=tb, time=max(best_t, Fraction(0)),
                          key=bool(best.key_frame), image=img)
