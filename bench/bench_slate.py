"""Slate benchmark: classifier cost per sampled frame, OCR cost per call, OCR calls saved.

Writes ``bench/results/slate.json``::

    .venv/bin/python bench/bench_slate.py [--frames 64] [--ocr 6] [--takes 3] [--size 1920x1080]

* ``classifier``: CPU and wall seconds per frame for the 224×224 classifier input (MobileNetV2 +
  head, batches of 4 as the analyzer runs it), and the 1 fps share of realtime that implies;
* ``ocr``: CPU and wall seconds per :func:`read_slate` call on full-resolution composited frames
  (``--size``), with the fields it got right;
* ``pipeline``: the ``slate`` analyzer through ``Library.ingest`` on a generated reel (1 file,
  ``--takes`` takes, 640×360 — the demo generator's speed limits the size): detections (what the
  seed would OCR), OCR calls made and saved, analyzer CPU seconds vs the reel's duration, event
  timing error and roll/scene/take accuracy.

CPU seconds are the steadier figure on a shared machine; the load average is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "slate.json"


def bench_classifier(frames: int) -> dict[str, Any]:
    from rushes.triage.slate import synth
    from rushes.triage.slate.classifier import prepare, slate_classifier

    clf = slate_classifier()
    rng = np.random.default_rng(0)
    imgs = [prepare(synth.synthetic_background(rng, (640, 360))) for _ in range(frames)]
    clf.predict(imgs[:4])  # warm up
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(0, frames, 4):
        clf.predict(imgs[i:i + 4])
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return {"frames": frames, "cpu_s_per_frame": round(cpu / frames, 4), "wall_s_per_frame": round(wall / frames, 4),
            "share_of_realtime_at_1fps_cpu": round(cpu / frames, 4), "model_id": clf.model_id}


def bench_ocr(n: int, size: tuple[int, int]) -> dict[str, Any]:
    from rushes.demo.slate import render_slate_rgba
    from rushes.triage.slate import synth
    from rushes.triage.slate.evaluate import same_value
    from rushes.triage.slate.ocr import OcrSettings, read_slate, slate_ocr

    ocr = slate_ocr(OcrSettings())
    rng = np.random.default_rng(1)
    cpu: list[float] = []
    wall: list[float] = []
    correct = 0
    for i in range(n + 1):
        fields = synth.random_fields(rng)
        w = int(size[0] * 0.6)
        rgba = render_slate_rgba(fields, (w, int(w * 0.75)), rng=rng)
        img = synth.place(synth.synthetic_background(rng, size), rgba, rng, width=w, geometry=0.3, strength=0.3)
        c0, w0 = time.process_time(), time.perf_counter()
        r = read_slate(img, ocr=ocr)
        if i == 0:
            continue  # warm-up
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        correct += int(all(same_value(f, getattr(fields, f), r.value(f)) for f in ("roll", "scene", "take")))
    return {"calls": n, "frame_size": list(size), "cpu_s_per_call": round(float(np.mean(cpu)), 3),
            "wall_s_per_call": round(float(np.mean(wall)), 3), "roll_scene_take_correct": f"{correct}/{n}",
            "settings": {"det_side": OcrSettings().det_side}}


def bench_pipeline(takes: int) -> dict[str, Any]:
    from rushes.demo import generate_reel
    from rushes.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        reel = Path(tmp) / "reel"
        truth = generate_reel(reel, files=1, takes_per_file=takes, width=640, height=360, seed=5)
        with Library(Path(tmp) / "lib") as lib:
            w0 = time.perf_counter()
            report = lib.ingest([reel], analyzers=["slate"])
            wall = time.perf_counter() - w0
            track = lib.catalog.get_intervals("slates")
            media = lib.catalog.list_media()[0]
            res = next(r for r in lib.catalog.results_for_media(media.id) if r.analyzer == "slate")
    (ft,) = truth.files.values()
    errors, ok = [], 0
    for take in ft.takes:
        rows = [r for r in track if abs(r.start_seconds - take.slate) <= 2.0]
        if rows:
            errors.append(abs(rows[0].start_seconds - take.slate))
            a = rows[0].data["attrs"]
            ok += int((a["roll"], a["scene"], a["take"]) == (take.roll, take.scene, take.take))
    return {
        "reel_seconds": round(ft.duration, 2), "takes": len(ft.takes), "events": len(track),
        "events_matched": len(errors), "event_start_error_s_max": round(max(errors), 3) if errors else None,
        "roll_scene_take_correct": f"{ok}/{len(ft.takes)}",
        "analyzer_cpu_s": round(res.cpu_s or 0.0, 3), "analyzer_wall_s": round(res.wall_s or 0.0, 3),
        "ingest_wall_s": round(wall, 2),
        "analyzer_cpu_x_realtime": round(ft.duration / max(1e-9, res.cpu_s or 0.0), 1),
        "metrics": res.metrics, "status": report.state,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=64)
    ap.add_argument("--ocr", type=int, default=6)
    ap.add_argument("--takes", type=int, default=3)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_start": [round(v, 2) for v in os.getloadavg()]},
        "classifier": bench_classifier(args.frames),
        "ocr": bench_ocr(args.ocr, (size[0], size[1])),
        "pipeline": bench_pipeline(args.takes),
    }
    result["machine"]["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
    clf, pipe = result["classifier"], result["pipeline"]
    result["summary"] = {
        "classifier_cpu_ms_per_frame": round(1000 * clf["cpu_s_per_frame"], 1),
        "ocr_cpu_s_per_call": result["ocr"]["cpu_s_per_call"],
        "ocr_calls_made": pipe["metrics"].get("ocr_calls"),
        "ocr_calls_seed_baseline": pipe["metrics"].get("ocr_calls_baseline"),
        "ocr_calls_saved": pipe["metrics"].get("ocr_calls_saved"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
