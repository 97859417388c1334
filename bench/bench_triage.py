"""Benchmark: end-to-end ``rushes triage`` on a generated 1080p day of dailies vs decode-only, same run.

Cases, each in its own subprocess (clean peak RSS, no model shared between cases):
  decode_video   PyAV decode of every video frame of every file, no conversion (what FFmpeg costs)
  decode_audio   the whole sound of every file as 16 kHz mono (rushes.media.extract_audio)
  triage         rushes.triage.run.triage into a fresh library (default engine: one process per core),
                 then the report (JSON/CSV/HTML written); per-step wall/CPU time and model calls

The reel: rushes.demo.generate_reel(width=1920, height=1080, director_snr_db=20, confusers=True,
gop_seconds=--gop), ``--files`` x ``--takes`` (defaults 3 x 6, about 4 minutes), cached in bench/.cache/. Writes
bench/results/triage.json; the target is triage >= 8x realtime on the 2-core machine.

    python bench/bench_triage.py [--files 3] [--takes 6] [--seed 7] [--gop 0.5] [--scene S] [--workers N] [--out ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import peak_rss_mb  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
TARGET_X_REALTIME = 8.0


def make_reel(files: int, takes: int, seed: int, gop_s: float, scene_s: float | None = None) -> Path:
    """Generate (once) the 1080p reel; returns its folder. ``scene_s`` (action to cut) with
    proportionate set-up and reset gives takes of a realistic length; None = the demo's 6 s."""
    long = f"_scene{scene_s:g}" if scene_s else ""
    folder = CACHE / f"triage_reel_1080p_f{files}_t{takes}_s{seed}_gop{gop_s:g}{long}"
    if (folder / "truth.json").is_file():
        return folder
    from rushes.demo import Timing, generate_reel

    tmp = folder.with_name(folder.name + ".tmp")
    t0 = time.perf_counter()
    timing = Timing(setup_s=max(3.0, scene_s / 4), scene_s=scene_s, reset_s=max(2.0, scene_s / 6)) if scene_s else None
    generate_reel(tmp, files=files, takes_per_file=takes, seed=seed, width=1920, height=1080,
                  director_snr_db=20, confusers=True, gop_seconds=gop_s, timing=timing,
                  progress=lambda line: print(line, flush=True))
    tmp.rename(folder)
    print(f"generated {folder.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return folder


def media_files(folder: Path) -> list[Path]:
    """The reel's media files, sorted."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".mp4", ".mov"))


def run_case(case: str, folder: Path, workers: int | None) -> dict[str, Any]:
    """One case in this process; returns its measurements."""
    from rushes.media import probe

    files = media_files(folder)
    duration = sum(float(probe(f).duration or 0) for f in files)
    t0, c0 = time.perf_counter(), time.process_time()
    extra: dict[str, Any] = {}
    if case == "decode_video":
        import av

        n = 0
        for f in files:
            with av.open(str(f)) as cont:
                st = cont.streams.video[0]
                st.thread_type = "AUTO"
                for _ in cont.decode(st):
                    n += 1
        extra["frames"] = n
    elif case == "decode_audio":
        from rushes.media import extract_audio

        extra["samples"] = sum(int(extract_audio(f)[0].size) for f in files)
    elif case == "triage":
        from rushes.library import Library
        from rushes.triage.report import write_outputs
        from rushes.triage.run import triage

        with tempfile.TemporaryDirectory() as d:
            with Library(Path(d) / "lib") as lib:
                report = triage(folder, lib, workers=workers)
            write_outputs(report, Path(d) / "report")
            b = report["benchmark"]
            extra.update({
                "analyzers": report["params"]["analyzers"], "steps": b["steps"], "model_calls": b["model_calls"],
                "ingest_wall_s": b["ingest_wall_s"], "report_wall_s": b["report_wall_s"],
                "takes": report["totals"]["takes"], "discard_fraction": report["totals"]["discard_fraction"],
                "files_failed": report["totals"]["files_failed"], "exit_code": report["job"]["exit_code"],
                "workers": workers or os.cpu_count(),
            })
            truth = json.loads((folder / "truth.json").read_text())
            from rushes.triage.evaluate import evaluate, parse_truth

            scores = evaluate(report, parse_truth(truth))
            extra["eval"] = {k: scores[k] for k in ("archive_precision", "archive_recall", "events",
                                                     "field_accuracy")}
    else:
        raise SystemExit(f"unknown case {case}")
    wall = time.perf_counter() - t0
    return {
        "case": case, "files": len(files), "duration_s": round(duration, 3), "wall_s": round(wall, 3),
        "cpu_s_main_process": round(time.process_time() - c0, 3),
        "x_realtime": round(duration / wall, 2) if wall > 0 else None, "peak_rss_mb": peak_rss_mb(), **extra,
    }


def main() -> None:
    """Run every case in a subprocess and write the results."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case")
    ap.add_argument("--folder", type=Path)
    ap.add_argument("--files", type=int, default=3)
    ap.add_argument("--takes", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scene", type=float, default=None,
                    help="seconds from action to cut (default: the demo's 6 s; e.g. 45 for takes of a realistic "
                         "length, with set-up = scene/4 and reset = scene/6)")
    ap.add_argument("--gop", type=float, default=0.5,
                    help="key-frame interval of the generated files, s (0.5: camera long GOP such as XAVC-L)")
    ap.add_argument("--workers", type=int, default=None, help="triage workers (default: one per core)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "triage.json")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.folder, args.workers)))
        return
    folder = make_reel(args.files, args.takes, args.seed, args.gop, args.scene)
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    for case in ("decode_video", "decode_audio", "triage"):
        cmd = [sys.executable, __file__, "--case", case, "--folder", str(folder)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            results[case] = {"case": case, "error": out.stderr.strip().splitlines()[-3:]}
            print(f"{case}: FAILED {results[case]['error']}", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results[case] = r
        print(f"{case:<13} {r['wall_s']:>8.2f} s  {r['x_realtime']:>6}x realtime  {r['peak_rss_mb']:>7} MB", flush=True)
    tri, dec = results.get("triage", {}), results.get("decode_video", {})
    truth = json.loads((folder / "truth.json").read_text())
    first = next(iter(truth["files"].values()))
    doc = {
        "benchmark": "triage", "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_1_5_15_before": [round(x, 2) for x in load_before],
                    "load_avg_1_5_15_after": [round(x, 2) for x in os.getloadavg()]},
        "reel": {"folder": folder.name, "files": args.files, "takes_per_file": args.takes, "seed": args.seed,
                 "width": first.get("width"), "height": first.get("height"), "fps": first.get("fps"),
                 "director_snr_db": 20, "confusers": True, "gop_s": args.gop, "scene_s": args.scene,
                 "bytes": sum(p.stat().st_size for p in media_files(folder))},
        "note": "x_realtime = media duration / wall time (whole day, all files); decode_video is plain PyAV "
                "decoding of every frame; triage includes model loading, ingest and the report",
        "target_x_realtime": TARGET_X_REALTIME,
        "meets_target": bool(tri.get("x_realtime") and tri["x_realtime"] >= TARGET_X_REALTIME),
        "triage_over_decode_video": round(tri["wall_s"] / dec["wall_s"], 2) if tri.get("wall_s") and dec.get(
            "wall_s") else None,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
