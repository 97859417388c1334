"""Measure slate reading: field accuracy on generated slates, demo reels and real slate photos.

::

    from rushes.triage.slate import evaluate_slates
    evaluate_slates(generated=48)                      # rendered slates, varied looks/degradations
    evaluate_slates([Path("reel")])                    # a generate_reel folder (truth.json)
    evaluate_slates([Path("../shared/data")])          # the legible real slates (gt/slate_transcriptions.json)

Each returns ``{"n", "fields": {name: {"n", "correct", "accuracy"}}, "all_three": ..., "items": [...],
"ocr_seconds_mean": ...}``; ``all_three`` is the share of slates whose roll, scene and take are all
right (only counted where all three are known). Values are compared after the same normalisation
on both sides (``12a`` = ``12A``; a roll ``A004`` equals ``A4`` but not ``B004``); a field that is
missing from the reading counts as wrong.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.triage.slate.fields import normalise_field, normalise_roll, normalise_text

__all__ = ["LEVELS", "evaluate_slates", "generated_items", "real_slate_images", "same_value"]

U8 = npt.NDArray[np.uint8]
RealItem = tuple[str, U8, dict[str, str]]
_GRID = "slate_bosc_grid8_boxed.png"
_CODES = ("roll", "scene", "take")
_TRUTH_KEYS = {"production": "prod", "prod": "prod", "roll": "roll", "scene": "scene", "take": "take",
               "director": "director", "camera": "camera", "date": "date"}


def same_value(name: str, truth: str, read: str | None) -> bool:
    """Whether ``read`` is the same field value as ``truth`` (after normalising both)."""
    if read is None:
        return False
    if name == "roll":
        a, b = normalise_roll(truth), normalise_roll(read)
        if a is None or b is None:
            return False
        da = "".join(c for c in a if c.isdigit())
        db = "".join(c for c in b if c.isdigit())
        la = "".join(c for c in a if c.isalpha())
        lb = "".join(c for c in b if c.isalpha())
        return int(da) == int(db) and la == lb
    if name in ("scene", "take"):
        return normalise_field(name, truth) == normalise_field(name, read)
    return normalise_text(truth).upper() == normalise_text(read).upper()


def _panels(img: U8) -> list[U8]:
    """Cut the 4×2 screenshot grid into its panels (white gutters; the grey padding bars above and
    below each screenshot trimmed — rows of one colour equal to the panel's corner; a film's own
    black letterbox stays)."""
    white = img.min(axis=2) > 240
    cols = white.mean(axis=0) > 0.9
    segs: list[tuple[int, int]] = []
    start: int | None = None
    for x, v in enumerate(cols):
        if not v and start is None:
            start = x
        elif v and start is not None:
            segs.append((start, x))
            start = None
    if start is not None:
        segs.append((start, len(cols)))
    rows = np.where(white.mean(axis=1) <= 0.9)[0]
    if not len(rows) or len(segs) != 4:
        return []
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    mid = (y0 + y1) // 2
    out: list[U8] = []
    for a, b in ((y0, mid), (mid, y1)):
        for s, e in segs:
            cell = img[a:b, s:e]
            corner = cell[0, 0].astype(np.float32)
            flat = cell.astype(np.float32).std(axis=1).max(axis=1) <= 3
            pad = flat & (np.abs(cell.astype(np.float32).mean(axis=1) - corner).max(axis=1) <= 6)
            keep = np.where(~pad)[0]
            if len(keep):
                cell = cell[keep[0]:keep[-1] + 1]
            out.append(np.ascontiguousarray(cell))
    return out


def real_slate_images(data: Path, *, legible_only: bool = False) -> list[RealItem]:
    """Real slate pictures from ``data`` (``../shared/data``) with the team's transcriptions.

    Returns ``(name, RGB image, truth)`` — truth maps field names (``prod``, ``roll``, ``scene``,
    ``take``, ``director``, ``camera``, ``date``) to the legible values only (``?`` and empty
    fields are left out). ``legible_only`` keeps pictures with at least one legible field.
    Empty when the files are absent.
    """
    from PIL import Image

    gt_path = data / "gt" / "slate_transcriptions.json"
    if not gt_path.is_file():
        return []
    gt = json.loads(gt_path.read_text(encoding="utf-8"))
    out: list[RealItem] = []
    grid = data / "images" / _GRID
    if grid.is_file() and _GRID in gt:
        panels = _panels(np.asarray(Image.open(grid).convert("RGB"), dtype=np.uint8))
        for entry, panel in zip(gt[_GRID].get("panels_row_major", []), panels, strict=False):
            out.append((f"{_GRID}#{entry.get('panel')}", panel, _legible(entry)))
    for name, entry in gt.items():
        if name.startswith("_") or name == _GRID:
            continue
        path = data / "images" / name
        if path.is_file():
            out.append((name, np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8), _legible(entry)))
    if legible_only:
        out = [item for item in out if item[2]]
    return out


def _legible(entry: Mapping[str, Any]) -> dict[str, str]:
    truth: dict[str, str] = {}
    for key, name in _TRUTH_KEYS.items():
        value = entry.get(key)
        if isinstance(value, str) and value.strip() and "?" not in value:
            truth[name] = value.strip()
    return truth


def _reel_items(reel: Path) -> list[RealItem]:
    from rushes.demo import ReelTruth
    from rushes.media import read_frame_at

    truth = ReelTruth.read(reel / "truth.json")
    items: list[RealItem] = []
    for name, ft in truth.files.items():
        for k, take in enumerate(ft.takes):
            t = (take.slate + take.clap) / 2
            frame = read_frame_at(reel / name, t)
            fields = take.fields.as_dict() if take.fields else {"roll": take.roll, "scene": take.scene,
                                                                 "take": take.take}
            items.append((f"{name}#take{k + 1}", frame.image, {k2: v for k2, v in fields.items() if v}))
    return items


#: degradation levels of generated slates: (name, strength of blur/noise/JPEG/light, geometry)
LEVELS: tuple[tuple[str, float, float], ...] = (("clean", 0.0, 0.2), ("mild", 0.4, 0.5), ("heavy", 1.0, 1.0))


def generated_items(n: int, seed: int = 0, size: tuple[int, int] = (1280, 720), *, style: str = "varied",
                    board_width: tuple[float, float] = (0.45, 0.8)) -> list[RealItem]:
    """``n`` rendered slates composited onto synthetic frames, cycling through :data:`LEVELS`.

    ``board_width``: the board's width as a share of the frame's, drawn uniformly in this range
    (``(0.15, 0.35)``: boards far from the camera, as in a wide shot).

    ``style="varied"``: the training renderer (looks, layouts, label spellings, installed fonts
    with hand-writing jitter); ``style="demo"``: the demo reel's slate drawing
    (:func:`rushes.demo.render_slate_rgba`) with random fields, as in ``generate_reel``. Names are
    ``generated-<style>-<level>#i``.
    """
    from rushes.demo.slate import render_slate_rgba
    from rushes.triage.slate import synth

    rng = np.random.default_rng([seed, 7, 0 if style == "varied" else 1])
    items: list[RealItem] = []
    for i in range(n):
        level, strength, geometry = LEVELS[i % len(LEVELS)]
        fields = synth.random_fields(rng)
        frame = synth.synthetic_background(rng, size)
        width = int(size[0] * rng.uniform(*board_width))
        if style == "demo":
            rgba = render_slate_rgba(fields, (width, int(width * 0.75)), sticks_open=bool(rng.random() < 0.5),
                                     rng=rng)
        else:
            rgba = synth.render_varied_slate(fields, rng)
        image = synth.place(frame, rgba, rng, width=width, geometry=geometry, strength=strength)
        items.append((f"generated-{style}-{level}#{i}", image, {k: v for k, v in fields.as_dict().items() if v}))
    return items


def evaluate_slates(
    sources: Sequence[Path | RealItem] = (),
    *,
    generated: int = 0,
    style: str = "varied",
    seed: int = 0,
    upside_down: bool | None = False,
    settings: Any = None,
    board_width: tuple[float, float] = (0.45, 0.8),
) -> dict[str, Any]:
    """Field accuracy of :func:`~rushes.triage.slate.ocr.read_slate` (see the module docstring).

    ``sources``: reel folders (with ``truth.json``), data folders (with
    ``gt/slate_transcriptions.json``; only legible fields count) or ``(name, image, truth)``
    tuples; ``generated`` adds that many rendered slates of ``style`` (see :func:`generated_items`).
    The report also breaks roll/scene/take accuracy down by item group (``by_group``: the part
    of the name before ``#``).
    """
    from rushes.triage.slate.ocr import OcrSettings, read_slate, slate_ocr

    items: list[RealItem] = []
    for src in sources:
        if isinstance(src, tuple):
            items.append(src)
        elif (src / "truth.json").is_file():
            items.extend(_reel_items(src))
        else:
            items.extend(real_slate_images(src, legible_only=True))
    if generated:
        items.extend(generated_items(generated, seed, style=style, board_width=board_width))
    ocr = slate_ocr(settings or OcrSettings())
    per_field: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    all_three = [0, 0]
    groups: dict[str, list[int]] = {}
    seconds: list[float] = []
    for name, image, truth in items:
        t0 = time.thread_time()
        reading = read_slate(image, upside_down=upside_down, ocr=ocr)
        seconds.append(time.thread_time() - t0)
        row: dict[str, Any] = {"name": name, "ok": {}, "read": {}, "truth": dict(truth),
                               "char_count": reading.char_count}
        for fname, value in truth.items():
            ok = same_value(fname, value, reading.value(fname))
            stat = per_field.setdefault(fname, {"n": 0, "correct": 0})
            stat["n"] += 1
            stat["correct"] += int(ok)
            row["ok"][fname] = ok
            row["read"][fname] = reading.value(fname)
        if all(f in truth for f in _CODES):
            all_three[0] += 1
            all_three[1] += int(all(row["ok"][f] for f in _CODES))
            grp = groups.setdefault(name.split("#")[0] if name.startswith("generated") else "real", [0, 0])
            grp[0] += 1
            grp[1] += int(all(row["ok"][f] for f in _CODES))
        rows.append(row)
    for stat in per_field.values():
        stat["accuracy"] = round(stat["correct"] / stat["n"], 4) if stat["n"] else None
    codes = [per_field[f] for f in _CODES if f in per_field]
    return {
        "n": len(items),
        "fields": per_field,
        "codes_accuracy": round(sum(s["correct"] for s in codes) / max(1, sum(s["n"] for s in codes)), 4)
        if codes else None,
        "all_three": round(all_three[1] / all_three[0], 4) if all_three[0] else None,
        "all_three_n": all_three[0],
        "by_group": {g: {"n": v[0], "all_three": round(v[1] / v[0], 4)} for g, v in sorted(groups.items())},
        "ocr_cpu_seconds_mean": round(float(np.mean(seconds)), 3) if seconds else None,
        "items": rows,
    }
