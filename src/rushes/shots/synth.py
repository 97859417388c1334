"""Synthetic test footage with known shot boundaries (for tests, benchmarks and docs).

A clip is a list of :class:`SceneSpec` joined by transitions (``cut``, ``dissolve``, ``fade``
through black) and optionally sprinkled with one-frame flashes. :func:`write_clip` renders it
with PyAV (H.264 in MP4 by default) and returns the :class:`SynthTruth`: the first frame of every
new shot after a cut and the frame spans of every gradual transition, in decoded-frame indices.

Frames are rendered from smooth random textures (seeded, so clips are reproducible); a scene
can pan across its texture at any speed, which is how fast camera motion is simulated.

>>> from rushes.shots.synth import SceneSpec, ClipSpec
>>> spec = ClipSpec([SceneSpec("texture", 30, seed=1), SceneSpec("solid", 30, color=(200, 30, 30))])
>>> spec.total_frames()
60
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["ClipSpec", "SceneSpec", "SynthTruth", "render_frames", "write_clip"]

SceneKind = Literal["solid", "texture", "noise", "gradient"]
TransitionKind = Literal["cut", "dissolve", "fade"]
Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class SceneSpec:
    """One shot of a synthetic clip.

    ``kind``: ``solid`` (flat ``color``), ``texture`` (smooth random image, ``seed``), ``noise``
    (fresh random noise every frame), ``gradient`` (a colour ramp drifting slowly).
    ``pan``: pixels per frame (x, y) the camera moves across the texture — large values give
    fast camera motion without a cut. ``transition_in``/``transition_len``: how this scene is
    entered from the previous one (ignored for the first scene). ``flashes``: frame offsets
    inside the scene that are replaced by a white frame (photo flash).
    """

    kind: SceneKind
    frames: int
    seed: int = 0
    color: tuple[int, int, int] = (128, 128, 128)
    pan: tuple[float, float] = (0.0, 0.0)
    transition_in: TransitionKind = "cut"
    transition_len: int = 0
    flashes: tuple[int, ...] = ()
    brightness: float = 1.0


@dataclass(frozen=True)
class ClipSpec:
    """A whole clip: scenes in order, frame size and rate."""

    scenes: Sequence[SceneSpec]
    width: int = 320
    height: int = 180
    fps: Fraction = Fraction(25)
    black_frames: int = 4
    """Frames of pure black in the middle of a ``fade`` transition."""

    def total_frames(self) -> int:
        """Number of frames :func:`render_frames` yields."""
        return sum(1 for _ in _timeline(self))


@dataclass
class SynthTruth:
    """Ground truth of a rendered clip, in decoded-frame indices."""

    frames: int
    cuts: list[int] = field(default_factory=list)
    """First frame of each new shot entered by a hard cut."""
    transitions: list[tuple[str, int, int]] = field(default_factory=list)
    """(kind, first frame, last frame) of every gradual transition (``dissolve``, ``fade_out``, ``fade_in``)."""
    flashes: list[int] = field(default_factory=list)
    shot_starts: list[int] = field(default_factory=list)
    """First frame of each scene's own (untransitioned) content."""

    def to_truth_entry(self) -> dict[str, object]:
        """This truth in the format of ``shared/data/gt/shot_boundaries.json`` (one file entry)."""
        return {
            "source": "synthetic",
            "cuts": [{"frame": c} for c in self.cuts],
            "transitions": [{"kind": k, "from_frame": a, "to_frame": b} for k, a, b in self.transitions],
        }


