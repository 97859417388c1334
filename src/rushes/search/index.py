"""The embedded vector index: (media, time) rows of unit vectors, cosine similarity.

Chosen by measurement (docs/search.md, bench/bench_search.py, ``INFRA.md``): exact search below
``ann_threshold`` rows (a float32 matrix product is exact and fast up to ~100k rows), FAISS
``HNSW32`` (inner product) above it. FAISS is optional: without it every search is exact.

On disk (one folder per embedding space, inside the library: ``<library>/search/<space>/``)::

    vectors.npy     float16 [N, D]   (exact search and rebuilds read these)
    rows.npz        media int64 [N], t float64 [N], alive bool [N]
    hnsw.faiss      the ANN graph, when N >= ann_threshold
    manifest.json   dim, model id, which artifacts (result keys) are in, version

Adding is incremental: :meth:`VectorIndex.add` appends rows (and to the HNSW graph when there is
one); removing a file's rows marks them dead (filtered out of results) until :meth:`compact`.
:func:`sync_index` brings an index up to date with a library's ``embedding`` artifacts, so new
files become searchable as they are ingested.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rushes.errors import StoreError

__all__ = ["Hit", "VectorIndex", "sync_index"]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
INDEX_VERSION = 1
DEFAULT_ANN_THRESHOLD = 100_000


@dataclass(frozen=True)
class Hit:
    """One row of a vector search: which file, which sample time, cosine similarity."""

    media_id: int
    t: float
    score: float
    row: int


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


class VectorIndex:
    """Rows of unit vectors with their (media id, time); exact or HNSW search.

    >>> idx = VectorIndex(dim=3)
    >>> idx.add(np.eye(3, dtype=np.float32), media=[1, 1, 2], times=[0.0, 1.0, 0.0])
    >>> [(h.media_id, h.t) for h in idx.search(np.array([0, 1, 0], np.float32), k=1)]
    [(1, 1.0)]
    """

    def __init__(self, dim: int, *, ann_threshold: int = DEFAULT_ANN_THRESHOLD, hnsw_m: int = 32,
                 ef_search: int = 128, ef_construction: int = 80, threads: int | None = None) -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self.threads = threads
        self._chunks: list[FloatArray] = []
        self._vectors: FloatArray = np.zeros((0, dim), np.float32)
        self.media: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self.times: npt.NDArray[np.float64] = np.zeros(0, np.float64)
        self.alive: npt.NDArray[np.bool_] = np.zeros(0, bool)
        self._ann: Any = None
        self._ann_rows = 0
        self.meta: dict[str, Any] = {"sources": {}}

    # -- size and data --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.media)

    @property
    def live_count(self) -> int:
        return int(self.alive.sum())

    @property
    def vectors(self) -> FloatArray:
        if self._chunks:
            self._vectors = np.concatenate([self._vectors, *self._chunks]) if len(self._vectors) else \
                np.concatenate(self._chunks)
            self._chunks = []
        return self._vectors

    @property
    def uses_ann(self) -> bool:
        return self._ann is not None

    # -- writes -----------------------------------------------------------------------------------
    def add(self, vectors: npt.ArrayLike, *, media: Sequence[int] | npt.NDArray[np.int64] | int,
            times: Sequence[float] | npt.NDArray[np.float64]) -> None:
        """Append rows (vectors are L2-normalised here); grows the HNSW graph when it exists."""
        v = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        n = len(v)
        if n == 0:
            return
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        m = np.full(n, media, np.int64) if isinstance(media, int | np.integer) else np.asarray(media, np.int64)
        t = np.asarray(times, dtype=np.float64)
        if len(m) != n or len(t) != n:
            raise ValueError("vectors, media and times differ in length")
        self._chunks.append(v.astype(np.float32))
        self.media = np.concatenate([self.media, m])
        self.times = np.concatenate([self.times, t])
        self.alive = np.concatenate([self.alive, np.ones(n, bool)])
        if self._ann is not None:
            self._ann.add(v)
            self._ann_rows += n
        elif len(self) >= self.ann_threshold:
            self.build_ann()

    def remove_media(self, media_id: int) -> int:
        """Mark a file's rows dead; returns how many."""
        mask = (self.media == media_id) & self.alive
        self.alive[mask] = False
        return int(mask.sum())

    def compact(self) -> None:
        """Drop dead rows for good (rebuilds the HNSW graph when there is one)."""
        keep = self.alive
        if bool(keep.all()):
            return
        self._vectors = self.vectors[keep]
        self.media, self.times, self.alive = self.media[keep], self.times[keep], self.alive[keep]
        had_ann = self._ann is not None
        self._ann, self._ann_rows = None, 0
        if had_ann and len(self) >= self.ann_threshold:
            self.build_ann()

    def build_ann(self) -> bool:
        """Build the HNSW graph over all rows (False when FAISS is not installed)."""
        faiss = _faiss()
        if faiss is None:
            return False
        if self.threads:
            faiss.omp_set_num_threads(self.threads)
        index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        index.hnsw.efSearch = self.ef_search
        vecs = self.vectors
        for s in range(0, len(vecs), 65536):
            index.add(np.ascontiguousarray(vecs[s:s + 65536]))
        self._ann, self._ann_rows = index, len(vecs)
        return True

    # -- search -----------------------------------------------------------------------------------
    def search(self, query: npt.ArrayLike, k: int = 10, *, media: Sequence[int] | None = None,
               exact: bool | None = None) -> list[Hit]:
        """The ``k`` live rows most similar to ``query`` (cosine), best first.

        ``media`` restricts to those files (exact search over their rows). ``exact`` forces the
        method; by default HNSW is used when built.
        """
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.dim:
            raise ValueError(f"query has {q.shape[0]} dims, index has {self.dim}")
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        if len(self) == 0 or k <= 0:
            return []
        if media is not None:
            rows = np.flatnonzero(np.isin(self.media, np.asarray(list(media), np.int64)) & self.alive)
            return self._exact(q, k, rows)
        use_ann = self._ann is not None if exact is None else (not exact and self._ann is not None)
        if not use_ann:
            return self._exact(q, k, None)
        dead = len(self) - self.live_count
        want = min(len(self), k + dead if dead < 4 * k else 4 * k)
        self._ann.hnsw.efSearch = max(self.ef_search, want)
        scores, ids = self._ann.search(q[None], want)
        hits = [Hit(int(self.media[i]), float(self.times[i]), float(s), int(i))
                for s, i in zip(scores[0], ids[0], strict=True) if i >= 0 and self.alive[i]]
        if len(hits) < k and dead:
            return self._exact(q, k, None)
        return hits[:k]

    def _exact(self, q: FloatArray, k: int, rows: npt.NDArray[np.intp] | None) -> list[Hit]:
        vecs = self.vectors
        if rows is None:
            scores = vecs @ q
            scores = np.where(self.alive, scores, -np.inf)
            idx = np.arange(len(scores))
        else:
            if len(rows) == 0:
                return []
            scores = vecs[rows] @ q
            idx = rows
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(int(self.media[idx[i]]), float(self.times[idx[i]]), float(scores[i]), int(idx[i]))
                for i in top if np.isfinite(scores[i])]

    def scores_for(self, query: npt.ArrayLike, media_id: int) -> tuple[npt.NDArray[np.float64], FloatArray]:
        """(times, cosine scores) of every live row of one file, in time order (heat maps)."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        rows = np.flatnonzero((self.media == media_id) & self.alive)
        rows = rows[np.argsort(self.times[rows], kind="stable")]
        return self.times[rows], (self.vectors[rows] @ q).astype(np.float32)

    # -- persistence --------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the index atomically (each file via a temporary name, then rename)."""
        folder.mkdir(parents=True, exist_ok=True)

        def put(name: str, writer: Any) -> None:
            tmp = folder / f".{name}.tmp{os.getpid()}"
            writer(tmp)
            os.replace(tmp, folder / name)

        def write_npy(p: Path) -> None:
            with p.open("wb") as fh:
                np.save(fh, self.vectors.astype(np.float16), allow_pickle=False)

        def write_rows(p: Path) -> None:
            with p.open("wb") as fh:
                np.savez(fh, media=self.media, t=self.times, alive=self.alive)

        put("vectors.npy", write_npy)
        put("rows.npz", write_rows)
        faiss = _faiss()
        if self._ann is not None and faiss is not None:
            put("hnsw.faiss", lambda p: faiss.write_index(self._ann, str(p)))
        elif (folder / "hnsw.faiss").exists():
            (folder / "hnsw.faiss").unlink()
        manifest = {**self.meta, "version": INDEX_VERSION, "dim": self.dim, "rows": len(self),
                    "ann": self._ann is not None, "ann_threshold": self.ann_threshold, "saved_at": time.time()}
        put("manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=1, sort_keys=True)))

    @classmethod
    def load(cls, folder: Path, **kwargs: Any) -> VectorIndex:
        """Read an index written by :meth:`save` (raises :class:`StoreError` when damaged)."""
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if int(manifest.get("version", 0)) != INDEX_VERSION:
                raise StoreError(f"{folder}: index version {manifest.get('version')} is not {INDEX_VERSION}")
            kwargs.setdefault("ann_threshold", int(manifest.get("ann_threshold", DEFAULT_ANN_THRESHOLD)))
            idx = cls(int(manifest["dim"]), **kwargs)
            vecs = np.load(folder / "vectors.npy", allow_pickle=False).astype(np.float32)
            with np.load(folder / "rows.npz", allow_pickle=False) as rows:
                idx.media, idx.times, idx.alive = rows["media"], rows["t"], rows["alive"]
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise StoreError(f"{folder}: cannot read the vector index ({exc}); delete the folder to rebuild it") \
                from exc
        idx._vectors = vecs.reshape(-1, idx.dim)
        idx.meta = {k: v for k, v in manifest.items() if k not in ("version", "dim", "rows", "ann", "saved_at")}
        idx.meta.setdefault("sources", {})
        faiss = _faiss()
        if manifest.get("ann") and faiss is not None and (folder / "hnsw.faiss").exists():
            idx._ann = faiss.read_index(str(folder / "hnsw.faiss"))
            idx._ann.hnsw.efSearch = idx.ef_search
            idx._ann_rows = idx._ann.ntotal
            if idx._ann_rows != len(idx):
                idx.build_ann()
        elif len(idx) >= idx.ann_threshold:
            idx.build_ann()
        return idx


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def index_folder(library_root: Path, space: str) -> Path:
    """``<library>/search/<space>`` (``:`` in a space name becomes ``_``)."""
    return library_root / "search" / space.replace(":", "_").replace("/", "_")


def sync_index(catalog: Any, library_root: Path, space: str, *,
               ann_threshold: int = DEFAULT_ANN_THRESHOLD) -> VectorIndex | None:
    """Load ``space``'s index and add/remove rows so it matches the library's artifacts.

    An artifact is identified by its result key: a new key adds its rows, a vanished or replaced
    one removes its file's old rows. Returns ``None`` when the library has no embeddings of that
    space. Writers are serialised with a lock file.
    """
    arts: dict[str, tuple[int, str, dict[str, Any]]] = {}
    for row in catalog.execute(
        "SELECT media_id, result_key, path, attrs FROM artifacts WHERE kind='embedding' ORDER BY id"
    ).fetchall():
        attrs = json.loads(row["attrs"] or "{}")
        if attrs.get("space") == space and row["result_key"]:
            arts[str(row["result_key"])] = (int(row["media_id"]), str(row["path"]), attrs)
    folder = index_folder(library_root, space)
    if not arts and not (folder / "manifest.json").exists():
        return None
    with _locked(folder):
        idx: VectorIndex | None = None
        if (folder / "manifest.json").exists():
            try:
                idx = VectorIndex.load(folder, ann_threshold=ann_threshold)
            except StoreError as exc:
                log.warning("%s; rebuilding", exc)
        sources: dict[str, int] = dict(idx.meta.get("sources", {})) if idx is not None else {}
        changed = False
        for key, media_id in list(sources.items()):
            if key not in arts:
                if idx is not None:
                    idx.remove_media(media_id)
                del sources[key]
                changed = True
        for key, (media_id, rel, attrs) in arts.items():
            if key in sources:
                continue
            path = library_root / rel
            try:
                with np.load(path, allow_pickle=False) as data:
                    t, v = data["t"], data["v"].astype(np.float32)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("%s: unreadable embeddings (%s); skipped", path, exc)
                continue
            if idx is None:
                if v.ndim != 2 or v.shape[1] == 0:
                    continue
                idx = VectorIndex(v.shape[1], ann_threshold=ann_threshold)
            if v.ndim != 2 or v.shape[1] != idx.dim:
                log.warning("%s: %s-d vectors in a %d-d index; skipped", path, v.shape, idx.dim)
                continue
            # a re-ingested file (new result key) replaces its old rows
            for old_key, old_media in list(sources.items()):
                if old_media == media_id:
                    idx.remove_media(media_id)
                    del sources[old_key]
            idx.add(v, media=media_id, times=t)
            sources[key] = media_id
            idx.meta["model_id"] = attrs.get("model_id", "")
            changed = True
        if idx is None:
            return None
        idx.meta["sources"] = sources
        if len(idx) and idx.live_count < 0.7 * len(idx):
            idx.compact()
            changed = True
        if changed:
            idx.save(folder)
        return idx
