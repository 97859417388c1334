"""Compose and encode a synthetic "day of dailies" with exact ground truth.

Each generated file is what a camera that keeps rolling between takes would record::

    setup/chatter -> slate in frame (sticks open ... clap ... closed) -> "action!" ->
    scene content (one or two shots) -> "cut!" -> reset/chatter -> next take ...

Files are named like real camera clips (``A004C012_261122_R1AB.mp4``: camera A, roll 004, clip
012, shot on 2026-11-22, card ``R1AB``) and the slate's ROLL always matches the file's roll.
Video is H.264 (libx264 from PyAV's bundled FFmpeg), audio AAC mono; every video frame gets
``pts = index`` in a ``1/fps`` time base, so times are exact.  ``truth.json`` next to the media
records where every take, slate, clap, spoken word and visual cut is::

    {"files": {"NAME": {"takes": [{"start": s, "end": s, "roll": "A004", "scene": "12A",
                                   "take": "3", ...}],
                        "events": [{"type": "slate"|"clap"|"action"|"cut", "t": s}, ...],
                        "speech": [{"word": ..., "start": s, "end": s, "speaker": ...}], ...}}}

A take's ``start`` is the onset of the spoken "action" and its ``end`` the onset of "cut".
Consumers must filter events by ``type``: besides ``slate``/``action``/``cut`` there are
``clap`` events (the frame the sticks close, and the audio click).  Extra keys: per take
``slate``, ``clap``, ``shots`` (hard picture cuts inside the take) and ``slate_fields``; per file
``speech``, ``segments`` (setup/slate/scene/reset stretches), ``shot_cuts``, ``camera``, ``roll``,
``clip``, ``duration``, ``frames``, ``fps`` ("24/1"), ``width``, ``height``, ``sample_rate``,
``timecode`` (start timecode, also written as a ``tmcd`` track), ``prod``, ``director``,
``date``; and a top-level ``generator`` block with the parameters.

Speed: pictures are composed directly in planar YUV 4:2:0 from pre-rendered layers (one slate
render per take, stick open and closed), so a frame costs a few array copies and libx264
``ultrafast`` does the rest: about a minute of 640x360 footage in ~5 s on two busy cores, plus
a few seconds once per process to load the Piper voice.
"""

from __future__ import annotations

import bisect
import colorsys
import datetime as _dt
import itertools
import json
import math
import string
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from rushes.demo.slate import SlateFields, render_slate_rgba
from rushes.demo.speech import synthesize
from rushes.timecode import Timecode, parse_rate

__all__ = [
    "EventTruth",
    "FileTruth",
    "ReelTruth",
    "Segment",
    "TakeTruth",
    "Timing",
    "WordTruth",
    "camera_file_name",
    "generate_reel",
]

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
F32 = npt.NDArray[np.float32]
Container = Literal["mp4", "mov"]

_PRODUCTIONS = ("NIGHT FERRY", "PAPER MOON", "SALT ROAD", "THE LONG FALL", "GLASS HARBOUR", "NORTH LIGHT")
_DIRECTORS = ("J. OKAFOR", "M. LINDQVIST", "R. HALE", "S. NAKAMURA", "A. FERREIRA", "K. DUBOIS")
#: lines an actor might say that sound a little like "cut" or "action"
CONFUSERS: tuple[str, ...] = (
    "a cup of tea",
    "but then the cat",
    "the auction was cancelled",
    "cutlery in the drawer",
    "a little more traction",
    "what a catch",
)
_BASE_DATE = _dt.date(2026, 11, 22)
#: speech RMS levels in dBFS (clean mode), and noise beds
_VOICE_RMS_DB = -20.0
_ACTOR_RMS_DB = -22.0
_CLEAN_NOISE_DB = -60.0
_DISTANT_NOISE_DB = -40.0
_CLAP_PEAK = 0.6
_AUDIO_FRAME = 1024


# --------------------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------------------


def _r(t: float) -> float:
    return round(float(t), 6)


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


_TAKE_KEYS = frozenset({"start", "end", "roll", "scene", "take", "slate", "clap", "shots", "slate_fields"})
_FILE_KEYS = frozenset({"takes", "events", "speech", "segments", "shot_cuts", "camera", "roll", "clip", "duration",
                        "frames", "fps", "width", "height", "sample_rate", "timecode", "prod", "director", "date"})


@dataclass(frozen=True)
class EventTruth:
    """A point event: ``slate`` (slate appears), ``clap`` (sticks close), ``action``, ``cut``."""

    type: str
    t: float
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    """More keys for the JSON form (e.g. ``{"tail": true}`` on a tail slate)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form ``{"type": ..., "t": ...}`` (plus ``extra``)."""
        return {"type": self.type, "t": _r(self.t), **self.extra}


