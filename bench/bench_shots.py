"""Benchmark: shot detection modes against decode-only and the ``scenedetect`` CLI, same run.

Cases per file, each in its own subprocess (no warm caches shared between cases):
  decode        rushes.media.decode of every frame with the shots analyzer's own FrameSpec
                (frame_spec_for: 320 px max side, rgb24, AREA scaling) into a consumer that does
                nothing: the decode floor of the analyzer
  decode_small  the same at 96x54 (what detection alone needs)
  classical     detect_shots(mode="classical"), thumbnails on, grouping off
  fused         detect_shots(mode="fused"), thumbnails on, grouping off
  learned       detect_shots(mode="learned"), thumbnails on, grouping off
  scenedetect   the PySceneDetect CLI: ``scenedetect -i FILE detect-adaptive`` (its own OpenCV decode)

Files: a generated 1080p24 H.264 clip with known cuts, a dissolve, a fade, a flash and pans
(cached in bench/.cache), bench_pipeline's heavier 1080p24 clip (~6 Mbit/s, a cut every 5 s,
pans) when it exists in bench/.cache or with ``--heavy``, and
../shared/data/video/psd_testvideo.mp4 when present. Model
exports are done once before timing (they are a one-time cost, reported separately).
Writes bench/results/shots.json: wall and CPU seconds, x realtime, ratios to decode, and for the
generated clip the cuts found against its truth.

The machine is small and shared, so every case except ``learned`` runs ``--repeat`` times
(default 3), round-robin (decode, classical, scenedetect, fused, decode, ...): each round sees
about the same load, and the load average is recorded before every sample. Reported per case:
the median sample (``wall_s``/``cpu_s``) and the minimum; the targets compare the medians of the
per-round ratios (classical / scenedetect and fused / decode of the same round). Classical vs
the CLI is reported twice: our work timed inside the process, and both timed from outside as
whole processes (start-up and imports included: the like-for-like figure).

    python bench/bench_shots.py [--seconds 40] [--repeat 3] [--heavy] [--no-shared] [--skip learned] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
SHARED = ROOT.parent / "shared" / "data" / "video"
CASES = ("decode", "classical", "scenedetect", "fused", "decode_small", "learned")


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
    from rushes.shots.detect import frame_spec_for

    info = probe(path)
    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {}
    if case in ("decode", "decode_small"):
        spec = frame_spec_for(ShotParams()) if case == "decode" else FrameSpec(width=96, height=54,
                                                                                 interpolation="AREA")

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


def _timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run ``cmd``; (result, wall seconds, CPU seconds of the process and its children)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=dict(os.environ))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_case(case: str, path: Path) -> dict[str, Any]:
    """One case in a fresh subprocess.

    ``wall_s``/``cpu_s``: our cases time the work inside the child (after start-up and probe); the
    scenedetect CLI can only be timed from outside. ``process_wall_s``/``process_cpu_s``: every
    case timed from outside as a whole process (interpreter start-up, imports, probe included),
    the like-for-like comparison with the CLI.
    """
    if case == "scenedetect":
        proc, wall, cpu = _timed([str(Path(sys.executable).with_name("scenedetect")), "-i", str(path), "-q",
                                  "detect-adaptive"])
        return {"wall_s": wall, "cpu_s": cpu, "process_wall_s": wall, "process_cpu_s": cpu,
                "returncode": proc.returncode}
    proc, wall, cpu = _timed([sys.executable, __file__, "--child", case, str(path)])
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    out = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    out.update(process_wall_s=wall, process_cpu_s=cpu)
    return out


def _summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """One case: the median sample's fields, plus min/median/all of wall and CPU seconds."""
    ok = [s for s in samples if "wall_s" in s]
    if not ok:
        return dict(samples[0])
    ok.sort(key=lambda s: s["wall_s"])
    out = dict(ok[(len(ok) - 1) // 2])
    out["wall_s"] = statistics.median(s["wall_s"] for s in ok)
    out["cpu_s"] = statistics.median(s["cpu_s"] for s in ok)
    out["wall_min_s"] = min(s["wall_s"] for s in ok)
    out["cpu_min_s"] = min(s["cpu_s"] for s in ok)
    for key in ("process_wall_s", "process_cpu_s"):
        if all(key in s for s in ok):
            out[key] = statistics.median(s[key] for s in ok)
    out["samples"] = [{k: (round(s[k], 3) if isinstance(s.get(k), float) else s.get(k))
                       for k in ("wall_s", "cpu_s", "process_wall_s", "process_cpu_s", "load_1min_before")}
                      for s in samples if "wall_s" in s]
    return out


def _paired(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """Ratios a/b of the samples taken in the same round: median, min, max, all."""
    ratios = [x[key] / y[key] for x, y in zip(a, b, strict=False) if key in x and key in y and y[key] > 0]
    if not ratios:
        return None
    return {"median": round(statistics.median(ratios), 3), "min": round(min(ratios), 3),
            "max": round(max(ratios), 3), "rounds": [round(r, 3) for r in ratios]}


def _score(cuts: list[int], truth: list[int], tol: int = 2) -> dict[str, Any]:
    matched = {t for t in truth if any(abs(c - t) <= tol for c in cuts)}
    false = [c for c in cuts if not any(abs(c - t) <= tol for t in truth)]
    return {"tp": len(matched), "fn": len(truth) - len(matched), "fp": len(false), "false": false}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=40)
    ap.add_argument("--no-shared", action="store_true")
    ap.add_argument("--skip", action="append", default=[], choices=CASES)
    ap.add_argument("--repeat", type=int, default=3, help="samples per case (learned: 1)")
    ap.add_argument("--heavy", action="store_true",
                    help="also generate bench_pipeline's 60 s ~6 Mbit/s 1080p clip (used whenever it exists)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "shots.json")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child), default=str))
        return 0

    clip = CACHE / f"shots_1080p24_{args.seconds}s.mp4"
    truth = make_clip(clip, args.seconds)
    files: list[tuple[Path, dict[str, Any] | None]] = [(clip, truth)]
    heavier = CACHE / "synthetic_1080p24_60s.mp4"  # bench_pipeline's clip (~6 Mbit/s)
    if args.heavy and not heavier.exists():
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_pipeline import make_1080p

        make_1080p(heavier, 60)
    if heavier.exists():
        # its generator cuts to a new picture every 5 s (120 frames at 24 fps) and pans in between
        files.append((heavier, {"frames": 1440, "cuts": list(range(120, 1440, 120)), "transitions": [],
                                "flashes": []}))
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
        cases = [c for c in CASES if c not in args.skip]
        samples: dict[str, list[dict[str, Any]]] = {c: [] for c in cases}
        for rnd in range(max(1, args.repeat)):
            for case in cases:
                if case == "learned" and rnd > 0:
                    continue
                load = os.getloadavg()[0]
                r = run_case(case, path)
                r["load_1min_before"] = round(load, 2)
                samples[case].append(r)
                print(f"{path.name:32s} {case:12s} round {rnd + 1} {r.get('wall_s', float('nan')):7.2f} s wall "
                      f"{r.get('cpu_s', float('nan')):7.2f} s cpu  load {load:5.2f}", flush=True)
        rows = {c: _summarise(v) for c, v in samples.items() if v}
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
        if "scenedetect" in samples and "classical" in samples:
            wall = _paired(samples["classical"], samples["scenedetect"], "wall_s")
            cpu = _paired(samples["classical"], samples["scenedetect"], "cpu_s")
            if wall:
                summary["classical_vs_scenedetect_cli_wall"] = wall
                summary["classical_faster_than_scenedetect_cli"] = wall["median"] <= 1.0
            if cpu:
                summary["classical_vs_scenedetect_cli_cpu"] = cpu
            pwall = _paired(samples["classical"], samples["scenedetect"], "process_wall_s")
            pcpu = _paired(samples["classical"], samples["scenedetect"], "process_cpu_s")
            if pwall:
                summary["classical_process_vs_scenedetect_cli_wall"] = pwall
                summary["classical_process_faster_than_scenedetect_cli"] = pwall["median"] <= 1.0
            if pcpu:
                summary["classical_process_vs_scenedetect_cli_cpu"] = pcpu
        if "fused" in samples and "decode" in samples:
            wall = _paired(samples["fused"], samples["decode"], "wall_s")
            cpu = _paired(samples["fused"], samples["decode"], "cpu_s")
            if wall:
                summary["fused_vs_decode_wall"] = wall
                summary["fused_within_1_5x_decode"] = wall["median"] <= 1.5
            if cpu:
                summary["fused_vs_decode_cpu"] = cpu
        results["files"][path.name] = {"duration_s": duration, "cases": rows, "summary": summary}
        if tr is not None:
            results["files"][path.name]["truth"] = tr
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
