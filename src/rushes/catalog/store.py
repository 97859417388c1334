"""The catalog: SQLite in WAL mode, the system of record of a library.

Every write that belongs together happens in one ``BEGIN IMMEDIATE`` transaction, so a crash or
``kill -9`` leaves either the whole analyzer result or none of it. WAL lets a reader (the CLI,
the review app) read while the pipeline writes; several worker processes may write, each through
its own :class:`Catalog` (SQLite serialises writers; ``busy_timeout`` waits for the lock).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rushes.catalog.schema import SCHEMA, SCHEMA_VERSION
from rushes.errors import StoreError, TransientError
from rushes.intervals import Intervals
from rushes.media.probe import MediaInfo

__all__ = ["ArtifactRecord", "Catalog", "MediaRecord", "ResultRecord"]

_BUSY_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class MediaRecord:
    id: int
    fingerprint: str
    path: str
    name: str
    size: int
    kind: str
    duration_s: float | None
    frame_rate: Fraction | None
    info: MediaInfo

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "fingerprint": self.fingerprint, "path": self.path, "name": self.name,
            "size": self.size, "kind": self.kind, "duration_s": self.duration_s,
            "frame_rate": None if self.frame_rate is None else str(self.frame_rate),
            "probe": self.info.to_dict(),
        }


@dataclass(frozen=True)
class ResultRecord:
    key: str
    media_id: int
    analyzer: str
    version: str
    params_hash: str
    model_id: str
    wall_s: float | None
    cpu_s: float | None
    model_calls: int
    metrics: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class ArtifactRecord:
    id: int
    media_id: int
    result_key: str | None
    kind: str
    name: str
    path: str
    bytes: int
    attrs: dict[str, Any]


def _jdump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=_json_default)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Fraction):
        return float(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


class Catalog:
    """A connection to one library's catalog file."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        try:
            if readonly:
                uri = f"file:{self.path}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_MS / 1000,
                                           isolation_level=None, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(self.path), timeout=_BUSY_TIMEOUT_MS / 1000,
                                           isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA foreign_keys=ON")
            if not readonly:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open catalog ({exc})") from exc

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self.transaction():
            for stmt in _split_sql(SCHEMA):
                self._db.execute(stmt)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)",
                                 (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: catalog schema {row[0]} is newer than this rushes ({SCHEMA_VERSION}); upgrade"
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction (``BEGIN IMMEDIATE``); rolled back on any exception."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TransientError(f"catalog is locked: {exc}") from exc
            raise StoreError(f"catalog: {exc}") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._db.execute("ROLLBACK")
                raise TransientError(f"catalog commit failed: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Cursor:
        """Run a read query (for the CLI, search and tools built on the catalog)."""
        try:
            return self._db.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"catalog query failed: {exc}") from exc

    def integrity_ok(self) -> bool:
        row = self._db.execute("PRAGMA integrity_check").fetchone()
        return bool(row and row[0] == "ok")

    # -- media ----------------------------------------------------------------------------
    def upsert_media(self, fingerprint: str, info: MediaInfo) -> int:
        """Insert or update a media row (a renamed file keeps its id and results)."""
        p = Path(info.path)
        now = time.time()
        try:
            mtime = p.stat().st_mtime
        except OSError:
            mtime = None
        rate = info.frame_rate
        with self.transaction() as db:
            row = db.execute("SELECT id FROM media WHERE fingerprint=?", (fingerprint,)).fetchone()
            values = (str(p), p.name, info.size, mtime, info.kind,
                      None if info.duration is None else float(info.duration),
                      None if rate is None else str(rate), _jdump(info.to_dict()), now)
            if row is None:
                cur = db.execute(
                    "INSERT INTO media(fingerprint, path, name, size, mtime, kind, duration_s, frame_rate,"
                    " probe_json, updated_at, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (fingerprint, *values, now),
                )
                return int(cur.lastrowid or 0)
            db.execute(
                "UPDATE media SET path=?, name=?, size=?, mtime=?, kind=?, duration_s=?, frame_rate=?,"
                " probe_json=?, updated_at=? WHERE id=?",
                (*values, int(row[0])),
            )
            return int(row[0])

    def _media_from_row(self, row: sqlite3.Row) -> MediaRecord:
        info = MediaInfo.from_dict(json.loads(row["probe_json"]))
        return MediaRecord(
            id=int(row["id"]), fingerprint=row["fingerprint"], path=row["path"], name=row["name"],
            size=int(row["size"]), kind=row["kind"], duration_s=row["duration_s"],
            frame_rate=Fraction(row["frame_rate"]) if row["frame_rate"] else None, info=info,
        )

    def get_media(self, media_id: int) -> MediaRecord | None:
        row = self._db.execute("SELECT * FROM media WHERE id=?", (media_id,)).fetchone()
        return None if row is None else self._media_from_row(row)

    def find_media(self, ref: str) -> list[MediaRecord]:
        """Media matching an id, a fingerprint (or its prefix), a path or a file name."""
        rows: list[sqlite3.Row] = []
        if ref.isdigit():
            rows = self._db.execute("SELECT * FROM media WHERE id=?", (int(ref),)).fetchall()
        if not rows:
            rows = self._db.execute(
                "SELECT * FROM media WHERE fingerprint=? OR fingerprint LIKE ? OR path=? OR name=?",
                (ref, f"v1:{ref}%" if ":" not in ref and len(ref) >= 6 else ref, str(Path(ref).absolute()), ref),
            ).fetchall()
        return [self._media_from_row(r) for r in rows]

    def list_media(self) -> list[MediaRecord]:
        return [self._media_from_row(r) for r in self._db.execute("SELECT * FROM media ORDER BY id")]

    def media_durations(self) -> dict[int, Fraction]:
        """Seconds of every media with a known duration; a still image lasts 0 s (it has no time,
        so temporal ``NOT`` never selects part of it)."""
        out: dict[int, Fraction] = {}
        for row in self._db.execute("SELECT id, duration_s, kind FROM media"):
            if row[1] is not None:
                out[int(row[0])] = Fraction(row[1]).limit_denominator(1_000_000)
            elif row[2] == "image":
                out[int(row[0])] = Fraction(0)
        return out

    # -- results (the cache) --------------------------------------------------------------
    def get_result(self, key: str) -> ResultRecord | None:
        row = self._db.execute("SELECT * FROM results WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        return ResultRecord(
            key=row["key"], media_id=row["media_id"], analyzer=row["analyzer"], version=row["version"],
            params_hash=row["params_hash"], model_id=row["model_id"], wall_s=row["wall_s"],
            cpu_s=row["cpu_s"], model_calls=row["model_calls"], metrics=json.loads(row["metrics_json"]),
            created_at=row["created_at"],
        )

    def results_for_media(self, media_id: int) -> list[ResultRecord]:
        keys = [r[0] for r in self._db.execute(
            "SELECT key FROM results WHERE media_id=? ORDER BY analyzer", (media_id,))]
        return [r for k in keys if (r := self.get_result(k)) is not None]

    def commit_result(
        self,
        *,
        key: str,
        media_id: int,
        analyzer: str,
        version: str,
        params_hash: str,
        params: Mapping[str, Any],
        model_id: str,
        tracks: Mapping[str, Intervals],
        artifacts: Sequence[tuple[str, str, str, int, Mapping[str, Any]]] = (),
        wall_s: float | None = None,
        cpu_s: float | None = None,
        model_calls: int = 0,
        metrics: Mapping[str, Any] | None = None,
        job_id: int | None = None,
    ) -> None:
        """Atomically replace ``analyzer``'s output for ``media_id`` with a new result.

        ``tracks`` maps track name → Intervals (their ``media`` column is ignored: rows belong to
        ``media_id``); ``artifacts`` are ``(kind, name, relative_path, bytes, attrs)`` of files
        already moved into place.
        """
        now = time.time()
        with self.transaction() as db:
            # older results of the same analyzer on this media (other version/params) are superseded
            db.execute("DELETE FROM results WHERE media_id=? AND analyzer=?", (media_id, analyzer))
            db.execute(
                "INSERT INTO results(key, media_id, analyzer, version, params_hash, model_id, params_json,"
                " job_id, wall_s, cpu_s, model_calls, metrics_json, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (key, media_id, analyzer, version, params_hash, model_id, _jdump(dict(params)), job_id,
                 wall_s, cpu_s, model_calls, _jdump(dict(metrics or {})), now),
            )
            for track, iv in tracks.items():
                # a track is owned by one analyzer: drop rows another producer left under that name
                db.execute("DELETE FROM intervals WHERE media_id=? AND track=?", (media_id, track))
                db.executemany(
                    "INSERT INTO intervals(media_id, track, label, start_pts, end_pts, tb_num, tb_den,"
                    " start_s, end_s, score, attrs, producer, version, result_key)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    _interval_rows(iv, media_id, track, analyzer, version, key),
                )
            db.executemany(
                "INSERT INTO artifacts(media_id, result_key, kind, name, path, bytes, attrs, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [(media_id, key, k, n, p, b, _jdump(dict(a)), now) for k, n, p, b, a in artifacts],
            )

    def invalidate(self, media_id: int | None = None, analyzer: str | None = None) -> int:
        """Forget cached results (and their tracks/artifact rows) so they are recomputed."""
        clauses: list[str] = []
        params: list[Any] = []
        if media_id is not None:
            clauses.append("media_id=?")
            params.append(media_id)
        if analyzer is not None:
            clauses.append("analyzer=?")
            params.append(analyzer)
        where = " AND ".join(clauses) or "1=1"
        with self.transaction() as db:
            cur = db.execute(f"DELETE FROM results WHERE {where}", params)
            return cur.rowcount

    # -- intervals ------------------------------------------------------------------------
    def get_intervals(
        self,
        track: str | None = None,
        *,
        label: str | None = None,
        media_id: int | None = None,
        start_s: float | None = None,
        end_s: float | None = None,
    ) -> Intervals:
        """Rows of a track as one :class:`Intervals` (time base: the finest among the rows).

        ``label`` accepts ``*``/``?`` wildcards (SQL GLOB). ``start_s``/``end_s`` keep rows that
        overlap that window.
        """
        clauses: list[str] = []
        params: list[Any] = []
        if track is not None:
            clauses.append("track GLOB ?" if any(c in track for c in "*?[") else "track=?")
            params.append(track)
        if label is not None:
            clauses.append("label GLOB ?" if any(c in label for c in "*?[") else "label=?")
            params.append(label)
        if media_id is not None:
            clauses.append("media_id=?")
            params.append(media_id)
        if start_s is not None:
            clauses.append("end_s >= ?")
            params.append(start_s)
        if end_s is not None:
            clauses.append("start_s <= ?")
            params.append(end_s)
        where = " AND ".join(clauses) or "1=1"
        rows = self._db.execute(
            "SELECT media_id, track, label, start_pts, end_pts, tb_num, tb_den, score, attrs, producer,"
            f" version FROM intervals WHERE {where} ORDER BY media_id, start_s, end_s, id",
            params,
        ).fetchall()
        return _rows_to_intervals(rows)

    def tracks(self, media_id: int | None = None) -> list[tuple[str, int]]:
        """(track name, row count), optionally for one media."""
        if media_id is None:
            q = self._db.execute("SELECT track, COUNT(*) FROM intervals GROUP BY track ORDER BY track")
        else:
            q = self._db.execute(
                "SELECT track, COUNT(*) FROM intervals WHERE media_id=? GROUP BY track ORDER BY track",
                (media_id,))
        return [(r[0], int(r[1])) for r in q]

    def search_text(self, query: str, track: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """FTS5 search over interval labels; ``query`` uses FTS5 syntax."""
        sql = (
            "SELECT i.id, i.media_id, i.track, i.label, i.start_s, i.end_s, i.score, bm25(interval_fts) AS rank"
            " FROM interval_fts JOIN intervals i ON i.id = interval_fts.rowid WHERE interval_fts MATCH ?"
        )
        params: list[Any] = [query]
        if track is not None:
            sql += " AND i.track=?"
            params.append(track)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        try:
            return [dict(r) for r in self._db.execute(sql, params)]
        except sqlite3.OperationalError as exc:
            from rushes.errors import QueryError

            raise QueryError(f"bad text query {query!r}: {exc}") from exc

    # -- artifacts ------------------------------------------------------------------------
    def artifacts(self, media_id: int, kind: str | None = None) -> list[ArtifactRecord]:
        sql = "SELECT * FROM artifacts WHERE media_id=?"
        params: list[Any] = [media_id]
        if kind is not None:
            sql += " AND kind=?"
            params.append(kind)
        return [
            ArtifactRecord(id=r["id"], media_id=r["media_id"], result_key=r["result_key"], kind=r["kind"],
                           name=r["name"], path=r["path"], bytes=r["bytes"], attrs=json.loads(r["attrs"] or "{}"))
            for r in self._db.execute(sql + " ORDER BY id", params)
        ]

    # -- failures ---------------------------------------------------------------------------
    def record_failure(self, *, path: str, error_type: str, message: str, job_id: int | None = None,
                       media_id: int | None = None, analyzer: str | None = None, attempts: int = 1) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO failures(job_id, path, media_id, analyzer, error_type, message, attempts, created_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (job_id, path, media_id, analyzer, error_type, message, attempts, time.time()),
            )

    def failures(self, job_id: int | None = None) -> list[dict[str, Any]]:
        if job_id is None:
            rows = self._db.execute("SELECT * FROM failures ORDER BY id")
        else:
            rows = self._db.execute("SELECT * FROM failures WHERE job_id=? ORDER BY id", (job_id,))
        return [dict(r) for r in rows]

    # -- summary ---------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        one = self._db.execute
        media = one("SELECT COUNT(*), COALESCE(SUM(size),0), COALESCE(SUM(duration_s),0) FROM media").fetchone()
        by_kind = {r[0]: r[1] for r in one("SELECT kind, COUNT(*) FROM media GROUP BY kind")}
        analyzers = {
            r[0]: {"results": r[1], "wall_s": r[2] or 0.0, "cpu_s": r[3] or 0.0, "model_calls": r[4] or 0}
            for r in one("SELECT analyzer, COUNT(*), SUM(wall_s), SUM(cpu_s), SUM(model_calls) FROM results"
                         " GROUP BY analyzer ORDER BY analyzer")
        }
        return {
            "media": int(media[0]), "bytes": int(media[1]), "duration_s": float(media[2]),
            "media_by_kind": by_kind, "analyzers": analyzers,
            "tracks": dict(self.tracks()),
            "artifacts": int(one("SELECT COUNT(*) FROM artifacts").fetchone()[0]),
            "failures": int(one("SELECT COUNT(*) FROM failures").fetchone()[0]),
        }


def _split_sql(script: str) -> list[str]:
    """Split the schema into statements (triggers contain ';' inside BEGIN ... END)."""
    out: list[str] = []
    buf: list[str] = []
    in_trigger = False
    for line in script.splitlines():
        if not line.strip():
            continue
        buf.append(line)
        upper = line.strip().upper()
        if upper.startswith("CREATE TRIGGER"):
            in_trigger = True
        if in_trigger:
            if upper == "END;":
                out.append("\n".join(buf))
                buf, in_trigger = [], False
        elif line.rstrip().endswith(";"):
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out


def _interval_rows(iv: Intervals, media_id: int, track: str, producer: str, version: str,
                   key: str) -> Iterator[tuple[Any, ...]]:
    tb = iv.time_base
    tbf = float(tb)
    cols = list(iv.data.items())
    for i in range(len(iv)):
        attrs = {k: _json_default(v[i]) if isinstance(v[i], np.generic | np.ndarray) else v[i] for k, v in cols}
        s, e = int(iv.start[i]), int(iv.end[i])
        yield (media_id, track, str(iv.label[i]), s, e, tb.numerator, tb.denominator, s * tbf, e * tbf,
               float(iv.score[i]), _jdump(attrs) if attrs else None, producer, version, key)


def _rows_to_intervals(rows: Sequence[sqlite3.Row]) -> Intervals:
    if not rows:
        empty = Intervals.empty()
        empty.data["track"] = np.zeros(0, dtype=object)
        return empty
    tb = Fraction(rows[0]["tb_num"], rows[0]["tb_den"])
    uniform = all(r["tb_num"] == tb.numerator and r["tb_den"] == tb.denominator for r in rows)
    if not uniform:
        from rushes.intervals import common_time_base

        for r in rows:
            tb = common_time_base(tb, Fraction(r["tb_num"], r["tb_den"]))
    starts = np.empty(len(rows), dtype=np.int64)
    ends = np.empty(len(rows), dtype=np.int64)
    for i, r in enumerate(rows):
        scale = Fraction(r["tb_num"], r["tb_den"]) / tb
        starts[i] = int(r["start_pts"] * scale)
        ends[i] = int(r["end_pts"] * scale)
    attrs = [json.loads(r["attrs"]) if r["attrs"] else {} for r in rows]
    data: dict[str, Any] = {"track": np.array([r["track"] for r in rows], dtype=object)}
    if any(attrs):
        data["attrs"] = np.array([*attrs, None], dtype=object)[:-1]
    return Intervals(
        starts, ends, np.array([r["label"] for r in rows] + [None], dtype=object)[:-1],
        np.array([r["score"] for r in rows], dtype=np.float64),
        np.array([r["media_id"] for r in rows], dtype=np.int64), tb, data,
        {"producers": sorted({f"{r['producer']}@{r['version']}" for r in rows})},
    )


def host_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