@dataclass(frozen=True)
class WordTruth:
    """A spoken word or phrase: text, onset, end and who said it (director, crew, actor)."""

    word: str
    start: float
    end: float
    speaker: str = "director"
    source: str | None = None
    """Where the sound came from when it is a recording (``cathy_arctic_a0269.wav``); ``None`` = TTS."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``source`` only when set)."""
        out: dict[str, Any] = {"word": self.word, "start": _r(self.start), "end": _r(self.end),
                               "speaker": self.speaker}
        if self.source is not None:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Segment:
    """A stretch of picture: ``setup``, ``slate``, ``scene`` (with its shot index) or ``reset``."""

    kind: str
    start: float
    end: float
    scene: str | None = None
    shot: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form; ``scene``/``shot`` only for scene segments."""
        out: dict[str, Any] = {"kind": self.kind, "start": _r(self.start), "end": _r(self.end)}
        if self.scene is not None:
            out["scene"] = self.scene
        if self.shot is not None:
            out["shot"] = self.shot
        return out


@dataclass(frozen=True)
class TakeTruth:
    """One take: from the onset of "action" (``start``) to the onset of "cut" (``end``)."""

    start: float
    end: float
    roll: str | None
    scene: str | None
    take: str | None
    """``None`` (JSON ``null``) where the truth does not know the value (an illegible slate)."""
    slate: float
    clap: float
    shots: tuple[float, ...] = ()
    """Times of hard picture cuts inside the take (between ``start`` and ``end``)."""
    fields: SlateFields | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    """More keys for the JSON form."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the required keys plus ``slate``, ``clap``, ``shots``, the slate text and ``extra``."""
        out: dict[str, Any] = {
            "start": _r(self.start),
            "end": _r(self.end),
            "roll": self.roll,
            "scene": self.scene,
            "take": self.take,
            "slate": _r(self.slate),
            "clap": _r(self.clap),
            "shots": [_r(t) for t in self.shots],
        }
        if self.fields is not None:
            out["slate_fields"] = self.fields.as_dict()
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class FileTruth:
    """Everything known about one generated camera file."""

    name: str
    takes: tuple[TakeTruth, ...]
    events: tuple[EventTruth, ...]
    speech: tuple[WordTruth, ...] = ()
    segments: tuple[Segment, ...] = ()
    camera: str = "A"
    roll: str = ""
    clip: int = 0
    duration: float = 0.0
    frames: int = 0
    fps: Fraction = Fraction(24)
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    timecode: str = ""
    prod: str = ""
    director: str = ""
    date: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    """More keys for the JSON form."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``takes`` and ``events`` exactly as other tools expect, plus extras)."""
        return {
            "takes": [t.to_dict() for t in self.takes],
            "events": [e.to_dict() for e in self.events],
            "speech": [w.to_dict() for w in self.speech],
            "segments": [s.to_dict() for s in self.segments],
            "shot_cuts": [_r(t) for t in self.shot_cuts],
            "camera": self.camera,
            "roll": self.roll,
            "clip": self.clip,
            "duration": _r(self.duration),
            "frames": self.frames,
            "fps": f"{self.fps.numerator}/{self.fps.denominator}",
            "width": self.width,
            "height": self.height,
            "sample_rate": self.sample_rate,
            "timecode": self.timecode,
            "prod": self.prod,
            "director": self.director,
            "date": self.date,
            **self.extra,
        }

    @property
    def shot_cuts(self) -> tuple[float, ...]:
        """Every hard picture change: segment boundaries, except reset -> next setup (the
        chatter picture runs on continuously there)."""
        return tuple(
            b.start
            for a, b in zip(self.segments[:-1], self.segments[1:], strict=True)
            if not (a.kind == "reset" and b.kind == "setup")
        )

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> FileTruth:
        """Inverse of :meth:`to_dict`; tolerant of files holding only the required keys."""
        takes = []
        for t in data["takes"]:
            sf = t.get("slate_fields")
            takes.append(
                TakeTruth(
                    start=float(t["start"]),
                    end=float(t["end"]),
                    roll=_opt_str(t.get("roll")),
                    scene=_opt_str(t.get("scene")),
                    take=_opt_str(t.get("take")),
                    slate=float(t.get("slate", t["start"])),
                    clap=float(t.get("clap", t["start"])),
                    shots=tuple(float(x) for x in t.get("shots", ())),
                    fields=SlateFields(**sf) if sf else None,
                    extra={k: v for k, v in t.items() if k not in _TAKE_KEYS},
                )
            )
        return cls(
            name=name,
            takes=tuple(takes),
            events=tuple(
                EventTruth(str(e["type"]), float(e["t"]), {k: v for k, v in e.items() if k not in ("type", "t")})
                for e in data["events"]
            ),
            speech=tuple(
                WordTruth(str(w["word"]), float(w["start"]), float(w["end"]), str(w.get("speaker", "")),
                          None if w.get("source") is None else str(w["source"]))
                for w in data.get("speech", ())
            ),
            segments=tuple(
                Segment(str(s["kind"]), float(s["start"]), float(s["end"]), s.get("scene"), s.get("shot"))
                for s in data.get("segments", ())
            ),
            camera=str(data.get("camera", "")),
            roll=str(data.get("roll", "")),
            clip=int(data.get("clip", 0)),
            duration=float(data.get("duration", 0.0)),
            frames=int(data.get("frames", 0)),
            fps=Fraction(str(data.get("fps", "24"))),
            width=int(data.get("width", 0)),
            height=int(data.get("height", 0)),
            sample_rate=int(data.get("sample_rate", 0)),
            timecode=str(data.get("timecode", "")),
            prod=str(data.get("prod", "")),
            director=str(data.get("director", "")),
            date=str(data.get("date", "")),
            extra={k: v for k, v in data.items() if k not in _FILE_KEYS},
        )


@dataclass(frozen=True)
class ReelTruth:
    """Ground truth for a whole generated reel: ``files`` by file name."""

    files: dict[str, FileTruth]
    generator: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``truth.json`` document."""
        out: dict[str, Any] = {"files": {name: f.to_dict() for name, f in self.files.items()}}
        if self.generator:
            out["generator"] = self.generator
        return out

    def write(self, path: Path) -> None:
        """Write ``truth.json`` (UTF-8, indented, keys in a stable order)."""
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReelTruth:
        """Parse a ``truth.json`` document."""
        files = {name: FileTruth.from_dict(name, f) for name, f in data["files"].items()}
        return cls(files=files, generator=dict(data.get("generator", {})))

    @classmethod
    def read(cls, path: Path) -> ReelTruth:
        """Load a ``truth.json`` file."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Nominal lengths (seconds) of the parts of a take; each is varied by ±``jitter``."""

    setup_s: float = 3.0
    """Chatter before the slate appears."""
    slate_s: float = 2.0
    """How long the slate is held in frame."""
    clap_s: float = 1.3
    """When the sticks close, from the slate's appearance."""
    action_after_clap_s: float = 0.8
    """Onset of "action" after the clap."""
    scene_s: float = 6.0
    """From "action" to "cut"."""
    hold_s: float = 0.6
    """Scene picture still running after "cut" is called."""
    reset_s: float = 2.0
    """Chatter after the take."""
    jitter: float = 0.2

    @classmethod
    def from_segment(cls, seconds: float) -> Timing:
        """Timing scaled from one "segment" length: setup = s, scene = 2 s, reset = 2/3 s."""
        if seconds <= 0:
            raise ValueError("segment seconds must be > 0")
        return cls(setup_s=seconds, scene_s=2.0 * seconds, reset_s=max(0.5, seconds * 2.0 / 3.0))


