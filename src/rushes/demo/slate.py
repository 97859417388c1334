"""Render a film clapperboard (slate) as an image.

The board is drawn the way a camera sees it: a dark chalkboard body with white chalk-like
lettering (PROD, ROLL / SCENE / TAKE in big boxes, DIRECTOR, CAMERA, DATE) and the black and
white striped clapper sticks along the top.  The sticks can be drawn open (before the clap) or
closed (after it), and the whole board upside down (a tail slate).

:func:`render_slate` is the public entry point; the reel generator and any code that needs
slate training images (OCR, slate classifiers) use it.  :func:`render_slate_rgba` returns the
same drawing with an alpha channel so it can be composited over a moving background.

Text uses a TrueType font when one can be found (DejaVu Sans Bold from the usual system folders,
else Pillow's bundled FreeType font); on a Pillow built without FreeType the built-in bitmap font
is drawn small and scaled up, so rendering works on a fresh machine with no fonts installed.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont, features

__all__ = ["SlateFields", "find_font_path", "render_slate", "render_slate_rgba"]

RGB = tuple[int, int, int]

#: colour of the board body (dark slate grey) and of the chalk
_BOARD: RGB = (30, 33, 36)
_CHALK: RGB = (236, 236, 228)
_LABEL: RGB = (196, 198, 192)
#: where to look for a bold sans TrueType font, first hit wins
_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)
#: fraction of the image height left free above the sticks, for the open top stick to rise into
_HEAD_FRAC = 0.13
#: fraction of the remaining height taken by the two clapper sticks (the rest is the board)
_STICKS_FRAC = 0.2


@dataclass(frozen=True)
class SlateFields:
    """What is chalked on a slate.  All fields are free text as written on set."""

    prod: str
    roll: str
    scene: str
    take: str
    director: str
    camera: str
    date: str

    def as_dict(self) -> dict[str, str]:
        """The fields as a plain ``{name: value}`` dictionary (keys in lower case)."""
        return {
            "prod": self.prod,
            "roll": self.roll,
            "scene": self.scene,
            "take": self.take,
            "director": self.director,
            "camera": self.camera,
            "date": self.date,
        }


def find_font_path() -> Path | None:
    """The TrueType font used for slate text, or ``None`` when Pillow's bundled font is used."""
    for cand in _FONT_CANDIDATES:
        path = Path(cand)
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=128)
def _font(size: int) -> Any:
    """A FreeType font of ``size`` pixels, or ``None`` when FreeType is unavailable."""
    if not features.check("freetype2"):
        return None
    path = find_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size=size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def _text_size(text: str, size: int) -> tuple[int, int, int, int]:
    """Bounding box ``(x0, y0, x1, y1)`` of ``text`` at a nominal pixel ``size``."""
    font = _font(size)
    if font is None:
        bitmap = ImageFont.load_default()
        x0, y0, x1, y1 = bitmap.getbbox(text)
        scale = size / 11.0
        return (int(x0 * scale), int(y0 * scale), math.ceil(x1 * scale), math.ceil(y1 * scale))
    x0, y0, x1, y1 = font.getbbox(text)
    return (int(x0), int(y0), int(x1), int(y1))


