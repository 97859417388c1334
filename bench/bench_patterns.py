"""Benchmark the pattern layer; writes ``bench/results/patterns.json``.

* Allen joins (during, overlaps, ``BEFORE 5s``, ``MEETS ~40ms``) between two tracks of 1,000,000
  intervals each (100 media × 10,000 rows over 2 hours, lengths ~ exponential with mean 3 s),
  next to a brute-force O(n·m) reference (vectorised ``classify_pairs`` and a pure-Python loop)
  measured on a subsample and extrapolated to the full size;
* the intensity curve of a 2-hour file with 200 weighted tags (60 occurrences each, 0.1 s
  samples), weighted and fuzzy, next to a naive per-occurrence painting loop and a per-sample
  Python reference (measured on 10 minutes and extrapolated).

Run: ``.venv/bin/python bench/bench_patterns.py`` (``--quick`` for a smaller smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rushes.intervals import Intervals
from rushes.patterns.allen import RELATIONS, allen_join, classify_pairs, relation_of
from rushes.patterns.definition import PatternDef, TagRule
from rushes.patterns.selectors import Selector
from rushes.patterns.sources import DictTrackSource
from rushes.patterns.weighted import run_pattern

RESULTS = Path(__file__).resolve().parent / "results" / "patterns.json"
US = Fraction(1, 1_000_000)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def track(rng: np.random.Generator, n: int, media: int, hours: float, mean_len: float) -> Intervals:
    """``n`` random intervals over ``media`` files of ``hours`` each, in microsecond ticks."""
    m = rng.integers(0, media, n)
    start = rng.uniform(0, hours * 3600, n)
    end = start + rng.exponential(mean_len, n)
    labels = np.empty(n, dtype=object)
    labels[:] = "x"
    return Intervals(np.rint(start * 1e6).astype(np.int64), np.rint(end * 1e6).astype(np.int64), labels,
                     np.ones(n), m.astype(np.int64), US)


def bench_joins(n: int, media: int, repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    a, b = track(rng, n, media, 2.0, 3.0), track(rng, n, media, 2.0, 3.0)
    cases = [("during", {}), ("overlaps", {}), ("before", {"max_distance": 5}),
             ("meets", {"tolerance": Fraction(1, 25)})]
    out: dict[str, Any] = {"rows_a": n, "rows_b": n, "media": media, "hours_per_media": 2.0,
                           "mean_length_s": 3.0, "relations": {}}
    for name, kwargs in cases:
        allen_join(a[:1000], b[:1000], name, **kwargs)  # warm-up
        seconds, (i, _) = timed(lambda name=name, kwargs=kwargs: allen_join(a, b, name, **kwargs), repeat)
        label = {"before": "BEFORE 5s", "meets": "MEETS ~40ms"}.get(name, name)
        out["relations"][label] = {"seconds": round(seconds, 3), "pairs": int(len(i))}
        print(f"join {label:12s} {seconds:7.3f} s  {len(i):>10,d} pairs", flush=True)

    # brute force on one media's rows, extrapolated to every same-media pair
    sa, sb = a[a.media == 0], b[b.media == 0]
    k = min(2000, len(sa), len(sb))
    sa, sb = sa[:k], sb[:k]
    ii, jj = (g.reshape(-1) for g in np.meshgrid(np.arange(k), np.arange(k), indexing="ij"))
    seconds, codes = timed(lambda: classify_pairs(sa.start[ii], sa.end[ii], sb.start[jj], sb.end[jj]), repeat)
    for name in ("during", "overlaps"):
        i, j = allen_join(sa, sb, name)
        ref = np.flatnonzero(codes == RELATIONS.index(name))  # row-major: already sorted by (i, j)
        assert np.array_equal(ii[ref], i) and np.array_equal(jj[ref], j), f"join != brute force on {name}"
    same_media_pairs = float(np.sum(np.bincount(a.media) * np.bincount(b.media, minlength=media)))
    per_pair_vec = seconds / (k * k)
    py_k = 300
    t0 = time.perf_counter()
    for x in range(py_k):
        for y in range(py_k):
            relation_of(int(sa.start[x]), int(sa.end[x]), int(sb.start[y]), int(sb.end[y]))
    per_pair_py = (time.perf_counter() - t0) / (py_k * py_k)
    join_during = allen_join(sa, sb, "during")
    t_join_sub, _ = timed(lambda: allen_join(sa, sb, "during"), repeat)
    out["brute_force"] = {
        "subsample_pairs": k * k,
        "vectorised_classify_s": round(seconds, 4),
        "join_on_same_subsample_s": round(t_join_sub, 4),
        "join_pairs_on_subsample": int(len(join_during[0])),
        "python_loop_per_pair_us": round(per_pair_py * 1e6, 3),
        "same_media_pairs_full": same_media_pairs,
        "extrapolated_vectorised_full_s": round(per_pair_vec * same_media_pairs, 1),
        "extrapolated_python_loop_full_s": round(per_pair_py * same_media_pairs, 1),
    }
    print(f"brute force {k}x{k}: classify {seconds:.3f} s (join {t_join_sub:.4f} s); "
          f"extrapolated to {same_media_pairs:.3g} pairs: {per_pair_vec * same_media_pairs:,.0f} s vectorised, "
          f"{per_pair_py * same_media_pairs:,.0f} s Python", flush=True)
    return out


def bench_curve(tags: int, per_tag: int, hours: float, repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    duration = hours * 3600
    labels = [f"tag{k:03d}" for k in range(tags)]
    start = rng.uniform(0, duration, tags * per_tag)
    end = np.minimum(start + rng.exponential(6.0, tags * per_tag), duration)
    iv = Intervals.from_seconds(start, end, np.repeat(labels, per_tag).tolist(),
                                score=rng.uniform(0.3, 1.0, tags * per_tag).tolist())
    source = DictTrackSource({"tag": iv}, durations={0: Fraction(int(duration))})
    weights = rng.uniform(-1.0, 1.5, tags)
    rules = tuple(TagRule(Selector("tag", lab), float(w)) for lab, w in zip(labels, weights, strict=True))
    weighted = PatternDef("bench", rules, threshold=2.0, min_length=Fraction(1), merge_gap=Fraction(1, 2))
    fuzzy = PatternDef("bench", rules, threshold=0.5, mode="fuzzy", tnorm="product", tconorm="probsum")
    source.get("tag", "warm-up")  # a long-lived source has its label index built already
    t_w, res_w = timed(lambda: run_pattern(source, weighted), repeat)
    t_f, res_f = timed(lambda: run_pattern(source, fuzzy), repeat)
    samples = len(res_w.curves[0].values)
    print(f"curve weighted {t_w:.3f} s ({samples:,d} samples, {len(res_w.hits)} hits); fuzzy {t_f:.3f} s", flush=True)

    # naive reference 1: paint every occurrence with a Python loop (the obvious implementation)
    def painted() -> np.ndarray:
        values = np.zeros(samples)
        for rule in rules:
            rows = source.get("tag", rule.selector.glob)
            mask = np.zeros(samples, dtype=bool)
            for s, e in zip(rows.start_seconds.tolist(), rows.end_seconds.tolist(), strict=True):
                mask[int(s / 0.1): max(int(np.ceil(e / 0.1)), int(s / 0.1) + 1)] = True
            values += rule.weight * mask
        return values

    t_paint, ref = timed(painted, 1)
    assert np.allclose(np.round(ref, 9), res_w.curves[0].values), "naive painting disagrees"
    # naive reference 2: per sample, per tag (pure Python), on the first 10 minutes
    window = 600.0
    by_tag = {lab: [(s, e) for s, e in zip(iv[iv.label == lab].start_seconds.tolist(),
                                            iv[iv.label == lab].end_seconds.tolist(), strict=True) if s < window]
              for lab in labels}
    t0 = time.perf_counter()
    for k in range(int(window / 0.1)):
        lo, hi = k * 0.1, (k + 1) * 0.1
        sum(w for lab, w in zip(labels, weights, strict=True) if any(s < hi and e > lo for s, e in by_tag[lab]))
    per_sample = (time.perf_counter() - t0) / int(window / 0.1)
    return {
        "hours": hours, "tags": tags, "occurrences": tags * per_tag, "step_s": 0.1, "samples": samples,
        "weighted_s": round(t_w, 4), "fuzzy_s": round(t_f, 4), "weighted_hits": len(res_w.hits),
        "fuzzy_hits": len(res_f.hits),
        "naive_paint_loop_s": round(t_paint, 3),
        "naive_per_sample_python_extrapolated_s": round(per_sample * samples, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    n, repeat = (100_000, 1) if args.quick else (1_000_000, 3)
    results = {
        "benchmark": "patterns",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"python": sys.version.split()[0], "numpy": np.__version__, "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "quick": bool(args.quick),
        "join": bench_joins(n, 100, repeat),
        "intensity_curve": bench_curve(200, 60, 2.0, 1 if args.quick else 5),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