# --------------------------------------------------------------------------------------
# Picture
# --------------------------------------------------------------------------------------


def _upsampled_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> npt.NDArray[np.float32]:
    """Smooth value noise in [0, 1]: a coarse random grid bilinearly interpolated to h x w."""
    gh, gw = h // cell + 2, w // cell + 2
    grid = rng.random((gh, gw)).astype(np.float32)
    ys = np.linspace(0, gh - 1.001, h, dtype=np.float32)
    xs = np.linspace(0, gw - 1.001, w, dtype=np.float32)
    y0, x0 = ys.astype(np.int64), xs.astype(np.int64)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    out = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    return np.ascontiguousarray(out, dtype=np.float32)


def _disc(radius: int) -> Mask:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return np.asarray(xx * xx + yy * yy <= radius * radius)


def _ellipse(rx: int, ry: int) -> Mask:
    yy, xx = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    return np.asarray((xx / max(rx, 1)) ** 2 + (yy / max(ry, 1)) ** 2 <= 1.0)


def _pan(t: float, span: int, speed: float) -> int:
    """Triangle-wave offset in [0, span] moving ``speed`` pixels per second."""
    if span <= 0:
        return 0
    p = (t * speed) % (2 * span)
    return int(p if p <= span else 2 * span - p)


# Pictures are composed directly in planar YUV 4:2:0 (BT.601, limited range -- what swscale
# produces from RGB by default), so the encoder needs no per-frame colour conversion: the
# backgrounds, sprites and slates are converted once and each frame is only copies.
_RGB_TO_Y = np.array([65.481, 128.553, 24.966], np.float32) / 255.0
_RGB_TO_U = np.array([-37.797, -74.203, 112.0], np.float32) / 255.0
_RGB_TO_V = np.array([112.0, -93.786, -18.214], np.float32) / 255.0


def _yuv_of_color(rgb: Sequence[float]) -> tuple[int, int, int]:
    """(Y, U, V) of an RGB colour given as 0..255 components."""
    c = np.asarray(rgb, np.float32)
    return (
        int(np.clip(round(16 + float(c @ _RGB_TO_Y)), 0, 255)),
        int(np.clip(round(128 + float(c @ _RGB_TO_U)), 0, 255)),
        int(np.clip(round(128 + float(c @ _RGB_TO_V)), 0, 255)),
    )


@dataclass(frozen=True)
class _Planes:
    """An image in planar YUV 4:2:0: full-size ``y``, half-size ``u`` and ``v``."""

    y: U8
    u: U8
    v: U8

    @classmethod
    def from_rgb(cls, rgb: npt.NDArray[Any]) -> _Planes:
        """Convert an ``(H, W, 3)`` RGB image with even H and W."""
        h, w = rgb.shape[:2]
        f = rgb.astype(np.float32)
        y = 16.0 + f @ _RGB_TO_Y
        half = f.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
        u = 128.0 + half @ _RGB_TO_U
        v = 128.0 + half @ _RGB_TO_V

        def q(a: npt.NDArray[np.float32]) -> U8:
            return np.ascontiguousarray(np.clip(np.rint(a), 0, 255), dtype=np.uint8)

        return cls(q(y), q(u), q(v))