def _fit_size(text: str, box_w: int, box_h: int) -> int:
    """Largest nominal font size at which ``text`` fits inside ``box_w`` x ``box_h`` pixels."""
    lo, hi = 4, max(5, box_h * 2)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        x0, y0, x1, y1 = _text_size(text, mid)
        if x1 - x0 <= box_w and y1 - y0 <= box_h:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _draw_text(
    img: Image.Image,
    box: tuple[int, int, int, int],
    text: str,
    fill: RGB,
    *,
    max_h_frac: float = 0.8,
    align: str = "center",
    size: int | None = None,
) -> None:
    """Draw ``text`` as large as fits (up to ``max_h_frac`` of the box height) inside ``box``.

    A fixed nominal ``size`` overrides the fitting (used to give all labels one size).
    """
    if not text:
        return
    bx0, by0, bx1, by1 = box
    bw, bh = bx1 - bx0, by1 - by0
    if bw < 4 or bh < 4:
        return
    if size is None:
        size = _fit_size(text, int(bw * 0.94), int(bh * max_h_frac))
    x0, y0, x1, y1 = _text_size(text, size)
    tw, th = x1 - x0, y1 - y0
    px = bx0 + int(bw * 0.03) - x0 if align == "left" else bx0 + (bw - tw) // 2 - x0
    py = by0 + (bh - th) // 2 - y0
    font = _font(size)
    draw = ImageDraw.Draw(img)
    if font is not None:
        # Pillow's bundled font is thin: thicken it a little so it reads like chalk.
        stroke = 0 if find_font_path() is not None else max(0, size // 28)
        draw.text((px, py), text, fill=fill, font=font, stroke_width=stroke, stroke_fill=fill)
        return
    # No FreeType: draw with the bitmap font on a small canvas and scale it up.
    bitmap = ImageFont.load_default()
    sx0, sy0, sx1, sy1 = (int(v) for v in bitmap.getbbox(text))
    small = Image.new("L", (max(1, sx1 - sx0), max(1, sy1 - sy0)), 0)
    ImageDraw.Draw(small).text((-sx0, -sy0), text, fill=255, font=bitmap)
    big = small.resize((max(1, tw), max(1, th)), Image.Resampling.NEAREST)
    img.paste(Image.new("RGB", big.size, fill), (px + x0, py + y0), big)


def _stick(width: int, height: int, phase: float) -> Image.Image:
    """One clapper stick: black and white diagonal stripes with a thin dark edge (RGBA)."""
    yy, xx = np.mgrid[0:height, 0:width]
    period = max(8.0, height * 1.6)
    band = ((xx + yy * 0.9 + phase * period) // (period / 2)).astype(np.int64) % 2
    rgb = np.where(band[..., None] == 0, np.uint8(238), np.uint8(18)).astype(np.uint8)
    rgb = np.repeat(rgb, 3, axis=2)
    edge = max(1, height // 12)
    rgb[:edge, :] = 10
    rgb[-edge:, :] = 10
    rgb[:, :edge] = 10
    rgb[:, -edge:] = 10
    alpha = np.full((height, width, 1), 255, np.uint8)
    return Image.fromarray(np.concatenate([rgb, alpha], axis=2), "RGBA")


def _chalk_texture(
    layer: npt.NDArray[np.uint8], rng: np.random.Generator, strength: float
) -> npt.NDArray[np.uint8]:
    """Roughen chalk strokes: drop random pixels from the text mask and add faint dust."""
    mask = layer > 0
    keep = rng.random(layer.shape) > strength
    out = np.where(mask & keep, layer, 0).astype(np.uint8)
    dust = (rng.random(layer.shape) < 0.004).astype(np.uint8) * 70
    return np.maximum(out, dust)


def render_slate_rgba(
    fields: SlateFields,
    size: tuple[int, int] = (640, 480),
    *,
    sticks_open: bool = False,
    rng: np.random.Generator | None = None,
) -> npt.NDArray[np.uint8]:
    """Draw a slate of ``size`` = (width, height) as an ``(H, W, 4)`` RGBA array.

    The top ``13 %`` of the image is head room for the open top stick to rise into; the alpha
    channel is 0 there (and wherever the open stick leaves the background visible).
    ``rng`` adds chalk roughness, dust and small variations in the board shade; without it the
    drawing is fully deterministic.
    """
    width, height = int(size[0]), int(size[1])
    if width < 32 or height < 32:
        raise ValueError(f"slate size too small: {width}x{height} (need at least 32x32)")
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))

    head = round(height * _HEAD_FRAC)
    stick_h = max(4, round((height - head) * _STICKS_FRAC / 2))
    hinge_y = head + stick_h
    sticks_bottom = head + 2 * stick_h
    margin = max(1, width // 80)
    shade = 0 if rng is None else int(rng.integers(-6, 7))
    board_rgb: RGB = (_BOARD[0] + shade, _BOARD[1] + shade, _BOARD[2] + shade)

    # Board body.
    body = Image.new("RGB", (width, height - sticks_bottom), board_rgb)
    canvas.paste(body, (0, sticks_bottom))

    # Bottom stick (fixed to the board) and top stick (hinged at the left).
    stick_w = width - 2 * margin
    lower = _stick(stick_w, stick_h, 0.0)
    canvas.alpha_composite(lower, (margin, hinge_y))
    upper = _stick(stick_w, stick_h, 0.5)
    if sticks_open:
        # Rotate about the hinge (bottom-left corner of the top stick), lifting the far end
        # as high as the head room above the sticks allows.
        angle = math.degrees(math.asin(min(0.5, head / max(1, stick_w)))) * 0.95
        sin_a = math.sin(math.radians(angle))
        # A holder just big enough for the turned stick, hinge at (left, top) inside it.
        left = math.ceil(stick_h * sin_a) + 2
        top = math.ceil(stick_w * sin_a) + stick_h + 2
        holder = Image.new("RGBA", (left + stick_w + 2, top + 2), (0, 0, 0, 0))
        holder.alpha_composite(upper, (left, top - stick_h))
        turned = holder.rotate(angle, resample=Image.Resampling.BICUBIC, center=(left, top))
        dx, dy = margin - left, hinge_y - top
        canvas.alpha_composite(turned, (max(0, dx), max(0, dy)), (max(0, -dx), max(0, -dy)))
    else:
        canvas.alpha_composite(upper, (margin, head))

    # Chalk lettering on its own layer, so it can be roughened as a whole.
    text = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(text)
    line_w = max(1, height // 120)
    top = sticks_bottom + max(2, height // 60)
    bottom = height - max(2, height // 60)
    left, right = margin * 2, width - margin * 2
    board_h = bottom - top

    rows = [0.17, 0.43, 0.2, 0.2]
    edges = [top]
    for frac in rows:
        edges.append(edges[-1] + round(board_h * frac))
    edges[-1] = bottom
    for y in edges:
        draw.line([(left, y), (right, y)], fill=_CHALK, width=line_w)
    draw.line([(left, top), (left, bottom)], fill=_CHALK, width=line_w)
    draw.line([(right, top), (right, bottom)], fill=_CHALK, width=line_w)

    label_w = int((right - left) * 0.25)
    row_h = min(edges[i + 1] - edges[i] for i in (0, 2, 3))
    label_size = min(
        _fit_size("DIRECTOR", int(label_w * 0.94), int(row_h * 0.4)),
        _fit_size("SCENE", int((right - left) * 0.4 * 0.94), int((edges[2] - edges[1]) * 0.22)),
    )

    def labelled(box: tuple[int, int, int, int], label: str, value: str, label_frac: float) -> None:
        x0, y0, x1, y1 = box
        split = y0 + int((y1 - y0) * label_frac)
        _draw_text(text, (x0, y0, x1, split), label, _LABEL, align="left", size=label_size)
        _draw_text(text, (x0, split, x1, y1), value, _CHALK, max_h_frac=0.82)

    def inline(box: tuple[int, int, int, int], label: str, value: str) -> None:
        x0, y0, x1, y1 = box
        split = x0 + label_w
        _draw_text(text, (x0, y0, split, y1), label, _LABEL, align="left", size=label_size)
        _draw_text(text, (split, y0, x1, y1), value, _CHALK, max_h_frac=0.7)

    # Row 1: production title.
    inline((left, edges[0], right, edges[1]), "PROD", fields.prod)
    # Row 2: ROLL | SCENE | TAKE in big boxes.
    col = [left, left + (right - left) * 3 // 10, left + (right - left) * 7 // 10, right]
    for x in col[1:3]:
        draw.line([(x, edges[1]), (x, edges[2])], fill=_CHALK, width=line_w)
    for (x0, x1), label, value in zip(
        itertools.pairwise(col),
        ("ROLL", "SCENE", "TAKE"),
        (fields.roll, fields.scene, fields.take),
        strict=True,
    ):
        labelled((x0, edges[1], x1, edges[2]), label, value, 0.26)
    # Row 3: director.
    inline((left, edges[2], right, edges[3]), "DIRECTOR", fields.director)
    # Row 4: camera | date.
    mid = left + (right - left) * 45 // 100
    draw.line([(mid, edges[3]), (mid, edges[4])], fill=_CHALK, width=line_w)
    inline((left, edges[3], mid, edges[4]), "CAMERA", fields.camera)
    inline((mid, edges[3], right, edges[4]), "DATE", fields.date)

    chalk = np.array(text.convert("L"), dtype=np.uint8)
    if rng is not None:
        chalk = _chalk_texture(chalk, rng, strength=0.12)
    rgba = np.asarray(canvas, dtype=np.uint8).copy()
    # Chalk is only drawn on the board body, under the sticks.
    chalk[:sticks_bottom] = 0
    a = (chalk.astype(np.float32) / 255.0)[..., None]
    chalk_rgb = np.asarray(text, dtype=np.float32)
    body_rgb = rgba[..., :3].astype(np.float32)
    blended = body_rgb * (1.0 - a) + chalk_rgb * a
    rgba[..., :3] = np.clip(blended, 0, 255).astype(np.uint8)
    return rgba


def render_slate(
    fields: SlateFields,
    size: tuple[int, int] = (640, 480),
    upside_down: bool = False,
    rng: np.random.Generator | None = None,
    *,
    sticks_open: bool = False,
    background: RGB = (92, 92, 92),
) -> npt.NDArray[np.uint8]:
    """Draw a slate of ``size`` = (width, height) as an ``(H, W, 3)`` ``uint8`` RGB image.

    ``upside_down`` rotates the finished image by 180° (a tail slate), so it equals
    ``np.rot90(render_slate(..., upside_down=False), 2)`` for the same ``rng`` state.
    Where the open top stick uncovers the image, ``background`` shows through.
    """
    rgba = render_slate_rgba(fields, size, sticks_open=sticks_open, rng=rng)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    bg = np.asarray(background, dtype=np.float32).reshape(1, 1, 3)
    rgb = rgba[..., :3].astype(np.float32) * alpha + bg * (1.0 - alpha)
    out = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    if upside_down:
        out = np.ascontiguousarray(out[::-1, ::-1])
    return out
