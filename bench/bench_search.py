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


def _mixture(dim: int, seed: int, clusters: int = 1000) -> np.ndarray:
    """Centres of the synthetic embedding clusters (shared by the library and the queries)."""
    return np.random.default_rng(seed).normal(size=(clusters, dim)).astype(np.float32)


def _clustered(n: int, centres: np.ndarray, seed: int, spread: float = 0.6) -> np.ndarray:
    """``n`` unit vectors drawn around ``centres`` (a mixture of Gaussians, like real embeddings:
    a query lands near the vectors of the shots it resembles, not in empty space)."""
    rng = np.random.default_rng(seed)
    dim = centres.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        out[s:s + m] = centres[rng.integers(0, len(centres), m)] + spread * rng.normal(size=(m, dim)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def bench_vectors(n: int, dim: int, queries: int, threads: int,
                  efs: tuple[int, ...] = (32, 64, 128, 256)) -> dict[str, Any]:
    """Build the index incrementally, then for each HNSW ``efSearch`` in ``efs``: single-query
    latency p50/p95 over ``queries`` and recall@10 against exact search on 100 of them."""
    from rushes.search.index import VectorIndex

    centres = _mixture(dim, 0)
    vecs = _clustered(n, centres, 1)
    qs = _clustered(queries, centres, 2)
    media = np.arange(n, dtype=np.int64) // 1000
    times = (np.arange(n) % 1000).astype(np.float64)
    idx = VectorIndex(dim, ann_threshold=min(n, 100_000), threads=threads)
    t0 = time.perf_counter()
    idx.add(vecs[: n // 2], media=media[: n // 2], times=times[: n // 2])
    idx.add(vecs[n // 2:], media=media[n // 2:], times=times[n // 2:])  # incremental add to the graph
    build_s = time.perf_counter() - t0
    exact_lat = []
    truth = []
    for q in qs[:100]:
        t = time.perf_counter()
        truth.append({h.row for h in idx.search(q, k=10, exact=True)})
        exact_lat.append((time.perf_counter() - t) * 1000)
    default_ef = VectorIndex(dim).ef_search
    sweep = []
    for ef in sorted({*efs, default_ef}):  # the default is always measured: it is the headline row
        idx.ef_search = ef
        lat = []
        for q in qs:
            t = time.perf_counter()
            idx.search(q, k=10)
            lat.append((time.perf_counter() - t) * 1000)
        rec = [len(ex & {h.row for h in idx.search(q, k=10)}) / 10 for q, ex in zip(qs, truth, strict=False)]
        sweep.append({"ef_search": ef,
                      "query_p50_ms": round(float(np.percentile(lat, 50)), 3),
                      "query_p95_ms": round(float(np.percentile(lat, 95)), 3),
                      "recall@10_vs_exact": round(float(np.mean(rec)), 4)})
    idx.ef_search = default_ef
    row = next(r for r in sweep if r["ef_search"] == default_ef)
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
        "default_ef_search": default_ef,
        "query_p50_ms": row["query_p50_ms"], "query_p95_ms": row["query_p95_ms"],
        "recall@10_vs_exact": row["recall@10_vs_exact"],
        "exact_p50_ms": round(float(np.percentile(exact_lat, 50)), 2),
        "exact_p95_ms": round(float(np.percentile(exact_lat, 95)), 2),
        "ef_sweep": sweep,
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
        queries = ["person", "car AND person", "a man riding a horse at sunset", "tv -text", "said:cut", "screen"]
        t = time.perf_counter()
        first = eng.search(queries[0], options=SearchOptions(limit=20))  # loads the text encoder, opens the index
        first_ms = (time.perf_counter() - t) * 1000
        lat: list[float] = []
        per_query: dict[str, list[float]] = {q: [] for q in queries}
        for q in queries * 5:
            t = time.perf_counter()
            eng.search(q, options=SearchOptions(limit=20))
            ms = (time.perf_counter() - t) * 1000
            lat.append(ms)
            per_query[q].append(ms)
        lib.close()
    return {"files": files, "seconds_of_video": round(sum(4.0 + 0.5 * i for i in range(files)), 1),
            "ingest_s": round(ingest_s, 2), "ingest_state": report.state,
            "first_query_ms": round(first_ms, 1), "first_query_moments": len(first.moments),
            "search_p50_ms": round(float(np.percentile(lat, 50)), 2),
            "search_p95_ms": round(float(np.percentile(lat, 95)), 2),
            "per_query_median_ms": {q: round(float(np.median(v)), 2) for q, v in per_query.items()}}


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
