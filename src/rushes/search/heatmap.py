"""Heat map of a query's score over each file's timeline: PNG strips and an HTML report.

Each file is one row: its name, then its timeline coloured from dark (no match) to yellow (best
match), like the CLIP-over-a-film heat map that shows where in a movie a scene is. The HTML page
embeds the PNG, a row per file with its own strip, and the ranked moments with thumbnails;
:func:`heatmap_html` returns the fragment so a larger report can include it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.search.engine import SearchResult, signal_curve

__all__ = ["colour_map", "heatmap_html", "render_heatmap", "write_heatmaps"]

#: viridis-like anchors (dark purple → blue → green → yellow)
_ANCHORS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)
_LABEL_W, _BAR_W, _ROW_H, _PAD = 220, 640, 22, 4


def colour_map(values: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """RGB colours [N, 3] for values in 0–1."""
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * (len(_ANCHORS) - 1)
    lo = np.floor(v).astype(int)
    hi = np.minimum(lo + 1, len(_ANCHORS) - 1)
    frac = (v - lo)[:, None]
    out: npt.NDArray[np.uint8] = (_ANCHORS[lo] * (1 - frac) + _ANCHORS[hi] * frac).round().astype(np.uint8)
    return out


def _rows(result: SearchResult, durations: dict[int, float], names: dict[int, str],
          media: Sequence[int] | None) -> list[tuple[int, str, float, npt.NDArray[np.float64]]]:
    ids = list(media) if media is not None else sorted(result.signals, key=lambda i: names.get(i, str(i)))
    rows = []
    for mid in ids:
        dur = max(durations.get(mid, 0.0), max((h.end for h in result.signals.get(mid, [])), default=0.0), 0.5)
        _t, v = signal_curve(result.signals.get(mid, []), dur, step=max(0.25, dur / _BAR_W))
        rows.append((mid, names.get(mid, str(mid)), dur, v))
    return rows


def render_heatmap(result: SearchResult, durations: dict[int, float], names: dict[int, str],
                   out: Path | None = None, media: Sequence[int] | None = None) -> bytes:
    """One PNG with a row per file; written to ``out`` when given. Returns the PNG bytes."""
    from PIL import Image, ImageDraw

    rows = _rows(result, durations, names, media)
    height = _PAD * 2 + max(1, len(rows)) * (_ROW_H + _PAD) + 18
    img = Image.new("RGB", (_LABEL_W + _BAR_W + 2 * _PAD, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((_PAD, _PAD), f"query: {result.query}"[:110], fill=(0, 0, 0))
    y = _PAD + 18
    for _mid, name, dur, v in rows:
        draw.text((_PAD, y + 5), name[:34], fill=(0, 0, 0))
        cols = colour_map(np.interp(np.linspace(0, len(v) - 1, _BAR_W), np.arange(len(v)), v))
        strip = np.repeat(cols[None], _ROW_H, axis=0)
        img.paste(Image.fromarray(strip), (_LABEL_W, y))
        draw.text((_LABEL_W + _BAR_W - 48, y + 5), f"{dur:6.1f}s", fill=(255, 255, 255))
        y += _ROW_H + _PAD
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    data = buf.getvalue()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return data


def heatmap_html(result: SearchResult, durations: dict[int, float], names: dict[int, str]) -> str:
    """An HTML fragment: the heat map image and the ranked moments (for embedding in a report)."""
    png = base64.b64encode(render_heatmap(result, durations, names)).decode()
    rows = []
    for i, m in enumerate(result.moments, 1):
        thumb = (f'<img src="{html.escape(Path(m.thumbnail).absolute().as_uri())}" height="54">'
                 if m.thumbnail else "")
        rows.append(
            f"<tr><td>{i}</td><td>{thumb}</td><td>{html.escape(m.file)}</td><td>{m.start:.2f}–{m.end:.2f} s</td>"
            f"<td>{html.escape(m.timecode or '')}</td><td>{m.score:.3f}</td>"
            f"<td>{html.escape('; '.join(m.why))}</td></tr>"
        )
    return (
        f'<section class="rushes-search"><h2>Search: {html.escape(result.query)}</h2>'
        f'<img alt="heat map" src="data:image/png;base64,{png}">'
        "<table><tr><th>#</th><th></th><th>file</th><th>time</th><th>timecode</th><th>score</th><th>why</th></tr>"
        + "".join(rows) + "</table></section>"
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "file"


def write_heatmaps(result: SearchResult, library: Any, out_dir: Path) -> dict[str, Any]:
    """``heatmap.png`` (all files), one ``<file>.png`` per file with hits, and ``index.html``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    media = {m.id: m for m in library.catalog.list_media()}
    durations = {i: float(m.duration_s or 0.0) for i, m in media.items()}
    names = {i: m.name for i, m in media.items()}
    render_heatmap(result, durations, names, out_dir / "heatmap.png")
    per_file = []
    for mid in sorted(result.signals):
        path = out_dir / f"{_safe(names.get(mid, str(mid)))}.png"
        render_heatmap(result, durations, names, path, media=[mid])
        per_file.append(str(path))
    page = ("<!doctype html><meta charset='utf-8'><title>rushes search</title>"
            "<style>body{font-family:sans-serif}td{padding:2px 6px;vertical-align:top}</style>"
            + heatmap_html(result, durations, names))
    (out_dir / "index.html").write_text(page, encoding="utf-8")
    return {"heatmap": str(out_dir / "heatmap.png"), "files": per_file, "html": str(out_dir / "index.html")}