class _Texture:
    """A seeded random canvas large enough to pan across.

    The seed picks a palette (one dominant hue) and a structure (blobs, stripes, checks or
    rings) at a scale tied to the visible frame, so different seeds look like different places
    and the same seed always looks like the same place.
    """

    def __init__(self, seed: int, width: int, height: int, margin: int = 0) -> None:
        import cv2

        rng = np.random.default_rng(seed)
        # the canvas depends only on the seed and frame size (not on how far a scene pans), so the
        # same seed is the same place in every scene; views wrap around its edges
        cw, ch = 2 * width, 2 * height
        hue = (seed * 0.381966) % 1.0
        palette = np.array([_hsv_rgb((hue + d) % 1.0, s, v) for d, s, v in
                            ((0.0, 0.8, 0.9), (0.05, 0.5, 0.5), (0.5, 0.7, 0.8), (0.1, 0.2, 0.3))], np.float32)
        cells = (max(2, ch * 5 // height), max(2, cw * 8 // width))
        coarse = palette[rng.integers(0, 2, size=cells)]
        base = cv2.resize(coarse, (cw, ch), interpolation=cv2.INTER_CUBIC)
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        style = seed % 4
        period = float(rng.uniform(0.08, 0.2)) * width
        if style == 1:
            ang = float(rng.uniform(0, np.pi))
            wave = np.sin((xx * np.cos(ang) + yy * np.sin(ang)) / period * 2 * np.pi)
            mask = (wave > 0.3)[..., None]
        elif style == 2:
            mask = (((xx // period).astype(int) + (yy // period).astype(int)) % 2 == 0)[..., None]
        elif style == 3:
            cx, cy = cw / 2, ch / 2
            mask = ((np.hypot(xx - cx, yy - cy) // (period / 2)).astype(int) % 2 == 0)[..., None]
        else:
            mask = np.zeros((ch, cw, 1), dtype=bool)
        base = np.where(mask, palette[2], base)
        n_blobs = 40
        for _ in range(n_blobs):
            cx, cy = int(rng.integers(0, cw)), int(rng.integers(0, ch))
            r = int(rng.integers(max(3, height // 20), max(5, height // 6)))
            col = tuple(float(v) for v in palette[int(rng.integers(0, len(palette)))])
            cv2.circle(base, (cx, cy), r, col, thickness=-1)
        self.canvas = np.clip(base, 0, 255).astype(np.uint8)
        self.margin = margin

    def view(self, x: float, y: float, width: int, height: int) -> Image:
        ch, cw = self.canvas.shape[:2]
        xi, yi = int(round(x)) % cw, int(round(y)) % ch
        if xi + width <= cw and yi + height <= ch:
            view: Image = self.canvas[yi: yi + height, xi: xi + width]
            return view
        ys = (yi + np.arange(height)) % ch
        xs = (xi + np.arange(width)) % cw
        wrapped: Image = self.canvas[np.ix_(ys, xs)]
        return wrapped


def _hsv_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return 255.0 * r, 255.0 * g, 255.0 * b


def _scene_frames(scene: SceneSpec, width: int, height: int) -> Iterator[Image]:
    rng = np.random.default_rng(scene.seed + 7919)
    if scene.kind == "solid":
        frame = np.empty((height, width, 3), dtype=np.uint8)
        frame[:] = np.asarray(scene.color, dtype=np.uint8)
        for _ in range(scene.frames):
            yield frame
    elif scene.kind == "noise":
        for _ in range(scene.frames):
            yield rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    elif scene.kind == "gradient":
        xs = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
        ys = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        c0 = np.asarray(scene.color, dtype=np.float32)
        c1 = 255.0 - c0
        for i in range(scene.frames):
            ph = (i / max(1, scene.frames)) * 0.3
            mix = np.clip(0.6 * xs + 0.4 * ys + ph, 0, 1)
            yield (c0 * (1 - mix) + c1 * mix).astype(np.uint8)
    else:
        tex = _Texture(scene.seed, width, height, 0)
        x0, y0 = width / 2, height / 2
        for i in range(scene.frames):
            yield tex.view(x0 + scene.pan[0] * i, y0 + scene.pan[1] * i, width, height)


def _apply_brightness(img: Image, gain: float) -> Image:
    if gain == 1.0:
        return img
    return np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _timeline(spec: ClipSpec, truth: SynthTruth | None = None) -> Iterator[Image]:
    """Yield every frame of the clip, filling ``truth`` as a side effect.

    Frames are generated scene by scene; only the tail of the previous scene that a dissolve or
    fade needs is held in memory, so clips of any length stream in bounded memory.
    """
    w, h = spec.width, spec.height
    white = np.full((h, w, 3), 255, dtype=np.uint8)
    black = np.zeros((h, w, 3), dtype=np.uint8)
    index = 0
    tail: list[Image] = []
    scenes = list(spec.scenes)
    for si, scene in enumerate(scenes):
        flashes = set(scene.flashes)

        def frames_of(sc: SceneSpec = scene, fl: set[int] = flashes) -> Iterator[tuple[int, Image]]:
            for k, f in enumerate(_scene_frames(sc, w, h)):
                yield k, (white if k in fl else _apply_brightness(f, sc.brightness))

        gen = frames_of()
        kind = scene.transition_in if si > 0 else "cut"
        if si > 0 and kind == "cut":
            if truth is not None:
                truth.cuts.append(index)
        elif si > 0 and kind == "dissolve" and tail:
            n = len(tail)
            if truth is not None:
                truth.transitions.append(("dissolve", index, index + n - 1))
            for j in range(n):
                _, img = next(gen)
                a = (j + 1) / (n + 1)
                yield (tail[j].astype(np.float32) * (1 - a) + img.astype(np.float32) * a).astype(np.uint8)
                index += 1
        elif si > 0 and kind == "fade":
            n_out = len(tail)
            if truth is not None and n_out:
                truth.transitions.append(("fade_out", index, index + n_out - 1))
            for j in range(n_out):
                yield (tail[j].astype(np.float32) * (1.0 - (j + 1) / (n_out + 1))).astype(np.uint8)
                index += 1
            for _ in range(spec.black_frames):
                yield black
                index += 1
            n_in = min(scene.transition_len, scene.frames)
            if truth is not None and n_in:
                truth.transitions.append(("fade_in", index, index + n_in - 1))
            for j in range(n_in):
                _, img = next(gen)
                yield (img.astype(np.float32) * ((j + 1) / (n_in + 1))).astype(np.uint8)
                index += 1
        if truth is not None:
            truth.shot_starts.append(index)
        nxt = scenes[si + 1] if si + 1 < len(scenes) else None
        hold = nxt.transition_len if nxt is not None and nxt.transition_in != "cut" else 0
        tail = []
        for k, img in gen:
            if k >= scene.frames - hold:
                tail.append(np.array(img, copy=True))
                continue
            if truth is not None and k in flashes:
                truth.flashes.append(index)
            yield img
            index += 1
    if truth is not None:
        truth.frames = index


def render_frames(spec: ClipSpec) -> tuple[list[Image], SynthTruth]:
    """All frames of ``spec`` in memory (small clips only) and their truth."""
    truth = SynthTruth(frames=0)
    frames = [np.array(f, copy=True) for f in _timeline(spec, truth)]
    truth.frames = len(frames)
    return frames, truth


def write_clip(
    path: str | Path,
    spec: ClipSpec,
    *,
    codec: str = "libx264",
    crf: int = 20,
    preset: str = "veryfast",
    gop: int | None = None,
    timecode: str | None = None,
    vfr_drop_every: int = 0,
) -> SynthTruth:
    """Render ``spec`` into ``path`` and return its truth.

    ``timecode`` writes a start timecode (``HH:MM:SS:FF``, ``;`` for drop-frame) into the file.
    ``vfr_drop_every=N`` drops every N-th frame *after* rendering while keeping the other frames'
    timestamps, which makes a variable-frame-rate file (like a capture that skipped frames); the
    truth is re-indexed to the frames that remain.
    """
    import av

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    truth = SynthTruth(frames=0)
    rate = Fraction(spec.fps)
    keep_map: dict[int, int] = {}
    with av.open(str(p), mode="w") as container:
        if timecode:
            container.metadata["timecode"] = timecode
        stream: Any = container.add_stream(codec, rate=rate)
        stream.width = spec.width
        stream.height = spec.height
        stream.pix_fmt = "yuv420p"
        opts: dict[str, str] = {"crf": str(crf), "preset": preset} if codec == "libx264" else {}
        if gop:
            stream.codec_context.gop_size = gop
        if codec == "libx264" and vfr_drop_every:
            opts["x264-params"] = "force-cfr=0"
        stream.options = opts
        if timecode:
            stream.metadata["timecode"] = timecode
        tb = Fraction(1, 90000) if vfr_drop_every else 1 / rate
        if vfr_drop_every:
            stream.codec_context.time_base = tb
            stream.time_base = tb
        kept = 0
        for i, img in enumerate(_timeline(spec, truth)):
            if vfr_drop_every and i % vfr_drop_every == vfr_drop_every - 1:
                continue
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = int(round(Fraction(i) / rate / tb))
            frame.time_base = tb
            keep_map[i] = kept
            kept += 1
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    if vfr_drop_every:
        truth = _reindex(truth, keep_map)
    return truth


def _reindex(truth: SynthTruth, keep: dict[int, int]) -> SynthTruth:
    """Map original frame indices to indices among kept frames (next kept frame for dropped ones)."""
    last = max(keep) if keep else 0

    def m(i: int) -> int:
        while i not in keep and i <= last:
            i += 1
        return keep.get(i, len(keep))

    return SynthTruth(
        frames=len(keep),
        cuts=sorted({m(c) for c in truth.cuts}),
        transitions=[(k, m(a), m(b)) for k, a, b in truth.transitions],
        flashes=[m(f) for f in truth.flashes if f in keep],
        shot_starts=[m(s) for s in truth.shot_starts],
    )
