"""Benchmark: decode-only throughput vs the full ingest pipeline, side by side, same run.

Cases, each in its own subprocess (clean peak RSS):
  decode_ref   PyAV decode of every video frame, no conversion (the reference: what FFmpeg costs)
  decode_fan   rushes.media.decode with one 64x36 consumer of every frame (our decode + swscale)
  pipeline     Library.ingest with the default analyzers into a fresh library (serial engine)

Files: a generated 1080p24 H.264 clip (cached in bench/.cache) and the ../shared/data clips.
Writes bench/results/pipeline.json with wall seconds, x realtime and peak RSS per case.

    python bench/bench_pipeline.py [--seconds 60] [--no-shared] [--out bench/results/pipeline.json]
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
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import peak_rss_mb  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SHARED = ROOT.parent / "shared" / "data" / "video"


def make_1080p(path: Path, seconds: int) -> Path:
    """A 1080p24 H.264 High clip with moving content and hard cuts every 5 s (camera-like bitrate)."""
    import av
    import numpy as np

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    w, h, fps = 1920, 1080, 24
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    with av.open(str(tmp), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "veryfast", "crf": "18", "g": "38"}
        base = None
        for i in range(seconds * fps):
            if i % (5 * fps) == 0:
                c = rng.uniform(40, 200, 3).astype(np.float32)
                base = np.clip(c[None, None, :] + xx[..., None] * 0.03 - yy[..., None] * 0.05
                               + rng.normal(0, 6, (h, w, 1)).astype(np.float32), 0, 255).astype(np.uint8)
            assert base is not None
            img = np.roll(base, shift=i * 4, axis=1)
            x = (i * 9) % (w - 200)
            img[400:600, x:x + 200] = 255 - img[400:600, x:x + 200]
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode():
            out.mux(pkt)
    os.replace(tmp, path)
    return path


def run_case(case: str, file: Path) -> dict[str, object]:
    from rushes.media import probe

    info = probe(file)
    duration = float(info.duration or 0)
    t0 = time.perf_counter()
    c0 = time.process_time()
    extra: dict[str, object] = {}
    if case == "decode_ref":
        import av

        n = 0
        with av.open(str(file)) as cont:
            st = cont.streams.video[0]
            st.thread_type = "AUTO"
            for _ in cont.decode(st):
                n += 1
        extra["frames"] = n
    elif case == "decode_fan":
        from rushes.media import FrameConsumer, FrameSpec, decode

        class Null(FrameConsumer):
            spec = FrameSpec("all", width=64, height=36)

        stats = decode(file, [Null()], info)
        extra["frames"] = stats.frames_decoded
    elif case == "pipeline":
        from rushes.library import Library

        with tempfile.TemporaryDirectory() as d:
            lib = Library(Path(d) / "lib")
            rep = lib.ingest([file], engine="serial")
            item = rep.items[0]
            extra["status"] = item["status"]
            extra["steps"] = {s["analyzer"]: {"status": s["status"], "wall_s": s["wall_s"]} for s in item["steps"]}
            lib.close()
    else:
        raise SystemExit(f"unknown case {case}")
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "case": case, "file": file.name, "duration_s": round(duration, 3), "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3), "x_realtime": round(duration / wall, 2) if wall > 0 else None,
        "peak_rss_mb": peak_rss_mb(), **extra,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case")
    ap.add_argument("--file", type=Path)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--no-shared", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pipeline.json")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.file)))
        return
    files = [make_1080p(CACHE / f"synthetic_1080p24_{args.seconds}s.mp4", args.seconds)]
    if not args.no_shared and SHARED.exists():
        files += sorted(p for p in SHARED.iterdir() if p.suffix in (".mp4", ".webm", ".mkv", ".avi"))
    results = []
    for f in files:
        for case in ("decode_ref", "decode_fan", "pipeline"):
            out = subprocess.run([sys.executable, __file__, "--case", case, "--file", str(f)],
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0:
                results.append({"case": case, "file": f.name, "error": out.stderr.strip().splitlines()[-1:]})
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(r)
            print(f"{f.name:<38} {case:<11} {r['wall_s']:>7.2f} s  {r['x_realtime']:>6}x RT  "
                  f"{r['peak_rss_mb']:>7} MB", flush=True)
    by_file: dict[str, dict[str, dict[str, object]]] = {}
    for r in results:
        by_file.setdefault(str(r["file"]), {})[str(r["case"])] = r
    summary = {}
    for name, cases in by_file.items():
        ref = cases.get("decode_ref", {}).get("wall_s")
        pipe = cases.get("pipeline", {}).get("wall_s")
        if isinstance(ref, float) and isinstance(pipe, float) and ref > 0:
            summary[name] = {"pipeline_over_decode": round(pipe / ref, 2)}
    doc = {
        "benchmark": "pipeline", "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "note": "x_realtime = media duration / wall time; decode_ref is plain PyAV decoding of every frame",
        "results": results, "summary": summary, "fps_reference": str(Fraction(24)),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