class _Canvas:
    """One reusable yuv420p frame buffer in the ``(H * 3 / 2, W)`` layout PyAV expects."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        self.buf = np.zeros((height * 3 // 2, width), np.uint8)
        flat = self.buf.reshape(-1)
        n, q = width * height, (width // 2) * (height // 2)
        self.y = flat[:n].reshape(height, width)
        self.u = flat[n : n + q].reshape(height // 2, width // 2)
        self.v = flat[n + q :].reshape(height // 2, width // 2)

    def blit(self, src: _Planes, ox: int, oy: int) -> None:
        """Fill the whole canvas with the window of ``src`` whose top-left is (ox, oy)."""
        self.y[:] = src.y[oy : oy + self.h, ox : ox + self.w]
        cx, cy = ox // 2, oy // 2
        self.u[:] = src.u[cy : cy + self.h // 2, cx : cx + self.w // 2]
        self.v[:] = src.v[cy : cy + self.h // 2, cx : cx + self.w // 2]


def _clip_box(
    plane: U8, shape: tuple[int, ...], x0: int, y0: int
) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """Destination and source slices of a ``shape`` sprite at (x0, y0), clipped to ``plane``."""
    h, w = plane.shape
    sh, sw = shape[0], shape[1]
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(w, x0 + sw), min(h, y0 + sh)
    if fx0 >= fx1 or fy0 >= fy1:
        return None
    return (slice(fy0, fy1), slice(fx0, fx1)), (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))


@dataclass(frozen=True)
class _Sprite:
    """A flat-coloured shape: full-resolution mask for Y, subsampled mask for U/V."""

    mask: Mask
    mask2: Mask
    color: tuple[int, int, int]

    @classmethod
    def make(cls, mask: Mask, rgb: Sequence[float]) -> _Sprite:
        """Build from a boolean mask and an RGB colour (0..255)."""
        return cls(mask, np.ascontiguousarray(mask[::2, ::2]), _yuv_of_color(rgb))

    def stamp(self, canvas: _Canvas, cx: int, cy: int) -> None:
        """Paint the sprite centred on (cx, cy)."""
        x0, y0 = cx - self.mask.shape[1] // 2, cy - self.mask.shape[0] // 2
        box = _clip_box(canvas.y, self.mask.shape, x0, y0)
        if box is not None:
            np.copyto(canvas.y[box[0]], np.uint8(self.color[0]), where=self.mask[box[1]])
        box = _clip_box(canvas.u, self.mask2.shape, x0 // 2, y0 // 2)
        if box is not None:
            np.copyto(canvas.u[box[0]], np.uint8(self.color[1]), where=self.mask2[box[1]])
            np.copyto(canvas.v[box[0]], np.uint8(self.color[2]), where=self.mask2[box[1]])


class _Chatter:
    """Between takes: dim, drifting, noisy studio picture with crew walking through."""

    def __init__(self, rng: np.random.Generator, width: int, height: int, fps: Fraction) -> None:
        self.w, self.h, self.fps = width, height, fps
        self.pad = max(16, width // 5) // 2 * 2
        hh, ww = height + self.pad, width + self.pad
        tint = np.array(colorsys.hsv_to_rgb(float(rng.uniform(0.05, 0.15)), 0.25, 1.0), np.float32)
        # One layer of medium-scale noise drifting like a hand-held camera: pixel-level noise, or
        # two layers moving independently, would cost the encoder several times more per frame.
        coarse = _upsampled_noise(rng, hh, ww, max(8, width // 10))
        medium = _upsampled_noise(rng, hh, ww, max(4, width // 48))
        base = (0.6 * coarse + 0.4 * medium) * 150.0 + 25.0
        self.layer = _Planes.from_rgb(np.clip(base[..., None] * tint, 0, 255))
        self.speed = float(rng.uniform(10, 25)) * width / 320.0
        self.t_off = float(rng.uniform(0, 10))
        self.people: list[tuple[_Sprite, float, float, int]] = []
        for _ in range(int(rng.integers(2, 4))):
            rx = int(max(3, width * rng.uniform(0.04, 0.07)))
            ry = int(max(6, height * rng.uniform(0.3, 0.45)))
            grey = float(rng.integers(10, 45))
            vx = float(rng.uniform(-1, 1)) * width * 0.25
            phase = float(rng.uniform(0, 1))
            y = int(height * rng.uniform(0.5, 0.75))
            self.people.append((_Sprite.make(_ellipse(rx, ry), (grey, grey, grey)), vx, phase, y))

    def draw(self, canvas: _Canvas, index: int) -> None:
        """Draw the chatter picture of absolute frame ``index``."""
        t = index / float(self.fps)
        ox = _pan(t + self.t_off, self.pad, self.speed)
        oy = _pan(0.6 * t + self.t_off, self.pad, 0.5 * self.speed)
        canvas.blit(self.layer, ox, oy)
        span = self.w * 1.4
        for sprite, vx, phase, y in self.people:
            x = (phase * span + vx * t) % span - self.w * 0.2
            sprite.stamp(canvas, int(x), y)


@dataclass(frozen=True)
class _Shape:
    sprite: _Sprite
    x0: float
    y0: float
    vx: float
    vy: float
    amp: float
    omega: float
    phase: float


class _Shot:
    """A synthetic shot: panning gradient-and-pattern background plus moving shapes.

    The look (palette, angle, pattern, shapes) depends only on the scene and shot index, so
    takes of the same set-up look alike; motion phases vary per take.
    """

    def __init__(
        self, look_seed: int, take_rng: np.random.Generator, width: int, height: int, fps: Fraction
    ) -> None:
        rng = np.random.default_rng(look_seed)
        self.w, self.h, self.fps = width, height, fps
        self.pad = max(16, width // 4) // 2 * 2
        hh, ww = height + self.pad, width + self.pad
        hue = float(rng.random())
        c1 = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.5, 0.9), rng.uniform(0.55, 0.95)), np.float32)
        hue2 = (hue + rng.uniform(0.15, 0.45)) % 1.0
        c2 = np.array(colorsys.hsv_to_rgb(hue2, rng.uniform(0.4, 0.9), rng.uniform(0.1, 0.4)), np.float32)
        angle = float(rng.uniform(0, 2 * math.pi))
        yy, xx = np.mgrid[0:hh, 0:ww].astype(np.float32)
        g = (xx * math.cos(angle) + yy * math.sin(angle)) / float(ww + hh) + 0.5
        g = np.clip(g, 0, 1)
        kx = float(rng.uniform(4, 14)) * 2 * math.pi / ww
        ky = float(rng.uniform(3, 10)) * 2 * math.pi / hh
        pattern = 0.5 + 0.5 * np.sin(xx * kx) * np.sin(yy * ky + float(rng.uniform(0, 6)))
        light = (c1[None, None, :] * (1 - g[..., None]) + c2[None, None, :] * g[..., None]) * 255.0
        self.bg = _Planes.from_rgb(np.clip(light * (0.78 + 0.22 * pattern[..., None]), 0, 255))
        self.speed = float(rng.uniform(6, 18)) * width / 320.0 * float(take_rng.uniform(0.8, 1.25))
        self.t_off = float(take_rng.uniform(0, 5))
        self.shapes: list[_Shape] = []
        for _ in range(int(rng.integers(3, 6))):
            if rng.random() < 0.6:
                mask = _disc(int(max(3, height * rng.uniform(0.05, 0.14))))
            else:
                rw = int(max(3, width * rng.uniform(0.03, 0.1)))
                rh = int(max(3, height * rng.uniform(0.05, 0.2)))
                mask = np.ones((2 * rh + 1, 2 * rw + 1), dtype=bool)
            col = colorsys.hsv_to_rgb(float(rng.random()), float(rng.uniform(0.3, 1.0)), float(rng.uniform(0.3, 1.0)))
            self.shapes.append(
                _Shape(
                    sprite=_Sprite.make(mask, [255.0 * c for c in col]),
                    x0=float(rng.uniform(0, width)),
                    y0=float(rng.uniform(0.15, 0.85) * height),
                    vx=float(rng.uniform(-0.25, 0.25) * width) * float(take_rng.uniform(0.8, 1.2)),
                    vy=float(rng.uniform(-0.05, 0.05) * height),
                    amp=float(rng.uniform(0.02, 0.12) * height),
                    omega=float(rng.uniform(0.5, 3.0)),
                    phase=float(take_rng.uniform(0, 2 * math.pi)),
                )
            )

    def draw(self, canvas: _Canvas, local_index: int) -> None:
        """Draw the shot's picture ``local_index`` frames after it started."""
        t = local_index / float(self.fps) + self.t_off
        ox = _pan(t, self.pad, self.speed)
        oy = _pan(t * 0.5, self.pad, self.speed * 0.4)
        canvas.blit(self.bg, ox, oy)
        for s in self.shapes:
            x = (s.x0 + s.vx * t) % (self.w * 1.2) - self.w * 0.1
            y = (s.y0 + s.vy * t + s.amp * math.sin(s.omega * t + s.phase)) % self.h
            s.sprite.stamp(canvas, int(x), int(y))


