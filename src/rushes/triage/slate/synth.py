"""Training and evaluation pictures: varied slates composited onto real or synthetic frames.

The classifier is trained on pictures this module makes, never on hand-labelled footage:

* :func:`render_varied_slate` draws a clapperboard in one of several looks — chalkboard (the
  demo reel's), white acrylic with marker, black acrylic — with black/white or coloured
  chevron sticks (open or closed), one of four layouts (ROLL/SCENE/TAKE boxes under a PROD row,
  boxes first, labels written sideways beside the boxes, or one inline line), label spellings
  (``SCENE``/``SC``, ``TAKE``/``TK``, ``CAMERA``/``CAM``...), any installed TrueType font for the
  labels and a "hand-writing" font with per-letter jitter for the values; a fraction of slates
  are blank or the demo generator's own drawing (:func:`rushes.demo.render_slate_rgba`);
* :func:`composite` warps it (scale, rotation, perspective, 180° turn for tail slates) onto a
  background, with occluding hands, motion/defocus blur, lighting, noise and JPEG loss;
* :func:`negative_frame` makes hard negatives: backgrounds alone or with paper, signs, boards
  and screens covered in text, whiteboards, striped objects and hands.

Backgrounds are frames of real videos and photos when a folder of them is given (e.g.
``../shared/data``), else synthetic (gradients, value noise, shapes, fake rooms). Everything is
driven by a ``numpy`` random generator, so a dataset is reproducible from its seed. Needs
``opencv-python-headless`` and Pillow.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from rushes.demo.slate import SlateFields, render_slate_rgba

__all__ = [
    "Composite",
    "available_fonts",
    "background_pool",
    "composite",
    "negative_frame",
    "place",
    "random_fields",
    "render_varied_slate",
    "synthetic_background",
    "write_by_hand",
]

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
RGB = tuple[int, int, int]

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts",
              "C:/Windows/Fonts")
#: substrings of font file names that look hand-written (used for values when present)
_HAND_HINTS = ("humor", "comic", "dkg", "breip", "marker", "hand", "script", "kalam", "indie")
_SKIP_HINTS = ("math", "symbol", "emoji", "dingbat", "extralight")

_PRODUCTIONS = ("NIGHT FERRY", "PAPER MOON", "SALT ROAD", "THE LONG FALL", "GLASS HARBOUR", "NORTH LIGHT",
                "RED DESERT", "Blue Hour", "The Visitor", "LAST TRAIN", "Moth", "HOLLOW CREEK", "Iron Bay",
                "SUMMER OF 89", "The Class Project", "Quiet Storm", "ECHO PARK", "Vlog S2")
_NAMES = ("J. OKAFOR", "M. LINDQVIST", "R. HALE", "S. NAKAMURA", "A. FERREIRA", "K. DUBOIS", "Matt Madoni",
          "Garrett Ray", "L. Chen", "P. Novak", "Dana Ortiz", "T. BRENNAN", "Ines Duarte", "O. ADEYEMI",
          "Gaby Sosa", "Randy Tucker", "E. Walsh", "H. Mueller")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WORDS = ("the", "and", "meeting", "notes", "EXIT", "OPEN", "Monday", "schedule", "call sheet", "LOCATION",
          "coffee", "PARKING", "crew", "lunch", "12:30", "wardrobe", "Room 4", "NO ENTRY", "sale", "50%",
          "report", "budget", "Chapter", "THANK YOU", "menu", "SOUP", "bus 42", "quiet please", "camera",
          "script", "page 12", "INT. KITCHEN", "EXT. ROAD", "rehearsal", "props", "WET PAINT")


def _cv() -> Any:
    """OpenCV, typed loosely (its stubs reject the numpy dtypes used here)."""
    import cv2

    return cv2


@functools.lru_cache(maxsize=1)
def available_fonts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(print fonts, hand-writing fonts): paths of installed TrueType/OpenType fonts.

    Either tuple may be empty (then Pillow's bundled font is used). Hand-writing fonts are the
    ones whose names suggest it (Humor Sans, Comic Neue, DKG hand-writing, Breip...); on a
    machine without them values use the print fonts with extra jitter.
    """
    found: list[Path] = []
    for root in _FONT_DIRS:
        base = Path(root)
        if base.is_dir():
            found.extend(sorted(p for p in base.rglob("*") if p.suffix.lower() in (".ttf", ".otf")))
    prints: list[str] = []
    hands: list[str] = []
    for p in found:
        name = p.name.lower()
        if any(h in name for h in _SKIP_HINTS):
            continue
        (hands if any(h in name for h in _HAND_HINTS) else prints).append(str(p))
    return tuple(prints), tuple(hands)


