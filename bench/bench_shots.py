"""Benchmark: shot detection modes against decode-only and the ``scenedetect`` CLI, same run.

Cases per file, each in its own subprocess (no warm caches shared between cases):
  decode        rushes.media.decode of every frame at the shots analyzer's frame size (320 px max
                side, rgb24) into a consumer that does nothing: the decode floor of the analyzer
  decode_small  the same at 96x54 (what detection alone needs)
  classical     detect_shots(mode="classical"), thumbnails on, grouping off
  fused         detect_shots(mode="fused"), thumbnails on, grouping off
  learned       detect_shots(mode="learned"), thumbnails on, grouping off
  scenedetect   the PySceneDetect CLI: ``scenedetect -i FILE detect-adaptive`` (its own OpenCV decode)

Files: a generated 1080p24 H.264 clip with known cuts, a dissolve, a fade, a flash and pans
(cached in bench/.cache), and ../shared/data/video/psd_testvideo.mp4 when present. Model
exports are done once before timing (they are a one-time cost, reported separately).
Writes bench/results/shots.json: wall and CPU seconds, x realtime, ratios to decode, and for the
generated clip the cuts found against its truth.

    python bench/bench_shots.py [--seconds 40] [--no-shared] [--skip learned] [--out bench/results/shots.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
SHARED = ROOT.parent / "shared" / "data" / "video"
CASES = ("decode", "decode_small", "classical", "fused", "learned", "scenedetect")


def make_clip(path: Path, seconds: int) -> dict[str, Any]:
    """Generate (once) the 1080p24 bench clip; returns its truth."""
    from rushes.shots.synth import ClipSpec, SceneSpec, write_clip

    truth_file = path.with_suffix(".truth.json")
    if path.exists() and truth_file.exists():
        return dict(json.loads(truth_file.read_text()))
    fps = Fraction(24)
    scenes: list[SceneSpec] = []
    total, i = 0, 0
    while total < seconds * 24:
        n = 72 + (i * 37) % 72  # 3-6 s shots
        kind = ("texture", "texture", "gradient", "texture")[i % 4]
        transition = "dissolve" if i % 7 == 4 else ("fade" if i % 7 == 6 else "cut")
        scenes.append(SceneSpec(kind, n, seed=100 + i % 5, color=((i * 53) % 255, (i * 97) % 255, (i * 31) % 255),
                                pan=(6.0 if i % 3 == 0 else (48.0 if i % 5 == 2 else 0.0), 0.0),
                                transition_in=transition, transition_len=18 if transition != "cut" else 0,
                                flashes=(30,) if i % 6 == 3 else ()))
        total += n
        i += 1
    truth = write_clip(path, ClipSpec(scenes, width=1920, height=1080, fps=fps), crf=18, preset="veryfast")
    doc = {"frames": truth.frames, "cuts": truth.cuts, "transitions": truth.transitions, "flashes": truth.flashes}
    truth_file.write_text(json.dumps(doc))
    return doc


def _child(case: str, path: str) -> dict[str, Any]:
    """Run one case in this (child) process and report wall/CPU seconds."""
    from rushes.media import FrameConsumer, FrameSpec, decode, probe
    from rushes.shots import ShotParams, detect_shots

    info = probe(path)
    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {}
    if case in ("decode", "decode_small"):
        spec = FrameSpec(max_side=320) if case == "decode" else FrameSpec(width=96, height=54)

        class Null(FrameConsumer):
            def __init__(self) -> None:
                self.spec = spec
                self.frames = 0

            def on_frame(self, frame: Any) -> None:
                self.frames += 1

        null = Null()
        decode(path, [null], info)
        out["frames"] = null.frames
    else:
        res = detect_shots(path, ShotParams(mode=case, groups=False), info=info)
        out.update(frames=res.frames, cuts=res.cuts,
                   gradual=[[t.kind, t.start, t.end] for t in res.transitions if t.gradual],
                   learned_share=res.metrics.get("learned_share"), learned_windows=res.metrics.get("learned_windows"))
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    out["duration_s"] = float(info.duration or 0)
    return out


def run_case(case: str, path: Path) -> dict[str, Any]:
    """One case in a fresh subprocess (the scenedetect CLI is timed from outside)."""
    if case == "scenedetect":
        import resource

        exe = Path(sys.executable).with_name("scenedetect")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe), "-i", str(path), "-q", "detect-adaptive"], capture_output=True, text=True,
                              check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"wall_s": wall, "cpu_s": cpu, "returncode": proc.returncode}
    proc = subprocess.run([sys.executable, __file__, "--child", case, str(path)], capture_output=True, text=True,
                          check=False, env=dict(os.environ))
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _score(cuts: list[int], truth: list[int], tol: int = 2) -> dict[str, Any]:
    matched = {t for t in truth if any(abs(c - t) <= tol for c in cuts)}
    false = [c for c in cuts if not any(abs(c - t) <= tol for t in truth)]
    return {"tp": len(matched), "fn": len(truth) - len(matched), "fp": len(false), "false": false}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=40)
    ap.add_argument("--no-shared", action="store_true")
    ap.add_argument("--skip", action="append", default=[], choices=CASES)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "shots.json")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child), default=str))
        return 0

    clip = CACHE / f"shots_1080p24_{args.seconds}s.mp4"
    truth = make_clip(clip, args.seconds)
    files: list[tuple[Path, dict[str, Any] | None]] = [(clip, truth)]
    heavier = CACHE / "synthetic_1080p24_60s.mp4"  # bench_pipeline's clip (~6 Mbit/s), when it exists
    if heavier.exists():
        files.append((heavier, None))
    if not args.no_shared and (SHARED / "psd_testvideo.mp4").exists():
        files.append((SHARED / "psd_testvideo.mp4", None))

    t0 = time.perf_counter()
    from rushes.shots.models import MOBILENET, TRANSNET, resolve_onnx

    for spec in (TRANSNET, MOBILENET):
        resolve_onnx(spec)
    export_s = time.perf_counter() - t0

    load = os.getloadavg()
    results: dict[str, Any] = {
        "load_average_at_start": [round(x, 2) for x in load],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "model_export_s": round(export_s, 2),
        "files": {},
    }
    for path, tr in files:
        rows: dict[str, Any] = {}
        for case in CASES:
            if case in args.skip:
                continue
            rows[case] = run_case(case, path)
            print(f"{path.name:32s} {case:12s} {rows[case].get('wall_s', float('nan')):7.2f} s", flush=True)
        duration = next((r["duration_s"] for r in rows.values() if "duration_s" in r), None)
        base = rows.get("decode", {}).get("wall_s")
        base_cpu = rows.get("decode", {}).get("cpu_s")
        for r in rows.values():
            if "wall_s" in r and duration:
                r["x_realtime"] = round(duration / r["wall_s"], 2)
            if base and "wall_s" in r:
                r["vs_decode"] = round(r["wall_s"] / base, 3)
            if base_cpu and "cpu_s" in r:
                r["cpu_vs_decode"] = round(r["cpu_s"] / base_cpu, 3)
            if tr is not None and "cuts" in r:
                r["cut_score"] = _score(r["cuts"], tr["cuts"])
        summary: dict[str, Any] = {}
        if "scenedetect" in rows and "classical" in rows and "wall_s" in rows["classical"]:
            faster = rows["classical"]["wall_s"] <= rows["scenedetect"]["wall_s"]
            summary["classical_faster_than_scenedetect_cli"] = faster
            if "cpu_s" in rows["scenedetect"] and "cpu_s" in rows["classical"]:
                summary["classical_cpu_vs_scenedetect_cli"] = round(
                    rows["classical"]["cpu_s"] / max(1e-9, rows["scenedetect"]["cpu_s"]), 3)
        if "fused" in rows and base:
            summary["fused_vs_decode"] = rows["fused"].get("vs_decode")
            summary["fused_cpu_vs_decode"] = rows["fused"].get("cpu_vs_decode")
        results["files"][path.name] = {"duration_s": duration, "cases": rows, "summary": summary}
        if tr is not None:
            results["files"][path.name]["truth"] = tr
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
