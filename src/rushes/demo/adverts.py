"""Short adverts that end on an end card, with the card's exact time as ground truth.

The seed's conceptual pattern (``../shared/seeds/003_*``) is an advert's *ending*: a brand card
with text and graphics and nobody in frame. Each generated file is ``body`` → ``end card``:

* the body is a few shots of real footage when a media folder is given (clips with people in
  them, e.g. ``../shared/data/video``: read at run time, never copied into the project), else
  moving synthetic textures;
* the end card is drawn with Pillow: a brand name, a tagline and a call to action (web address,
  "in cinemas", ...), a simple logo, over a flat colour, a gradient or the body's last frame
  darkened and blurred; it arrives by a cut or a short cross-fade and lasts 2.5–5 s.

``truth.json`` holds, in the interval-truth format of ``rushes eval patterns``::

    {"files": {"NAME.mp4": [{"start": 8.0, "end": 12.0, "label": "ending"}]}, "generator": {...}}

(the card starts at its first frame, or the middle of its cross-fade). Deterministic per seed.

Command line: ``python -m rushes.demo.adverts OUT_DIR [--count 4] [--seed 0] [--media DIR]``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PEOPLE_CLIPS", "AdvertTruth", "generate_adverts", "render_end_card"]

Image = npt.NDArray[np.uint8]

#: clips of ../shared/data/video with people in most frames and no burned-in text
PEOPLE_CLIPS: tuple[str, ...] = (
    "mpy_chaplin.mp4", "imio_test.webm", "mma_test.mp4", "decord_flipping_a_pancake.mkv",
    "movienet_titanic_test1.mp4",
)
_BRANDS = ("NORTHWIND", "Lumora", "KESTREL & CO", "Bright Harbor", "VOLTA", "Meridian Tea", "ORBIT BANK",
           "Fjordline", "Palisade", "Cobalt Coffee", "HALCYON", "Tidewater")
_TAGLINES = ("Made for every day", "The future, delivered", "Taste the morning", "Go further",
             "Built to last", "Feel the difference", "Simply better", "Your city, your way")
_CALLS = ("www.{slug}.com", "{slug}.co.uk", "IN CINEMAS FRIDAY", "AVAILABLE NOW", "Download the app",
          "Visit {slug}.com today", "SHOP NOW")


@dataclass(frozen=True)
class AdvertTruth:
    """One generated advert: its file, length, and where the end card is."""

    name: str
    duration: float
    card_start: float
    card_end: float
    body_sources: tuple[str, ...]
    card: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.card_start, 6), "end": round(self.card_end, 6), "label": "ending",
                "duration": round(self.duration, 6), "body": list(self.body_sources), "card": self.card}


def _font(size: int) -> Any:
    """The slate renderer's font at ``size`` px (Pillow's bitmap font when there is no FreeType)."""
    from PIL import ImageFont

    from rushes.demo.slate import _font as slate_font

    return slate_font(size) or ImageFont.load_default()


def _contrast_colour(bg: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, int, int]:
    luma = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2]
    base = 245 if luma < 128 else 20
    return tuple(int(np.clip(base + rng.integers(-15, 16), 0, 255)) for _ in range(3))  # type: ignore[return-value]


def render_end_card(width: int, height: int, rng: np.random.Generator, backdrop: Image | None = None
                    ) -> tuple[Image, dict[str, Any]]:
    """An end card (H×W×3 uint8) and what is written on it."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFilter

    brand = str(rng.choice(_BRANDS))
    slug = "".join(c for c in brand.lower() if c.isalnum())
    tagline = str(rng.choice(_TAGLINES))
    call = str(rng.choice(_CALLS)).format(slug=slug)
    style = str(rng.choice(["flat", "gradient", "backdrop"] if backdrop is not None else ["flat", "gradient"]))
    bg = tuple(int(x) for x in rng.integers(0, 256, 3))
    if style == "flat":
        img = PILImage.new("RGB", (width, height), bg)  # type: ignore[arg-type]
    elif style == "gradient":
        top = np.array(bg, np.float32)
        bottom = np.array(rng.integers(0, 256, 3), np.float32)
        ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        arr = (top * (1 - ramp) + bottom * ramp) * np.ones((1, width, 1), np.float32)
        img = PILImage.fromarray(arr.astype(np.uint8))
        bg = (int((top[0] + bottom[0]) / 2), int((top[1] + bottom[1]) / 2), int((top[2] + bottom[2]) / 2))
    else:
        assert backdrop is not None
        img = PILImage.fromarray(backdrop).filter(ImageFilter.GaussianBlur(radius=max(4, width // 80)))
        img = PILImage.fromarray((np.asarray(img, np.float32) * 0.35).astype(np.uint8))
        bg = (40, 40, 40)
    ink = _contrast_colour(bg, rng)  # type: ignore[arg-type]
    accent = tuple(int(x) for x in rng.integers(0, 256, 3))
    draw = ImageDraw.Draw(img)
    big, mid, small = _font(max(12, height // 7)), _font(max(10, height // 16)), _font(max(9, height // 22))
    left = bool(rng.random() < 0.3)
    # logo: a disc or a rounded square with the brand's initial
    r = height // 10
    cx = width // 6 if left else width // 2
    cy = height // 4
    if rng.random() < 0.5:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=accent)  # type: ignore[arg-type]
    else:
        draw.rounded_rectangle((cx - r, cy - r, cx + r, cy + r), radius=r // 3, fill=accent)  # type: ignore[arg-type]
    draw.text((cx, cy), brand[0], font=mid, fill=ink, anchor="mm")
    y = cy + r + height // 12
    for text, font in ((brand, big), (tagline, mid), (call, small)):
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
        x = width // 6 - r if left else (width - int(x1 - x0)) // 2
        draw.text((x, y), text, font=font, fill=ink)
        y += int(y1 - y0) + height // 20
    return np.asarray(img, dtype=np.uint8).copy(), {"brand": brand, "tagline": tagline, "call": call,
                                                    "style": style}


def _fit(frame: Image, width: int, height: int) -> Image:
    """Scale and centre-crop a frame to width×height."""
    from PIL import Image as PILImage

    h, w = frame.shape[:2]
    scale = max(width / w, height / h)
    img = PILImage.fromarray(frame).resize((max(width, round(w * scale)), max(height, round(h * scale))))
    arr = np.asarray(img, dtype=np.uint8)
    y0, x0 = (arr.shape[0] - height) // 2, (arr.shape[1] - width) // 2
    return np.ascontiguousarray(arr[y0:y0 + height, x0:x0 + width, :3])


def _real_shot(path: Path, frames: int, width: int, height: int, rng: np.random.Generator) -> list[Image]:
    """``frames`` consecutive frames of ``path`` (from a random start; looped when too short)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        clip = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    if not clip:
        raise ValueError(f"{path}: no video frames")
    start = int(rng.integers(0, max(1, len(clip) - frames)))
    return [_fit(np.asarray(clip[(start + i) % len(clip)], dtype=np.uint8), width, height) for i in range(frames)]


def _synthetic_shot(frames: int, width: int, height: int, seed: int) -> list[Image]:
    from rushes.shots.synth import ClipSpec, SceneSpec, render_frames

    pan = (float(seed % 5 + 1), float(seed % 3))
    imgs, _truth = render_frames(ClipSpec([SceneSpec("texture", frames, seed=seed, pan=pan)], width=width,
                                          height=height, fps=Fraction(24)))
    return [np.ascontiguousarray(i[..., :3]) for i in imgs]


def _encode(path: Path, frames: Iterator[Image], width: int, height: int, fps: Fraction) -> int:
    import av

    n = 0
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.time_base = 1 / fps
        vs.codec_context.time_base = 1 / fps
        vs.codec_context.gop_size = max(1, round(fps / 2))
        vs.options = {"preset": "veryfast", "crf": "20"}
        for img in frames:
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = n
            out.mux(vs.encode(frame))
            n += 1
        out.mux(vs.encode(None))
    return n


def generate_adverts(
    out_dir: str | Path,
    *,
    count: int = 4,
    seed: int = 0,
    media_dir: str | Path | None = None,
    width: int = 640,
    height: int = 360,
    fps: Fraction | int = 24,
    body_s: tuple[float, float] = (6.0, 10.0),
    card_s: tuple[float, float] = (2.5, 5.0),
) -> list[AdvertTruth]:
    """Write ``count`` adverts ``advert_NN.mp4`` and ``truth.json`` into ``out_dir``.

    ``media_dir``: a folder holding some of :data:`PEOPLE_CLIPS` (their shots make the bodies);
    without it (or when none of them is there) bodies are synthetic textures.
    """
    if count < 1:
        raise ValueError("count must be >= 1")
    if width % 2 or height % 2 or width < 160 or height < 90:
        raise ValueError(f"frame size must be even and at least 160x90, not {width}x{height}")
    rate = Fraction(fps)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sources = [Path(media_dir) / n for n in PEOPLE_CLIPS if (Path(media_dir) / n).is_file()] if media_dir else []
    rng = np.random.default_rng([seed, 31])
    truths: list[AdvertTruth] = []
    for k in range(count):
        body_frames = round(float(rng.uniform(*body_s)) * rate)
        card_frames = round(float(rng.uniform(*card_s)) * rate)
        shots = int(rng.integers(1, 4))
        cuts = sorted(int(x) for x in rng.choice(np.arange(12, body_frames - 12), size=shots - 1, replace=False)) \
            if shots > 1 and body_frames > 48 else []
        bounds = [0, *cuts, body_frames]
        body: list[Image] = []
        used: list[str] = []
        for i in range(len(bounds) - 1):
            n = bounds[i + 1] - bounds[i]
            if sources:
                src = sources[int(rng.integers(0, len(sources)))]
                body += _real_shot(src, n, width, height, rng)
                used.append(src.name)
            else:
                body += _synthetic_shot(n, width, height, seed * 100 + k * 10 + i)
                used.append("synthetic")
        card, info = render_end_card(width, height, rng, backdrop=body[-1])
        fade = int(rng.integers(0, round(0.6 * rate))) if rng.random() < 0.5 else 0
        card_start = body_frames - fade // 2  # a cross-fade's middle frame is where the card "arrives"

        def frames(body: list[Image] = body, card: Image = card, fade: int = fade,
                   card_frames: int = card_frames) -> Iterator[Image]:
            yield from body[:len(body) - fade]
            for j in range(fade):
                a = (j + 1) / (fade + 1)
                yield (body[len(body) - fade + j].astype(np.float32) * (1 - a) + card * a).astype(np.uint8)
            for _ in range(card_frames):
                yield card

        name = f"advert_{k + 1:02d}.mp4"
        total = _encode(out / name, frames(), width, height, rate)
        info["fade_frames"] = fade
        truths.append(AdvertTruth(name=name, duration=float(Fraction(total) / rate),
                                  card_start=float(Fraction(card_start) / rate),
                                  card_end=float(Fraction(total) / rate), body_sources=tuple(used), card=info))
    media = sorted({s for t in truths for s in t.body_sources})
    doc = {"files": {t.name: [t.to_dict()] for t in truths},
           "generator": {"tool": "rushes.demo.adverts", "seed": seed, "count": count, "width": width,
                         "height": height, "fps": str(rate), "media": media}}
    (out / "truth.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return truths


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rushes.demo.adverts", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--media", type=Path, default=None, help="folder with real clips for the bodies")
    ap.add_argument("--size", default="640x360")
    args = ap.parse_args(argv)
    w, h = (int(x) for x in args.size.lower().split("x"))
    for t in generate_adverts(args.out, count=args.count, seed=args.seed, media_dir=args.media, width=w, height=h):
        print(f"{t.name}: {t.duration:.2f} s, end card {t.card_start:.2f}-{t.card_end:.2f} s ({t.card['brand']})")


if __name__ == "__main__":
    main()