@functools.lru_cache(maxsize=512)
def _font(path: str | None, size: int) -> Any:
    size = max(6, int(size))
    if path:
        try:
            return ImageFont.truetype(path, size=size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def random_fields(rng: np.random.Generator, blank: bool = False) -> SlateFields:
    """Plausible slate text: production, roll (``A004``/``4``/``004``), scene (``12A``), take, names, date."""
    if blank:
        return SlateFields("", "", "", "", "", "", "")
    cam = str(rng.choice(list("AABBCD")))
    rn = int(rng.integers(1, 40))
    style = rng.random()
    roll = f"{cam}{rn:03d}" if style < 0.55 else (str(rn) if style < 0.85 else f"{rn:03d}")
    scene = f"{int(rng.integers(1, 160))}{'' if rng.random() < 0.45 else str(rng.choice(list('ABCDEFG')))}"
    take = str(int(rng.integers(1, 25)) if rng.random() < 0.85 else int(rng.integers(25, 60)))
    d, m, y = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(2019, 2028))
    date = (f"{d:02d} {_MONTHS[m - 1]} {y}" if rng.random() < 0.5 else f"{m}/{d}/{y % 100:02d}")
    camera = cam if rng.random() < 0.6 else str(rng.choice(_NAMES))
    return SlateFields(str(rng.choice(_PRODUCTIONS)), roll, scene, take, str(rng.choice(_NAMES)), camera, date)


@dataclass(frozen=True)
class _Look:
    board: RGB
    label: RGB
    ink: RGB
    line: RGB
    print_font: str | None
    hand_font: str | None
    jitter: float
    names: dict[str, str]


def _look(rng: np.random.Generator) -> _Look:
    prints, hands = available_fonts()
    pf = str(rng.choice(list(prints))) if prints else None
    hf = str(rng.choice(list(hands))) if hands and rng.random() < 0.7 else (
        str(rng.choice(list(prints))) if prints else None)
    kind = rng.random()
    if kind < 0.4:  # chalkboard / dark painted board, white chalk
        g = int(rng.integers(18, 60))
        board: RGB = (g, g + int(rng.integers(-4, 8)), g + int(rng.integers(-4, 8)))
        ink: RGB = (236, 236, 228) if rng.random() < 0.8 else (250, 230, 120)
        label: RGB = (200, 200, 195)
        line = label
    elif kind < 0.85:  # white acrylic, marker
        g = int(rng.integers(215, 252))
        board = (g, g, g - int(rng.integers(0, 12)))
        ink = [(20, 20, 25), (25, 40, 140), (150, 25, 25), (30, 30, 30)][int(rng.integers(0, 4))]
        label = (int(rng.integers(0, 60)),) * 3  # type: ignore[assignment]
        line = label
    else:  # black acrylic with printed white labels
        g = int(rng.integers(5, 30))
        board = (g, g, g)
        ink = (245, 245, 245)
        label = (230, 230, 230)
        line = label
    names = {
        "prod": str(rng.choice(["PROD", "PROD.", "PRODUCTION", "TITLE", "PROD"])),
        "roll": str(rng.choice(["ROLL", "ROLL", "REEL"])),
        "scene": str(rng.choice(["SCENE", "SCENE", "SC", "SCENE"])),
        "take": str(rng.choice(["TAKE", "TAKE", "TK", "TAKE"])),
        "director": str(rng.choice(["DIRECTOR", "DIRECTOR", "DIR.", "DIRECTOR:"])),
        "camera": str(rng.choice(["CAMERA", "CAMERA", "CAM", "CAMERA:"])),
        "date": str(rng.choice(["DATE", "DATE", "DATE:"])),
    }
    return _Look(board, label, ink, line, pf, hf, float(rng.uniform(0.0, 0.12)), names)


def _text_box(font: Any, text: str) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = font.getbbox(text)
    return int(x0), int(y0), int(x1), int(y1)


def _fit(path: str | None, text: str, w: float, h: float) -> int:
    lo, hi = 6, max(7, int(h * 1.6))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        x0, y0, x1, y1 = _text_box(_font(path, mid), text)
        if x1 - x0 <= w and y1 - y0 <= h:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _draw_print(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], text: str, font: str | None,
                fill: RGB, align: str = "left", size: int | None = None, max_h: float = 0.7) -> None:
    if not text:
        return
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w < 6 or h < 6:
        return
    size = size or _fit(font, text, w * 0.92, h * max_h)
    f = _font(font, size)
    bx0, by0, bx1, by1 = _text_box(f, text)
    tx = x0 + w * 0.04 - bx0 if align == "left" else x0 + (w - (bx1 - bx0)) / 2 - bx0
    ty = y0 + (h - (by1 - by0)) / 2 - by0
    draw.text((tx, ty), text, fill=fill, font=f)


