"""Draw an intensity curve as a PNG (Pillow only), like the seed's intensity chart.

The curve is reduced to one column per pixel (the column's minimum and maximum, so short peaks
survive any zoom level); the threshold is a red line, samples at or above it are drawn in orange,
and optional hits are shaded bands.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from rushes.intervals import Intervals

if TYPE_CHECKING:
    from rushes.patterns.weighted import IntensityCurve

__all__ = ["render_curve_png"]

_BG = (255, 255, 255)
_AXIS = (90, 90, 90)
_GRID = (228, 228, 228)
_AREA = (168, 196, 232)
_LINE = (31, 84, 160)
_HOT = (230, 120, 20)
_THRESHOLD = (210, 30, 30)
_BAND = (255, 236, 200)


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    if raw <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for k in (1, 2, 5, 10):
        if raw <= k * mag:
            return float(k * mag)
    return float(10 * mag)


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def render_curve_png(
    curve: IntensityCurve,
    path: str | Path,
    threshold: float | None = None,
    hits: Intervals | None = None,
    width: int = 1200,
    height: int = 320,
    title: str | None = None,
) -> Path:
    """Write ``curve`` as a PNG chart to ``path`` and return the path."""
    width, height = max(int(width), 200), max(int(height), 120)
    left, right, top, bottom = 56, 16, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = np.asarray(curve.values, dtype=np.float64)
    n = len(values)
    duration = float(curve.step) * n
    img = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()

    levels = [0.0, float(np.min(values, initial=0.0)), float(np.max(values, initial=0.0))]
    if threshold is not None:
        levels.append(float(threshold))
    lo, hi = min(levels), max(levels)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    pad = 0.06 * (hi - lo)
    lo, hi = lo - pad, hi + pad

    def y_of(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    def x_of(t: float) -> float:
        return left + plot_w * (t / duration if duration > 0 else 0.0)

    if hits is not None and len(hits):
        for row in hits:
            if row.media == curve.media:
                draw.rectangle([x_of(row.start_seconds), top, max(x_of(row.end_seconds), x_of(row.start_seconds) + 1),
                                top + plot_h], fill=_BAND)
    ystep = _nice_step(hi - lo, 5)
    tick = math.ceil(lo / ystep) * ystep
    while tick <= hi:
        y = y_of(tick)
        draw.line([(left, y), (left + plot_w, y)], fill=_GRID)
        draw.text((4, y - 6), f"{tick:g}", fill=_AXIS, font=font)
        tick += ystep
    if duration > 0:
        xstep = _nice_step(duration, 10)
        t = 0.0
        while t <= duration + 1e-9:
            x = x_of(t)
            draw.line([(x, top + plot_h), (x, top + plot_h + 4)], fill=_AXIS)
            draw.text((x - 12, top + plot_h + 8), _clock(t), fill=_AXIS, font=font)
            t += xstep

    if n:
        cols = np.arange(plot_w + 1)
        edges = np.minimum((cols * n) // plot_w, n - 1)
        first = edges[:-1]
        col_max = np.maximum.reduceat(values, first)
        col_min = np.minimum.reduceat(values, first)
        zero = y_of(0.0)
        points = []
        for x in range(plot_w):
            px = left + x
            vmax, vmin = float(col_max[x]), float(col_min[x])
            draw.line([(px, zero), (px, y_of(vmax if vmax > 0 else vmin))], fill=_AREA)
            hot = threshold is not None and vmax >= threshold
            if hot:
                draw.line([(px, y_of(vmin)), (px, y_of(vmax))], fill=_HOT)
            points.append((px, y_of(vmax)))
        draw.line(points, fill=_LINE, width=1)
    if threshold is not None:
        ty = y_of(threshold)
        draw.line([(left, ty), (left + plot_w, ty)], fill=_THRESHOLD, width=2)
        draw.text((left + plot_w - 90, ty - 14), f"threshold {threshold:g}", fill=_THRESHOLD, font=font)
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline=_AXIS)
    label = title if title is not None else f"media {curve.media}: {curve.mode} intensity"
    draw.text((left, 6), label, fill=(0, 0, 0), font=font)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, format="PNG")
    return out
