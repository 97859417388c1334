"""Dailies made from real parts, with exact ground truth: the test material of triage (issue #4).

:func:`generate_real_reel` cuts a "day of dailies" out of the real third-party media of
``../shared/data`` (never copied into the project: read at run time) and writes it as camera
files plus ``truth.json`` in the triage truth format.  Each camera file is what a camera that
keeps rolling between takes records::

    set-up (a real clip) -> "rolling" / "speed" -> a real slate picture in frame 2-4 s ("mark",
    the clap) -> "action!" -> the take (another real clip, keeping its own cuts; actors speak
    real recorded sentences) -> "cut!" -> reset (the set-up clip runs on) -> next take ...

and sometimes a take has no head slate but a **tail slate**: the board upside down at the end of
the take, its clap, then "cut".

Parts:

* **pictures** — the videos of ``data/video`` (decoded with PyAV, scaled to cover the frame and
  centre-cropped; set-up and take content come from different clips, varied between takes);
  the real clapperboards of ``data/images/slate_*`` (each panel of the boxed 4×2 grid is one
  slate, see :func:`rushes.triage.slate.evaluate.real_slate_images`), held in frame with a
  hand-held wobble, a slow push-in, a small rotation and keystone, per-take exposure, gamma,
  colour cast, focus and sensor noise; the board isolated on white is composited over the
  running set-up clip instead.  Roll/scene/take truth is the team's transcription
  (``gt/slate_transcriptions.json``) where legible, else ``null`` — except on the boards whose
  fields are empty, where values are written by hand (installed hand-writing fonts, letter by
  letter jitter) when ``write_fields`` is on, and the written values are the truth;
* **sound** — the director's "cut" is the real word cut out of ``cathy_arctic_a0269.wav``
  ("...they *cut* off the Scottish Chiefs...") at its forced-alignment times
  (``gt/pocketsphinx_forced_alignment_words.json``, boundaries snapped to the quietest 5 ms
  within ±40 ms); "action", "rolling", "speed", "mark", "reset" are spoken by the packaged Piper
  voice (:func:`rushes.demo.speech.synthesize`); every call is slightly re-pitched (±5 %) and
  mixed ``director_snr_db`` dB (RMS over the word) above a -40 dBFS pink-ish noise bed with a
  distant-room reverb.  Inside takes actors say real sentences near the microphone (LibriVox,
  TIMIT, JFK, CMU ARCTIC, praatIO, pocketsphinx files) — including the whole a0269 sentence
  with its dialogue "cut" and a0375 with "cutters"; near-miss words cut out of real sentences
  ("cutters", "butchers", "rolled", "take") are said alone between takes;
* the **clap** is a short synthetic transient (as in :mod:`rushes.demo.reel`).

Truth (``truth.json``; :class:`rushes.demo.reel.ReelTruth`): per file ``takes`` (``start`` =
onset of "action", ``end`` = onset of "cut", ``roll`` = the camera roll of the file name,
``scene``/``take`` = what the slate says or ``null``) and ``events`` (``slate`` — head and tail
slates, the tail ones with ``"tail": true`` — ``clap``, ``action``, ``cut``), plus ``speech``
(every phrase with its speaker and source recording) and ``parts`` (which clip or picture is on
screen when).  The real clips' own shot cuts are not listed.  Deterministic for a seed.

Command line: ``python -m rushes.demo.realreel OUT [--data DIR] [--files N] [--takes N] ...``.
Needs OpenCV (extra ``vision`` or ``triage``) besides the demo's Piper voice (extra ``tts``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import json
import math
import os
import string
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.demo.reel import (
    _ACTOR_RMS_DB,
    _CLEAN_NOISE_DB,
    _DIRECTORS,
    _DISTANT_NOISE_DB,
    _PRODUCTIONS,
    _VOICE_RMS_DB,
    EventTruth,
    FileTruth,
    ReelTruth,
    TakeTruth,
    WordTruth,
    _clap,
    _db,
    _encode,
    _next_scene,
    _pinkish,
    _reverb,
    camera_file_name,
)
from rushes.demo.slate import SlateFields
from rushes.demo.speech import resample, synthesize, trim_silence
from rushes.errors import MediaNotFound
from rushes.timecode import Timecode, parse_rate

__all__ = [
    "DEFAULT_CLIPS",
    "NEAR_MISSES",
    "SENTENCES",
    "RealParts",
    "SlatePicture",
    "generate_real_reel",
    "main",
]

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
Box = tuple[float, float, float, float]

#: videos used for set-up and take pictures (the damaged, the tiny and the duplicate files of the
#: data set are left out; ``psd_counter.mp4`` has frame numbers burned in)
DEFAULT_CLIPS: tuple[str, ...] = (
    "decord_flipping_a_pancake.mkv", "imio_test.webm", "mma_test.mp4", "movienet_titanic_test1.mp4",
    "mpy_bbb_0_30.webm", "mpy_chaplin.mp4", "mpy_video_with_failing_audio.mp4", "psd_fades.mp4",
    "psd_goldeneye_vfr_drop3.mp4", "psd_testvideo.mp4",
)
#: the real director's "cut": (recording, word)
CUT_WORD: tuple[str, str] = ("cathy_arctic_a0269.wav", "cut")
#: near-miss words cut out of real sentences, said alone between takes
NEAR_MISSES: tuple[tuple[str, str], ...] = (
    ("cathy_arctic_a0375.wav", "cutters"), ("cathy_arctic_a0375.wav", "butchers"),
    ("praatio_mary.wav", "rolled"), ("cathy_arctic_a0161.wav", "take"),
)
#: real recorded sentences actors say inside takes; the text comes from gt/
SENTENCES: tuple[str, ...] = (
    "cathy_arctic_a0269.wav", "cathy_arctic_a0375.wav", "cathy_arctic_a0161.wav", "timit_LDC93S1_sa1.wav",
    "whisper_jfk.flac", "praatio_mary.wav", "praatio_bobby.wav", "praatio_damon_set_test.wav", "ps_goforward.wav",
    "ps_librivox_sas_0870.wav", "ps_librivox_sas_0880.wav", "ps_librivox_sas_0890.wav", "ps_librivox_sas_0920.wav",
    "ps_librivox_sas_0930.wav",
)
_GRID = "slate_bosc_grid8_boxed.png"
_ALIGNMENTS = "gt/pocketsphinx_forced_alignment_words.json"
#: where the board is in each real slate picture (x0, y0, x1, y1 as fractions of the picture): the
#: region turned upside down for a tail slate.  Pictures not listed: the whole picture.
_BOARDS: dict[str, Box] = {
    f"{_GRID}#r1c1": (0.20, 0.0, 0.82, 0.96), f"{_GRID}#r1c2": (0.28, 0.39, 0.62, 0.99),
    f"{_GRID}#r1c3": (0.56, 0.17, 1.0, 0.84), f"{_GRID}#r1c4": (0.39, 0.42, 0.72, 0.96),
    f"{_GRID}#r2c1": (0.31, 0.22, 0.51, 0.64), f"{_GRID}#r2c2": (0.0, 0.33, 0.73, 1.0),
    f"{_GRID}#r2c3": (0.42, 0.0, 0.83, 0.75), f"{_GRID}#r2c4": (0.16, 0.14, 0.59, 0.63),
}
#: boards with empty fields and where their writing areas are (fractions of the picture), the ink
#: a marker / chalk leaves on them, and the board's tilt in degrees (counter-clockwise)
_WRITABLE: dict[str, tuple[dict[str, Box], str, float]] = {
    f"{_GRID}#r1c3": ({"roll": (0.597, 0.336, 0.650, 0.447), "scene": (0.674, 0.336, 0.828, 0.447),
                       "take": (0.851, 0.336, 0.960, 0.447), "prod": (0.600, 0.462, 0.955, 0.518)}, "dark", 0.0),
    f"{_GRID}#r2c2": ({"roll": (0.025, 0.715, 0.165, 0.868), "scene": (0.200, 0.752, 0.447, 0.892),
                       "take": (0.488, 0.805, 0.650, 0.913)}, "dark", -3.0),
    "slate_web_shotboard_product.jpg": ({"date": (0.125, 0.826, 0.350, 0.878), "scene": (0.366, 0.826, 0.664, 0.878),
                                         "take": (0.682, 0.826, 0.908, 0.878), "prod": (0.492, 0.462, 0.908, 0.522),
                                         "director": (0.402, 0.552, 0.908, 0.608),
                                         "camera": (0.382, 0.642, 0.908, 0.698)}, "light", 0.0),
}
#: pictures of a board alone on white: composited over the running clip (the others fill the frame)
_CUTOUTS: frozenset[str] = frozenset({"slate_web_shotboard_product.jpg"})
_MAX_PICTURE_SIDE = 1600
_INKS = {"dark": ((20, 20, 25), (25, 40, 140), (30, 30, 30), (120, 25, 25)), "light": ((236, 236, 228),)}


# --------------------------------------------------------------------------------------
# Real parts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SlatePicture:
    """A real slate picture: RGB pixels, the legible field values, where the board is."""

    name: str
    image: U8
    truth: dict[str, str]
    """Legible fields (``roll``, ``scene``, ``take``, ``prod``, ...) from gt/slate_transcriptions.json."""
    board: Box = (0.0, 0.0, 1.0, 1.0)
    writable: dict[str, Box] = field(default_factory=dict, hash=False)
    ink: str = "dark"
    tilt: float = 0.0
    cutout: bool = False


def _decode_audio(path: Path, rate: int) -> F32:
    """A whole recording as float32 mono at ``rate`` (PyAV's resampler)."""
    import av

    parts: list[F32] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rs = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            parts.extend(np.asarray(o.to_ndarray(), np.float32).reshape(-1) for o in rs.resample(frame))
        parts.extend(np.asarray(o.to_ndarray(), np.float32).reshape(-1) for o in rs.resample(None))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def _frame_rms(x: F32, win: int) -> npt.NDArray[np.float64]:
    n = x.size // win
    out: npt.NDArray[np.float64] = np.sqrt(np.mean(x[: n * win].astype(np.float64).reshape(n, win) ** 2, axis=1)
                                           + 1e-20)
    return out


def _fade(x: F32, rate: int, in_s: float = 0.004, out_s: float = 0.01) -> F32:
    y = x.astype(np.float32).copy()
    a, b = min(y.size // 2, max(1, int(in_s * rate))), min(y.size // 2, max(1, int(out_s * rate)))
    y[:a] *= np.linspace(0.0, 1.0, a, dtype=np.float32)
    y[y.size - b :] *= np.linspace(1.0, 0.0, b, dtype=np.float32)
    return y


def speech_onset(x: F32, rate: int, below_peak_db: float = 25.0) -> float:
    """Seconds to the first 5 ms frame whose RMS is within ``below_peak_db`` of the loudest one."""
    rms = _frame_rms(x, max(1, int(0.005 * rate)))
    if not rms.size:
        return 0.0
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-below_peak_db / 20))
    return float(loud[0]) * 0.005