def _draw_hand(img: Image.Image, box: tuple[float, float, float, float], text: str, look: _Look,
               rng: np.random.Generator, align: str = "center", max_h: float = 0.75) -> None:
    """Value text letter by letter with small random size, angle and baseline changes."""
    if not text:
        return
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w < 8 or h < 8:
        return
    size = _fit(look.hand_font, text, w * 0.9, h * max_h)
    f = _font(look.hand_font, size)
    bx0, by0, bx1, by1 = _text_box(f, text)
    tw, th = bx1 - bx0, by1 - by0
    x = x0 + (w - tw) / 2 if align == "center" else x0 + w * 0.05
    base_y = y0 + (h - th) / 2 - by0
    stroke = int(rng.integers(0, 2)) if look.hand_font else int(rng.integers(0, 3))
    jit = look.jitter
    for ch in text:
        adv = f.getlength(ch)
        if ch != " ":
            s = max(6, int(size * (1 + rng.uniform(-jit, jit))))
            cf = _font(look.hand_font, s)
            cx0, _cy0, cx1, cy1 = _text_box(cf, ch)
            pad = 4 + s // 4
            tile = Image.new("L", (cx1 - cx0 + 2 * pad, cy1 + 2 * pad), 0)
            ImageDraw.Draw(tile).text((pad - cx0, pad), ch, fill=255, font=cf, stroke_width=stroke,
                                      stroke_fill=255)
            angle = float(rng.uniform(-12, 12) * jit / 0.12) if jit > 0 else 0.0
            tile = tile.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
            dy = float(rng.uniform(-1, 1) * jit * size)
            colour = Image.new("RGB", tile.size, look.ink)
            img.paste(colour, (int(x + cx0 - pad), int(base_y + dy - pad)), tile)
        x += adv * (1 + float(rng.uniform(-jit, jit)) * 0.5)


def write_by_hand(img: Image.Image, box: tuple[float, float, float, float], text: str, rng: np.random.Generator,
                  *, ink: RGB, font: str | None = None, jitter: float | None = None, max_h: float = 0.75) -> None:
    """Write ``text`` into ``box`` of ``img`` (in place) the way values are written on the rendered
    slates: a hand-writing font when installed (else a print font), per-letter size, angle and
    baseline jitter, in ``ink``."""
    prints, hands = available_fonts()
    if font is None:
        pool = hands or prints
        font = str(rng.choice(list(pool))) if pool else None
    look = _Look(board=(0, 0, 0), label=(0, 0, 0), ink=ink, line=(0, 0, 0), print_font=None, hand_font=font,
                 jitter=float(rng.uniform(0.02, 0.1)) if jitter is None else jitter, names={})
    _draw_hand(img, box, text, look, rng, max_h=max_h)