class _SlateOverlay:
    """A pre-rendered slate (open and closed sticks) held in front of the chatter picture."""

    def __init__(
        self, fields: SlateFields, rng: np.random.Generator, width: int, height: int, fps: Fraction
    ) -> None:
        sw = int(width * 0.64) // 2 * 2
        sh = int(min(height * 0.88, sw * 0.8)) // 2 * 2
        slate_seed = int(rng.integers(0, 2**31))
        self.looks: list[tuple[_Planes, Mask, Mask]] = []
        for sticks_open in (True, False):
            rgba = render_slate_rgba(fields, (sw, sh), sticks_open=sticks_open, rng=np.random.default_rng(slate_seed))
            mask = rgba[..., 3] >= 128
            mask2 = rgba[..., 3].reshape(sh // 2, 2, sw // 2, 2).mean(axis=(1, 3)) >= 128
            self.looks.append((_Planes.from_rgb(rgba[..., :3]), mask, mask2))
        self.x = ((width - sw) // 2 + int(rng.integers(-width // 20, width // 20 + 1))) // 2 * 2
        self.y = ((height - sh) // 2 + int(rng.integers(0, max(1, (height - sh) // 2) + 1))) // 2 * 2
        self.wobble = max(1.0, width / 320.0)
        self.fps = fps

    def draw(self, canvas: _Canvas, index: int, closed: bool) -> None:
        """Composite the slate onto ``canvas`` for absolute frame ``index``."""
        t = index / float(self.fps)
        # Even offsets keep the chroma planes aligned with the pre-converted slate.
        dx = 2 * round(self.wobble * math.sin(2 * math.pi * 0.7 * t))
        dy = 2 * round(self.wobble * math.sin(2 * math.pi * 0.45 * t + 1.0))
        planes, mask, mask2 = self.looks[1 if closed else 0]
        x0, y0 = self.x + dx, self.y + dy
        box = _clip_box(canvas.y, mask.shape, x0, y0)
        if box is not None:
            np.copyto(canvas.y[box[0]], planes.y[box[1]], where=mask[box[1]])
        box = _clip_box(canvas.u, mask2.shape, x0 // 2, y0 // 2)
        if box is not None:
            np.copyto(canvas.u[box[0]], planes.u[box[1]], where=mask2[box[1]])
            np.copyto(canvas.v[box[0]], planes.v[box[1]], where=mask2[box[1]])


# --------------------------------------------------------------------------------------
# Sound
# --------------------------------------------------------------------------------------


def _db(x: float) -> float:
    return float(10 ** (x / 20.0))


def _pinkish(rng: np.random.Generator, n: int, rate: int, rms: float) -> F32:
    """Noise with a ~1/f power spectrum (flat below 40 Hz), scaled to ``rms``."""
    if n == 0:
        return np.zeros(0, np.float32)
    spec = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spec /= np.sqrt(np.maximum(freqs, 40.0))
    out = np.fft.irfft(spec, n)
    out *= rms / max(float(np.sqrt(np.mean(out**2))), 1e-12)
    return out.astype(np.float32)


def _reverb(x: F32, rng: np.random.Generator, rate: int) -> F32:
    """Convolve with a short room response: direct sound plus an exponentially decaying tail."""
    n = int(0.35 * rate)
    t = np.arange(n) / rate
    ir = rng.standard_normal(n) * np.exp(-t / 0.07)
    ir[: int(0.004 * rate)] = 0.0
    # Reverberant energy half the direct sound's (direct-to-reverberant ratio +3 dB): distant.
    ir *= math.sqrt(0.5 / float(np.sum(ir**2)))
    ir[0] = 1.0
    size = x.size + n - 1
    nfft = 1 << (size - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(ir, nfft), nfft)[:size]
    return y.astype(np.float32)


def _clap(rng: np.random.Generator, rate: int) -> F32:
    """The sticks closing: a few milliseconds of broadband noise with a fast decay."""
    n = int(0.04 * rate)
    t = np.arange(n) / rate
    burst = rng.standard_normal(n) * np.exp(-t / 0.006)
    burst += 0.5 * np.sin(2 * np.pi * 2300 * t) * np.exp(-t / 0.01)
    burst *= _CLAP_PEAK / float(np.max(np.abs(burst)))
    out: F32 = burst.astype(np.float32)
    return out


# --------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------


def camera_file_name(camera: str, roll: int, clip: int, date: _dt.date, card: str, ext: str = "mp4") -> str:
    """A camera-style file name, e.g. ``A004C012_261122_R1AB.mp4``."""
    return f"{camera}{roll:03d}C{clip:03d}_{date:%y%m%d}_{card}.{ext}"


@dataclass
class _Say:
    text: str
    word: str
    sample: int
    speaker: str


@dataclass
class _TakePlan:
    fields: SlateFields
    setup_f: int
    slate_f: int
    clap_f: int
    slate_end_f: int
    scene_end_f: int
    end_f: int
    action_sample: int
    cut_sample: int
    inner_cut_f: int | None
    says: list[_Say]


def _scene_look_seed(scene: str, shot: int, seed: int) -> int:
    return zlib.crc32(f"{seed}:{scene}:{shot}".encode()) & 0x7FFFFFFF


def _next_scene(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        number = int(rng.integers(1, 120))
        letter = "" if rng.random() < 0.5 else str(rng.choice(list("ABCD")))
        if f"{number}{letter}" not in used:
            return f"{number}{letter}"


def _jit(rng: np.random.Generator, value: float, jitter: float) -> float:
    return value * float(1.0 + rng.uniform(-jitter, jitter))


def _word_len(text: str, rate: int) -> int:
    return int(synthesize(text, rate).size)


def _plan_take(
    rng: np.random.Generator,
    start_f: int,
    fields: SlateFields,
    timing: Timing,
    fps: Fraction,
    rate: int,
    confusers: bool,
    set_calls: bool,
) -> _TakePlan:
    """Lay out one take in frames (picture) and samples (sound)."""
    j = timing.jitter

    def frames(seconds: float) -> int:
        return max(1, round(seconds * fps))

    setup_n = frames(_jit(rng, timing.setup_s, j))
    slate_f = start_f + setup_n
    slate_n = frames(timing.slate_s)
    clap_f = slate_f + min(slate_n - 1, frames(timing.clap_s))
    slate_end_f = slate_f + slate_n
    clap_t = float(clap_f / fps)
    action_t = clap_t + max(0.4, _jit(rng, timing.action_after_clap_s, j))
    action_sample = round(action_t * rate)
    action_len = _word_len("Action!", rate)
    scene_len = max(1.0, _jit(rng, timing.scene_s, j))
    cut_sample = action_sample + max(round(scene_len * rate), action_len + int(0.3 * rate))
    cut_t = cut_sample / rate
    scene_end_f = max(slate_end_f + 1, math.ceil((cut_t + timing.hold_s) * fps))
    end_f = scene_end_f + frames(_jit(rng, timing.reset_s, j))

    inner_cut_f: int | None = None
    if rng.random() < 0.5 and cut_t - action_t >= 3.0:
        t_inner = float(rng.uniform(action_t + 1.0, cut_t - 1.0))
        inner_cut_f = max(slate_end_f + 1, round(t_inner * fps))

    says = [
        _Say("Action!", "action", action_sample, "director"),
        _Say("Cut!", "cut", cut_sample, "director"),
    ]
    if confusers:
        line = str(rng.choice(list(CONFUSERS)))
        n = _word_len(line, rate)
        lo = action_sample + action_len + int(0.6 * rate)
        hi = cut_sample - int(0.6 * rate) - n
        if hi > lo:
            says.append(_Say(line, line, int(rng.integers(lo, hi + 1)), "actor"))
    if set_calls:
        slate_sample = round(slate_f * rate / fps)
        start_sample = round(start_f * rate / fps)
        calls = [
            ("Rolling.", "rolling", slate_sample - int(2.2 * rate)),
            ("Speed!", "speed", slate_sample - int(1.0 * rate)),
            ("Mark!", "mark", slate_sample + int(0.2 * rate)),
            ("Reset!", "reset", round((float(scene_end_f / fps) + 0.4) * rate)),
        ]
        end_sample = round(end_f * rate / fps)
        for text, word, at in calls:
            n = _word_len(text, rate)
            if at >= start_sample + int(0.1 * rate) and at + n <= end_sample:
                says.append(_Say(text, word, at, "crew"))
        # Drop any call that would overlap another phrase.
        says = _drop_overlaps(says, rate)
    return _TakePlan(
        fields=fields,
        setup_f=start_f,
        slate_f=slate_f,
        clap_f=clap_f,
        slate_end_f=slate_end_f,
        scene_end_f=scene_end_f,
        end_f=end_f,
        action_sample=action_sample,
        cut_sample=cut_sample,
        inner_cut_f=inner_cut_f,
        says=says,
    )


def _drop_overlaps(says: list[_Say], rate: int) -> list[_Say]:
    """Keep director and actor lines; drop crew calls that overlap anything already kept."""
    kept = [s for s in says if s.speaker != "crew"]
    gap = int(0.15 * rate)
    for s in (s for s in says if s.speaker == "crew"):
        n = _word_len(s.text, rate)
        if all(
            s.sample + n + gap <= k.sample or k.sample + _word_len(k.text, rate) + gap <= s.sample for k in kept
        ):
            kept.append(s)
    return sorted(kept, key=lambda s: s.sample)


@dataclass
class _FilePlan:
    name: str
    camera: str
    roll: str
    clip: int
    prod: str
    director: str
    date_text: str
    takes: list[_TakePlan]
    frames: int
    timecode: str


def _render_audio(
    plan: _FilePlan,
    rng: np.random.Generator,
    rate: int,
    n_samples: int,
    fps: Fraction,
    director_snr_db: float | None,
) -> tuple[F32, list[WordTruth]]:
    """Mix the noise bed, the clap clicks and every spoken phrase; return samples and word truth."""
    noise_rms = _db(_DISTANT_NOISE_DB if director_snr_db is not None else _CLEAN_NOISE_DB)
    audio = _pinkish(rng, n_samples, rate, noise_rms)
    words: list[WordTruth] = []
    for take in plan.takes:
        at = round(take.clap_f * rate / fps)
        click = _clap(rng, rate)
        end = min(n_samples, at + click.size)
        if at < n_samples:
            audio[at:end] += click[: end - at]
        for say in take.says:
            clip = synthesize(say.text, rate).astype(np.float32)
            if clip.size == 0:
                continue
            rms = float(np.sqrt(np.mean(clip.astype(np.float64) ** 2)))
            if say.speaker == "actor":
                wet = clip * (_db(_ACTOR_RMS_DB) / rms)
            elif director_snr_db is None:
                wet = clip * (_db(_VOICE_RMS_DB) / rms)
            else:
                dry = clip * (noise_rms * _db(director_snr_db) / rms)
                wet = _reverb(dry.astype(np.float32), rng, rate)
            end = min(n_samples, say.sample + wet.size)
            if say.sample >= n_samples or end <= say.sample:
                continue
            audio[say.sample : end] += wet[: end - say.sample]
            words.append(
                WordTruth(say.word, say.sample / rate, min(n_samples, say.sample + clip.size) / rate, say.speaker)
            )
    np.clip(audio, -1.0, 1.0, out=audio)
    words.sort(key=lambda w: w.start)
    return audio, words


def _encode(
    path: Path,
    frames: int,
    timecode: str,
    picture: Callable[[int], U8],
    audio: F32,
    *,
    width: int,
    height: int,
    fps: Fraction,
    rate: int,
    crf: int,
    preset: str,
    gop_seconds: float = 0.5,
    pix_fmt: Literal["yuv420p", "rgb24"] = "yuv420p",
    comment: str = "rushes synthetic dailies (rushes.demo)",
) -> None:
    """Write H.264 + AAC with explicit time bases and ``pts`` (frame index / sample index).

    ``picture(i)`` returns frame ``i`` of ``frames``: a yuv420p buffer ``(H * 3 / 2, W)``, or with
    ``pix_fmt="rgb24"`` an ``(H, W, 3)`` RGB array (FFmpeg converts it)."""
    import av

    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        container.metadata["comment"] = comment
        container.metadata["timecode"] = timecode
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = Fraction(1) / fps
        video.codec_context.time_base = Fraction(1) / fps
        video.codec_context.gop_size = max(1, round(gop_seconds * fps))
        video.options = {"preset": preset, "crf": str(crf)}
        video.codec_context.thread_type = "SLICE"
        video.metadata["timecode"] = timecode
        sound = container.add_stream("aac", rate=rate, layout="mono")
        sound.time_base = Fraction(1, rate)
        sound.codec_context.bit_rate = 96_000
        sound.options = {"aac_coder": "fast"}
        video_tb = Fraction(1) / fps
        audio_tb = Fraction(1, rate)

        sent = 0

        def push_audio(until: int) -> None:
            nonlocal sent
            while sent < until:
                n = min(_AUDIO_FRAME, until - sent)
                if n < _AUDIO_FRAME and until < audio.size:
                    break
                chunk = np.ascontiguousarray(audio[sent : sent + n].reshape(1, -1))
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                af.sample_rate = rate
                af.pts = sent
                af.time_base = audio_tb
                for packet in sound.encode(af):
                    container.mux(packet)
                sent += n

        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(picture(i), format=pix_fmt)
            vf.pts = i
            vf.time_base = video_tb
            for packet in video.encode(vf):
                container.mux(packet)
            push_audio(min(audio.size, math.ceil((i + 1) * rate / fps)))
        for packet in video.encode():
            container.mux(packet)
        push_audio(audio.size)
        for packet in sound.encode():
            container.mux(packet)


def _picture_fn(
    plan: _FilePlan, seed: int, file_index: int, width: int, height: int, fps: Fraction
) -> tuple[Callable[[int], U8], list[Segment], list[tuple[float, ...]]]:
    """Build the per-frame picture function (returns a yuv420p buffer, reused between calls),
    the segment list and each take's inner cut times."""
    canvas = _Canvas(width, height)
    chatter = _Chatter(np.random.default_rng([seed, file_index, 1]), width, height, fps)
    # (start frame, draw(canvas, absolute frame index))
    spans: list[tuple[int, Callable[[_Canvas, int], None]]] = []
    segments: list[Segment] = []
    inner: list[tuple[float, ...]] = []

    def sec(f: int) -> float:
        return float(f / fps)

    for k, take in enumerate(plan.takes):
        take_rng = np.random.default_rng([seed, file_index, 100 + k])
        overlay = _SlateOverlay(take.fields, take_rng, width, height, fps)
        spans.append((take.setup_f, chatter.draw))
        segments.append(Segment("setup", sec(take.setup_f), sec(take.slate_f)))

        def slate_draw(c: _Canvas, i: int, ov: _SlateOverlay = overlay, clap_f: int = take.clap_f) -> None:
            chatter.draw(c, i)
            ov.draw(c, i, closed=i >= clap_f)

        spans.append((take.slate_f, slate_draw))
        segments.append(Segment("slate", sec(take.slate_f), sec(take.slate_end_f)))
        bounds = [take.slate_end_f]
        if take.inner_cut_f is not None and take.slate_end_f < take.inner_cut_f < take.scene_end_f:
            bounds.append(take.inner_cut_f)
        bounds.append(take.scene_end_f)
        cuts: list[float] = []
        for shot, (f0, f1) in enumerate(itertools.pairwise(bounds)):
            look = _scene_look_seed(take.fields.scene, shot, seed)
            shot_obj = _Shot(look, take_rng, width, height, fps)

            def shot_draw(c: _Canvas, i: int, s: _Shot = shot_obj, origin: int = f0) -> None:
                s.draw(c, i - origin)

            spans.append((f0, shot_draw))
            segments.append(Segment("scene", sec(f0), sec(f1), scene=take.fields.scene, shot=shot))
            if shot > 0:
                cuts.append(sec(f0))
        inner.append(tuple(cuts))
        spans.append((take.scene_end_f, chatter.draw))
        segments.append(Segment("reset", sec(take.scene_end_f), sec(take.end_f)))

    starts = [s[0] for s in spans]

    def picture(i: int) -> U8:
        spans[bisect.bisect_right(starts, i) - 1][1](canvas, i)
        return canvas.buf

    return picture, segments, inner


def generate_reel(
    out_dir: Path,
    *,
    files: int = 2,
    takes_per_file: int = 2,
    seed: int = 0,
    width: int = 640,
    height: int = 360,
    fps: Fraction | int | float | str = Fraction(24),
    director_snr_db: float | None = None,
    segment_seconds: float | None = None,
    timing: Timing | None = None,
    sample_rate: int = 48000,
    confusers: bool = False,
    set_calls: bool = False,
    camera: str = "A",
    container: Container = "mp4",
    crf: int = 20,
    preset: str = "ultrafast",
    gop_seconds: float = 0.5,
    progress: Callable[[str], None] | None = None,
) -> ReelTruth:
    """Generate ``files`` camera files of ``takes_per_file`` takes each into ``out_dir``.

    Writes the media files and ``truth.json``; returns the same truth.  Deterministic for a
    given ``seed`` and parameters (the Piper voice runs without sampling noise).

    Each take is about ``setup + 2 s slate + 0.8 s + action-to-cut + 0.6 s hold + reset``
    (3 + 2 + 0.8 + 6 + 0.6 + 2 s by default, each part varied by ±20 %), so the defaults give
    about a minute of footage.  ``segment_seconds`` scales the layout
    (:meth:`Timing.from_segment`); ``timing`` gives full control (not both).  ``fps`` may be a
    float such as 23.976 (snapped to 24000/1001); width and height must be even.

    ``director_snr_db`` (e.g. 20) puts the director and crew far from the microphone: their dry
    speech is mixed ``director_snr_db`` dB above (in RMS over the word) a -40 dBFS pink-ish noise
    bed, then a short exponential-decay room response adds reverb.  ``None`` gives clean speech
    at about -20 dBFS RMS over a -60 dBFS floor.  ``confusers`` adds an actor line that sounds a
    bit like "cut"/"action" inside each take; ``set_calls`` adds "rolling", "speed", "mark" and
    "reset" from the crew.  Every spoken phrase is listed under ``speech`` in the truth.

    ``crf``/``preset`` go to libx264; ``gop_seconds`` is the key-frame interval (default 0.5 s,
    the long GOP of camera codecs such as XAVC-L or XF-AVC; a few encoders of phones and
    streaming files use 2–10 s); ``progress`` receives one line per file.

    Raises :class:`rushes.errors.ModelNotAvailable` when no offline voice is installed.
    """
    if files < 1 or takes_per_file < 1:
        raise ValueError("need at least one file and one take per file")
    if width < 64 or height < 64 or width % 2 or height % 2:
        raise ValueError(f"frame size must be even and at least 64x64, not {width}x{height}")
    fps = parse_rate(fps)  # exact: 23.976 -> 24000/1001; raises ValueError when <= 0
    if container not in ("mp4", "mov"):
        raise ValueError(f"container must be 'mp4' or 'mov', not {container!r}")
    if segment_seconds is not None and timing is not None:
        raise ValueError("give segment_seconds or timing, not both")
    if not gop_seconds > 0:
        raise ValueError(f"gop_seconds must be positive, not {gop_seconds}")
    if timing is None:
        timing = Timing.from_segment(segment_seconds) if segment_seconds is not None else Timing()
    if len(camera) != 1 or camera not in string.ascii_uppercase:
        raise ValueError(f"camera must be one capital letter, not {camera!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng([seed, 0])
    date = _BASE_DATE + _dt.timedelta(days=int(seed) % 240)
    date_text = f"{date.day:02d} {date:%b}".upper() + f" {date.year}"
    prod = str(rng.choice(list(_PRODUCTIONS)))
    director = str(rng.choice(list(_DIRECTORS)))
    roll_no = int(rng.integers(1, 10))
    clip_no = int(rng.integers(1, 20))
    clips_per_roll = 3

    def card_id() -> str:
        letters = "".join(str(c) for c in rng.choice(list(string.ascii_uppercase), 2))
        return f"R{int(rng.integers(1, 10))}{letters}"

    card = card_id()
    tod = 8 * 3600 + 30 * 60 + float(rng.uniform(0, 1800))
    used: set[str] = set()
    scene = _next_scene(rng, used)
    used.add(scene)
    take_no = 0
    plans: list[_FilePlan] = []
    for fi in range(files):
        if fi and fi % clips_per_roll == 0:
            roll_no, clip_no, card = roll_no + 1, 1, card_id()
        elif fi:
            clip_no += 1
        if fi and rng.random() < 0.5:
            scene, take_no = _next_scene(rng, used), 0
            used.add(scene)
        roll = f"{camera}{roll_no:03d}"
        name = camera_file_name(camera, roll_no, clip_no, date, card, container)
        frng = np.random.default_rng([seed, fi, 2])
        takes: list[_TakePlan] = []
        f = 0
        for k in range(takes_per_file):
            if k and frng.random() < 0.25:
                scene, take_no = _next_scene(frng, used), 0
                used.add(scene)
            take_no += 1
            fields = SlateFields(
                prod=prod, roll=roll, scene=scene, take=str(take_no),
                director=director, camera=camera, date=date_text,
            )
            tp = _plan_take(
                np.random.default_rng([seed, fi, 200 + k]), f, fields, timing, fps, sample_rate,
                confusers, set_calls,
            )
            takes.append(tp)
            f = tp.end_f
        tc = str(Timecode.from_seconds(Fraction(round(tod * float(fps))) / fps, fps))
        plans.append(_FilePlan(name, camera, roll, clip_no, prod, director, date_text, takes, f, tc))
        tod += float(f / fps) + float(rng.uniform(20, 120))

    out: dict[str, FileTruth] = {}
    for fi, plan in enumerate(plans):
        if progress is not None:
            progress(f"{plan.name}: {plan.frames} frames")
        n_samples = round(plan.frames * sample_rate / fps)
        audio, words = _render_audio(
            plan, np.random.default_rng([seed, fi, 3]), sample_rate, n_samples, fps, director_snr_db
        )
        picture, segments, inner = _picture_fn(plan, seed, fi, width, height, fps)
        _encode(
            out_dir / plan.name, plan.frames, plan.timecode, picture, audio,
            width=width, height=height, fps=fps, rate=sample_rate, crf=crf, preset=preset, gop_seconds=gop_seconds,
        )
        take_truths: list[TakeTruth] = []
        events: list[EventTruth] = []
        for take, cuts in zip(plan.takes, inner, strict=True):
            start, end = take.action_sample / sample_rate, take.cut_sample / sample_rate
            slate_t, clap_t = float(take.slate_f / fps), float(take.clap_f / fps)
            take_truths.append(
                TakeTruth(start, end, plan.roll, take.fields.scene, take.fields.take, slate_t, clap_t,
                          cuts, take.fields)
            )
            events += [
                EventTruth("slate", slate_t),
                EventTruth("clap", clap_t),
                EventTruth("action", start),
                EventTruth("cut", end),
            ]
        out[plan.name] = FileTruth(
            name=plan.name,
            takes=tuple(take_truths),
            events=tuple(sorted(events, key=lambda e: e.t)),
            speech=tuple(words),
            segments=tuple(segments),
            camera=plan.camera,
            roll=plan.roll,
            clip=plan.clip,
            duration=float(plan.frames / fps),
            frames=plan.frames,
            fps=fps,
            width=width,
            height=height,
            sample_rate=sample_rate,
            timecode=plan.timecode,
            prod=plan.prod,
            director=plan.director,
            date=plan.date_text,
        )
    truth = ReelTruth(
        files=out,
        generator={
            "tool": "rushes.demo",
            "seed": seed,
            "takes_per_file": takes_per_file,
            "director_snr_db": director_snr_db,
            "confusers": confusers,
            "set_calls": set_calls,
            "gop_seconds": gop_seconds,
        },
    )
    truth.write(out_dir / "truth.json")
    return truth