class RealParts:
    """The real media of a ``../shared/data`` folder, loaded on demand (raises
    :class:`~rushes.errors.MediaNotFound` naming what is missing)."""

    def __init__(self, data_dir: Path | str | None = None, clips: Sequence[str] | None = None) -> None:
        self.data = _resolve_data_dir(data_dir)
        needed = [self.data / "audio" / CUT_WORD[0], self.data / _ALIGNMENTS,
                  self.data / "gt" / "slate_transcriptions.json"]
        missing = [str(p) for p in needed if not p.is_file()]
        if missing:
            raise MediaNotFound("the real-parts reel needs these files of the shared data set: " + ", ".join(missing))
        wanted = list(clips) if clips is not None else list(DEFAULT_CLIPS)
        self.clips = [self.data / "video" / c for c in wanted if (self.data / "video" / c).is_file()]
        if clips is not None and len(self.clips) < len(wanted):
            absent = [c for c in wanted if not (self.data / "video" / c).is_file()]
            raise MediaNotFound(f"clips not found in {self.data / 'video'}: {', '.join(absent)}")
        if len(self.clips) < 2:
            raise MediaNotFound(f"need at least two video clips in {self.data / 'video'}, found {len(self.clips)}")
        self._alignments: dict[str, Any] = json.loads((self.data / _ALIGNMENTS).read_text(encoding="utf-8"))["files"]

    @functools.cached_property
    def slates(self) -> list[SlatePicture]:
        """Every real slate picture with its legible fields (panels of the grid one by one)."""
        from rushes.triage.slate.evaluate import real_slate_images

        out: list[SlatePicture] = []
        for name, image, truth in real_slate_images(self.data):
            h, w = image.shape[:2]
            if max(h, w) > _MAX_PICTURE_SIDE:
                image = _resize(image, _MAX_PICTURE_SIDE / max(h, w))
            boxes, ink, tilt = _WRITABLE.get(name, ({}, "dark", 0.0))
            out.append(SlatePicture(name, image, dict(truth), _BOARDS.get(name, (0.0, 0.0, 1.0, 1.0)), dict(boxes),
                                    ink, tilt, name in _CUTOUTS))
        if not out:
            raise MediaNotFound(f"no real slate pictures (images/slate_*) with transcriptions in {self.data}")
        return out

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one RealParts per reel; the cache dies with it
    def recording(self, name: str, rate: int) -> F32:
        """A recording of ``data/audio`` as mono float32 at ``rate``."""
        path = self.data / "audio" / name
        if not path.is_file():
            raise MediaNotFound(f"{path}: no such recording")
        return _decode_audio(path, rate)

    def word(self, name: str, word: str, rate: int) -> tuple[F32, float]:
        """One word cut out of a recording at its forced-alignment times; returns the samples
        and the onset (seconds into them).  Both boundaries snap to the quietest 5 ms frame
        within ±40 ms, so the cut falls in the gap (or the closure) between words."""
        entry = self._alignments.get(name)
        hits = [w for w in (entry or {}).get("words", []) if str(w["word"]).lower() == word]
        if not hits:
            raise MediaNotFound(f"no word timing for {word!r} in {name} ({_ALIGNMENTS})")
        x = self.recording(name, rate)
        a, b = _snap_quiet(x, rate, float(hits[0]["start"])), _snap_quiet(x, rate, float(hits[0]["end"]))
        clip = _fade(x[a:b], rate)
        return clip, speech_onset(clip, rate)

    def sentence(self, name: str, rate: int) -> tuple[F32, str]:
        """A whole recorded sentence (silence trimmed) and its text from gt/."""
        text = self.text(name)
        return trim_silence(self.recording(name, rate), rate, threshold_db=-40.0), text

    def text(self, name: str) -> str:
        """The transcript of a recording (forced-alignment file, LibriVox text, or the published text)."""
        if name in self._alignments:
            return str(self._alignments[name]["text"])
        stem = Path(name).stem
        if stem.startswith("ps_librivox_"):
            p = self.data / "gt" / "pocketsphinx_librivox" / (stem.removeprefix("ps_librivox_") + ".txt")
            if p.is_file():
                return " ".join(p.read_text(encoding="utf-8").split())
        doc = json.loads((self.data / "gt" / "speech_transcripts.json").read_text(encoding="utf-8"))
        entry = doc.get(name)
        if isinstance(entry, dict) and entry.get("published_text"):
            return str(entry["published_text"])
        raise MediaNotFound(f"no transcript for {name} under {self.data / 'gt'}")

    def available_sentences(self) -> list[str]:
        """The :data:`SENTENCES` present in this data folder."""
        return [s for s in SENTENCES if (self.data / "audio" / s).is_file()]

    def available_near_misses(self) -> list[tuple[str, str]]:
        """The :data:`NEAR_MISSES` whose recording and timing are present."""
        out = []
        for name, word in NEAR_MISSES:
            words = self._alignments.get(name, {}).get("words", [])
            if (self.data / "audio" / name).is_file() and any(str(w["word"]).lower() == word for w in words):
                out.append((name, word))
        return out


