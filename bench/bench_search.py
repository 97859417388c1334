"""Search benchmarks: vector index build rate and query latency, and end-to-end search.

    .venv/bin/python bench/bench_search.py vectors --n 1000000 --dim 512     # ANN + exact, p50/p95
    .venv/bin/python bench/bench_search.py e2e --files 10                    # generated 10-file library

``vectors`` draws clustered synthetic unit vectors (a mixture of Gaussians, like real
embeddings), builds :class:`rushes.search.index.VectorIndex` (HNSW32 above its threshold),
measures the build rate, the latency of single queries (p50/p95 over ``--queries``), recall@10
against exact search on a sample, and save/load time. ``e2e`` generates a 10-file library of
synthetic clips, ingests it with the search analyzers, and times ``rushes search`` queries
through :class:`rushes.search.engine.SearchEngine`. Results print as JSON (``--out`` writes them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _clustered(n: int, dim: int, seed: int, clusters: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        out[s:s + m] = centres[rng.integers(0, clusters, m)] + 0.6 * rng.normal(size=(m, dim)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def bench_vectors(n: int, dim: int, queries: int, threads: int) -> dict[str, Any]:
    from rushes.search.index import VectorIndex

    vecs = _clustered(n, dim, 0)
    qs = _clustered(queries, dim, 1)
    media = np.arange(n, dtype=np.int64) // 1000
    times = (np.arange(n) % 1000).astype(np.float64)
    idx = VectorIndex(dim, ann_threshold=min(n, 100_000), threads=threads)
    t0 = time.perf_counter()
    idx.add(vecs[: n // 2], media=media[: n // 2], times=times[: n // 2])
    idx.add(vecs[n // 2:], media=media[n // 2:], times=times[n // 2:])  # incremental add to the graph
    build_s = time.perf_counter() - t0
    lat = []
    for q in qs:
        t = time.perf_counter()
        idx.search(q, k=10)
        lat.append((time.perf_counter() - t) * 1000)
    exact_lat = []
    recall = []
    for q in qs[:50]:
        t = time.perf_counter()
        ex = {h.row for h in idx.search(q, k=10, exact=True)}
        exact_lat.append((time.perf_counter() - t) * 1000)
        ann = {h.row for h in idx.search(q, k=10)}
        recall.append(len(ex & ann) / 10)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        idx.save(Path(d))
        save_s = time.perf_counter() - t
        t = time.perf_counter()
        VectorIndex.load(Path(d))
        load_s = time.perf_counter() - t
    return {
        "n": n, "dim": dim, "threads": threads, "ann": idx.uses_ann,
        "build_s": round(build_s, 2), "build_rate_per_s": round(n / build_s),
        "query_p50_ms": round(float(np.percentile(lat, 50)), 3),
        "query_p95_ms": round(float(np.percentile(lat, 95)), 3),
        "exact_p50_ms": round(float(np.percentile(exact_lat, 50)), 2),
        "recall@10_vs_exact": round(float(np.mean(recall)), 4),
        "save_s": round(save_s, 2), "load_s": round(load_s, 2),
    }


def bench_e2e(files: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from media_factory import make_video
    from rushes.library import Library
    from rushes.search.engine import SearchEngine, SearchOptions

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        # distinct lengths and scene counts: identical files would share one fingerprint
        paths = [make_video(root / f"clip{i:02d}.mp4", seconds=4.0 + 0.5 * i, audio=False, scenes=1 + i % 4)
                 for i in range(files)]
        lib = Library(root / "lib")
        t = time.perf_counter()
        report = lib.ingest(paths, analyzers=["search"], workers=1)
        ingest_s = time.perf_counter() - t
        eng = SearchEngine(lib)
        lat = []
        for q in ["person", "car AND person", "a man riding a horse at sunset", "tv -text", "said:cut", "screen"] * 5:
            t = time.perf_counter()
            eng.search(q, options=SearchOptions(limit=20))
            lat.append((time.perf_counter() - t) * 1000)
        lib.close()
    return {"files": files, "ingest_s": round(ingest_s, 2), "ingest_state": report.state,
            "search_p50_ms": round(float(np.percentile(lat, 50)), 2),
            "search_p95_ms": round(float(np.percentile(lat, 95)), 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["vectors", "e2e"])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    res = bench_vectors(args.n, args.dim, args.queries, args.threads) if args.what == "vectors" \
        else bench_e2e(args.files)
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