def _sticks(width: int, stick_h: int, rng: np.random.Generator, kind: str, phase: float) -> Image.Image:
    yy, xx = np.mgrid[0:stick_h, 0:width]
    if kind == "bw":
        period = max(8.0, stick_h * float(rng.uniform(1.2, 2.2)))
        band = ((xx + yy * 0.9 + phase * period) // (period / 2)).astype(np.int64) % 2
        rgb = np.where(band[..., None] == 0, np.uint8(238), np.uint8(18)).astype(np.uint8)
        rgb = np.repeat(rgb, 3, axis=2)
    else:
        # chevrons: ">" shapes in colour bands (the "SMPTE" colour sticks) or black and white
        period = max(10.0, stick_h * 1.3)
        v = (xx - np.abs(yy - stick_h / 2) * 0.8 + phase * period) // (period / 2)
        idx = v.astype(np.int64)
        if kind == "colour":
            pal = np.array([(20, 150, 60), (240, 220, 30), (30, 80, 200), (240, 120, 20), (220, 30, 40),
                            (245, 245, 245), (130, 130, 130), (20, 20, 20)], np.uint8)
            rgb = pal[idx % len(pal)]
        else:
            rgb = np.where((idx % 2)[..., None] == 0, np.uint8(240), np.uint8(15)).astype(np.uint8)
            rgb = np.repeat(rgb, 3, axis=2) if rgb.shape[-1] == 1 else rgb
    edge = max(1, stick_h // 12)
    rgb = np.array(rgb, dtype=np.uint8)
    rgb[:edge] = 10
    rgb[-edge:] = 10
    alpha = np.full((stick_h, width, 1), 255, np.uint8)
    return Image.fromarray(np.concatenate([rgb, alpha], axis=2), "RGBA")


def render_varied_slate(
    fields: SlateFields,
    rng: np.random.Generator,
    size: tuple[int, int] | None = None,
    *,
    sticks_open: bool | None = None,
) -> U8:
    """Draw a slate in a random look and layout as an ``(H, W, 4)`` RGBA array (see module doc)."""
    if size is None:
        w = int(rng.integers(360, 720))
        size = (w, int(w * rng.uniform(0.7, 0.9)))
    width, height = size
    if rng.random() < 0.15:
        # the demo generator's own drawing, so the reel's look is always in the training set
        return render_slate_rgba(fields, (width, height), sticks_open=bool(rng.random() < 0.5)
                                 if sticks_open is None else sticks_open, rng=rng)
    look = _look(rng)
    head = int(height * 0.12)
    stick_h = max(6, int((height - head) * rng.uniform(0.07, 0.11)))
    body_top = head + 2 * stick_h
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    body = Image.new("RGB", (width, height - body_top), look.board)
    canvas.paste(body, (0, body_top))
    kind = str(rng.choice(["bw", "bw", "colour", "chevron"]))
    margin = max(1, width // 90)
    lower = _sticks(width - 2 * margin, stick_h, rng, kind, 0.0)
    canvas.alpha_composite(lower, (margin, head + stick_h))
    upper = _sticks(width - 2 * margin, stick_h, rng, kind, 0.5)
    opened = bool(rng.random() < 0.5) if sticks_open is None else sticks_open
    if opened:
        angle = float(rng.uniform(5, 14))
        holder = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        holder.alpha_composite(upper, (margin, head))
        turned = holder.rotate(angle, resample=Image.Resampling.BICUBIC, center=(margin, head + stick_h))
        canvas.alpha_composite(turned)
    else:
        canvas.alpha_composite(upper, (margin, head))

    layer = Image.new("RGB", (width, height - body_top), look.board)
    draw = ImageDraw.Draw(layer)
    bw, bh = width, height - body_top
    lw = max(1, bh // 110)
    left, right, top, bottom = 2 * margin + 2, bw - 2 * margin - 2, max(3, bh // 40), bh - max(3, bh // 40)
    layout = str(rng.choice(["grid", "boxes_first", "side_labels", "inline"], p=[0.4, 0.3, 0.15, 0.15]))
    lab_size = _fit(look.print_font, "DIRECTOR", (right - left) * 0.2, bh * 0.06)
    n = look.names

    def hline(y: float) -> None:
        draw.line([(left, y), (right, y)], fill=look.line, width=lw)

    def vline(x: float, y0: float, y1: float) -> None:
        draw.line([(x, y0), (x, y1)], fill=look.line, width=lw)

    def inline(y0: float, y1: float, x0: float, x1: float, label: str, value: str) -> None:
        lab_w = (x1 - x0) * 0.32 if len(label) > 5 else (x1 - x0) * 0.2
        _draw_print(draw, (x0, y0, x0 + lab_w, y1), label, look.print_font, look.label, size=lab_size)
        _draw_hand(layer, (x0 + lab_w, y0, x1, y1), value, look, rng, align="left", max_h=0.7)

    def code_boxes(y0: float, y1: float, side: bool) -> None:
        cols = [left, left + (right - left) * rng.uniform(0.27, 0.33), left + (right - left) * rng.uniform(0.64, 0.72),
                right]
        for x in cols[1:3]:
            vline(x, y0, y1)
        for (x0, x1), key, value in zip(zip(cols[:-1], cols[1:], strict=True), ("roll", "scene", "take"),
                                        (fields.roll, fields.scene, fields.take), strict=True):
            if side:
                # label printed sideways down the left edge of the box (as on many acrylic slates)
                f = _font(look.print_font, lab_size)
                tb = _text_box(f, n[key])
                tile = Image.new("L", (tb[2] - tb[0] + 4, tb[3] - tb[1] + 4), 0)
                ImageDraw.Draw(tile).text((2 - tb[0], 2 - tb[1]), n[key], fill=255, font=f)
                tile = tile.rotate(90, expand=True)
                layer.paste(Image.new("RGB", tile.size, look.label),
                            (int(x0 + 3 * lw), int((y0 + y1) / 2 - tile.size[1] / 2)), tile)
                _draw_hand(layer, (x0 + tile.size[0] + 4 * lw, y0, x1, y1), value, look, rng)
            else:
                split = y0 + (y1 - y0) * 0.28
                _draw_print(draw, (x0, y0, x1, split), n[key], look.print_font, look.label, size=lab_size)
                _draw_hand(layer, (x0, split, x1, y1), value, look, rng)

    if layout in ("grid", "boxes_first", "side_labels"):
        fr = np.array([0.16, 0.40, 0.17, 0.17]) * rng.uniform(0.85, 1.15, 4)
        fr = fr / fr.sum()
        edges = [float(top)]
        for v in fr:
            edges.append(edges[-1] + float(v) * (bottom - top))
        for i, y in enumerate(edges):
            if layout == "grid" or i != 1:
                hline(y)
        vline(left, top, bottom)
        vline(right, top, bottom)
        if layout == "grid":
            inline(edges[0], edges[1], left, right, n["prod"], fields.prod)
            code_boxes(edges[1], edges[2], side=False)
        else:
            code_boxes(edges[0], edges[2] - (edges[2] - edges[1]) * 0.35, side=layout == "side_labels")
            y_mid = edges[2] - (edges[2] - edges[1]) * 0.35
            hline(y_mid)
            inline(y_mid, edges[2], left, right, n["prod"], fields.prod)
        inline(edges[2], edges[3], left, right, n["director"], fields.director)
        mid = left + (right - left) * float(rng.uniform(0.45, 0.58))
        vline(mid, edges[3], edges[4])
        inline(edges[3], edges[4], left, mid, n["camera"], fields.camera)
        inline(edges[3], edges[4], mid, right, n["date"], fields.date)
    else:
        rows = np.linspace(top, bottom, 6)
        for i, y in enumerate(rows):
            if i != 2:  # the roll/scene/take boxes span rows 1-3: no rule through their values
                hline(float(y))
        inline(float(rows[0]), float(rows[1]), left, right, n["prod"], fields.prod)
        third = (right - left) / 3
        for i, key in enumerate(("roll", "scene", "take")):
            x0 = left + i * third
            if i:
                vline(x0, float(rows[1]), float(rows[3]))
            inline(float(rows[1]), float(rows[3]), x0, x0 + third, n[key], getattr(fields, key))
        inline(float(rows[3]), float(rows[4]), left, right, n["director"], fields.director)
        inline(float(rows[4]), float(rows[5]), left, right, n["camera"], fields.camera + "   " + fields.date)
    if rng.random() < 0.5:
        # chalk / marker texture: fade random specks of the lettering
        arr = np.asarray(layer, dtype=np.int16)
        board = np.asarray(look.board, np.int16)
        speck = rng.random(arr.shape[:2]) < rng.uniform(0.03, 0.15)
        arr[speck] = (arr[speck] + board) // 2
        layer = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    canvas.paste(layer, (0, body_top))
    return np.asarray(canvas, dtype=np.uint8).copy()


# -- backgrounds ---------------------------------------------------------------------------------


def _value_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> F32:
    gh, gw = h // cell + 2, w // cell + 2
    cv2 = _cv()

    grid = rng.random((gh, gw)).astype(np.float32)
    return np.asarray(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def synthetic_background(rng: np.random.Generator, size: tuple[int, int]) -> U8:
    """A synthetic frame: lit gradient + noise + shapes (a set, a wall, a street at night...)."""
    cv2 = _cv()

    w, h = size
    c1 = rng.uniform(0, 255, 3)
    c2 = rng.uniform(0, 255, 3)
    a = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = np.clip((xx * math.cos(a) + yy * math.sin(a)) / (w + h) + 0.5, 0, 1)[..., None]
    img = c1 * (1 - g) + c2 * g
    img = img * (0.6 + 0.8 * _value_noise(rng, h, w, max(4, int(w * rng.uniform(0.03, 0.3))))[..., None])
    out = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 9))):
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
            cv2.rectangle(out, (x0, y0), (x0 + int(rng.integers(10, w // 2)), y0 + int(rng.integers(10, h // 2))),
                          col, -1)
        else:
            cv2.ellipse(out, (int(rng.integers(0, w)), int(rng.integers(0, h))),
                        (int(rng.integers(5, w // 4)), int(rng.integers(5, h // 3))), float(rng.uniform(0, 180)),
                        0, 360, col, -1)
    k = int(rng.integers(0, 4)) * 2 + 1
    if k > 1:
        out = cv2.GaussianBlur(out, (k, k), 0)
    return np.asarray(out, dtype=np.uint8)


def background_pool(folders: Sequence[Path], *, per_video: int = 24, max_side: int = 960,
                    exclude: Sequence[str] = ()) -> list[U8]:
    """Frames from the videos and (non-slate) images in ``folders`` (RGB, longest side ≤ ``max_side``).

    File names containing ``slate`` are skipped (they are evaluation material), as are names in
    ``exclude``. Unreadable files are skipped silently.
    """
    from rushes.media import FrameSpec, MediaInfo, iter_frames, probe

    frames: list[U8] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            name = path.name
            if "slate" in name.lower() or name in exclude:
                continue
            suffix = path.suffix.lower()
            try:
                if suffix in (".png", ".jpg", ".jpeg", ".bmp", ".webp"):
                    im = Image.open(path).convert("RGB")
                    im.thumbnail((max_side, max_side))
                    frames.append(np.asarray(im, dtype=np.uint8))
                elif suffix in (".mp4", ".mkv", ".webm", ".avi", ".mov"):
                    info: MediaInfo = probe(path)
                    dur = float(info.duration or 0)
                    if dur <= 0:
                        continue
                    fps = Fraction(per_video, 1) / Fraction(dur).limit_denominator(1000)
                    spec = FrameSpec(mode="fps", fps=fps, max_side=max_side)
                    frames.extend(np.ascontiguousarray(f.image) for f in iter_frames(path, spec, info))
            except Exception:  # a broken sample file must not stop dataset generation
                continue
    return frames


# -- compositing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Composite:
    """A training picture and what is in it."""

    image: U8
    label: int
    """0 = no slate, 1 = slate (head, upright), 2 = tail slate (upside down)."""
    fields: SlateFields | None = None
    slate_frac: float = 0.0
    """Slate width as a fraction of the frame width (0 for negatives)."""


def _hand(rng: np.random.Generator, scale: float) -> tuple[U8, npt.NDArray[np.bool_]]:
    """A rough hand: palm ellipse + four fingers, skin-coloured, as (RGB, mask) of ~``scale`` px."""
    cv2 = _cv()

    s = max(16, int(scale))
    img = np.zeros((s * 2, s * 2, 3), np.uint8)
    mask = np.zeros((s * 2, s * 2), np.uint8)
    skin = np.array([rng.uniform(120, 240), rng.uniform(80, 190), rng.uniform(60, 160)])
    skin = (skin * rng.uniform(0.5, 1.1)).clip(0, 255)
    col = tuple(int(v) for v in skin)
    cv2.ellipse(mask, (s, int(s * 1.2)), (int(s * 0.45), int(s * 0.55)), 0, 0, 360, 255, -1)
    for i in range(4):
        x = int(s * (0.62 + 0.25 * i))
        cv2.line(mask, (x, int(s * 0.9)), (x + int(rng.integers(-4, 5)), int(s * 0.15)), 255, max(3, s // 7))
    cv2.line(mask, (int(s * 0.6), int(s * 1.3)), (int(s * 0.15), int(s * 0.9)), 255, max(3, s // 6))
    img[mask > 0] = col
    shade = (np.linspace(0.75, 1.1, s * 2)[None, :, None])
    img = np.clip(img * shade, 0, 255).astype(np.uint8)
    angle = float(rng.uniform(0, 360))
    m = cv2.getRotationMatrix2D((s, s), angle, 1.0)
    img = cv2.warpAffine(img, m, (2 * s, 2 * s))
    mask = cv2.warpAffine(mask, m, (2 * s, 2 * s))
    return np.asarray(img, np.uint8), np.asarray(mask > 127)


def _paste(dst: U8, src: U8, mask: npt.NDArray[np.bool_] | F32, x: int, y: int) -> None:
    h, w = dst.shape[:2]
    sh, sw = src.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + sw), min(h, y + sh)
    if x0 >= x1 or y0 >= y1:
        return
    s = src[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)
    a = np.asarray(mask[y0 - y:y1 - y, x0 - x:x1 - x], np.float32)
    if a.ndim == 2:
        a = a[..., None]
    d = dst[y0:y1, x0:x1].astype(np.float32)
    dst[y0:y1, x0:x1] = np.clip(s * a + d * (1 - a), 0, 255).astype(np.uint8)


def _degrade(img: U8, rng: np.random.Generator, strength: float = 1.0) -> U8:
    """Lighting, colour cast, blur (defocus or motion), noise and JPEG loss."""
    cv2 = _cv()

    out = img.astype(np.float32)
    h, w = out.shape[:2]
    gain = rng.uniform(0.45, 1.35) if rng.random() < 0.7 * strength else 1.0
    gamma = rng.uniform(0.7, 1.4) if rng.random() < 0.5 * strength else 1.0
    out = 255.0 * np.power(np.clip(out * gain / 255.0, 0, 1), gamma)
    if rng.random() < 0.5 * strength:
        out *= rng.uniform(0.85, 1.15, 3)[None, None, :]
    if rng.random() < 0.4 * strength:  # uneven light
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / max(w, h)
        out *= (1.2 - rng.uniform(0.2, 0.8) * r)[..., None]
    out = np.clip(out, 0, 255).astype(np.uint8)
    r = rng.random()
    if r < 0.25 * strength:
        k = int(rng.integers(1, 4)) * 2 + 1
        out = cv2.GaussianBlur(out, (k, k), 0)
    elif r < 0.45 * strength:
        n = int(rng.integers(5, max(6, w // 25)))
        kern = np.zeros((n, n), np.float32)
        kern[n // 2, :] = 1.0 / n
        m = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        kern = cv2.warpAffine(kern, m, (n, n))
        kern /= max(1e-6, float(kern.sum()))
        out = cv2.filter2D(out, -1, kern)
    if rng.random() < 0.5 * strength:
        noise = rng.normal(0, rng.uniform(2, 12), out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6 * strength:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(rng.integers(25, 92)))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), dtype=np.uint8)
    return np.asarray(out, dtype=np.uint8)


def _frame_of(bg: U8, rng: np.random.Generator, size: tuple[int, int]) -> U8:
    """A random crop of ``bg`` resized to ``size``; sometimes letterboxed (2.39:1 in 16:9)."""
    cv2 = _cv()

    w, h = size
    bh, bw = bg.shape[:2]
    target = w / h
    crop_w = min(bw, int(bh * target))
    crop_h = int(crop_w / target)
    scale = rng.uniform(0.6, 1.0)
    cw, ch = max(8, int(crop_w * scale)), max(8, int(crop_h * scale))
    x0 = int(rng.integers(0, bw - cw + 1))
    y0 = int(rng.integers(0, bh - ch + 1))
    out = cv2.resize(bg[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    out = np.ascontiguousarray(out, dtype=np.uint8)
    if rng.random() < 0.1:
        bar = int(h * rng.uniform(0.08, 0.14))
        out[:bar] = 0
        out[h - bar:] = 0
    return out


def _warp_rgba(rgba: U8, rng: np.random.Generator, out_w: int, frame: tuple[int, int], upside_down: bool,
               geometry: float) -> tuple[U8, F32, int, int]:
    """Scale the slate to ``out_w`` px wide, rotate/tilt it, and pick where it goes in ``frame``."""
    cv2 = _cv()

    h, w = rgba.shape[:2]
    s = out_w / w
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst: F32 = src * np.float32(s)
    jit = geometry * 0.12 * out_w
    dst = dst + rng.uniform(-jit, jit, dst.shape).astype(np.float32)
    angle = float(rng.normal(0, 9 * geometry))
    if upside_down:
        angle += 180.0
    c = dst.mean(axis=0)
    rad = math.radians(angle)
    rot = np.array([[math.cos(rad), -math.sin(rad)], [math.sin(rad), math.cos(rad)]], np.float32)
    dst = (dst - c) @ rot.T + c
    dst -= dst.min(axis=0)
    bw, bh = int(math.ceil(dst[:, 0].max())) + 1, int(math.ceil(dst[:, 1].max())) + 1
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(rgba, m, (bw, bh), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    fw, fh = frame
    # mostly inside the frame; sometimes cut by an edge
    x = int(rng.uniform(-0.15 * bw, fw - 0.85 * bw)) if fw > bw * 0.7 else int((fw - bw) / 2)
    y = int(rng.uniform(-0.1 * bh, fh - 0.8 * bh)) if fh > bh * 0.7 else int((fh - bh) / 2)
    alpha = warped[..., 3].astype(np.float32) / 255.0
    return np.ascontiguousarray(warped[..., :3]), alpha, x, y


def place(frame: U8, rgba: U8, rng: np.random.Generator, *, width: int, geometry: float, strength: float) -> U8:
    """Warp an RGBA slate ``width`` px wide onto ``frame`` (kept inside it) and degrade the result."""
    size = (frame.shape[1], frame.shape[0])
    img, alpha, x, y = _warp_rgba(rgba, rng, width, size, False, geometry=geometry)
    x = int(np.clip(x, 0, max(0, size[0] - img.shape[1])))
    y = int(np.clip(y, 0, max(0, size[1] - img.shape[0])))
    out = frame.copy()
    _paste(out, img, alpha, x, y)
    return _degrade(out, rng, strength) if strength > 0 else out


def composite(
    bg: U8,
    rng: np.random.Generator,
    *,
    size: tuple[int, int] = (640, 360),
    upside_down: bool = False,
    fields: SlateFields | None = None,
    scale: tuple[float, float] = (0.22, 0.95),
    strength: float = 1.0,
) -> Composite:
    """A frame of ``size`` with a slate on it (see the module docstring).

    ``scale`` bounds the slate's width as a fraction of the frame width (log-uniform, biased to
    big slates held close to the lens); ``strength`` scales how likely each degradation is.
    """
    frame = _frame_of(bg, rng, size)
    blank = rng.random() < 0.08
    fields = fields or random_fields(rng, blank=blank)
    rgba = render_varied_slate(fields, rng)
    frac = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
    out_w = max(24, int(size[0] * frac))
    img, alpha, x, y = _warp_rgba(rgba, rng, out_w, size, upside_down, geometry=float(rng.uniform(0.2, 1.0)))
    _paste(frame, img, alpha, x, y)
    # a hand holding it, or someone in front of part of it
    if rng.random() < 0.5:
        hand, mask = _hand(rng, out_w * rng.uniform(0.12, 0.25))
        hx = x + int(rng.uniform(-0.1, 1.0) * img.shape[1]) - hand.shape[1] // 2
        hy = y + int(rng.uniform(0.3, 1.0) * img.shape[0]) - hand.shape[0] // 2
        _paste(frame, hand, mask.astype(np.float32), hx, hy)
    if rng.random() < 0.12:
        _occlude(frame, rng)
    return Composite(_degrade(frame, rng, strength), 2 if upside_down else 1, fields, frac)


def _occlude(frame: U8, rng: np.random.Generator) -> None:
    """Something dark or coloured across part of the picture (a shoulder, a boom, a door frame)."""
    cv2 = _cv()

    h, w = frame.shape[:2]
    col = tuple(int(v) for v in rng.integers(0, 120, 3))
    if rng.random() < 0.5:
        axes = (int(w * rng.uniform(0.1, 0.25)), int(h * rng.uniform(0.2, 0.5)))
        cv2.ellipse(frame, (int(rng.integers(0, w)), h), axes, 0, 180, 360, col, -1)
    else:
        x = int(rng.integers(0, w))
        cv2.rectangle(frame, (x, 0), (x + int(w * rng.uniform(0.03, 0.12)), h), col, -1)


def _text_sheet(rng: np.random.Generator, w: int, h: int) -> U8:
    """A sheet, sign, screen or board covered in ordinary text, as RGBA."""
    prints, hands = available_fonts()
    fonts: list[str | None] = list(prints + hands) or [None]
    kind = rng.random()
    if kind < 0.35:
        bg: RGB = (int(rng.integers(225, 255)),) * 3  # type: ignore[assignment]
        ink: RGB = (20, 20, 20)
    elif kind < 0.6:
        bg = tuple(int(v) for v in rng.integers(0, 255, 3))  # type: ignore[assignment]
        ink = (255, 255, 255) if sum(bg) < 380 else (10, 10, 10)
    elif kind < 0.8:  # dark screen / blackboard with writing
        g = int(rng.integers(10, 60))
        bg = (g, g, g + int(rng.integers(0, 30)))
        ink = (230, 230, 220)
    else:  # whiteboard with marker
        bg = (240, 242, 240)
        ink = [(20, 40, 160), (180, 20, 20), (20, 120, 40), (20, 20, 20)][int(rng.integers(0, 4))]
    img = Image.new("RGBA", (w, h), (*bg, 255))
    draw = ImageDraw.Draw(img)
    y = h * rng.uniform(0.03, 0.15)
    lines = int(rng.integers(1, 9))
    line_h = (h * 0.85) / max(lines, 1)
    for _ in range(lines):
        words = " ".join(str(rng.choice(_WORDS)) for _ in range(int(rng.integers(1, 5))))
        if rng.random() < 0.3:
            words = words.upper()
        if rng.random() < 0.2:
            words += f" {int(rng.integers(1, 999))}"
        size = max(8, int(line_h * rng.uniform(0.4, 0.8)))
        f = _font(fonts[int(rng.integers(0, len(fonts)))], size)
        draw.text((w * rng.uniform(0.03, 0.2), y), words, fill=ink, font=f)
        if rng.random() < 0.2:
            draw.line([(w * 0.03, y + line_h * 0.95), (w * 0.97, y + line_h * 0.95)], fill=ink, width=max(1, h // 150))
        y += line_h
    if rng.random() < 0.25:  # a table grid: forms that are not slates
        for gx in np.linspace(0, w, int(rng.integers(2, 5)))[1:-1]:
            draw.line([(gx, 0), (gx, h)], fill=ink, width=max(1, h // 120))
    return np.asarray(img, dtype=np.uint8).copy()


def _stripes(rng: np.random.Generator, w: int, h: int) -> U8:
    """A striped object (barrier, awning, zebra pattern, scarf) - the sticks without a slate."""
    yy, xx = np.mgrid[0:h, 0:w]
    period = float(rng.uniform(8, 40))
    band = ((xx + yy * rng.uniform(-1.2, 1.2)) // (period / 2)).astype(np.int64) % 2
    c1 = rng.integers(0, 256, 3)
    c2 = rng.integers(0, 256, 3) if rng.random() < 0.5 else 255 - c1
    rgb = np.where(band[..., None] == 0, c1, c2).astype(np.uint8)
    alpha = np.full((h, w, 1), 255, np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


def negative_frame(bg: U8, rng: np.random.Generator, *, size: tuple[int, int] = (640, 360)) -> Composite:
    """A frame without a slate; often with text, boards, stripes or hands in it (hard negatives)."""
    frame = _frame_of(bg, rng, size)
    r = rng.random()
    if r < 0.55:
        for _ in range(int(rng.integers(1, 3))):
            sw = int(size[0] * np.exp(rng.uniform(np.log(0.15), np.log(0.8))))
            sh = int(sw * rng.uniform(0.4, 1.3))
            obj = _text_sheet(rng, sw, sh) if rng.random() < 0.8 else _stripes(rng, sw, max(8, sh // 4))
            img, alpha, x, y = _warp_rgba(obj, rng, sw, size, bool(rng.random() < 0.3), float(rng.uniform(0.2, 1.0)))
            _paste(frame, img, alpha, x, y)
    if rng.random() < 0.35:
        hand, mask = _hand(rng, size[0] * rng.uniform(0.06, 0.2))
        _paste(frame, hand, mask.astype(np.float32), int(rng.integers(0, size[0])) - hand.shape[1] // 2,
               int(rng.integers(0, size[1])) - hand.shape[0] // 2)
    if rng.random() < 0.1:
        _occlude(frame, rng)
    return Composite(_degrade(frame, rng), 0)


def iter_backgrounds(pool: Sequence[U8], rng: np.random.Generator, synthetic_share: float,
                     size: tuple[int, int]) -> Iterator[U8]:
    """Endless backgrounds: from ``pool`` or synthetic (always synthetic when the pool is empty)."""
    while True:
        if not pool or rng.random() < synthetic_share:
            yield synthetic_background(rng, (size[0] + 64, size[1] + 36))
        else:
            yield pool[int(rng.integers(0, len(pool)))]


def random_size(rng: np.random.Generator) -> tuple[int, int]:
    """A frame size for one picture: mostly 16:9, some 4:3, 1.85 and 2.39 (width 480–800)."""
    w = int(rng.integers(480, 800)) // 2 * 2
    aspect = float(rng.choice([16 / 9, 16 / 9, 16 / 9, 4 / 3, 1.85, 2.39]))
    return w, max(64, int(w / aspect) // 2 * 2)

