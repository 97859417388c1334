"""Vector index: incremental add, save/load, exact and HNSW agree, dead rows never come back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rushes.search.index import VectorIndex


def _data(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    v = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_exact_search_incremental_and_filters() -> None:
    idx = VectorIndex(dim=8, ann_threshold=10_000)
    a, b = _data(50, 8, 1), _data(30, 8, 2)
    idx.add(a, media=1, times=np.arange(50.0))
    idx.add(b, media=2, times=np.arange(30.0))
    assert len(idx) == 80 and not idx.uses_ann
    hit = idx.search(b[7], k=1)[0]
    assert (hit.media_id, hit.t) == (2, 7.0) and hit.score == pytest.approx(1.0, abs=1e-5)
    only1 = idx.search(b[7], k=5, media=[1])
    assert {h.media_id for h in only1} == {1}
    assert idx.remove_media(2) == 30
    assert all(h.media_id == 1 for h in idx.search(b[7], k=10))
    t, s = idx.scores_for(a[3], 1)
    assert len(t) == 50 and int(np.argmax(s)) == 3


def test_ann_agrees_with_exact_and_survives_save_load(tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    data = _data(3000, 16, 3)
    idx = VectorIndex(dim=16, ann_threshold=1000, threads=1)
    idx.add(data[:800], media=1, times=np.arange(800.0))
    assert not idx.uses_ann
    idx.add(data[800:], media=2, times=np.arange(2200.0))  # crosses the threshold: HNSW is built
    assert idx.uses_ann
    queries = _data(40, 16, 4)
    overlap = []
    for q in queries:
        ex = {h.row for h in idx.search(q, k=10, exact=True)}
        ann = {h.row for h in idx.search(q, k=10)}
        overlap.append(len(ex & ann) / 10)
    assert np.mean(overlap) >= 0.9
    idx.add(_data(10, 16, 5), media=3, times=np.arange(10.0))  # incremental add into the graph
    idx.save(tmp_path / "ix")
    back = VectorIndex.load(tmp_path / "ix")
    assert len(back) == len(idx) and back.uses_ann
    q = queries[0]
    assert [h.row for h in back.search(q, k=5)] == [h.row for h in idx.search(q, k=5)]
    back.remove_media(1)
    back.compact()
    assert len(back) == 2210 and 1 not in {h.media_id for h in back.search(q, k=50)}
