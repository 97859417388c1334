"""Generate small test media with PyAV (no committed binaries, no system ffmpeg)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def scene_frame(i: int, w: int, h: int, scene: int) -> np.ndarray:
    """A frame of a synthetic scene: a gradient of the scene's colour plus a moving square."""
    rng = np.random.default_rng(scene)
    base = rng.integers(30, 226, size=3)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), dtype=np.uint8)
    for c in range(3):
        img[..., c] = np.clip(base[c] + (xx * (c + 1) / w * 40) - (yy / h * 30), 0, 255).astype(np.uint8)
    s = max(4, w // 8)
    x = int((i * 3) % max(1, w - s))
    y = int((h - s) / 2 + math.sin(i / 5) * h / 6)
    img[y:y + s, x:x + s] = 255 - base
    return img


def make_video(
    path: Path,
    seconds: float = 2.0,
    fps: Fraction = Fraction(24),
    size: tuple[int, int] = (160, 96),
    *,
    codec: str = "libx264",
    audio: bool = True,
    tone_hz: float = 440.0,
    scenes: int = 1,
    vfr: bool = False,
    gop: int = 12,
    metadata: dict[str, str] | None = None,
    stream_metadata: dict[str, str] | None = None,
    display_rotation: int = 0,
    seed: int = 0,
) -> Path:
    """Encode a clip: ``scenes`` equal hard-cut scenes, optional sine-tone audio (44.1 kHz stereo).

    ``vfr`` makes frame durations alternate between 1/fps and 2/fps (still exact in PTS).
    """
    w, h = size
    n = max(1, round(seconds * fps))
    with av.open(str(path), "w") as out:
        if metadata:
            for k, v in metadata.items():
                out.metadata[k] = v
        vs = out.add_stream(codec, rate=fps if not vfr else None)
        vs.width, vs.height = w, h
        vs.pix_fmt = {"mjpeg": "yuvj420p", "prores_ks": "yuv422p10le", "png": "rgb24"}.get(codec, "yuv420p")
        tb = Fraction(1, int(fps.numerator * 10)) if vfr else 1 / fps
        vs.time_base = tb
        vs.codec_context.time_base = tb
        if display_rotation:
            vs.set_display_rotation(display_rotation)
        if stream_metadata:
            for k, v in stream_metadata.items():
                vs.metadata[k] = v
        if codec == "libx264":
            vs.options = {"preset": "ultrafast", "g": str(gop), "keyint_min": str(gop), "sc_threshold": "0"}
        as_ = None
        if audio:
            as_ = out.add_stream("aac", rate=44100)
            as_.layout = "stereo"
        t = Fraction(0)
        per_scene = max(1, n // scenes)
        for i in range(n):
            img = scene_frame(i, w, h, seed * 100 + min(i // per_scene, scenes - 1))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = int(t / tb)
            frame.time_base = tb
            for pkt in vs.encode(frame):
                out.mux(pkt)
            step = (1 / fps) * (2 if vfr and i % 3 == 2 else 1)
            t += step
        for pkt in vs.encode():
            out.mux(pkt)
        if as_ is not None:
            total = int(float(t) * 44100)
            ts = np.arange(total) / 44100
            sig = (0.3 * np.sin(2 * np.pi * tone_hz * ts)).astype(np.float32)
            stereo = np.stack([sig, sig])
            pos = 0
            while pos < total:
                chunk = np.ascontiguousarray(stereo[:, pos:pos + 1024])
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                af.sample_rate = 44100
                af.pts = pos
                for pkt in as_.encode(af):
                    out.mux(pkt)
                pos += 1024
            for pkt in as_.encode():
                out.mux(pkt)
    return path


def write_frames(path: Path, frames: Iterable[np.ndarray], fps: int = 24, *, gop: int | None = None) -> Path:
    """Encode RGB ``frames`` (all one size) as H.264 at ``fps``, no audio; ``gop``: key frame interval."""
    with av.open(str(path), "w") as out:
        vs = None
        for i, img in enumerate(frames):
            if vs is None:
                vs = out.add_stream("libx264", rate=fps)
                vs.width, vs.height, vs.pix_fmt = img.shape[1], img.shape[0], "yuv420p"
                vs.options = {"preset": "ultrafast", **({"g": str(gop)} if gop else {})}
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = i
            for pkt in vs.encode(frame):
                out.mux(pkt)
        if vs is not None:
            for pkt in vs.encode():
                out.mux(pkt)
    return path


def make_wav(path: Path, seconds: float = 1.0, rate: int = 48000, tone_hz: float = 440.0) -> Path:
    n = int(seconds * rate)
    sig = (0.3 * np.sin(2 * np.pi * tone_hz * np.arange(n) / rate) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        st = out.add_stream("pcm_s16le", rate=rate)
        st.layout = "mono"
        pos = 0
        while pos < n:
            chunk = sig[pos:pos + 4096].reshape(1, -1)
            af = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            af.sample_rate = rate
            af.pts = pos
            for pkt in st.encode(af):
                out.mux(pkt)
            pos += 4096
        for pkt in st.encode():
            out.mux(pkt)
    return path


def make_png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    from PIL import Image

    Image.fromarray(scene_frame(0, size[0], size[1], 3)).save(path)
    return path