def _resolve_data_dir(data_dir: Path | str | None) -> Path:
    if data_dir is not None:
        p = Path(data_dir)
        if not p.is_dir():
            raise MediaNotFound(f"{p}: the shared data folder (../shared/data) is not there")
        return p
    env = os.environ.get("RUSHES_SHARED_DATA")
    here = Path(__file__).resolve()
    for c in ([Path(env)] if env else []) + [here.parents[3].parent / "shared" / "data",
                                             Path.cwd().parent / "shared" / "data"]:
        if c.is_dir():
            return c
    raise MediaNotFound("the real-parts reel reads ../shared/data (videos, audio, slate images, gt/) at run time: "
                        "pass --data DIR or set RUSHES_SHARED_DATA")


def _snap_quiet(x: F32, rate: int, t: float, radius_s: float = 0.04) -> int:
    """Sample index of the quietest 5 ms frame centred within ``radius_s`` of ``t``."""
    win = max(1, int(0.005 * rate))
    lo = max(0, int((t - radius_s) * rate))
    hi = min(x.size, int((t + radius_s) * rate) + win)
    if hi - lo < 2 * win:
        return int(np.clip(round(t * rate), 0, x.size))
    starts = np.arange(lo, hi - win, max(1, win // 5))
    energy = np.array([float(np.sum(x[s : s + win].astype(np.float64) ** 2)) for s in starts])
    return int(starts[int(np.argmin(energy))] + win // 2)


# --------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------


def _cv() -> Any:
    import cv2

    return cv2


def _resize(img: U8, scale: float) -> U8:
    cv2 = _cv()
    h, w = img.shape[:2]
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(img, size, interpolation=interp), dtype=np.uint8)


def _cover(img: U8, width: int, height: int) -> U8:
    """Scale ``img`` to cover ``width`` x ``height`` and crop the centre."""
    h, w = img.shape[:2]
    s = max(width / w, height / h)
    scaled = _resize(img, s) if abs(s - 1) > 1e-6 else img
    sh, sw = scaled.shape[:2]
    y0, x0 = max(0, (sh - height) // 2), max(0, (sw - width) // 2)
    out = scaled[y0 : y0 + height, x0 : x0 + width]
    if out.shape[:2] != (height, width):  # rounding: stretch the last pixel or two
        out = _cv().resize(out, (width, height), interpolation=_cv().INTER_LINEAR)
    return np.ascontiguousarray(out, dtype=np.uint8)


@functools.lru_cache(maxsize=64)
def clip_duration(path: Path) -> float:
    """Duration of a video stream in seconds (decoded when the container does not say)."""
    import av

    with av.open(str(path)) as c:
        st = c.streams.video[0]
        if st.duration is not None and st.time_base is not None:
            return float(st.duration * st.time_base)
        if c.duration is not None:
            return float(c.duration / 1_000_000)
        last = 0.0
        for frame in c.decode(st):
            if frame.time is not None:
                last = float(frame.time)
        rate = float(st.average_rate) if st.average_rate else 25.0
        return last + 1.0 / rate


class _ClipStream:
    """Frames of a real clip in display order, sampled at requested times (seconds into the
    clip, increasing; wraps to the start past the end), scaled to cover the output."""

    def __init__(self, path: Path, width: int, height: int, start_s: float) -> None:
        self.path, self.w, self.h = path, width, height
        self.duration = max(0.2, clip_duration(path))
        self._c: Any = None
        self._open(start_s % self.duration)

    def _open(self, start_s: float) -> None:
        import av

        self.close()
        self._c = av.open(str(self.path))
        st = self._c.streams.video[0]
        st.thread_type = "AUTO"
        self._t0 = float(st.start_time * st.time_base) if st.start_time is not None and st.time_base else 0.0
        if start_s > 1.0 and st.time_base:
            self._c.seek(int((start_s + self._t0) / st.time_base), stream=st, backward=True)
        self._frames: Iterator[Any] = self._c.decode(st)
        self._cur: Any = None
        self._next: Any = self._pull()
        self._img: U8 | None = None
        self._last_t = -1.0

    def _pull(self) -> Any:
        for frame in self._frames:
            return frame
        return None

    def _time(self, frame: Any) -> float:
        return float(frame.time) - self._t0 if frame.time is not None else 0.0

    def frame_at(self, t: float) -> U8:
        """The picture displayed ``t`` seconds into the clip (modulo its duration)."""
        t = t % self.duration
        if t < self._last_t - 1e-6:
            self._open(0.0)
        self._last_t = t
        while self._next is not None and (self._cur is None or self._time(self._next) <= t + 1e-6):
            self._cur, self._next, self._img = self._next, self._pull(), None
        if self._cur is None:  # nothing decodable: a grey frame
            return np.full((self.h, self.w, 3), 96, np.uint8)
        if self._img is None:
            f = self._cur
            s = max(self.w / f.width, self.h / f.height)
            cw, ch = max(self.w, math.ceil(f.width * s)), max(self.h, math.ceil(f.height * s))
            rgb = np.asarray(f.reformat(width=cw, height=ch, format="rgb24").to_ndarray(), np.uint8)
            y0, x0 = (ch - self.h) // 2, (cw - self.w) // 2
            self._img = np.ascontiguousarray(rgb[y0 : y0 + self.h, x0 : x0 + self.w])
        return self._img

    def close(self) -> None:
        if self._c is not None:
            self._c.close()
            self._c = None


def _write_fields(pic: SlatePicture, values: dict[str, str], rng: np.random.Generator) -> U8:
    """The picture with ``values`` written by hand into its empty fields."""
    from PIL import Image, ImageFilter

    from rushes.triage.slate.synth import write_by_hand

    h, w = pic.image.shape[:2]
    img = Image.fromarray(pic.image)
    inks = _INKS[pic.ink]
    ink = inks[int(rng.integers(0, len(inks)))]
    layer = Image.new("RGB", img.size, (0, 0, 0))
    mask = Image.new("L", img.size, 0)
    for name, text in values.items():
        box = pic.writable.get(name)
        if box is None or not text:
            continue
        x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
        tile = Image.new("RGB", (int(x1 - x0) + 1, int(y1 - y0) + 1), (0, 0, 0))
        write_by_hand(tile, (0, 0, tile.width, tile.height), text, rng, ink=(255, 255, 255), max_h=0.8)
        alpha = tile.convert("L")
        if pic.tilt:
            alpha = alpha.rotate(pic.tilt, resample=Image.Resampling.BICUBIC, expand=False)
        mask.paste(alpha, (int(x0), int(y0)), alpha)
    layer.paste(Image.new("RGB", img.size, ink), (0, 0))
    # the pictures are soft screenshots: blur the ink to their sharpness
    mask = mask.filter(ImageFilter.GaussianBlur(radius=max(0.6, w / 1400)))
    img.paste(layer, (0, 0), mask)
    return np.asarray(img, np.uint8)


def _turn_board(img: U8, board: Box) -> U8:
    """Turn the board region upside down (a tail slate), the rest of the picture as it was."""
    h, w = img.shape[:2]
    x0, y0 = int(board[0] * w), int(board[1] * h)
    x1, y1 = max(x0 + 2, int(board[2] * w)), max(y0 + 2, int(board[3] * h))
    out = img.copy()
    out[y0:y1, x0:x1] = img[y0:y1, x0:x1][::-1, ::-1]
    return out


def _cutout_alpha(img: U8) -> npt.NDArray[np.float32]:
    """Alpha of a board photographed on white: 0 on the white that touches the border."""
    cv2 = _cv()
    white = (img.min(axis=2) > 232).astype(np.uint8)
    h, w = white.shape
    fill = white.copy()
    mask = np.zeros((h + 2, w + 2), np.uint8)
    for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        if fill[y, x] == 1:
            cv2.floodFill(fill, mask, (x, y), 2)
    board = (fill != 2).astype(np.uint8) * 255
    board = cv2.erode(board, np.ones((3, 3), np.uint8))
    return np.asarray(cv2.GaussianBlur(board, (0, 0), 1.0), np.float32) / 255.0


class _Look:
    """Per-take camera and light: exposure, flicker, gamma, colour cast, focus, sensor noise."""

    def __init__(self, rng: np.random.Generator, width: int, height: int) -> None:
        self.gain = float(rng.uniform(0.75, 1.12))
        self.flicker = float(rng.uniform(0.0, 0.05))
        self.flicker_hz = float(rng.uniform(0.3, 1.5))
        self.gamma = float(rng.uniform(0.85, 1.18))
        self.cast = rng.uniform(0.93, 1.07, 3)
        self.focus = float(rng.uniform(0.0, 1.3)) if rng.random() < 0.5 else 0.0
        sigma = float(rng.uniform(1.0, 4.0))
        self.noise = [np.asarray(rng.normal(0, sigma, (height, width, 3)), np.int16) for _ in range(3)]

    def apply(self, img: U8, t: float, index: int) -> U8:
        cv2 = _cv()
        g = self.gain * (1.0 + self.flicker * math.sin(2 * math.pi * self.flicker_hz * t))
        levels = np.arange(256, dtype=np.float32) / 255.0
        lut = np.stack([np.clip(255.0 * levels**self.gamma * g * c, 0, 255) for c in self.cast], axis=1)
        out = cv2.LUT(img, lut.astype(np.uint8).reshape(256, 1, 3))
        out16 = out.astype(np.int16) + self.noise[index % len(self.noise)]
        return np.ascontiguousarray(np.clip(out16, 0, 255), dtype=np.uint8)


class _Motion:
    """Hand-held camera (or hand-held board): slow push-in, wobble, small rotation, keystone."""

    def __init__(self, rng: np.random.Generator, width: int, height: int, hold_s: float, strength: float) -> None:
        self.w, self.h, self.hold = width, height, max(0.5, hold_s)
        self.push = float(rng.uniform(-0.01, 0.05)) * strength
        self.rot0 = float(rng.normal(0, 1.2)) * strength
        self.amp = [float(rng.uniform(0.002, 0.010)) * width * strength for _ in range(2)]
        self.freq = [float(rng.uniform(0.3, 1.3)) for _ in range(2)]
        self.phase = [float(rng.uniform(0, 2 * math.pi)) for _ in range(3)]
        self.rot_amp = float(rng.uniform(0.1, 0.8)) * strength
        self.keystone = (float(rng.uniform(-1, 1)) * 0.06 * strength / width,
                         float(rng.uniform(-1, 1)) * 0.06 * strength / height)

    def matrix(self, t: float, src_w: int, src_h: int, base_scale: float, cx: float, cy: float) -> npt.NDArray[Any]:
        """3x3 homography from source pixels to output pixels at ``t`` seconds into the hold;
        the source centre lands on (cx, cy) plus the wobble."""
        s = base_scale * (1.0 + self.push * min(1.0, t / self.hold))
        th = math.radians(self.rot0 + self.rot_amp * math.sin(2 * math.pi * 0.4 * t + self.phase[2]))
        dx = self.amp[0] * math.sin(2 * math.pi * self.freq[0] * t + self.phase[0])
        dy = self.amp[1] * math.sin(2 * math.pi * self.freq[1] * t + self.phase[1])
        c_src = np.array([[1, 0, -src_w / 2], [0, 1, -src_h / 2], [0, 0, 1]], np.float64)
        persp = np.array([[1, 0, 0], [0, 1, 0], [self.keystone[0] / s, self.keystone[1] / s, 1]], np.float64)
        rs = np.array([[s * math.cos(th), -s * math.sin(th), 0], [s * math.sin(th), s * math.cos(th), 0], [0, 0, 1]])
        t_dst = np.array([[1, 0, cx + dx], [0, 1, cy + dy], [0, 0, 1]], np.float64)
        m: npt.NDArray[Any] = t_dst @ rs @ persp @ c_src
        return m


class _SlateShot:
    """A real slate picture filling the frame (or a board cut out of white, over the running
    clip), moved by :class:`_Motion` and lit by :class:`_Look`."""

    def __init__(self, image: U8, cutout: bool, rng: np.random.Generator, width: int, height: int,
                 hold_s: float) -> None:
        cv2 = _cv()
        self.w, self.h, self.cutout = width, height, cutout
        self.look = _Look(rng, width, height)
        if cutout:
            alpha = _cutout_alpha(image)
            frac = float(rng.uniform(0.5, 0.8))
            scale = frac * height / image.shape[0]
            self.src = _resize(image, scale)
            self.alpha = np.asarray(cv2.resize(alpha, (self.src.shape[1], self.src.shape[0]),
                                               interpolation=cv2.INTER_AREA), np.float32)
            self.base_scale = 1.0
            half_w = self.src.shape[1] / 2 / width
            self.cx = width * float(rng.uniform(max(0.3, half_w), min(0.7, 1 - half_w))) if half_w < 0.5 else width / 2
            self.cy = height * float(rng.uniform(0.45, 0.58))
            self.motion = _Motion(rng, width, height, hold_s, strength=1.6)
        else:
            margin = 1.12
            self.src = _cover(image, int(width * margin) // 2 * 2, int(height * margin) // 2 * 2)
            self.alpha = np.zeros((0, 0), np.float32)
            self.base_scale = max(width / self.src.shape[1], height / self.src.shape[0]) * 1.02
            self.cx, self.cy = width / 2, height / 2
            self.motion = _Motion(rng, width, height, hold_s, strength=1.0)
        if self.look.focus > 0:
            self.src = np.asarray(cv2.GaussianBlur(self.src, (0, 0), self.look.focus), np.uint8)

    def frame(self, t: float, index: int, base: U8 | None) -> U8:
        cv2 = _cv()
        m = self.motion.matrix(t, self.src.shape[1], self.src.shape[0], self.base_scale, self.cx, self.cy)
        if not self.cutout:
            out = cv2.warpPerspective(self.src, m, (self.w, self.h), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REFLECT)
            return self.look.apply(np.asarray(out, np.uint8), t, index)
        board = cv2.warpPerspective(self.src, m, (self.w, self.h), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT)
        a = cv2.warpPerspective(self.alpha, m, (self.w, self.h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
        lit = self.look.apply(np.asarray(board, np.uint8), t, index).astype(np.float32)
        under = base.astype(np.float32) if base is not None else np.full_like(lit, 96.0)
        return np.ascontiguousarray(np.clip(lit * a + under * (1 - a), 0, 255), dtype=np.uint8)


# --------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------


@dataclass
class _Span:
    """What is on screen from ``start`` to ``end`` seconds: a clip (from ``src_t`` on) and/or a slate."""

    kind: str  # setup | slate | scene | reset | tail_slate
    start: float
    end: float
    clip: Path | None = None
    src_t: float = 0.0
    slate: _SlateShot | None = None
    source: str = ""


@dataclass
class _Utterance:
    """A phrase in the mix: samples, where (seconds), who (director/crew/actor) and its truth."""

    audio: F32
    t: float
    speaker: str
    word: str
    onset: float = 0.0
    """Seconds from the start of ``audio`` to the word's onset."""
    source: str | None = None


@dataclass
class _TakePlan:
    start: float
    end: float
    action: float
    cut: float
    slate_t: float
    slate_end: float
    clap: float
    tail: bool
    picture: str
    roll_read: str | None
    scene: str | None
    take: str | None
    fields: SlateFields | None
    spans: list[_Span] = field(default_factory=list)
    says: list[_Utterance] = field(default_factory=list)


def _roll_variants(roll_no: int, camera: str, rng: np.random.Generator) -> str:
    """How a roll is written on a slate: ``A004``, ``4``, ``A4`` or ``004``."""
    r = rng.random()
    if r < 0.45:
        return f"{camera}{roll_no:03d}"
    if r < 0.7:
        return str(roll_no)
    if r < 0.85:
        return f"{camera}{roll_no}"
    return f"{roll_no:03d}"


class _Voice:
    """The spoken parts at one sample rate: TTS phrases, the real "cut", real sentences and words."""

    def __init__(self, parts: RealParts, rate: int) -> None:
        self.parts, self.rate = parts, rate

    def _vary(self, x: F32, rng: np.random.Generator, spread: float = 0.05) -> F32:
        """Re-pitch by up to ``spread`` (a different take of the same call)."""
        f = float(rng.uniform(1 - spread, 1 + spread))
        return resample(x, self.rate, max(1000, round(self.rate * f)))

    def tts(self, text: str, rng: np.random.Generator) -> F32:
        return self._vary(synthesize(text, self.rate), rng)

    def cut(self, rng: np.random.Generator) -> tuple[F32, float]:
        clip, onset = self.parts.word(*CUT_WORD, self.rate)
        f = float(rng.uniform(0.95, 1.05))
        return resample(clip, self.rate, max(1000, round(self.rate * f))), onset * f

    def near_miss(self, name: str, word: str, rng: np.random.Generator) -> tuple[F32, float]:
        clip, onset = self.parts.word(name, word, self.rate)
        return self._vary(clip, rng, 0.03), onset

    def sentence(self, name: str) -> tuple[F32, str]:
        return self.parts.sentence(name, self.rate)


def _say(says: list[_Utterance], audio: F32, t: float, speaker: str, word: str, rate: int, *, onset: float = 0.0,
         source: str | None = None, gap: float = 0.15, force: bool = False) -> bool:
    """Add a phrase unless it would overlap one already there (``force``: add anyway)."""
    end = t + audio.size / rate
    if not force and any(t < u.t + u.audio.size / rate + gap and u.t < end + gap for u in says):
        return False
    says.append(_Utterance(audio, t, speaker, word, onset, source))
    return True


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _plan_take(
    t0: float, rng: np.random.Generator, *, voice: _Voice, pic: SlatePicture, image: U8, tail: bool,
    chatter: tuple[Path, float], scene_clip: tuple[Path, float], sentences: Sequence[str],
    near_misses: Sequence[tuple[str, str]], width: int, height: int, rate: int,
) -> _TakePlan:
    """Lay out one take from ``t0``: pictures (spans) and sound (utterances), in seconds."""
    says: list[_Utterance] = []
    spans: list[_Span] = []
    chat_clip, chat_t = chatter
    setup = _u(rng, 2.5, 4.5)
    shown = _turn_board(image, pic.board) if tail and not pic.cutout else (image[::-1, ::-1].copy() if tail else image)
    hold = _u(rng, 2.0, 4.0) if not tail else _u(rng, 2.2, 3.5)
    shot = _SlateShot(shown, pic.cutout, rng, width, height, hold)

    # actors' lines first: they decide how long the take must be
    lines: list[tuple[F32, str, str]] = []
    for name in rng.permutation(list(sentences))[: 1 if rng.random() < 0.55 else 2]:
        audio, text = voice.sentence(str(name))
        lines.append((audio, text, str(name)))
    talk = sum(a.size / rate for a, _t, _n in lines) + 0.6 * len(lines)
    length = max(_u(rng, 6.0, 11.0), talk + 2.0)

    if not tail:
        slate_t = t0 + setup
        clap = slate_t + hold * _u(rng, 0.35, 0.7)
        slate_end = slate_t + hold
        action = slate_end + _u(rng, 0.3, 1.2)
        cut = action + length
        scene_end = cut + _u(rng, 0.5, 1.2)
        spans.append(_Span("setup", t0, slate_t, chat_clip, chat_t, source=chat_clip.name))
        base = _Span("slate", slate_t, slate_end, chat_clip if pic.cutout else None, chat_t + (slate_t - t0),
                     shot, pic.name)
        spans.append(base)
        spans.append(_Span("scene", slate_end, scene_end, scene_clip[0], scene_clip[1], source=scene_clip[0].name))
        end_pictures = scene_end
    else:
        scene_t = t0 + setup
        action = scene_t + _u(rng, 0.4, 1.2)
        slate_t = action + length - _u(rng, 0.6, 1.2) - hold * 0.6
        slate_t = max(slate_t, action + talk + 0.8)
        clap = slate_t + hold * _u(rng, 0.35, 0.55)
        cut = clap + _u(rng, 0.5, 1.0)
        slate_end = slate_t + hold
        spans.append(_Span("setup", t0, scene_t, chat_clip, chat_t, source=chat_clip.name))
        spans.append(_Span("scene", scene_t, slate_t, scene_clip[0], scene_clip[1], source=scene_clip[0].name))
        spans.append(_Span("tail_slate", slate_t, slate_end, chat_clip if pic.cutout else None,
                           chat_t + (slate_t - t0), shot, pic.name))
        end_pictures = max(slate_end, cut + 0.3)
        if end_pictures > slate_end:
            spans.append(_Span("scene", slate_end, end_pictures, scene_clip[0], scene_clip[1] + (slate_end - scene_t),
                               source=scene_clip[0].name))
    reset = _u(rng, 2.0, 3.5)
    end = end_pictures + reset
    spans.append(_Span("reset", end_pictures, end, chat_clip, chat_t + (end_pictures - t0), source=chat_clip.name))

    # the take-defining calls, always present, placed on the sample grid (so the truth is exact)
    action_audio = voice.tts("Action!", rng)
    action = round(action * rate) / rate
    _say(says, action_audio, action, "director", "action", rate, force=True)
    cut_audio, cut_onset = voice.cut(rng)
    cut = round((cut - cut_onset) * rate) / rate + cut_onset
    _say(says, cut_audio, cut - cut_onset, "director", "cut", rate, onset=cut_onset, source=CUT_WORD[0], force=True)
    # dialogue inside the take
    at = action + action_audio.size / rate + _u(rng, 0.6, 1.2)
    for audio, text, name in lines:
        room = (cut - cut_onset - 0.5) - (at + audio.size / rate)
        if room < 0:
            break
        at += _u(rng, 0.0, min(room, 1.5)) if len(lines) == 1 else 0.0
        _say(says, audio, at, "actor", text, rate, source=name, force=True)
        at += audio.size / rate + _u(rng, 0.4, 0.8)
    # crew calls around the slate
    if rng.random() < 0.75:
        _say(says, voice.tts("Rolling!", rng), max(t0 + 0.2, (slate_t if not tail else action) - _u(rng, 2.2, 2.8)),
             "crew", "rolling", rate)
    if rng.random() < 0.6:
        _say(says, voice.tts("Speed!", rng), max(t0 + 0.2, (slate_t if not tail else action) - _u(rng, 1.0, 1.3)),
             "crew", "speed", rate)
    if rng.random() < 0.7:
        mark = voice.tts("Mark!" if not tail else "Tail slate!", rng)
        t_mark = clap - mark.size / rate - _u(rng, 0.15, 0.4)
        if t_mark > slate_t - 0.3:
            _say(says, mark, t_mark, "crew", "mark" if not tail else "tail slate", rate)
    if rng.random() < 0.5:
        _say(says, voice.tts("Reset!", rng), max(cut + 1.0, end_pictures + _u(rng, 0.1, 0.6)), "crew", "reset", rate)
    if near_misses and rng.random() < 0.4:
        name, word = near_misses[int(rng.integers(0, len(near_misses)))]
        audio, onset = voice.near_miss(name, word, rng)
        _say(says, audio, end_pictures + _u(rng, 0.3, max(0.4, reset - 0.6)), "actor", word, rate, onset=onset,
             source=name)
    says.sort(key=lambda u: u.t)
    return _TakePlan(start=t0, end=end, action=action, cut=cut, slate_t=slate_t, slate_end=slate_end, clap=clap,
                     tail=tail, picture=pic.name, roll_read=None, scene=None, take=None, fields=None, spans=spans,
                     says=says)


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def _mix(takes: Sequence[_TakePlan], n_samples: int, rate: int, rng: np.random.Generator,
         director_snr_db: float | None) -> tuple[F32, list[WordTruth]]:
    """Noise bed + claps + every phrase (director/crew distant and reverberant, actors close)."""
    noise_rms = _db(_DISTANT_NOISE_DB if director_snr_db is not None else _CLEAN_NOISE_DB)
    audio = _pinkish(rng, n_samples, rate, noise_rms)
    words: list[WordTruth] = []
    for take in takes:
        at = round(take.clap * rate)
        click = _clap(rng, rate)
        if at < n_samples:
            audio[at : min(n_samples, at + click.size)] += click[: min(n_samples, at + click.size) - at]
        for u in take.says:
            clip = u.audio.astype(np.float32)
            voiced = clip[round(u.onset * rate) :]
            rms = float(np.sqrt(np.mean(voiced.astype(np.float64) ** 2))) if voiced.size else 0.0
            if rms <= 0:
                continue
            if u.speaker == "actor":
                wet = clip * (_db(_ACTOR_RMS_DB) / rms)
            elif director_snr_db is None:
                wet = clip * (_db(_VOICE_RMS_DB) / rms)
            else:
                wet = _reverb((clip * (noise_rms * _db(director_snr_db) / rms)).astype(np.float32), rng, rate)
            s = round(u.t * rate)
            e = min(n_samples, s + wet.size)
            if s >= n_samples or e <= s or s < 0:
                continue
            audio[s:e] += wet[: e - s]
            words.append(WordTruth(u.word, (s / rate) + u.onset, min(n_samples, s + clip.size) / rate, u.speaker,
                                   u.source))
    np.clip(audio, -1.0, 1.0, out=audio)
    words.sort(key=lambda w: w.start)
    return audio, words


def _picture_fn(spans: Sequence[_Span], width: int, height: int, fps: Fraction) -> tuple[Callable[[int], U8],
                                                                                        Callable[[], None]]:
    """Per-frame picture function over the spans (frames asked in increasing order) and a closer."""
    starts = [s.start for s in spans]
    current: list[int] = [-1]
    stream: list[_ClipStream | None] = [None]

    def close() -> None:
        if stream[0] is not None:
            stream[0].close()
            stream[0] = None

    def picture(i: int) -> U8:
        t = float(Fraction(i) / fps)
        k = max(0, min(len(spans) - 1, _bisect(starts, t)))
        span = spans[k]
        if k != current[0]:
            close()
            current[0] = k
            if span.clip is not None:
                stream[0] = _ClipStream(span.clip, width, height, span.src_t)
        local = t - span.start
        src = stream[0]
        base = src.frame_at(span.src_t + local) if src is not None else None
        if span.slate is not None:
            return span.slate.frame(local, i, base)
        if base is None:
            return np.full((height, width, 3), 96, np.uint8)
        return base

    return picture, close


def _bisect(starts: Sequence[float], t: float) -> int:
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= t + 1e-9:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def generate_real_reel(
    out_dir: Path | str,
    data_dir: Path | str | None = None,
    *,
    files: int = 3,
    takes_per_file: int = 4,
    seed: int = 0,
    width: int = 640,
    height: int = 360,
    fps: Fraction | int | float | str = Fraction(24),
    director_snr_db: float | None = 20.0,
    sample_rate: int = 48000,
    tail_slate_share: float = 0.2,
    write_fields: bool = True,
    clips: Sequence[str] | None = None,
    camera: str = "A",
    crf: int = 20,
    preset: str = "ultrafast",
    gop_seconds: float = 0.5,
    progress: Callable[[str], None] | None = None,
) -> ReelTruth:
    """Generate ``files`` camera files of ``takes_per_file`` takes from the real parts in
    ``data_dir`` (default ``$RUSHES_SHARED_DATA`` or ``../shared/data``) into ``out_dir``; write
    ``truth.json`` and return it (see the module docstring).

    ``director_snr_db``: the director and crew this many dB (RMS over the word) above the
    -40 dBFS noise bed, with reverb; ``None`` = clean close speech over -60 dBFS.
    ``tail_slate_share``: share of takes slated at the end, upside down, instead of the head
    (never the first take of a file).  ``write_fields``: write roll/scene/take by hand on the
    real boards whose fields are empty (else their fields are ``null`` in the truth).
    ``clips``: video file names of ``data_dir/video`` to use (default :data:`DEFAULT_CLIPS`).

    Raises :class:`~rushes.errors.MediaNotFound` when the data folder or a needed file is
    missing, :class:`~rushes.errors.ModelNotAvailable` when no offline TTS voice is installed.
    """
    if files < 1 or takes_per_file < 1:
        raise ValueError("need at least one file and one take per file")
    if width < 64 or height < 64 or width % 2 or height % 2:
        raise ValueError(f"frame size must be even and at least 64x64, not {width}x{height}")
    if not 0.0 <= tail_slate_share <= 1.0:
        raise ValueError("tail_slate_share must be within 0..1")
    if len(camera) != 1 or camera not in string.ascii_uppercase:
        raise ValueError(f"camera must be one capital letter, not {camera!r}")
    fps = parse_rate(fps)
    parts = RealParts(data_dir, clips)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    voice = _Voice(parts, sample_rate)
    sentences = parts.available_sentences()
    if not sentences:
        raise MediaNotFound(f"no recorded sentences ({', '.join(SENTENCES[:3])}, ...) in {parts.data / 'audio'}")
    near = parts.available_near_misses()
    deck = parts.slates

    rng = np.random.default_rng([seed, 0])
    date = _dt.date(2026, 11, 22) + _dt.timedelta(days=int(seed) % 240)
    date_text = f"{date.month}/{date.day}/{date.year % 100:02d}"
    prod, director = str(rng.choice(list(_PRODUCTIONS))), str(rng.choice(list(_DIRECTORS)))
    order = [int(i) for i in rng.permutation(len(deck))]
    # which picture slates which take: the deck shuffled, dealt in turn
    assignment = [[deck[order[(fi * takes_per_file + k) % len(deck)]] for k in range(takes_per_file)]
                  for fi in range(files)]
    used_rolls: set[int] = set()
    used_scenes: set[str] = {p.truth["scene"].upper() for p in deck if "scene" in p.truth}
    clip_no = int(rng.integers(1, 20))
    tod = 8 * 3600 + 30 * 60 + float(rng.uniform(0, 1800))
    truth_files: dict[str, FileTruth] = {}
    for fi in range(files):
        frng = np.random.default_rng([seed, fi, 2])
        # the camera roll agrees with the first legible roll on this file's slates, as on set
        legible = [int(d) for p in assignment[fi] if (d := "".join(c for c in p.truth.get("roll", "") if c.isdigit()))]
        roll_no = legible[0] if legible else int(frng.integers(1, 30))
        while not legible and roll_no in used_rolls:
            roll_no = int(frng.integers(1, 30))
        used_rolls.add(roll_no)
        clip_no += 1
        roll = f"{camera}{roll_no:03d}"
        card = f"R{int(frng.integers(1, 10))}" + "".join(str(c) for c in frng.choice(list(string.ascii_uppercase), 2))
        name = camera_file_name(camera, roll_no, clip_no, date, card, "mp4")
        scene = _next_scene(frng, used_scenes)
        used_scenes.add(scene)
        take_no = 0
        t = 0.0
        plans: list[_TakePlan] = []
        pool = list(parts.clips)
        last_scene_clip: Path | None = None
        for k, pic in enumerate(assignment[fi]):
            trng = np.random.default_rng([seed, fi, 100 + k])
            chat = pool[int(trng.integers(0, len(pool)))]
            others = [c for c in pool if c != chat and c != last_scene_clip] or [c for c in pool if c != chat]
            scene_clip = others[int(trng.integers(0, len(others)))]
            last_scene_clip = scene_clip
            chat_t = _u(trng, 0.0, max(0.0, clip_duration(chat) - 4.0))
            scene_t = _u(trng, 0.0, max(0.0, clip_duration(scene_clip) - 8.0))
            tail = k > 0 and trng.random() < tail_slate_share
            # what the slate says
            if k and trng.random() < 0.25:
                scene, take_no = _next_scene(trng, used_scenes), 0
                used_scenes.add(scene)
            image, fields, roll_read, sc, tk = pic.image, None, None, None, None
            if write_fields and pic.writable:
                take_no += 1
                values = {"roll": _roll_variants(roll_no, camera, trng), "scene": scene, "take": str(take_no),
                          "prod": prod, "date": date_text, "director": director, "camera": camera}
                image = _write_fields(pic, {k2: v for k2, v in values.items() if k2 in pic.writable}, trng)
                written = {k2: v for k2, v in values.items() if k2 in pic.writable and v}
                roll_read, sc, tk = written.get("roll"), written.get("scene"), written.get("take")
                fields = SlateFields(prod=written.get("prod", ""), roll=roll_read or "", scene=sc or "",
                                     take=tk or "", director=written.get("director", ""),
                                     camera=written.get("camera", ""), date=written.get("date", ""))
            else:
                roll_read, sc, tk = pic.truth.get("roll"), pic.truth.get("scene"), pic.truth.get("take")
                if any((roll_read, sc, tk)):
                    fields = SlateFields(prod=pic.truth.get("prod", ""), roll=roll_read or "", scene=sc or "",
                                         take=tk or "", director=pic.truth.get("director", ""),
                                         camera=pic.truth.get("camera", ""), date=pic.truth.get("date", ""))
            plan = _plan_take(t, trng, voice=voice, pic=pic, image=image, tail=tail, chatter=(chat, chat_t),
                              scene_clip=(scene_clip, scene_t), sentences=sentences, near_misses=near,
                              width=width, height=height, rate=sample_rate)
            plan.roll_read, plan.scene, plan.take, plan.fields = roll_read, sc, tk, fields
            plans.append(plan)
            t = plan.end
        frames = math.ceil(t * fps)
        duration = float(Fraction(frames) / fps)
        n_samples = round(duration * sample_rate)
        if progress is not None:
            progress(f"{name}: {frames} frames, {len(plans)} takes")
        audio, words = _mix(plans, n_samples, sample_rate, np.random.default_rng([seed, fi, 3]), director_snr_db)
        spans = [s for p in plans for s in p.spans]
        picture, close = _picture_fn(spans, width, height, fps)
        tc = str(Timecode.from_seconds(Fraction(round(tod * float(fps))) / fps, fps))
        try:
            _encode(out / name, frames, tc, picture, audio, width=width, height=height, fps=fps, rate=sample_rate,
                    crf=crf, preset=preset, gop_seconds=gop_seconds, pix_fmt="rgb24",
                    comment="rushes real-parts dailies (rushes.demo.realreel)")
        finally:
            close()
        tod += duration + float(rng.uniform(20, 120))
        takes: list[TakeTruth] = []
        events: list[EventTruth] = []
        for p in plans:
            takes.append(TakeTruth(
                start=p.action, end=p.cut, roll=roll, scene=p.scene, take=p.take, slate=p.slate_t, clap=p.clap,
                fields=p.fields,
                extra={"slate_source": p.picture, "tail": p.tail, "slate_end": round(p.slate_end, 6),
                       "roll_read": p.roll_read},
            ))
            events += [EventTruth("slate", p.slate_t, {"tail": True} if p.tail else {}), EventTruth("clap", p.clap),
                       EventTruth("action", p.action), EventTruth("cut", p.cut)]
        truth_files[name] = FileTruth(
            name=name, takes=tuple(takes), events=tuple(sorted(events, key=lambda e: e.t)), speech=tuple(words),
            camera=camera, roll=roll, clip=clip_no, duration=duration, frames=frames, fps=fps, width=width,
            height=height, sample_rate=sample_rate, timecode=tc, prod=prod, director=director, date=date_text,
            extra={"parts": [{"kind": s.kind, "start": round(s.start, 6), "end": round(min(s.end, duration), 6),
                              "source": s.source, **({"source_t": round(s.src_t, 3)} if s.clip is not None else {})}
                             for s in spans if s.start < duration]},
        )
    reel = ReelTruth(files=truth_files, generator={
        "tool": "rushes.demo.realreel", "seed": seed, "takes_per_file": takes_per_file,
        "director_snr_db": director_snr_db, "tail_slate_share": tail_slate_share, "write_fields": write_fields,
        "clips": [c.name for c in parts.clips], "data_dir": str(parts.data), "gop_seconds": gop_seconds,
    })
    reel.write(out / "truth.json")
    return reel


def main(argv: list[str] | None = None) -> int:
    """``python -m rushes.demo.realreel OUT [--data DIR] ...``: write a real-parts reel and its truth."""
    from rushes.errors import RushesError

    ap = argparse.ArgumentParser(prog="python -m rushes.demo.realreel",
                                 description="Generate camera files from the real media of ../shared/data "
                                             "(clips, slate pictures, recorded speech) with exact ground truth.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (default ../shared/data)")
    ap.add_argument("--files", type=int, default=3)
    ap.add_argument("--takes", type=int, default=4, help="takes per file (default 4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=parse_rate, default=Fraction(24))
    ap.add_argument("--snr", type=float, default=20.0, help="director/crew SNR in dB (default 20)")
    ap.add_argument("--clean", action="store_true", help="clean close speech instead of a distant director")
    ap.add_argument("--tail-share", type=float, default=0.2, help="share of tail-slated takes (default 0.2)")
    ap.add_argument("--no-write", action="store_true", help="leave empty boards empty (fields null)")
    ap.add_argument("--clips", default=None, help="comma-separated video names of DATA/video")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    try:
        truth = generate_real_reel(
            args.out_dir, args.data, files=args.files, takes_per_file=args.takes, seed=args.seed, width=args.width,
            height=args.height, fps=args.fps, director_snr_db=None if args.clean else args.snr,
            tail_slate_share=args.tail_share, write_fields=not args.no_write,
            clips=args.clips.split(",") if args.clips else None, progress=lambda m: print(m, file=sys.stderr))
    except (RushesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    for name, f in truth.files.items():
        takes = ", ".join(f"{t.scene or '?'}/{t.take or '?'}{' (tail)' if t.extra.get('tail') else ''}"
                          for t in f.takes)
        print(f"{Path(args.out_dir) / name}  {f.duration:.2f}s  roll {f.roll}  takes {takes}")
    print(f"{Path(args.out_dir) / 'truth.json'}  ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
